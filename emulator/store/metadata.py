"""Vector metadata: validation, AWS's size model, and columnar storage for filters.

Validation follows Part I §3 of the reference (types, 50 keys, 2 KB filterable, 40 KB total,
in that order, with the measured messages).  Storage is columnar so that a filter evaluates over
every row with numpy, never with a per-vector Python loop.

Column design
-------------
A scalar value is stored exactly like a one-element array: D7 makes ``$eq``/``$in`` on an array
"any element matches", ``$ne``/``$nin`` "no element matches", range operators "any numeric
element" and ``$startsWith`` "any string element", and each of those reduces to the scalar rule
for a single element.  So every metadata key owns up to three *entry tables*, one per value type
(number → float64, string → numpy ``StringDType``, boolean → bool).  An entry is ``(row, value)``;
the entries of one row under one key are contiguous.  "Any entry of the row matches" is then::

    hit = predicate(values); mask = np.zeros(n, bool); mask[rows[hit]] = True

The tables are sparse: a key used by a handful of vectors costs a handful of entries, not a column
as long as the index (indexes whose vectors carry many distinct keys stay small).

Writes keep the tables aligned with the vector matrix rows in amortised O(1) per row:

* append: entries are appended at the end of each table (capacity doubles);
* overwrite / delete: the row's entries are marked dead (row id −1), located through a per-row
  map ``key → (type, start, length)``;
* delete moves the last matrix row into the hole: that row's entries are relabelled in place;
* a table whose dead entries outnumber its live ones is compacted once (cost paid by the Θ(size)
  deletions that made it necessary); a table with no live entry is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
from numpy.dtypes import StringDType
from numpy.typing import NDArray

from emulator.errors import ValidationError

MetadataScalar: TypeAlias = str | int | float | bool
MetadataValue: TypeAlias = MetadataScalar | list[str] | list[int | float]
Metadata: TypeAlias = dict[str, MetadataValue]
Kind = Literal["number", "string", "bool"]
Mask: TypeAlias = NDArray[np.bool_]

# Part I §1 / §3: limits counted by the service's size model.
MAX_METADATA_KEYS = 50
MAX_FILTERABLE_BYTES = 2048
MAX_TOTAL_BYTES = 40960

MSG_VALUE_TYPES = "Metadata values must be strings, numbers, booleans, or arrays"
MSG_ARRAY_TYPES = "Metadata array values must be strings or numbers"
MSG_EMPTY_ARRAY = "Empty arrays are not allowed in metadata"
MSG_TOO_MANY_KEYS = f"Metadata object must have at most {MAX_METADATA_KEYS} keys"
MSG_FILTERABLE_SIZE = f"Filterable metadata must have at most {MAX_FILTERABLE_BYTES} bytes"
MSG_TOTAL_SIZE = f"Metadata object must have at most {MAX_TOTAL_BYTES} bytes"
# D10: AWS never showed a message for a metadata document that is not a JSON object (the model
# types it as a Document, so any JSON value can arrive); this one names the rule.
MSG_NOT_OBJECT = "Metadata must be an object"


def utf8_len(text: str) -> int:
    # Lone surrogates are refused by the wire layer (Part I §2); surrogatepass keeps this total.
    return len(text.encode("utf-8", "surrogatepass"))


def is_number(value: object) -> bool:
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
    return is_number(value) and (isinstance(value, int) or math.isfinite(value))  # type: ignore[arg-type]


def value_size(value: MetadataValue) -> int:
    """Part I §3 size model: string → UTF-8 length, number → 4, bool → 0, array → Σ(4 + element)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, str):
        return utf8_len(value)
    if isinstance(value, list):
        return sum(4 + value_size(element) for element in value)
    return 4


def metadata_size(metadata: Mapping[str, MetadataValue]) -> int:
    """Part I §3 size model: ``4 + Σ (8 + utf8len(key) + valueSize)``."""
    return 4 + sum(8 + utf8_len(key) + value_size(value) for key, value in metadata.items())


def _value_problem(value: object) -> str | None:
    """The §3 type rule a value breaks, or None."""
    if isinstance(value, bool | str) or _is_metadata_number(value):
        return None
    if isinstance(value, list):
        if not value:
            return MSG_EMPTY_ARRAY
        # Part I §3: arrays hold only strings or only numbers (no booleans, no mixing).
        if all(isinstance(element, str) for element in value):
            return None
        if all(_is_metadata_number(element) for element in value):
            return None
        return MSG_ARRAY_TYPES
    return MSG_VALUE_TYPES


def validate_metadata(
    metadata: object,
    *,
    record_key: str,
    record_index: int,
    non_filterable_keys: frozenset[str] = frozenset(),
) -> Metadata:
    """Check one record's metadata; return a private copy.

    Part I §3, in the order the reference lists: value types (first offending key in document
    order), key count, filterable size, total size.  ``None`` means no metadata.
    """

    def fail(detail: str) -> ValidationError:
        return ValidationError(
            f"Invalid record for key '{record_key}': {detail}",
            [{"path": f"vectors[{record_index}].metadata", "message": detail}],
        )

    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise fail(MSG_NOT_OBJECT)
    for value in metadata.values():
        problem = _value_problem(value)
        if problem is not None:
            raise fail(problem)
    if len(metadata) > MAX_METADATA_KEYS:
        raise fail(MSG_TOO_MANY_KEYS)
    # Non-filterable keys buy size, not types (Part I §3).
    filterable = {k: v for k, v in metadata.items() if k not in non_filterable_keys}
    if metadata_size(filterable) > MAX_FILTERABLE_BYTES:
        raise fail(MSG_FILTERABLE_SIZE)
    if metadata_size(metadata) > MAX_TOTAL_BYTES:
        raise fail(MSG_TOTAL_SIZE)
    return {k: list(v) if isinstance(v, list) else v for k, v in metadata.items()}


def copy_metadata(metadata: Metadata) -> Metadata:
    """A copy safe to hand out: values are immutable scalars or lists of them."""
    return {k: list(v) if isinstance(v, list) else v for k, v in metadata.items()}


# ---------------------------------------------------------------------------------------------
# Columnar storage
# ---------------------------------------------------------------------------------------------

_MIN_CAPACITY = 8
# Compaction only pays off past a few entries; below this, dead entries are simply kept.
_COMPACT_MIN_DEAD = 64


def _dtype_of(kind: Kind) -> np.dtype:
    if kind == "number":
        return np.dtype(np.float64)
    if kind == "string":
        return np.dtype(StringDType())
    return np.dtype(np.bool_)


class EntryTable:
    """Append-only ``(row, value)`` entries of one type under one key; dead rows are −1."""

    __slots__ = ("kind", "rows", "values", "size", "dead")

    def __init__(self, kind: Kind) -> None:
        self.kind: Kind = kind
        self.rows: NDArray[np.int64] = np.empty(_MIN_CAPACITY, dtype=np.int64)
        self.values: np.ndarray = np.empty(_MIN_CAPACITY, dtype=_dtype_of(kind))
        self.size = 0
        self.dead = 0

    @property
    def live(self) -> int:
        return self.size - self.dead

    def append(self, row: int, values: list[MetadataScalar]) -> int:
        """Append one row's values contiguously; return the start position."""
        start, end = self.size, self.size + len(values)
        if end > len(self.rows):
            capacity = max(end, 2 * len(self.rows))
            rows = np.empty(capacity, dtype=np.int64)
            rows[: self.size] = self.rows[: self.size]
            vals = np.empty(capacity, dtype=self.values.dtype)
            vals[: self.size] = self.values[: self.size]
            self.rows, self.values = rows, vals
        self.rows[start:end] = row
        if self.kind == "number":
            self.values[start:end] = [to_float(v) for v in values]  # type: ignore[arg-type]
        else:
            self.values[start:end] = values
        self.size = end
        return start

    def kill(self, start: int, length: int) -> None:
        self.rows[start : start + length] = -1
        if self.kind == "string":
            self.values[start : start + length] = ""  # release the string storage now
        self.dead += length

    def relabel(self, start: int, length: int, row: int) -> None:
        self.rows[start : start + length] = row

    def needs_compaction(self) -> bool:
        return self.dead >= _COMPACT_MIN_DEAD and self.dead > self.live

    def compact(self) -> dict[int, int]:
        """Drop dead entries; return ``row → new start`` for every row still present."""
        keep = np.flatnonzero(self.rows[: self.size] >= 0)
        rows = self.rows[keep]
        values = self.values[keep]
        capacity = max(_MIN_CAPACITY, 2 * len(keep))
        self.rows = np.empty(capacity, dtype=np.int64)
        self.values = np.empty(capacity, dtype=values.dtype)
        self.rows[: len(keep)] = rows
        self.values[: len(keep)] = values
        self.size, self.dead = len(keep), 0
        if len(rows) == 0:
            return {}
        # A row has at most one live run per table, so a run starts wherever the row id changes.
        starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
        return dict(zip(rows[starts].tolist(), starts.tolist(), strict=True))

    def any_match(self, predicate: Callable[[np.ndarray], Mask], n_rows: int) -> Mask:
        """Rows with at least one live entry whose value satisfies ``predicate`` (vectorised)."""
        mask = np.zeros(n_rows, dtype=bool)
        rows = self.rows[: self.size]
        hit = predicate(self.values[: self.size])
        if self.dead:
            hit &= rows >= 0
        mask[rows[hit]] = True
        return mask

    def present(self, n_rows: int) -> Mask:
        mask = np.zeros(n_rows, dtype=bool)
        rows = self.rows[: self.size]
        mask[rows[rows >= 0] if self.dead else rows] = True
        return mask


@dataclass(slots=True)
class _Location:
    kind: Kind
    start: int
    length: int


@dataclass
class _Field:
    tables: dict[Kind, EntryTable] = field(default_factory=dict)


def _entries(value: MetadataValue) -> tuple[Kind, list[MetadataScalar]]:
    values: list[MetadataScalar] = list(value) if isinstance(value, list) else [value]
    first = values[0]
    if isinstance(first, bool):
        return "bool", values
    if isinstance(first, str):
        return "string", values
    return "number", values


class MetadataColumns:
    """Filterable view of every row's metadata, row-aligned with the vector matrix.

    Not thread-safe by itself: the owning index serialises writers against readers.
    """

    def __init__(self) -> None:
        self._fields: dict[str, _Field] = {}
        # Row-aligned: where each row's entries live, per metadata key.
        self._locations: list[dict[str, _Location]] = []

    def __len__(self) -> int:
        return len(self._locations)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._fields)

    # -- writes --------------------------------------------------------------------------------

    def append_row(self, metadata: Mapping[str, MetadataValue]) -> int:
        """Add a row at the end (the index appends its matrix row in step); return its number."""
        row = len(self._locations)
        self._locations.append({})
        self._write(row, metadata)
        return row

    def replace_row(self, row: int, metadata: Mapping[str, MetadataValue]) -> None:
        """Overwrite replaces the metadata entirely, no merge (Part I §3 overwrite semantics)."""
        self._clear(row)
        self._write(row, metadata)

    def remove_row(self, row: int) -> None:
        """Delete ``row``; the last row moves into the hole, as the matrix row does."""
        self._clear(row)
        last = len(self._locations) - 1
        if row != last:
            moved = self._locations[last]
            for key, loc in moved.items():
                self._fields[key].tables[loc.kind].relabel(loc.start, loc.length, row)
            self._locations[row] = moved
        self._locations.pop()

    def _write(self, row: int, metadata: Mapping[str, MetadataValue]) -> None:
        locations = self._locations[row]
        for key, value in metadata.items():
            kind, values = _entries(value)
            table = self._fields.setdefault(key, _Field()).tables.get(kind)
            if table is None:
                table = self._fields[key].tables[kind] = EntryTable(kind)
            locations[key] = _Location(kind, table.append(row, values), len(values))

    def _clear(self, row: int) -> None:
        locations = self._locations[row]
        for key, loc in locations.items():
            fld = self._fields[key]
            table = fld.tables[loc.kind]
            table.kill(loc.start, loc.length)
            if table.live == 0:
                del fld.tables[loc.kind]
                if not fld.tables:
                    del self._fields[key]
            elif table.needs_compaction():
                for moved_row, start in table.compact().items():
                    self._locations[moved_row][key].start = start
        locations.clear()

    # -- reads (filters) -----------------------------------------------------------------------

    def _table(self, key: str, kind: Kind) -> EntryTable | None:
        fld = self._fields.get(key)
        return None if fld is None else fld.tables.get(kind)

    def any_match(self, key: str, kind: Kind, predicate: Callable[[np.ndarray], Mask], n_rows: int) -> Mask:
        """Rows whose value under ``key`` (any element, for arrays) of type ``kind`` satisfies it.

        D7: a missing key or a value of another type matches nothing here; callers negate for
        ``$ne``/``$nin``, which is how a missing key comes to match those.
        """
        table = self._table(key, kind)
        if table is None:
            return np.zeros(n_rows, dtype=bool)
        return table.any_match(predicate, n_rows)

    def present_kind(self, key: str, kind: Kind, n_rows: int) -> Mask:
        """Rows whose value under ``key`` is of type ``kind``."""
        table = self._table(key, kind)
        return np.zeros(n_rows, dtype=bool) if table is None else table.present(n_rows)

    def present(self, key: str, n_rows: int) -> Mask:
        """Rows that have ``key`` (arrays are never empty, so any entry means present)."""
        mask = np.zeros(n_rows, dtype=bool)
        fld = self._fields.get(key)
        if fld is not None:
            for table in fld.tables.values():
                mask |= table.present(n_rows)
        return mask
