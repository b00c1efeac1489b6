"""Reallocating the row-aligned numpy arrays the store grows by doubling and shrinks when emptied."""

from __future__ import annotations

import array as stdarray
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


def held_bytes(owner: object, depth: int = 3) -> int:
    """The bytes of the numpy and ``array`` arrays ``owner`` holds, also through its attributes'
    objects, dicts and lists down to ``depth`` levels: what an index's structures cost, roughly
    (a StringDType array counts its slots, not its strings)."""
    total = 0
    values: list[object] = list(vars(owner).values()) if hasattr(owner, "__dict__") else []
    for value in values:
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, stdarray.array):
            total += value.itemsize * len(value)
        elif depth > 0 and isinstance(value, dict | list):
            items = value.values() if isinstance(value, dict) else value
            total += sum(held_bytes(item, depth - 1) for item in items if hasattr(item, "__dict__"))
        elif depth > 0 and hasattr(value, "__dict__"):
            total += held_bytes(value, depth - 1)
    return total
