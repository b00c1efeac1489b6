"""Exact distances and top-k (Part I §5, D6).

cosine    = 1 − cos similarity, clamped to [0, 2];
euclidean = squared L2 (AWS returns the square, Part I §5).

Two passes keep the bulk work in one float32 matrix-vector product (BLAS, GIL released) while the
returned values are exact:

1. screen: every candidate row gets a float32 dot product and a rigorous bound on its rounding
   error (|fl(x·q) − x·q| ≤ γ_d·Σ|x_i q_i| + d·2⁻¹⁴⁹ ≤ γ_d‖x‖‖q‖ + d·2⁻¹⁴⁹, γ_d = d·u/(1−d·u));
2. exact: the rows whose lower bound does not exceed the k-th smallest upper bound are recomputed
   in float64 (Σ(x−q)², or x·q/√(‖x‖²‖q‖²)), then ranked by (distance, key).

A row left out in pass 2 is provably farther than k others, so the result equals a float64 brute
force.  Identical directions give exactly 0.0 for cosine: x·x and ‖x‖² go through the same float64
summation and √(a·a) = a in IEEE arithmetic.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

Metric = Literal["cosine", "euclidean"]

_U32 = 2.0**-24  # float32 unit roundoff
_SUBNORMAL = 2.0**-149  # absolute error of one float32 product that underflows
# Float64 slack, far above the rounding of the float64 recomputation and of the stored norms.
_REL64 = 1e-11
_ABS64 = 1e-10
# Rows recomputed in float64 per chunk (bounds the temporary float64 copy to ~32 MB).
_CHUNK_ELEMENTS = 1 << 22
# Below this many matrix elements the screen costs more than it saves.
_SCREEN_MIN_ELEMENTS = 1 << 15


def squared_norms(vectors: NDArray[np.float32]) -> NDArray[np.float64]:
    """Row ‖x‖² in float64 (no overflow for float32 input: at most 4096·FLT_MAX² ≈ 5e80)."""
    x = vectors.astype(np.float64)
    return (x * x).sum(axis=1)


def exact_distances(
    vectors: NDArray[np.float32], query: NDArray[np.float32], metric: Metric
) -> NDArray[np.float64]:
    """Float64 distances of each row to the query (rows and query are float32 values)."""
    out = np.empty(len(vectors), dtype=np.float64)
    if len(vectors) == 0:
        return out
    q = query.astype(np.float64)[None, :]
    # The query's ‖q‖² goes through the same (1, d) row reduction as the rows' x·q and ‖x‖², so a
    # row equal to the query gives bit-identical numbers.
    qq = (q * q).sum(axis=1)[0]
    step = max(1, _CHUNK_ELEMENTS // max(1, vectors.shape[1]))
    for begin in range(0, len(vectors), step):
        x = vectors[begin : begin + step].astype(np.float64)
        if metric == "euclidean":
            diff = x - q
            out[begin : begin + step] = (diff * diff).sum(axis=1)
        else:
            dots = (x * q).sum(axis=1)
            xx = (x * x).sum(axis=1)
            out[begin : begin + step] = 1.0 - dots / np.sqrt(xx * qq)
    if metric == "cosine":
        np.clip(out, 0.0, 2.0, out=out)  # Part I §5: cosine distance lies in [0, 2]
    return out


def _screen(
    vectors: NDArray[np.float32],
    sq_norms: NDArray[np.float64],
    query: NDArray[np.float32],
    metric: Metric,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Approximate distances and a bound on their error, from one float32 product."""
    d = vectors.shape[1]
    gamma = (d + 1) * _U32 / (1.0 - (d + 1) * _U32)
    tiny = (d + 1) * _SUBNORMAL
    with np.errstate(over="ignore", invalid="ignore"):
        dots = (vectors @ query).astype(np.float64)  # may overflow to ±inf: handled below
    q64 = query.astype(np.float64)
    qq = float(q64 @ q64)
    xn = np.sqrt(sq_norms)
    qn = np.sqrt(qq)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if metric == "euclidean":
            approx = sq_norms - 2.0 * dots + qq
            err = 2.0 * (gamma * xn * qn + tiny) + _REL64 * (sq_norms + qq)
        else:
            scale = xn * qn
            approx = 1.0 - dots / scale
            err = gamma + tiny / scale + _ABS64
    bad = ~np.isfinite(approx) | ~np.isfinite(err)
    if bad.any():
        # Overflow/underflow made the screen useless for these rows: always recompute them.
        approx[bad] = 0.0
        err[bad] = np.inf
    return approx, err


def rank(
    matrix: NDArray[np.float32],
    sq_norms: NDArray[np.float64],
    keys: np.ndarray,
    query: NDArray[np.float32],
    metric: Metric,
    top_k: int,
    candidates: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The best ``top_k`` rows (ascending distance, ties by key) and their distances.

    ``matrix``, ``sq_norms`` and ``keys`` hold exactly the live rows (length n); ``candidates``,
    when given, restricts scoring to those row numbers (a filter's matches), so a selective
    filter makes the query cheaper.  ``keys`` is a string array ordered like Python ``str``
    (which is UTF-8 byte order).
    """
    if candidates is None:
        rows: NDArray[np.int64] = np.arange(len(matrix), dtype=np.int64)
        vectors = matrix
        norms = sq_norms
    else:
        rows = np.asarray(candidates, dtype=np.int64)
        vectors = matrix[rows]
        norms = sq_norms[rows]
    m = len(rows)
    if m == 0 or top_k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    k = min(top_k, m)

    if k < m and m * vectors.shape[1] >= _SCREEN_MIN_ELEMENTS:
        approx, err = _screen(vectors, norms, query, metric)
        upper = approx + err
        kth_upper = np.partition(upper, k - 1)[k - 1]
        keep = np.flatnonzero(approx - err <= kth_upper)
        rows, vectors = rows[keep], vectors[keep]

    dist = exact_distances(vectors, query, metric)
    if len(rows) > k:
        # Keep everything tied with the k-th distance so that keys settle the boundary (D6).
        kth = np.partition(dist, k - 1)[k - 1]
        keep = np.flatnonzero(dist <= kth)
        rows, dist = rows[keep], dist[keep]
    order = np.lexsort((keys[rows], dist))[:k]  # D6: ascending distance, ties by key ascending
    return rows[order], dist[order]
