"""Restart time with --data-dir: how long the emulator takes to rebuild an index from its database.

Fills a data directory through the store (the same writes PutVectors makes: SQLite first, then the
matrix), closes it, and times opening it again, which reads every vector back and rebuilds the
matrix and metadata columns.  Full: 1M × 1024 (4 GiB of float32 on disk); quick: 50k × 1024.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bench.data import fill_index, generator, store_index
from bench.report import Column, Section
from bench.stats import now

DIM = 1024


def _fill(directory: Path, n: int) -> float:
    from s3vectors_emulator.store.restore import open_store

    store = open_store(directory)
    region = store.region("123456789012", "us-east-1")
    index = store_index(region, "bench-restart", "idx", DIM)
    seconds = fill_index(index, n, generator(), metadata=lambda i: {"g": i % 10}, chunk=10_000)
    store.close()
    return seconds


def _restart(directory: Path) -> tuple[float, int]:
    from s3vectors_emulator.store.restore import open_store

    start = now()
    store = open_store(directory)
    seconds = now() - start
    count = store.region("123456789012", "us-east-1").index("bench-restart", "idx").count
    store.close()
    return seconds, count


def run(quick: bool) -> Section:
    n = 50_000 if quick else 1_000_000
    section = Section(
        "restart",
        f"Restart with --data-dir: rebuild {n:,} × {DIM} from the database",
        [
            Column("n", "vectors", "num"),
            Column("fill_s", "fill s", "num"),
            Column("fill_rate", "puts/s", "num"),
            Column("restart_s", "restart s", "num"),
            Column("restart_rate", "restored/s", "num"),
            Column("disk_gib", "database GiB", "num"),
        ],
    )
    workdir = Path(tempfile.mkdtemp(prefix="s3v-bench-restart-"))
    try:
        fill = _fill(workdir, n)
        restart, count = _restart(workdir)
        assert count == n, (count, n)
        disk = sum(f.stat().st_size for f in workdir.iterdir() if f.is_file()) / 2**30
        section.rows.append(
            {
                "n": n,
                "fill_s": fill,
                "fill_rate": n / fill,
                "restart_s": restart,
                "restart_rate": n / restart,
                "disk_gib": disk,
            }
        )
        if quick:
            section.notes.append(f"quick: 1M × 1024 would take about {restart * 1_000_000 / n:.0f} s to restore")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return section
