"""Reallocating the row-aligned numpy arrays the store grows by doubling and shrinks when emptied."""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np

# Any array type (numeric, boolean, StringDType): the result has the type of the array given.
A = TypeVar("A", bound="np.ndarray[Any, Any]")


def grown(array: A, capacity: int, keep: int, fill: Any = None) -> A:
    """A new array of ``capacity`` rows (axis 0) with ``array``'s dtype and row shape, its first
    ``keep`` rows copied from ``array`` and the others set to ``fill`` (left uninitialised when
    None).  ``capacity`` may be smaller than ``len(array)``, never than ``keep``."""
    shape = (capacity, *array.shape[1:])
    out = np.empty(shape, dtype=array.dtype) if fill is None else np.full(shape, fill, dtype=array.dtype)
    out[:keep] = array[:keep]
    return cast(A, out)
