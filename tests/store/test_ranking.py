"""Top-k with ties by key, the one selection behind vector, text and hybrid results, against sorting
every candidate by (value, key)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.dtypes import StringDType

from s3vectors_emulator.store.ranking import top_asc, top_desc

# Few distinct values, so that ties at the k-th are common.
VALUES = st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.0 + 2**-52, 2.0]), max_size=30)


@given(VALUES, st.integers(1, 35), st.randoms(use_true_random=False))
def test_top_k_equals_a_full_sort_by_value_then_key(values: list[float], k: int, rng: random.Random) -> None:
    n = len(values)
    keys = np.array([f"k{i:03d}" for i in range(2 * n)], dtype=StringDType())
    # The candidates are some rows of a larger key column, in no particular order.
    rows = np.array(rng.sample(range(2 * n), n), dtype=np.int64)
    array = np.array(values, dtype=np.float64)
    key_of = [str(keys[row]) for row in rows]
    ascending = sorted(range(n), key=lambda i: (values[i], key_of[i]))[:k]
    descending = sorted(range(n), key=lambda i: (-values[i], key_of[i]))[:k]
    assert top_asc(array, keys, k, rows).tolist() == ascending
    assert top_desc(array, keys, k, rows).tolist() == descending
    # Without rows, value i's key is keys[i].
    assert top_asc(array, keys[rows], k).tolist() == ascending
