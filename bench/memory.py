"""Resident memory of a Index per million vectors of 1024 dimensions, against the raw bytes
(float32 vectors, keys and metadata by the service's size model).

Each run is a fresh subprocess (``python -m bench.memory --child N D``) that reads its RSS before
and after putting N vectors with small metadata, so nothing else of the benchmark is counted.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.data import fill_index, generator, key_of
from bench.report import Column, Section, Target
from bench.stats import median

DIM = 1024
TARGET = 1.1


def _metadata(i: int) -> dict[str, Any]:
    return {"genre": f"g{i % 10}", "year": 2000 + i % 25}


def rss_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import psutil  # not Linux: psutil knows

    return int(psutil.Process().memory_info().rss)


def child(n: int, d: int) -> dict[str, Any]:
    from s3vectors_emulator.store.index import Index
    from s3vectors_emulator.store.metadata import metadata_size

    index = Index(d, "cosine")
    rng = generator()
    gc.collect()
    before = rss_bytes()
    seconds = fill_index(index, n, rng, metadata=_metadata, chunk=10_000)
    gc.collect()
    after = rss_bytes()
    assert index.count == n
    vectors = n * d * 4
    keys = sum(len(key_of(i).encode()) for i in range(n))
    metadata = sum(metadata_size(_metadata(i)) for i in range(n))
    return {
        "n": n,
        "d": d,
        "before": before,
        "after": after,
        "vectors": vectors,
        "keys": keys,
        "metadata": metadata,
        "fill_seconds": seconds,
    }


def _run_child(n: int, d: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--child", str(n), str(d)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool) -> Section:
    n = 100_000 if quick else 1_000_000
    runs = 3
    section = Section(
        "memory",
        f"Resident memory of {n:,} x {DIM} vectors with small metadata (per million)",
        [
            Column("figure", "figure"),
            Column("value", "median", "num"),
            Column("unit", "unit"),
            Column("target", "target"),
        ],
    )
    results = [_run_child(n, DIM) for _ in range(runs)]
    grown = median([r["after"] - r["before"] for r in results])
    first = results[0]
    raw_vectors = first["vectors"]
    raw = raw_vectors + first["keys"] + first["metadata"]
    per_million = 1e6 / n
    ratio = grown / raw
    row: dict[str, Any] = {"figure": "RSS growth / (raw float32 + keys + metadata)", "value": ratio, "unit": "x"}
    section.add_target(row, Target(f"memory {n}x{DIM}", ratio, "<=", TARGET))
    section.rows += [
        {"figure": "RSS growth per million vectors", "value": grown * per_million / 2**30, "unit": "GiB"},
        {"figure": "raw float32 per million", "value": raw_vectors * per_million / 2**30, "unit": "GiB"},
        {
            "figure": "raw keys + metadata per million",
            "value": (raw - raw_vectors) * per_million / 2**30,
            "unit": "GiB",
        },
        row,
        {"figure": "RSS growth / raw float32 alone", "value": grown / raw_vectors, "unit": "x"},
        {"figure": "overhead per vector beyond raw", "value": (grown - raw) / n, "unit": "bytes"},
        {
            "figure": "fill rate (check_records + put)",
            "value": n / median([r["fill_seconds"] for r in results]),
            "unit": "vectors/s",
        },
    ]
    section.notes.append(
        f"{runs} subprocess runs; metadata {_metadata(0)} (size model: docs/behaviour.md#metadata-size-model)"
    )
    if quick:
        section.notes.append("quick: 100k vectors, extrapolated per million")
    return section


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--child", nargs=2, type=int, metavar=("N", "D"), required=True)
    args = parser.parse_args()
    print(json.dumps(child(*args.child)))


if __name__ == "__main__":
    main()
