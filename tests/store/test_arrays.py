"""The one reallocation helper behind every growing store array."""

from __future__ import annotations

import numpy as np
from numpy.dtypes import StringDType

from s3vectors_emulator.store.arrays import grown


def test_grows_along_the_first_axis_keeping_rows_dtype_and_row_shape() -> None:
    matrix = np.arange(6, dtype=np.float32).reshape(3, 2)
    bigger = grown(matrix, 5, 2)
    assert bigger.shape == (5, 2) and bigger.dtype == np.float32
    assert bigger[:2].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert bigger is not matrix


def test_fill_sets_the_rows_not_kept() -> None:
    assert grown(np.array([7, 8, 9], dtype=np.int64), 5, 2, -1).tolist() == [7, 8, -1, -1, -1]
    assert grown(np.array(["a", "b"], dtype=StringDType()), 3, 2).tolist() == ["a", "b", ""]


def test_shrinks_when_the_kept_rows_fit() -> None:
    assert grown(np.arange(8, dtype=np.int32), 4, 3).tolist()[:3] == [0, 1, 2]
    assert len(grown(np.arange(8, dtype=np.int32), 4, 3)) == 4
