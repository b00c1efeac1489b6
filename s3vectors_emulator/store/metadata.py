"""Vector metadata: its value types, validation, AWS's size model, and the packed form an index keeps.

Validation follows behaviour.md#metadata-check-order (types, 50 keys, 2 KB filterable, 40 KB total,
in that order, with the measured messages).  Filters read metadata from its columnar form,
:mod:`s3vectors_emulator.store.columns`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeAlias, TypeGuard

import orjson

from s3vectors_emulator.errors import (
    METADATA_ARRAY_TYPES,
    METADATA_EMPTY_ARRAY,
    METADATA_NOT_OBJECT,
    METADATA_VALUE_TYPES,
    ValidationError,
    invalid_record,
    metadata_filterable_size,
    metadata_too_many_keys,
    metadata_total_size,
)

MetadataScalar: TypeAlias = str | int | float | bool
MetadataValue: TypeAlias = MetadataScalar | list[str] | list[int | float]
Metadata: TypeAlias = dict[str, MetadataValue]

# behaviour.md#metadata-key-count, behaviour.md#metadata-size-limits: limits counted by the service's size model.
MAX_METADATA_KEYS = 50
MAX_FILTERABLE_BYTES = 2048
MAX_TOTAL_BYTES = 40960


def utf8_len(text: str) -> int:
    if text.isascii():
        return len(text)  # one byte a character, without encoding a copy
    # Lone surrogates are refused by the wire layer (behaviour.md#errors-serialization); surrogatepass keeps this total.
    return len(text.encode("utf-8", "surrogatepass"))


def is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number: int or float, never bool (bool is a subclass of int in Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_float(value: int | float) -> float:
    """A JSON number as float64; an int beyond float range becomes ±inf instead of raising."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _is_metadata_number(value: object) -> bool:
    # NaN and ±Infinity are not JSON numbers; a lenient parser may still produce them.
    return is_number(value) and (isinstance(value, int) or math.isfinite(value))


# behaviour.md#metadata-size-model, the scalars by exact type: a number counts 4 bytes, a boolean
# none (a string counts its UTF-8 length).
_SCALAR_SIZE: dict[type, int] = {int: 4, float: 4, bool: 0}


def value_size(value: MetadataValue) -> int:
    """behaviour.md#metadata-size-model: string → UTF-8 length, number → 4, bool → 0, array → Σ(4 + element)."""
    if isinstance(value, str):
        return utf8_len(value)
    if isinstance(value, list):
        return sum(4 + value_size(element) for element in value)
    # bool has no subclasses; a subclass of int or float (numpy's float64) counts as a number.
    return _SCALAR_SIZE[bool if isinstance(value, bool) else float]


def metadata_size(metadata: Mapping[str, MetadataValue]) -> int:
    """behaviour.md#metadata-size-model: ``4 + Σ (8 + utf8len(key) + valueSize)``; ValueError for a value
    of a type metadata cannot hold."""
    scanned = _scan(metadata, frozenset())
    if isinstance(scanned, str):
        raise ValueError(scanned)
    return scanned[0]


def _value_problem(value: object) -> str | None:
    """The type rule (behaviour.md#metadata-types) a value breaks, or None."""
    if isinstance(value, bool | str) or _is_metadata_number(value):
        return None
    if isinstance(value, list):
        if not value:
            return METADATA_EMPTY_ARRAY
        # behaviour.md#metadata-types: arrays hold only strings or only numbers (no booleans, no mixing).
        if all(isinstance(element, str) for element in value):
            return None
        if all(_is_metadata_number(element) for element in value):
            return None
        return METADATA_ARRAY_TYPES
    return METADATA_VALUE_TYPES


def _scan(metadata: Mapping[str, Any], non_filterable_keys: frozenset[str]) -> tuple[int, int, bool] | str:
    """The type rule and the size model in one pass: the message of the first value (in document
    order) the type rule refuses; else the size of every entry, that of the filterable ones, and
    whether a value is an array.

    PutVectors runs this for up to 500 records: the JSON scalars are told by exact type with one
    lookup, and strings and keys inline :func:`utf8_len` (a call per key made validation a quarter
    slower, measured); anything else goes through :func:`_value_problem` and :func:`value_size`.
    """
    total = filterable = 4
    arrays = False
    scalar_size = _SCALAR_SIZE
    for key, value in metadata.items():
        kind = type(value)
        size: int | None
        if kind is str:
            size = len(value) if value.isascii() else utf8_len(value)
        else:
            size = scalar_size.get(kind)
            if size is None or (kind is float and not math.isfinite(value)):
                problem = _value_problem(value)
                if problem is not None:
                    return problem
                size = value_size(value)
                arrays = arrays or isinstance(value, list)
        entry = 8 + (len(key) if key.isascii() else utf8_len(key)) + size
        total += entry
        # Non-filterable keys buy size, not types (behaviour.md#metadata-size-limits).
        if key not in non_filterable_keys:
            filterable += entry
    return total, filterable, arrays


def _refusal(record_key: str, record_index: int, detail: str) -> ValidationError:
    return invalid_record(record_key, record_index, "metadata", detail)


def validate_metadata(
    metadata: object,
    *,
    record_key: str,
    record_index: int,
    non_filterable_keys: frozenset[str] = frozenset(),
) -> Metadata:
    """Check one record's metadata; return a private copy.

    In the order behaviour.md#metadata-check-order gives: value types (first offending key in document
    order), key count, filterable size, total size.  ``None`` means no metadata.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise _refusal(record_key, record_index, METADATA_NOT_OBJECT)
    scanned = _scan(metadata, non_filterable_keys)
    if isinstance(scanned, str):
        raise _refusal(record_key, record_index, scanned)
    total, filterable, arrays = scanned
    if len(metadata) > MAX_METADATA_KEYS:
        raise _refusal(record_key, record_index, metadata_too_many_keys(MAX_METADATA_KEYS))
    if filterable > MAX_FILTERABLE_BYTES:
        raise _refusal(record_key, record_index, metadata_filterable_size(MAX_FILTERABLE_BYTES))
    if total > MAX_TOTAL_BYTES:
        raise _refusal(record_key, record_index, metadata_total_size(MAX_TOTAL_BYTES))
    return copy_metadata(metadata) if arrays else dict(metadata)


def copy_metadata(metadata: Metadata) -> Metadata:
    """A copy safe to hand out: values are immutable scalars or lists of them."""
    return {k: v.copy() if isinstance(v, list) else v for k, v in metadata.items()}


# How an index keeps each row's metadata: None for none, else its JSON bytes (about 60 bytes for
# two small keys, against ~260 for the dict with its value objects), or the dict itself for the
# rare value orjson cannot write (an int beyond 64 bits, a lone surrogate).
StoredMetadata: TypeAlias = bytes | Metadata | None


def pack_metadata(metadata: Metadata) -> StoredMetadata:
    """The compact form of validated metadata (see :func:`unpack_metadata`)."""
    if not metadata:
        return None
    try:
        # orjson writes floats in their shortest round-trip form, so loads gives back equal values
        # of the same types (2.0 stays a float, 2 an int).  Its result keeps a ~4 KB buffer
        # whatever the length: the copy through a memoryview is exactly sized.
        return bytes(memoryview(orjson.dumps(metadata)))
    except (orjson.JSONEncodeError, TypeError):
        return copy_metadata(metadata)


def unpack_metadata(stored: StoredMetadata) -> Metadata:
    """A fresh dict (the caller may keep or change it); {} for none."""
    if stored is None:
        return {}
    if isinstance(stored, bytes):
        return orjson.loads(stored)
    return copy_metadata(stored)
