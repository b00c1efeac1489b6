"""Seeding at start: ``s3vectors-emulator --init DUMP`` of 100,000 × 1024 vectors, from the process's start to
ready (the listening line, then ``GET /_emulator/health`` answering 200 ``"ready": true``).  Target: 10 s.

The dump is written once with the dump format's own writer (keys, float32 gaussian values, a small metadata
document per vector), plain .jsonl as ``s3vectors-emulator export`` writes it by default; then the emulator is
started on it as a user would: a subprocess, memory only, and once more with an empty ``--data-dir`` (every
vector also committed to SQLite before ready; no target).  The time
includes the interpreter's start and imports (about 1 s here); the seed's own time is read from its log line.
Quick: the same 100,000 (the target's size), memory only.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench.data import gaussian, generator, key_of
from bench.report import Column, Section, Target
from bench.stats import now

DIM = 1024
TARGET_S = 10.0
_FULL = 100_000
_SEEDED = re.compile(r"seeded from .* in ([0-9.]+) s")


def _write_dump(directory: Path, n: int) -> None:
    from s3vectors_emulator.transfer.dump import BucketEntry, IndexEntry, Manifest, Source, VectorWriter, write_manifest

    rng = generator()
    with VectorWriter(directory, "bench-seed", "idx", compressed=False) as writer:
        for begin in range(0, n, 5_000):
            block = gaussian(rng, min(5_000, n - begin), DIM)
            keys = [key_of(begin + j) for j in range(len(block))]
            writer.write(keys, block, [{"g": (begin + j) % 10} for j in range(len(block))])
    index = IndexEntry("idx", DIM, "cosine", vector_count=writer.count, file=writer.file)
    write_manifest(directory, Manifest(Source(None, "us-east-1"), [BucketEntry("bench-seed", indexes=[index])]))


def _start(dump: Path, data_dir: Path | None) -> tuple[float, float | None, int]:
    """(seconds from start to ready, the seed's own seconds from its log line, vectors served)."""
    command = [sys.executable, "-m", "s3vectors_emulator", "--port", "0", "--init", str(dump), "--quiet"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    start = now()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        line = process.stdout.readline()
        ready = now() - start
        match = re.search(r"listening on (\S+)", line)
        if match is None:
            raise RuntimeError(f"the emulator did not start: {process.stderr.read()[-2000:]}")
        url = match.group(1)
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=10) as answer:
            assert json.loads(answer.read())["ready"] is True
        request = urllib.request.Request(
            f"{url}/GetIndex",
            data=json.dumps({"vectorBucketName": "bench-seed", "indexName": "idx"}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
        count = _count(url)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=60)
    seeded = _SEEDED.search(errors)
    return ready, float(seeded.group(1)) if seeded else None, count


def _count(url: str) -> int:
    """Vectors served, counted through ListVectors."""
    total, token = 0, None
    while True:
        body = {"vectorBucketName": "bench-seed", "indexName": "idx", "maxResults": 1000}
        if token:
            body["nextToken"] = token
        request = urllib.request.Request(f"{url}/ListVectors", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            page = json.loads(answer.read())
        total += len(page["vectors"])
        token = page.get("nextToken")
        if not token:
            return total


def run(quick: bool) -> Section:
    n = _FULL
    section = Section(
        "seed",
        f"--init of a {n:,} × {DIM} dump: process start to ready",
        [
            Column("mode", "mode"),
            Column("dump_gib", "dump GiB", "num"),
            Column("ready_s", "start to ready s", "num"),
            Column("seed_s", "seed s", "num"),
            Column("rate", "vectors/s (seed)", "num"),
            Column("target", "target"),
        ],
    )
    workdir = Path(tempfile.mkdtemp(prefix="s3v-bench-seed-"))
    try:
        dump = workdir / "dump"
        began = now()
        _write_dump(dump, n)
        written = now() - began
        size = sum(f.stat().st_size for f in dump.rglob("*") if f.is_file()) / 2**30
        modes: list[tuple[str, Path | None]] = [("memory", None)]
        if not quick:
            modes.append(("--data-dir", workdir / "data"))
        for mode, data_dir in modes:
            ready, seeded, count = _start(dump, data_dir)
            assert count == n, (count, n)
            row = {
                "mode": mode,
                "dump_gib": size,
                "ready_s": ready,
                "seed_s": seeded,
                "rate": n / seeded if seeded else None,
            }
            if data_dir is None:
                section.add_target(row, Target(f"--init {n:,}x{DIM} start to ready", ready, "<=", TARGET_S, " s"))
            section.rows.append(row)
        section.notes.append(f"dump written in {written:.1f} s by the dump format's writer (not part of the figure)")
        if quick:
            section.notes.append("quick: memory only (the full run times an empty --data-dir too)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return section
