"""Ranking: top-k with ties by key (vector, text and hybrid results), and for text and hybrid
results BM25 sums and RRF fusion (behaviour.md#decision-query-results, behaviour.md#decision-text-search)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

RRF_K = 60  # behaviour.md#decision-text-search: RRF k = 60 (the OpenSearch/Elasticsearch default), 1-based ranks


def top_asc(
    values: NDArray[np.float64], keys: np.ndarray, k: int, rows: NDArray[np.int64] | None = None
) -> NDArray[np.int64]:
    """Positions of the ``k`` smallest values, ascending, ties by key ascending
    (behaviour.md#decision-query-results).

    The key of ``values[i]`` is ``keys[rows[i]]`` (``keys[i]`` without ``rows``): only the keys of
    the values up to the k-th are gathered, since a gather of strings costs more than the partition.
    """
    m = len(values)
    positions: NDArray[np.int64] = np.arange(m, dtype=np.int64)
    if m > k:
        # Keep everything tied with the k-th value so that keys settle the boundary.
        kth = np.partition(values, k - 1)[k - 1]
        positions = np.flatnonzero(values <= kth)
    order = np.lexsort((keys[positions if rows is None else rows[positions]], values[positions]))[:k]
    return positions[order]


def top_desc(
    values: NDArray[np.float64], keys: np.ndarray, k: int, rows: NDArray[np.int64] | None = None
) -> NDArray[np.int64]:
    """Positions of the ``k`` largest values, descending, ties by key ascending (behaviour.md#decision-text-search);
    ``keys`` and ``rows`` as for :func:`top_asc`."""
    return top_asc(-values, keys, k, rows)  # negation is exact, so ties stay ties


def rank_text_only(scores: NDArray[np.float64], key_col: np.ndarray, top_k: int) -> NDArray[np.int64]:
    """behaviour.md#decision-text-search: rows ranked by the sum of their per-key BM25; documents scoring 0 are
    left out."""
    matched = np.flatnonzero((scores > 0.0).any(axis=0))
    if len(matched) == 0:
        return matched
    per_key = scores[:, matched]
    # Summing each document's scores in sorted order makes the total depend only on the
    # multiset of scores, so documents with the same scores on different keys tie exactly.
    total = np.sort(per_key, axis=0).sum(axis=0) if len(per_key) > 1 else per_key[0]
    return matched[top_desc(total, key_col, top_k, matched)]


def fuse(
    vector_rows: NDArray[np.int64], scores: NDArray[np.float64], key_col: np.ndarray, top_k: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """behaviour.md#decision-text-search: RRF over the vector list and each key's BM25 list, each cut at
    ``top_k``."""
    legs = [vector_rows]
    for key_scores in scores:
        matched = np.flatnonzero(key_scores > 0.0)
        legs.append(matched[top_desc(key_scores[matched], key_col, top_k, matched)])
    candidates = np.unique(np.concatenate(legs))
    if len(candidates) == 0:
        return candidates, np.empty(0, dtype=np.float64)
    table = np.zeros((len(candidates), len(legs)), dtype=np.float64)
    for leg, rows in enumerate(legs):
        ranks = np.arange(1, len(rows) + 1, dtype=np.float64)
        table[np.searchsorted(candidates, rows), leg] = 1.0 / (RRF_K + ranks)
    # Sorted per row before summing, so equal rank multisets give bit-identical fused scores.
    fused = np.sort(table, axis=1).sum(axis=1)
    order = top_desc(fused, key_col, top_k, candidates)
    return candidates[order], fused[order]
