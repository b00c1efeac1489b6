"""Filtered queries: an ``$eq`` that 0.1 %, 10 % or 50 % of the rows match, as a ratio to the
unfiltered query on the same index, interleaved on the same query vectors."""

from __future__ import annotations

from typing import Any

from bench.data import fill_index, generator, queries
from bench.report import Column, Section, Target
from bench.stats import interleaved, median
from s3vectors_emulator.store.index import Index

# Each metadata key matches one row in `every` (rows are random vectors, so which rows does not matter).
SELECTIVITIES = (("0.1%", "sel_0_1", 1000), ("10%", "sel_10", 10), ("50%", "sel_50", 2))
TARGETS = {"0.1%": ("<=", 0.2), "50%": ("<=", 1.2)}
K = 10


def _metadata(i: int) -> dict[str, Any]:
    return {key: "hit" if i % every == 0 else "miss" for _, key, every in SELECTIVITIES}


def run(quick: bool) -> Section:
    n, d = (100_000, 128) if quick else (100_000, 1024)
    budget, min_rounds = (2.0, 9) if quick else (6.0, 15)
    section = Section(
        "filtered",
        f"Filtered queries ({n:,} x {d}, cosine, k={K}) vs unfiltered on the same index",
        [
            Column("match", "rows matching"),
            Column("matches", "matches", "{:,}"),
            Column("unfiltered_ms", "unfiltered ms", "{:.2f}"),
            Column("filtered_ms", "filtered ms", "{:.2f}"),
            Column("ratio", "filtered/unfiltered", "{:.2f}x"),
            Column("target", "target"),
        ],
    )
    rng = generator()
    index = Index(d, "cosine")
    seconds = fill_index(index, n, rng, metadata=_metadata)
    section.notes.append(f"check_records + put with 3 metadata keys: {seconds:.1f} s ({n / seconds:,.0f} vectors/s)")
    contenders: dict[str, Any] = {"unfiltered": lambda q: index.search(q, None, K)}
    for label, key, _ in SELECTIVITIES:
        contenders[label] = lambda q, key=key: index.search(q, None, K, {key: {"$eq": "hit"}})
    times = interleaved(contenders, queries(rng, 64, d), warmup=2, budget=budget, min_rounds=min_rounds)
    base = median(times["unfiltered"])
    for label, _, every in SELECTIVITIES:
        filtered = median(times[label])
        row: dict[str, Any] = {
            "match": label,
            "matches": len(range(0, n, every)),
            "unfiltered_ms": base * 1e3,
            "filtered_ms": filtered * 1e3,
            "ratio": filtered / base,
            "runs": len(times[label]),
        }
        if label in TARGETS:
            op, limit = TARGETS[label]
            section.add_target(row, Target(f"filter {label} vs unfiltered", filtered / base, op, limit))
        section.rows.append(row)
    return section
