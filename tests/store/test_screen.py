"""The float32 screen of the exact search (s3vectors_emulator/store/distances.py): whatever it keeps, the
result must equal ranking every candidate row by its float64 distance, ties by key.

The oracle here is that unscreened ranking (exact_distances over all candidate rows, then
(distance, key) order), so any row the screen wrongly drops shows up as a difference, with no
tolerance.  The data are built to stress the scalar error bound: ties, duplicated and scaled
rows, rows parallel or opposite to the query (cosine clipping at 0 and 2), norms spread over many
orders of magnitude, and norms extreme enough to need the per-row fallback.
"""

from __future__ import annotations

import math
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.dtypes import StringDType
from support import checked, make_index

from s3vectors_emulator.store import distances
from s3vectors_emulator.store.distances import RowNorms, exact_distances, rank

METRICS = ("cosine", "euclidean")


def oracle(
    matrix: np.ndarray, keys: np.ndarray, query: np.ndarray, metric: str, k: int, mask: np.ndarray | None
) -> tuple[list[int], list[float]]:
    rows = np.arange(len(matrix)) if mask is None else np.flatnonzero(mask)
    dist = exact_distances(matrix[rows], query, metric)  # type: ignore[arg-type]
    order = np.lexsort((keys[rows], dist))[:k]
    return rows[order].tolist(), dist[order].tolist()


def ranked(
    matrix: np.ndarray, keys: np.ndarray, query: np.ndarray, metric: str, k: int, mask: np.ndarray | None
) -> tuple[list[int], list[float]]:
    norms = RowNorms(len(matrix))
    norms.update(np.arange(len(matrix)), matrix)
    with mock.patch.object(distances, "_SCREEN_MIN_ELEMENTS", 0):  # screen even tiny inputs
        rows, dist = rank(matrix, norms.view(len(matrix)), keys, query, metric, k, mask)  # type: ignore[arg-type]
    return rows.tolist(), dist.tolist()


def check(matrix: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray | None = None, seed: int = 0) -> None:
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    query = np.asarray(query, dtype=np.float32)
    # Keys in scrambled order, so that key order is not row order.
    keys = np.array([f"k{i:05d}" for i in np.random.default_rng(seed).permutation(len(matrix))], dtype=StringDType())
    for metric in METRICS:
        if metric == "cosine" and (not matrix.any(axis=1).all() or not query.any()):
            continue  # zero vectors are refused for cosine
        assert ranked(matrix, keys, query, metric, k, mask) == oracle(matrix, keys, query, metric, k, mask), metric


def test_ties_duplicates_and_scaled_rows() -> None:
    rng = np.random.default_rng(1)
    data = rng.normal(size=(3000, 24)).astype(np.float32)
    data[100:140] = data[7]  # 41 identical rows: a tie at every k up to 41
    data[200:230] = data[7] * 3  # same direction (cosine ties), other distance (euclidean)
    for k in (1, 5, 40, 41, 60, 2999):
        check(data, data[7], k)
        check(data, data[7] * 0.5, k)
    check(data, rng.normal(size=24), 10)


def test_parallel_and_opposite_rows_clip_at_zero_and_two() -> None:
    rng = np.random.default_rng(2)
    direction = rng.normal(size=16).astype(np.float32)
    scales = rng.uniform(0.1, 1000, size=(500, 1)).astype(np.float32)
    parallel = direction * scales  # cosine ≈ 0 up to rounding: many rows clip to exactly 0
    opposite = -direction * scales  # cosine ≈ 2: clipped at 2
    data = np.vstack([parallel, opposite, rng.normal(size=(50, 16)).astype(np.float32)])
    for k in (1, 10, 499, 500, 520, 1000, 1049):
        check(data, direction, k)
        check(data, -direction, k)  # now the k-th may be clipped to 2 and every row can tie there


def test_norms_over_many_orders_of_magnitude() -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(size=(2000, 32)) * 10.0 ** rng.uniform(-15, 15, size=(2000, 1))
    for k in (1, 10, 100):
        check(data, rng.normal(size=32), k)
        check(data, data[5], k)
        check(data, data[5] * 1e-12, k)


@pytest.mark.parametrize("scale", [1e-36, 1e-20, 1e18, 3e36])
def test_extreme_norms_take_the_per_row_screen(scale: float) -> None:
    rng = np.random.default_rng(4)
    data = (rng.normal(size=(600, 8)) * scale).astype(np.float32)
    data[:5] = rng.normal(size=(5, 8))  # a few ordinary rows among the extreme ones
    for k in (1, 7, 50):
        check(data, data[0], k)
        check(data, rng.normal(size=8), k)


def test_masks_dense_and_sparse() -> None:
    rng = np.random.default_rng(5)
    data = rng.normal(size=(4000, 16)).astype(np.float32)
    data[10:30] = data[3]
    for fraction in (0.001, 0.01, 0.05, 0.2, 0.5, 0.99):
        mask = rng.random(len(data)) < fraction
        mask[3] = True
        for k in (1, 10, 25):
            check(data, data[3], k, mask)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 60),
    st.integers(1, 12),
    st.integers(1, 70),
    st.sampled_from([0, 1, 2, 3]),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_screen_equals_unscreened_ranking(n: int, d: int, k: int, kind: int, seed: int, masked: bool) -> None:
    rng = np.random.default_rng(seed)
    if kind == 0:  # small integers: exact products, many exact ties
        data = rng.integers(-3, 4, size=(n, d)).astype(np.float32)
    elif kind == 1:  # a few distinct rows repeated and rescaled
        base = rng.normal(size=(3, d))
        data = base[rng.integers(0, 3, size=n)] * rng.choice([1.0, 2.0, -1.0, 1e-3], size=(n, 1))
    elif kind == 2:  # wide range of norms
        data = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-20, 20, size=(n, 1))
    else:
        data = rng.normal(size=(n, d))
    data = np.asarray(data, dtype=np.float32)
    data[~data.any(axis=1), 0] = 1.0  # no zero rows (cosine refuses them)
    query = data[rng.integers(0, n)] if rng.random() < 0.5 else rng.normal(size=d).astype(np.float32)
    if not query.any():
        query[0] = 1.0
    mask = rng.random(n) < rng.uniform(0.05, 1.0) if masked else None
    if mask is not None and not mask.any():
        mask[0] = True
    check(data, query, min(k, n), mask, seed)


def test_norm_bounds_stay_conservative_through_writes() -> None:
    index = make_index(4, "euclidean")

    def put(key: str, vector: list[float]) -> None:
        index.put(checked(index, [{"key": key, "data": {"float32": vector}}]))

    put("big", [100, 0, 0, 0])
    put("small", [0, 0.001, 0, 0])
    for i in range(40):
        put(f"v{i}", [1, i, 0, 0])
    bounds = index._norms.view(index.count)
    assert bounds.max_norm >= 100 and bounds.min_norm <= float(np.float32(0.001))
    index.delete(["big", "small"])  # bounds need not shrink, but must still hold
    view = index._norms.view(index.count)
    norms = np.sqrt(view.sq)
    assert view.max_norm >= norms.max() and view.min_norm <= norms.min()
    index.delete([f"v{i}" for i in range(35)])  # shrinks the arrays: the bounds become exact
    view = index._norms.view(index.count)
    norms = np.sqrt(view.sq)
    assert math.isclose(view.max_norm, norms.max()) and math.isclose(view.min_norm, norms.min())
    hits = index.search([1, 37, 0, 0], None, 2)
    assert [hit.key for hit in hits] == ["v37", "v36"]


def test_a_query_on_the_index_uses_the_screen_and_matches_the_oracle() -> None:
    rng = np.random.default_rng(6)
    data = rng.normal(size=(5000, 32)).astype(np.float32)
    data[1:20] = data[0]
    records: list[dict[str, Any]] = [
        {"key": f"k{i:05d}", "data": {"float32": data[i].tolist()}, "metadata": {"g": i % 3}} for i in range(len(data))
    ]
    keys = np.array([r["key"] for r in records], dtype=StringDType())
    for metric in METRICS:
        index = make_index(32, metric)  # type: ignore[arg-type]
        index.put(checked(index, records))
        for query, flt in ((data[0], None), (data[0], {"g": 1}), (rng.normal(size=32), {"g": {"$ne": 2}})):
            q = np.asarray(query, dtype=np.float32)
            mask = (
                None
                if flt is None
                else np.array([i % 3 in ((1,) if flt == {"g": 1} else (0, 1)) for i in range(len(data))])
            )
            expected_rows, expected = oracle(data, keys, q, metric, 25, mask)
            got = index.search(q.tolist(), None, 25, flt)
            assert [hit.key for hit in got] == [str(keys[r]) for r in expected_rows]
            assert [hit.distance for hit in got] == expected
