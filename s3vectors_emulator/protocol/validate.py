"""Request validation against the service model's input shapes, in AWS's words.

botocore checks only minimums on the client (behaviour.md#limits), so the server checks every
constraint the model states: required members, types, lengths, ranges, enums and
patterns.  Messages follow the Coral template measured on AWS (behaviour.md#errors-coral-templates):

    1 validation error detected. Value with length 64 at '/vectorBucketName' failed to
    satisfy constraint: Member must have length between 3 and 63, inclusive

A value of the wrong JSON type cannot be read at all, so it is a SerializationException,
as AWS's JSON protocols answer; a constraint that fails is a ValidationException.
"""

from __future__ import annotations

import array
import functools
import math
from typing import Any

import regex
from botocore.model import ListShape, MapShape, Shape, StructureShape

from s3vectors_emulator import errors
from s3vectors_emulator.errors import SerializationError

# behaviour.md#decision-query-results: the service caps topK at 10,000 although the model states no maximum.
SERVICE_MAXIMUMS: dict[str, int] = {"TopK": 10_000}

# The rest-json serialiser sends non-finite floats as strings (botocore serialize.py).
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

_JSON_TYPE_NAMES = {
    "structure": "an object",
    "map": "an object",
    "list": "an array",
    "string": "a string",
    "integer": "an integer",
    "long": "an integer",
    "float": "a number",
    "double": "a number",
    "boolean": "a boolean",
}


@functools.cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    # The model's patterns use \p{L}-style classes, which only the regex module knows.
    return regex.compile(pattern)


def java_length(value: str) -> int:
    """String length as the service counts it: UTF-16 code units (behaviour.md#vectors-keys)."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


class _Collector:
    """Gathers constraint failures; Coral reports them all in one message."""

    def __init__(self, numbers_as_arrays: bool = False) -> None:
        self.failures: list[tuple[str, str, str]] = []  # (path, value phrase, constraint)
        self.numbers_as_arrays = numbers_as_arrays

    def add(self, path: str, value_phrase: str, constraint: str) -> None:
        self.failures.append((path, value_phrase, constraint))

    def raise_if_any(self) -> None:
        if not self.failures:
            return
        raise errors.validation_errors(self.failures)


def validate(
    shape: StructureShape | None, params: dict[str, Any], *, numbers_as_arrays: bool = False
) -> dict[str, Any]:
    """Check ``params`` against ``shape``; return them (unknown members dropped).

    With ``numbers_as_arrays``, a list of numbers (a vector) comes back as an ``array('d')``,
    converted in the pass that checks it, so that the store need not convert it again.
    """
    if shape is None:
        return {}
    collector = _Collector(numbers_as_arrays)
    result = _structure(shape, params, "", collector)
    collector.raise_if_any()
    return result


def _type_error(shape: Shape, path: str) -> SerializationError:
    expected = _JSON_TYPE_NAMES.get(shape.type_name, shape.type_name)
    return errors.not_of_type(expected, path)


def _structure(shape: StructureShape, value: Any, path: str, out: _Collector) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _type_error(shape, path)
    result: dict[str, Any] = {}
    for name in shape.required_members:
        if value.get(name) is None:
            out.add(f"{path}/{name}", errors.VALUE_NULL, errors.MUST_NOT_BE_NULL)
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        result[name] = _value(member, item, f"{path}/{name}", out)
    if shape.is_tagged_union and len(result) != 1:
        out.add(path or "/", errors.VALUE, errors.MUST_HAVE_ONE_MEMBER)
    return result


def _value(shape: Shape, value: Any, path: str, out: _Collector) -> Any:
    kind = shape.type_name
    if shape.metadata.get("document"):
        return value  # free-form JSON (filters, metadata): the store owns its rules
    # botocore gives each shape the class of its type ("structure" → StructureShape, ...).
    if isinstance(shape, StructureShape):
        return _structure(shape, value, path, out)
    if isinstance(shape, ListShape):
        return _list(shape, value, path, out)
    if isinstance(shape, MapShape):
        return _map(shape, value, path, out)
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(shape, path)
        _check_string(shape, value, path, out)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(shape, path)
        if isinstance(value, float):
            if not value.is_integer():
                raise _type_error(shape, path)
            value = int(value)
        _check_range(shape, value, path, out)
        return value
    if kind in ("float", "double"):
        if isinstance(value, str) and value in NON_FINITE:
            return NON_FINITE[value]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(shape, path)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(shape, path)
        return value
    return value


def _list(shape: ListShape, value: Any, path: str, out: _Collector) -> list[Any] | array.array[float]:
    if not isinstance(value, list):
        raise _type_error(shape, path)
    _check_length(shape, len(value), path, out)
    member = shape.member
    if member.type_name in ("float", "double"):
        numbers = _numbers(value)
        if numbers is not None:
            return numbers if out.numbers_as_arrays else value
        return [_value(member, item, f"{path}/{i}", out) for i, item in enumerate(value)]
    return [_value(member, item, f"{path}/{i}", out) for i, item in enumerate(value)]


# The bytes of a float64 0.0 and 1.0: a vector holding neither cannot hide a JSON boolean.
_ZERO = array.array("d", [0.0]).tobytes()
_ONE = array.array("d", [1.0]).tobytes()


def _numbers(value: list[Any]) -> array.array[float] | list[Any] | None:
    """A list of JSON numbers (a vector of up to 4,096) checked in C; None if any element is not
    a number (the caller then checks element by element, for the error's path).

    The common case returns the values as an ``array('d')``, converted in the same pass that checks
    them (PutVectors 500 × 1024: 512k elements, ~15 ns each; a type scan first cost as much again).
    The store reads it without copying; the wire stays free of numpy.
    """
    try:
        # array('d') refuses str, null, lists and objects (TypeError) and ints beyond float range
        # (OverflowError); it lets booleans through as 0.0 and 1.0.
        doubles = array.array("d", value)
    except (TypeError, OverflowError):
        doubles = None
    if doubles is not None:
        raw = doubles.tobytes()
        # Only a vector holding an exact 0 or 1 can hide a boolean: those alone pay for the type
        # scan.  A byte match across two elements is a false alarm that costs only that scan.
        if _ZERO not in raw and _ONE not in raw:
            return doubles
    if set(map(type, value)) <= {float, int}:
        return value if doubles is None else doubles
    return None


def _map(shape: MapShape, value: Any, path: str, out: _Collector) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _type_error(shape, path)
    _check_length(shape, len(value), path, out)
    result: dict[str, Any] = {}
    for key, item in value.items():
        # behaviour.md#tags-limits: a bad key is reported at the map's path, a bad value under its key.
        _check_string(shape.key, key, path, out)
        result[key] = _value(shape.value, item, f"{path}/{key}", out)
    return result


def _check_string(shape: Shape, value: str, path: str, out: _Collector) -> None:
    _check_length(shape, java_length(value), path, out)
    enum = shape.metadata.get("enum")  # what botocore's StringShape.enum reads
    if enum and value not in enum:
        out.add(path, errors.VALUE, errors.must_satisfy_enum(enum))
    pattern = shape.metadata.get("pattern")
    if pattern and not _compiled(pattern).fullmatch(value):
        out.add(path, errors.VALUE, errors.must_satisfy_pattern(pattern))


def _check_length(shape: Shape, length: int, path: str, out: _Collector) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if (low is not None and length < low) or (high is not None and length > high):
        out.add(path, errors.value_with_length(length), errors.must_be_between(low, high, "have length"))


def _check_range(shape: Shape, value: int, path: str, out: _Collector) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max", SERVICE_MAXIMUMS.get(shape.name))
    if (low is not None and value < low) or (high is not None and value > high):
        out.add(path, errors.VALUE, errors.must_be_between(low, high, "be"))
