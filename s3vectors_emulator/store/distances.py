"""Exact distances and top-k (behaviour.md#distances, behaviour.md#decision-query-results).

cosine    = 1 − cos similarity, clamped to [0, 2];
euclidean = squared L2 (AWS returns the square, behaviour.md#distances-euclidean).

Two passes keep the bulk work in one float32 matrix-vector product (BLAS, GIL released) while the
returned values are exact:

1. screen: every candidate row gets a float32 score from that one product, ``−(x·q)/‖x‖`` (cosine)
   or ``‖x‖²/2 − x·q`` (euclidean), both monotone in the true distance, with a rigorous bound E on
   its error (|fl(x·q) − x·q| ≤ γ_d·‖x‖‖q‖ + d·2⁻¹⁴⁹, γ_d = d·u/(1−d·u), plus the float32
   rounding of the score and the float64 slack of pass 2).  E is one scalar per query, taken over
   the largest (and, for cosine, smallest) row norm, so the screen costs one in-place float32 pass
   and a comparison per row: no per-row float64 arrays and no partition over all rows;
2. exact: the rows whose score is within 2E of the k-th smallest score are recomputed in float64
   (Σ(x−q)², or x·q/√(‖x‖²‖q‖²)), then ranked by (distance, key).

A row left out in pass 2 is provably farther than k others, so the result equals a float64 brute
force.  Identical directions give exactly 0.0 for cosine: x·x and ‖x‖² go through the same float64
summation and √(a·a) = a in IEEE arithmetic.

When the norms are extreme (float32 overflow or underflow of the scores is possible), the scalar
bound does not hold and each row gets its own float64 bound instead (:func:`_screen_rows`), which
is slower but handles ±inf products.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple, TypeGuard

import numpy as np
from numpy.typing import NDArray

from s3vectors_emulator.store.arrays import grown
from s3vectors_emulator.store.ranking import top_asc

Metric = Literal["cosine", "euclidean"]
METRICS: tuple[Metric, ...] = ("cosine", "euclidean")


def is_metric(name: str) -> TypeGuard[Metric]:
    return name in METRICS


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


def exact_distances(vectors: NDArray[np.float32], query: NDArray[np.float32], metric: Metric) -> NDArray[np.float64]:
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
        np.clip(out, 0.0, 2.0, out=out)  # behaviour.md#distances-cosine: cosine distance lies in [0, 2]
    return out


_F32_MAX = float(np.finfo(np.float32).max)
# The fast screen needs every score finite and normal-ranged: norms within these bounds (checked
# per query against the index-wide extremes, so ordinary data always takes the fast path).
_FAST_MAX_PRODUCT = _F32_MAX / 16
_FAST_MIN_NORM = 2.0**-100
# Rows sampled to guess the k-th smallest score before the one full comparison pass: about
# 2·√(k·n), which balances the partition of the sample against that of the ~k·n/sample rows the
# guess lets through (n = 1M, k = 10: ~6k sampled, ~1.6k through).
_MIN_SAMPLE_ROWS = 256
_SAMPLE_RUNS = 16
# A filter matching at least this fraction of the rows is scored over the whole matrix (and the
# other rows masked out) instead of copying the matching rows: the copy reads and writes each row,
# at random rows (measured: 5 % of the rows cost 0.4–0.6× the full product, 10 % about 1×).
DENSE_FRACTION = 0.08


class Norms(NamedTuple):
    """Per-row numbers derived at write time (row-aligned with the matrix) for the screen."""

    sq: NDArray[np.float64]  # ‖x‖² in float64 (the per-row fallback screen)
    neg_inv: NDArray[np.float32]  # −1/‖x‖ rounded to float32 (cosine score = (x·q)·neg_inv)
    half_sq: NDArray[np.float32]  # ‖x‖²/2 rounded to float32 (euclidean score = half_sq − x·q)
    max_norm: float  # ≥ every row's ‖x‖ (conservative: not lowered by deletes)
    min_norm: float  # ≤ every row's ‖x‖ (conservative: not raised by deletes)

    def take(self, rows: NDArray[np.int64]) -> Norms:
        return Norms(self.sq[rows], self.neg_inv[rows], self.half_sq[rows], self.max_norm, self.min_norm)


class RowNorms:
    """Growable storage behind :class:`Norms`; the owner serialises writers against readers."""

    def __init__(self, capacity: int) -> None:
        self.sq = np.empty(capacity, dtype=np.float64)
        self.neg_inv = np.empty(capacity, dtype=np.float32)
        self.half_sq = np.empty(capacity, dtype=np.float32)
        self.max_norm = 0.0
        self.min_norm = math.inf

    def view(self, n: int) -> Norms:
        return Norms(self.sq[:n], self.neg_inv[:n], self.half_sq[:n], self.max_norm, self.min_norm)

    def resize(self, capacity: int, n: int) -> None:
        """New capacity keeping rows [0, n); the norm bounds become exact again (amortised O(n))."""
        self.sq = grown(self.sq, capacity, n)
        self.neg_inv = grown(self.neg_inv, capacity, n)
        self.half_sq = grown(self.half_sq, capacity, n)
        norms = np.sqrt(self.sq[:n])
        self.max_norm = float(norms.max()) if n else 0.0
        self.min_norm = float(norms.min()) if n else math.inf

    def update(self, rows: NDArray[np.int64], matrix: NDArray[np.float32]) -> None:
        """Recompute the given rows of ``matrix``."""
        # In blocks of 16 rows: a whole PutVectors batch at once makes megabyte-sized temporaries
        # (float64 copies), and freeing those raises glibc's mmap threshold, after which the
        # index's growing arrays come from the heap and leave holes there (measured: ~130 bytes
        # per vector of RSS at 100k × 1024).
        sq = np.empty(len(rows), dtype=np.float64)
        for begin in range(0, len(rows), 16):
            sq[begin : begin + 16] = squared_norms(matrix[rows[begin : begin + 16]])
        norms = np.sqrt(sq)
        self.sq[rows] = sq
        with np.errstate(divide="ignore", over="ignore"):
            # A zero or extreme vector gives ±inf here; the norm bounds then send queries to the
            # per-row screen, which never reads these two arrays.
            self.neg_inv[rows] = (-1.0 / norms).astype(np.float32)
            self.half_sq[rows] = (sq * 0.5).astype(np.float32)
        if len(norms):
            self.max_norm = max(self.max_norm, float(norms.max()))
            self.min_norm = min(self.min_norm, float(norms.min()))

    def move(self, dst: int, src: int) -> None:
        self.sq[dst] = self.sq[src]
        self.neg_inv[dst] = self.neg_inv[src]
        self.half_sq[dst] = self.half_sq[src]


def _screen_error(norms: Norms, query: NDArray[np.float32], metric: Metric) -> tuple[float, float] | None:
    """(E, ‖q‖): E bounds |score − exact score| for every row, in score units; None when the
    norms are so extreme that float32 scores could overflow (then :func:`_screen_rows` is used).

    "Exact score" is the one pass 2 implies: −‖q‖·(1 − d64) (cosine) or (d64 − qq)/2 (euclidean),
    d64 being the float64 distance, so E also covers pass 2's own rounding.
    """
    d = len(query)
    gamma = (d + 1) * _U32 / (1.0 - (d + 1) * _U32)
    tiny = (d + 1) * _SUBNORMAL  # products that underflow in the float32 dot product
    q64 = query.astype(np.float64)
    qq = float(q64 @ q64)
    qn = math.sqrt(qq)
    big, small = norms.max_norm, norms.min_norm
    if not (math.isfinite(big) and big * qn < _FAST_MAX_PRODUCT and qn < _FAST_MAX_PRODUCT):
        return None
    if metric == "cosine":
        if not small >= _FAST_MIN_NORM:
            return None
        # score = fl(fl(x·q)·fl(−1/‖x‖)): the dot's error divided by ‖x‖, two float32 roundings
        # (the stored factor, the product; 2.0001u also covers the float64 ‖x‖), underflow of
        # either, and |d64 − d| ≤ _ABS64 scaled by √qq.
        err = (
            qn * (gamma + 2.0001 * _U32) * (1.0 + 3 * _U32)
            + tiny * (1.0 + 3 * _U32) / small
            + (big * qn * (1.0 + gamma) + tiny + 1.0) * 2 * _SUBNORMAL
            + qn * _ABS64
        )
    else:
        if not big * big < _FAST_MAX_PRODUCT:
            return None
        half = big * big / 2
        # score = fl(fl32(‖x‖²/2) − fl(x·q)): the stored half norm's rounding, the dot's error,
        # the subtraction's rounding, underflows, and |d64 − d| ≤ _REL64·(‖x‖² + qq), halved.
        err = (
            2.0001 * _U32 * half
            + gamma * big * qn
            + _U32 * big * qn * (1.0 + gamma)
            + tiny * (1.0 + _U32)
            + 2 * _SUBNORMAL
            + _REL64 * (big * big + qq) / 2
        )
    return err * (1.0 + 1e-5), qn  # 1e-5: the float64 evaluation of this bound and of T + 2E


def _at_most(value: float) -> np.float32:
    """The largest float32 ≤ ``value`` (so that ``scores <= it`` equals ``scores <= value``)."""
    if value >= _F32_MAX:
        return np.float32(_F32_MAX)  # never +inf: masked-out rows hold +inf
    rounded = np.float32(value)
    if float(rounded) > value:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return rounded


def _select(
    matrix: NDArray[np.float32],
    norms: Norms,
    query: NDArray[np.float32],
    metric: Metric,
    k: int,
    bound: tuple[float, float],
    excluded: NDArray[np.bool_] | None,
) -> NDArray[np.int64]:
    """Rows of ``matrix`` (not ``excluded``) whose score is within 2E of the k-th smallest: a
    superset of the float64 top k with every row tied at its boundary."""
    err, qn = bound
    scores = matrix @ query  # the one pass over the matrix: the same BLAS call as a bare X @ q
    if metric == "cosine":
        np.multiply(scores, norms.neg_inv, out=scores)
    else:
        np.subtract(norms.half_sq, scores, out=scores)
    if excluded is not None:
        np.putmask(scores, excluded, np.inf)  # a third of the time of scores[excluded] = inf

    def threshold(kth: float) -> np.float32:
        # Any kth ≥ the k-th smallest score is safe: ≥ k rows are within E of it, so a row of the
        # top k scores at most kth + 2E.  Cosine distances are clipped to [0, 2] (ties there go by
        # key): rows clipped to 0 have scores near −‖q‖, and if the k-th may be clipped to 2,
        # every row can tie with it.
        if metric == "cosine":
            if kth + err >= qn:
                return _at_most(math.inf)
            kth = max(kth, -qn)
        return _at_most(kth + 2.0 * err)

    # The k-th smallest score of any subset is ≥ the k-th smallest overall, so a sample gives a
    # safe first threshold; it leaves about k·n/sample rows for the exact partition.  The sample
    # is _SAMPLE_RUNS contiguous runs spread over the rows (sequential reads, unlike a stride);
    # the runs must not overlap, or a row counted twice could pull the guess below the k-th.
    n = len(scores)
    sample_rows = max(_MIN_SAMPLE_ROWS, 4 * k, int(2 * math.sqrt(k * n)))
    if sample_rows * 2 >= n:
        sample = scores
    else:
        run, step = sample_rows // _SAMPLE_RUNS + 1, n // _SAMPLE_RUNS
        sample = np.concatenate([scores[i * step : i * step + run] for i in range(_SAMPLE_RUNS)])
    guess = float(np.partition(sample, k - 1)[k - 1]) if len(sample) >= k else math.inf
    rows = np.flatnonzero(scores <= threshold(guess))
    picked = scores[rows]
    if len(rows) > k:
        rows = rows[picked <= threshold(float(np.partition(picked, k - 1)[k - 1]))]
    return rows


def _screen_rows(
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
    norms: Norms,
    keys: np.ndarray,
    query: NDArray[np.float32],
    metric: Metric,
    top_k: int,
    mask: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The best ``top_k`` rows (ascending distance, ties by key) and their distances.

    ``matrix``, ``norms`` and ``keys`` hold exactly the live rows (length n); ``mask``, when
    given, restricts scoring to those rows (a filter's matches), so a selective filter makes the
    query cheaper.  ``keys`` is a string array ordered like Python ``str`` (which is UTF-8 byte
    order).
    """
    n = len(matrix)
    m = n if mask is None else int(np.count_nonzero(mask))
    if m == 0 or top_k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    k = min(top_k, m)
    # A sparse filter's rows are copied out (cheaper than the product over all rows); a dense
    # one's are scored in place, the others masked out (see DENSE_FRACTION).
    candidates = None if mask is None or m >= DENSE_FRACTION * n else np.flatnonzero(mask)
    bound = _screen_error(norms, query, metric) if k < m and m * matrix.shape[1] >= _SCREEN_MIN_ELEMENTS else None
    rows: NDArray[np.int64]
    if bound is not None and candidates is None:
        rows = _select(matrix, norms, query, metric, k, bound, None if mask is None else ~mask)
    elif bound is not None:
        assert candidates is not None
        rows = candidates[_select(matrix[candidates], norms.take(candidates), query, metric, k, bound, None)]
    else:
        if mask is not None and candidates is None:
            candidates = np.flatnonzero(mask)
        rows = np.arange(n, dtype=np.int64) if candidates is None else candidates
        if k < m and m * matrix.shape[1] >= _SCREEN_MIN_ELEMENTS:
            # Extreme norms: each row gets its own float64 bound.
            vectors = matrix if candidates is None else matrix[candidates]
            sq = norms.sq if candidates is None else norms.sq[candidates]
            approx, err = _screen_rows(vectors, sq, query, metric)
            kth_upper = np.partition(approx + err, k - 1)[k - 1]
            rows = rows[np.flatnonzero(approx - err <= kth_upper)]
    dist = exact_distances(matrix[rows] if len(rows) < n else matrix, query, metric)
    # behaviour.md#decision-query-results: ascending distance, ties by key ascending.
    best = top_asc(dist, keys, k, rows)
    return rows[best], dist[best]
