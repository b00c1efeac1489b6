"""The vectors the store takes and gives: records in, stored vectors and query hits out, and the
checks of a key and of a vector's values that every write and query shares (behaviour.md#vectors)."""

from __future__ import annotations

import array as stdarray
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from s3vectors_emulator.errors import key_too_long
from s3vectors_emulator.store.metadata import Metadata, StoredMetadata, to_float

MAX_KEY_BYTES = 1024


class Record(NamedTuple):
    """A vector to write: its key, float32 values and validated metadata."""

    key: str
    vector: NDArray[np.float32]
    metadata: Metadata


class StoredVector(NamedTuple):
    """A vector read back; ``vector`` and ``metadata`` are None when not asked for."""

    key: str
    vector: NDArray[np.float32] | None
    metadata: Metadata | None


class QueryHit(NamedTuple):
    """One ranked result; text and hybrid queries fill the score fields (behaviour.md#search-scores)."""

    key: str
    distance: float | None  # None: not in the vector list (text-only, or hybrid beyond it)
    metadata: StoredMetadata  # packed (unpack_metadata); None when not asked for, or empty
    bm25: tuple[tuple[str, float], ...] = ()  # (metadata key, BM25) for each key scoring > 0
    fused: float | None = None  # hybrid only: the RRF score


def check_keys(keys: Sequence[str]) -> None:
    """behaviour.md#vectors-keys: a key is bounded at 1,024 UTF-8 bytes as well as 1,024 characters.

    The character bound is the wire layer's (Coral length message); this is the byte bound, the
    same on every operation that takes keys.
    """
    for position, key in enumerate(keys):
        if not key_fits(key):
            raise key_too_long(position)


def key_fits(key: str) -> bool:
    # A UTF-8 character is at most 4 bytes: a short key needs no encoding to be measured.
    return len(key) <= MAX_KEY_BYTES // 4 or len(key.encode("utf-8", "surrogatepass")) <= MAX_KEY_BYTES


def to_float32(values: Sequence[Any]) -> NDArray[np.float32] | None:
    """JSON numbers as float32, converted before any check (behaviour.md#vectors-float32: 1e39 → inf,
    refused as such); None when an element is not a number at all.

    Call it under ``np.errstate(over="ignore")``: the overflow to inf is the rule, not a fault.
    """
    if isinstance(values, stdarray.array) and values.typecode == "d":
        # The wire layer converted the list in its type check: read it without a Python loop.
        return np.frombuffer(values, dtype=np.float64).astype(np.float32)
    try:
        array = np.asarray(values, dtype=np.float32)
    except OverflowError:
        # An int beyond float64: it is beyond float32 too, so ±inf (refused as such).
        try:
            as_double = np.asarray([to_float(v) for v in values], dtype=np.float64)
        except (TypeError, ValueError):
            return None
        array = as_double.astype(np.float32)
    except (TypeError, ValueError):
        return None
    return array if array.ndim == 1 else None
