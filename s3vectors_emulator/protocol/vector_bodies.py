"""Request bodies that carry vectors in bulk (PutVectors), read with simdjson, whose arrays of numbers come out
as float64 buffers: orjson made a Python float of each of the 512,000 values of a 500 × 1024 batch, and the
validator then packed them into an ``array('d')``.  Measured on such a batch: ~62 ms that way, ~25 ms this way,
which was a third of the emulator's CPU per batch during an import.

The reading must give exactly what ``decode_body`` and the validator give, or else nothing: whatever simdjson
might read otherwise (a byte order mark, a duplicate member, a nested array in a vector, which ``as_buffer``
flattens; a number or string it refuses) makes ``read`` answer None, and the caller reads the body the usual
way, errors and all.  tests/test_vector_bodies.py holds the two readings side by side.
"""

from __future__ import annotations

import array
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import simdjson
from botocore.model import ListShape, Shape, StructureShape

# A reader of one value, given simdjson's proxy of it (or a plain Python value for a scalar).
_Read = Callable[[Any], Any]

# An array directly inside an array: ``as_buffer`` would flatten [[1.0], [2.0]] to [1.0, 2.0].  Found in a
# metadata string too, it only costs this body the usual path.
_NESTED = re.compile(rb"\[\s*\[")
# The regular expression reads a 10 MB batch at ~1.2 GB/s (8 ms, an eighth of the batch's time); bytes.find
# skips to each "[" at memchr's speed, and a batch has about one per vector.  Past this many the expression
# takes over, so that a body made of brackets costs no more than it did.
_BRACKETS_STEPPED = 2048


class _Unlike(Exception):
    """simdjson's reading could differ from orjson's: read the body the usual way."""


class VectorBodyReader:
    """Reads bodies of one input shape, its lists of numbers (vector data) as ``array('d')``."""

    def __init__(self, shape: StructureShape | None) -> None:
        read = _reader(shape) if shape is not None else None
        if read is None:
            raise ValueError("this input shape holds no list of numbers")
        self._read = read

    def read(self, body: bytes | memoryview) -> dict[str, Any] | None:
        """The body as a dict, or None where only the usual reading can tell (errors included)."""
        if body[:1] != b"{" or _nested(*_searchable(body)):
            return None  # a leading byte order mark or blank, or a nested array
        # A parser per body: allocating one cost nothing measurable beside the parse, and nothing is shared
        # between the server's threads.  Its proxies die with this frame.
        parser = simdjson.Parser()
        try:
            result: dict[str, Any] = self._read(parser.parse(body))
        except (ValueError, TypeError, KeyError, RuntimeError, _Unlike):
            # simdjson's own refusals (numbers, strings, UTF-8, depth; big integers are a RuntimeError) and
            # values of the wrong type: the usual reading finds the same, or tells what is wrong.
            return None
        return result


def _searchable(body: bytes | memoryview) -> tuple[bytes | bytearray, int, int]:
    """An object with ``find`` holding ``body``, and where: a large body is a view into a pooled bytearray
    (runtime.BodyBuffers), which a copy would make 10 MB of fresh memory again."""
    if isinstance(body, bytes):
        return body, 0, len(body)
    owner = body.obj
    if isinstance(owner, bytes | bytearray) and body.c_contiguous:
        start = np.frombuffer(body, np.uint8).ctypes.data - np.frombuffer(owner, np.uint8).ctypes.data
        return owner, start, start + len(body)
    raw = bytes(body)  # any other buffer: rare, and small
    return raw, 0, len(raw)


def _nested(source: bytes | bytearray, start: int, end: int) -> bool:
    """Whether ``_NESTED`` is found in ``source[start:end]``."""
    at = source.find(b"[", start, end)
    for _ in range(_BRACKETS_STEPPED):
        if at < 0:
            return False
        if _NESTED.match(source, at, end):
            return True
        at = source.find(b"[", at + 1, end)
    return at >= 0 and _NESTED.search(source, at, end) is not None


def _reader(shape: Shape) -> _Read | None:
    """How to read a value of ``shape`` so that its lists of numbers come as buffers; None if it holds none."""
    if isinstance(shape, ListShape):
        if shape.member.type_name in ("float", "double"):
            return _numbers
        item = _reader(shape.member)
        if item is None:
            return None
        return lambda value: [item(v) for v in value] if isinstance(value, simdjson.Array) else _plain(value)
    if isinstance(shape, StructureShape):
        members = {name: read for name, member in shape.members.items() if (read := _reader(member)) is not None}
        if not members:
            return None
        return lambda value: _object(value, members) if isinstance(value, simdjson.Object) else _plain(value)
    return None


def _object(value: simdjson.Object, members: dict[str, _Read]) -> dict[str, Any]:
    keys = list(value.keys())
    if len(set(keys)) != len(keys):
        raise _Unlike  # orjson keeps the last of a repeated member, simdjson's lookup the first
    return {key: (members[key] if key in members else _plain)(value[key]) for key in keys}


def _numbers(value: Any) -> Any:
    if not isinstance(value, simdjson.Array):
        return _plain(value)
    # Refuses booleans, null, strings and objects (TypeError): the validator then names the bad element.
    numbers = array.array("d")
    numbers.frombytes(value.as_buffer(of_type="d"))
    return numbers


def _plain(value: Any) -> Any:
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    if isinstance(value, simdjson.Array):
        return value.as_list()
    return value
