"""The query kernel inside the process: Index.search against one ``X @ q`` (the floor) and
faiss-cpu's flat (exact) indexes, interleaved on the same queries."""

from __future__ import annotations

import copy
import gc
from typing import Any

import numpy as np

from bench.data import estimate_generation_seconds, fill_index, generator, queries
from bench.machine import available_bytes
from bench.report import Column, Section, Target
from bench.stats import interleaved, median
from s3vectors_emulator.store.index import Index

FULL_CELLS = [(n, d) for n in (10_000, 100_000, 1_000_000) for d in (128, 1024)]
QUICK_CELLS = [(100_000, 128), (10_000, 1024)]
TARGET_CELLS = {(100_000, 1024), (1_000_000, 128)}
TARGET = 1.15
METRICS = ("cosine", "euclidean")
KS = (10, 100)
MAX_GENERATION_SECONDS = 180.0


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _capacity_rows(n: int) -> int:
    rows = 16  # Index grows its matrix by doubling from 16 rows
    while rows < n:
        rows *= 2
    return rows


def _flat_index(faiss: Any, matrix: np.ndarray, metric: str) -> Any:
    """IndexFlatL2 for euclidean; IndexFlatIP over L2-normalised rows for cosine (added in chunks,
    so the only full copy is faiss's own)."""
    d = matrix.shape[1]
    if metric == "euclidean":
        flat = faiss.IndexFlatL2(d)
        flat.add(matrix)
        return flat
    flat = faiss.IndexFlatIP(d)
    for begin in range(0, len(matrix), 65_536):
        block = np.array(matrix[begin : begin + 65_536], dtype=np.float32, copy=True)
        faiss.normalize_L2(block)
        flat.add(block)
    return flat


def _cell_fits(n: int, d: int, with_faiss: bool) -> str | None:
    """Why the (n, d) cell must be skipped here, or None."""
    raw = n * d * 4
    need = _capacity_rows(n) * d * 4 * 1.5 + (raw if with_faiss else 0) + 2**30
    have = available_bytes()
    if have and need > have:
        return f"needs ~{need / 2**30:.1f} GiB, {have / 2**30:.1f} GiB available"
    estimate = estimate_generation_seconds(n, d)
    if estimate > MAX_GENERATION_SECONDS:
        return f"generating the data would take ~{estimate:.0f} s"
    return None


def run(quick: bool) -> Section:
    faiss = _faiss()
    columns = [
        Column("n", "N", "{:,}"),
        Column("d", "d"),
        Column("metric", "metric"),
        Column("k", "k"),
        Column("floor_ms", "floor ms", "{:.2f}"),
        Column("emulator_ms", "emulator ms", "{:.2f}"),
        Column("ratio", "emu/floor", "{:.2f}x"),
    ]
    if faiss is not None:
        columns += [Column("faiss_ms", "faiss ms", "{:.2f}"), Column("faiss_ratio", "faiss/floor", "{:.2f}x")]
    columns.append(Column("target", "target"))
    section = Section("kernel", "Query kernel in process (Index.search vs X @ q)", columns)
    if faiss is None:
        section.notes.append("faiss-cpu is not importable: faiss columns left out (pip install -e '.[bench]')")
    budget, min_rounds = (0.6, 7) if quick else (3.0, 9)
    rng = generator()
    for n, d in QUICK_CELLS if quick else FULL_CELLS:
        why = _cell_fits(n, d, faiss is not None)
        if why:
            section.notes.append(f"skipped {n:,} x {d}: {why}")
            continue
        index = Index(d, "cosine")
        fill_seconds = fill_index(index, n, rng)
        section.notes.append(
            f"{n:,} x {d}: check_records + put took {fill_seconds:.1f} s ({n / fill_seconds:,.0f} vectors/s)"
        )
        # The floor runs over the very matrix the index searches (its live rows).
        matrix = index._matrix[: index.count]
        inputs = queries(rng, 64, d)
        for metric in METRICS:
            view = copy.copy(index)  # shares the arrays and the lock; only the metric differs
            view.metric = metric
            flat = _flat_index(faiss, matrix, metric) if faiss is not None else None
            for k in KS:
                contenders: dict[str, Any] = {
                    "floor": lambda q, x=matrix: x @ q,
                    "emulator": lambda q, view=view, k=k: view.search(q, None, k),
                }
                if flat is not None:
                    if metric == "cosine":

                        def search(q: np.ndarray, flat: Any = flat, k: int = k) -> Any:
                            q = q[None, :] / np.linalg.norm(q)
                            return flat.search(q, k)
                    else:

                        def search(q: np.ndarray, flat: Any = flat, k: int = k) -> Any:
                            return flat.search(q[None, :], k)

                    contenders["faiss"] = search
                times = interleaved(contenders, inputs, warmup=2, budget=budget, min_rounds=min_rounds)
                floor = median(times["floor"])
                emu = median(times["emulator"])
                row: dict[str, Any] = {
                    "n": n,
                    "d": d,
                    "metric": metric,
                    "k": k,
                    "floor_ms": floor * 1e3,
                    "emulator_ms": emu * 1e3,
                    "ratio": emu / floor,
                    "runs": len(times["floor"]),
                }
                # For judging noise afterwards (JSON only): best runs and the median of per-round ratios.
                row["floor_min_ms"] = min(times["floor"]) * 1e3
                row["emulator_min_ms"] = min(times["emulator"]) * 1e3
                row["ratio_paired"] = median([e / f for e, f in zip(times["emulator"], times["floor"], strict=True)])
                if "faiss" in times:
                    row["faiss_ms"] = median(times["faiss"]) * 1e3
                    row["faiss_ratio"] = row["faiss_ms"] / row["floor_ms"]
                if (n, d) in TARGET_CELLS:
                    section.add_target(row, Target(f"kernel {n}x{d} {metric} k={k}", emu / floor, "<=", TARGET))
                section.rows.append(row)
            del flat, view
            gc.collect()
        del matrix, index
        gc.collect()
    if quick:
        section.notes.append("the 1.15x targets apply at 100k x 1024 and 1M x 128, measured in the full run")
    return section
