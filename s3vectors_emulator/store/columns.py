"""Columnar storage of vector metadata for filters: a filter evaluates over every row with numpy,
never with a per-vector Python loop.

A scalar value is stored exactly like a one-element array: behaviour.md#decision-filter-semantics
makes ``$eq``/``$in`` on an array "any element matches", ``$ne``/``$nin`` "no element matches",
range operators "any numeric element" and ``$startsWith`` "any string element", and each of those
reduces to the scalar rule for a single element.  So every metadata key owns up to three *entry
tables*, one per value type (number → float64, string → numpy ``StringDType``, boolean → bool).
An entry is ``(row, value)``; the entries of one row under one key are contiguous.  "Any entry of
the row matches" is then::

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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, cast

import numpy as np
from numpy.dtypes import StringDType
from numpy.typing import NDArray

from s3vectors_emulator.store.arrays import grown
from s3vectors_emulator.store.metadata import MetadataScalar, MetadataValue, to_float

Kind = Literal["number", "string", "bool"]
Mask: TypeAlias = NDArray[np.bool_]

_MIN_CAPACITY = 8
# Compaction only pays off past a few entries; below this, dead entries are simply kept.
_COMPACT_MIN_DEAD = 64
# A string table stays dictionary-encoded up to this many distinct values (or a quarter of its
# live entries, whichever is more).
_MAX_WORDS = 256
_KINDS: tuple[Kind, ...] = ("number", "string", "bool")
_KIND_CODE: dict[Kind, int] = {kind: code for code, kind in enumerate(_KINDS)}


def _dtype_of(kind: Kind) -> np.dtype:
    if kind == "number":
        return np.dtype(np.float64)
    if kind == "string":
        return np.dtype(StringDType())
    return np.dtype(np.bool_)


def _room_for(array: np.ndarray, used: int, needed: int) -> np.ndarray:
    """``array`` with room for ``needed`` items (capacity doubles), keeping the first ``used``."""
    if needed <= len(array):
        return array
    return grown(array, max(needed, 2 * len(array), _MIN_CAPACITY), used)


class EntryTable:
    """Append-only ``(row, value)`` entries of one type under one key; dead rows are −1.

    Two layouts the filters never see (predicates get an array of values either way):

    * strings are dictionary-encoded while their distinct values are few (int32 codes into a
      vocabulary): a predicate runs over the vocabulary and the codes pick its results, so
      ``$eq`` over 100k entries is ~0.1 ms instead of ~0.7 ms of string compares, and an entry
      costs 4 bytes instead of 16.  Past _MAX_WORDS distinct values (and a quarter of the live
      entries) the table switches for good to plain numpy strings, so that a unique value per
      vector does not cost a Python string and a dict slot per entry;
    * ``in_order``: while entry i belongs to row i (every row so far has one value, appended in
      row order, none removed: the common case), a match is the predicate's result itself, with
      no scatter into a row mask.
    """

    __slots__ = ("kind", "rows", "values", "size", "dead", "in_order", "words", "codes_of", "_vocab")

    def __init__(self, kind: Kind) -> None:
        self.kind: Kind = kind
        # int32 rows: half the bytes of int64, and an index holds far fewer than 2³¹ vectors.
        self.rows: NDArray[np.int32] = np.empty(_MIN_CAPACITY, dtype=np.int32)
        self.size = 0
        self.dead = 0
        self.in_order = True
        encoded = kind == "string"
        self.words: list[str] | None = [] if encoded else None
        self.codes_of: dict[str, int] = {}
        self._vocab: np.ndarray | None = None  # the words as a numpy string array, built lazily
        self.values: np.ndarray = np.empty(_MIN_CAPACITY, dtype=np.int32 if encoded else _dtype_of(kind))

    @property
    def live(self) -> int:
        return self.size - self.dead

    def extend(self, rows: list[int], values: list[MetadataScalar]) -> None:
        """Append entries (one numpy assignment per batch, not per value)."""
        start, end = self.size, self.size + len(rows)
        self.rows = _room_for(self.rows, start, end)
        self.values = _room_for(self.values, start, end)
        self.rows[start:end] = rows
        if self.in_order:
            self.in_order = bool(np.array_equal(self.rows[start:end], np.arange(start, end)))
        # A table is given only values of its own kind (MetadataColumns._write picks the table by
        # _entries), which the element type of ``values`` cannot say: hence the casts.
        if self.kind == "number":
            self.values[start:end] = [to_float(v) for v in cast("list[int | float]", values)]
        elif self.words is not None:
            codes_of, words = self.codes_of, self.words
            codes = []
            for value in cast("list[str]", values):
                code = codes_of.get(value)
                if code is None:
                    code = codes_of[value] = len(words)
                    words.append(value)
                codes.append(code)
            self.values[start:end] = codes
        else:
            self.values[start:end] = values
        self.size = end
        if self.words is not None and len(self.words) > _MAX_WORDS and 4 * len(self.words) > self.live:
            self._decode()

    def _decode(self) -> None:
        """Switch to plain numpy strings (many distinct values)."""
        values = np.empty(len(self.values), dtype=_dtype_of("string"))
        values[: self.size] = self.vocabulary()[self.values[: self.size]]
        self.values, self.words, self.codes_of, self._vocab = values, None, {}, None

    def vocabulary(self) -> np.ndarray:
        """The words, code order, as a numpy string array (strings tables while encoded)."""
        assert self.words is not None
        if self._vocab is None or len(self._vocab) != len(self.words):
            self._vocab = np.array(self.words, dtype=_dtype_of("string"))
        return self._vocab

    def kill(self, start: int, length: int) -> None:
        self.rows[start : start + length] = -1
        if self.kind == "string" and self.words is None:
            self.values[start : start + length] = ""  # release the string storage now
        self.dead += length
        self.in_order = False

    def relabel(self, start: int, length: int, row: int) -> None:
        self.rows[start : start + length] = row
        self.in_order = False

    def needs_compaction(self) -> bool:
        return self.dead >= _COMPACT_MIN_DEAD and self.dead > self.live

    def compact(self) -> NDArray[np.int64]:
        """Drop dead entries; return the old positions kept, in order (old position ``kept[i]``
        is now ``i``), so ``searchsorted(kept, old_start)`` relocates any live run."""
        keep = np.flatnonzero(self.rows[: self.size] >= 0)
        capacity = max(_MIN_CAPACITY, 2 * len(keep))
        rows = grown(self.rows[keep], capacity, len(keep))
        values = grown(self.values[keep], capacity, len(keep))
        if self.words is not None:
            # Only the words still used stay in the vocabulary.
            used, codes = np.unique(values[: len(keep)], return_inverse=True)
            self.words = [self.words[code] for code in used.tolist()]
            self.codes_of = {word: code for code, word in enumerate(self.words)}
            self._vocab = None
            values[: len(keep)] = codes
        self.rows, self.values = rows, values
        self.size, self.dead = len(keep), 0
        return keep

    def any_match(self, predicate: Callable[[np.ndarray], Mask], n_rows: int) -> Mask:
        """Rows with at least one live entry whose value satisfies ``predicate`` (vectorised)."""
        values = self.values[: self.size]
        if self.words is not None:
            words_hit = np.flatnonzero(predicate(self.vocabulary()))
            if len(words_hit) == 1:  # $eq: one code to compare (a twentieth of a lookup's time)
                hit = values == words_hit[0]
            elif len(words_hit) == 0:
                hit = np.zeros(self.size, dtype=bool)
            else:
                lookup = np.zeros(len(self.words), dtype=bool)
                lookup[words_hit] = True
                hit = lookup[values]
        else:
            hit = predicate(values)
        if self.in_order:
            if self.size == n_rows:
                return hit
            mask = np.zeros(n_rows, dtype=bool)
            mask[: self.size] = hit
            return mask
        mask = np.zeros(n_rows, dtype=bool)
        rows = self.rows[: self.size]
        if self.dead:
            hit &= rows >= 0
        mask[rows[hit]] = True
        return mask

    def present(self, n_rows: int) -> Mask:
        mask = np.zeros(n_rows, dtype=bool)
        if self.in_order:
            mask[: self.size] = True
            return mask
        rows = self.rows[: self.size]
        mask[rows[rows >= 0] if self.dead else rows] = True
        return mask


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

    Where a row's entries live is kept in numpy arrays, not per-row Python objects (a dict of
    small objects per row cost ~300 bytes per vector): each (row, metadata key) pair owns one
    *slot* (key id, kind, start, length), and a row's slots are contiguous, at ``_first[row]``,
    ``_count[row]`` of them.  Slots are append-only; a row that is cleared leaves garbage slots,
    reclaimed once they outnumber the live ones.

    Not thread-safe by itself: the owning index serialises writers against readers.
    """

    def __init__(self) -> None:
        self._fields: dict[str, _Field] = {}
        self._key_ids: dict[str, int] = {}
        self._key_names: list[str] = []
        self._n = 0
        self._first = np.empty(_MIN_CAPACITY, dtype=np.int64)
        self._count = np.empty(_MIN_CAPACITY, dtype=np.int32)
        self._slot_key = np.empty(_MIN_CAPACITY, dtype=np.int32)
        self._slot_kind = np.empty(_MIN_CAPACITY, dtype=np.int8)
        self._slot_start = np.empty(_MIN_CAPACITY, dtype=np.int64)
        self._slot_len = np.empty(_MIN_CAPACITY, dtype=np.int32)
        self._slots = 0  # slots in use, garbage included
        self._live_slots = 0

    def __len__(self) -> int:
        return self._n

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._fields)

    # -- writes --------------------------------------------------------------------------------

    def append_rows(self, rows: Sequence[Mapping[str, MetadataValue]]) -> None:
        """Add rows at the end, in order, with one numpy write per table and slot array."""
        first_row = self._n
        self._reserve_rows(first_row + len(rows))
        self._first[first_row : first_row + len(rows)] = self._slots  # rows without metadata keep it
        self._count[first_row : first_row + len(rows)] = [len(metadata) for metadata in rows]
        self._n += len(rows)
        self._write([(first_row + i, metadata) for i, metadata in enumerate(rows) if metadata])

    def replace_row(self, row: int, metadata: Mapping[str, MetadataValue]) -> None:
        """Overwrite replaces the metadata entirely, no merge (behaviour.md#vectors-overwrite)."""
        self._clear(row)
        self._count[row] = len(metadata)
        self._write([(row, metadata)] if metadata else [])

    def remove_row(self, row: int) -> None:
        """Delete ``row``; the last row moves into the hole, as the matrix row does."""
        self._clear(row)
        last = self._n - 1
        if row != last:
            first, count = int(self._first[last]), int(self._count[last])
            for slot in range(first, first + count):
                table = self._fields[self._key_names[self._slot_key[slot]]].tables[_KINDS[self._slot_kind[slot]]]
                table.relabel(int(self._slot_start[slot]), int(self._slot_len[slot]), row)
            self._first[row], self._count[row] = first, count
        self._n = last

    def _reserve_rows(self, needed: int) -> None:
        self._first = _room_for(self._first, self._n, needed)
        self._count = _room_for(self._count, self._n, needed)

    def _key_id(self, key: str) -> int:
        key_id = self._key_ids.get(key)
        if key_id is None:
            key_id = self._key_ids[key] = len(self._key_names)
            self._key_names.append(key)
        return key_id

    def _write(self, rows: list[tuple[int, Mapping[str, MetadataValue]]]) -> None:
        """Entries and slots for rows whose count is set and whose slots are not yet written."""
        if not rows:
            return
        # Per (key, value type) of this batch: the table, its pending rows and values, the key id
        # and kind code.  Arrays resolve per value (their kind is their first element's).
        pending: dict[tuple[str, type], tuple[EntryTable, list[int], list[MetadataScalar], int, int]] = {}
        by_table: dict[int, tuple[EntryTable, list[int], list[MetadataScalar], int, int]] = {}
        slot_key: list[int] = []
        slot_kind: list[int] = []
        slot_start: list[int] = []
        slot_len: list[int] = []
        firsts: list[int] = []
        for row, metadata in rows:
            firsts.append(self._slots + len(slot_key))
            for key, value in metadata.items():
                is_list = isinstance(value, list)
                batch = None if is_list else pending.get((key, type(value)))
                if batch is None:
                    kind, _ = _entries(value)
                    fld = self._fields.get(key)
                    if fld is None:
                        fld = self._fields[key] = _Field()
                    table = fld.tables.get(kind)
                    if table is None:
                        table = fld.tables[kind] = EntryTable(kind)
                    batch = by_table.get(id(table))
                    if batch is None:
                        batch = by_table[id(table)] = (table, [], [], self._key_id(key), _KIND_CODE[kind])
                    if not is_list:
                        pending[key, type(value)] = batch
                table, table_rows, values, key_id, kind_code = batch
                slot_key.append(key_id)
                slot_kind.append(kind_code)
                slot_start.append(table.size + len(table_rows))
                if isinstance(value, list):
                    slot_len.append(len(value))
                    table_rows.extend([row] * len(value))
                    values.extend(value)
                else:
                    slot_len.append(1)
                    table_rows.append(row)
                    values.append(value)
        for table, table_rows, values, _, _ in by_table.values():
            table.extend(table_rows, values)
        start, end = self._slots, self._slots + len(slot_key)
        self._slot_key = _room_for(self._slot_key, start, end)
        self._slot_kind = _room_for(self._slot_kind, start, end)
        self._slot_start = _room_for(self._slot_start, start, end)
        self._slot_len = _room_for(self._slot_len, start, end)
        self._slot_key[start:end] = slot_key
        self._slot_kind[start:end] = slot_kind
        self._slot_start[start:end] = slot_start
        self._slot_len[start:end] = slot_len
        self._slots = end
        self._live_slots += end - start
        self._first[[row for row, _ in rows]] = firsts

    def _clear(self, row: int) -> None:
        first, count = int(self._first[row]), int(self._count[row])
        for slot in range(first, first + count):
            key_id, kind = int(self._slot_key[slot]), _KINDS[self._slot_kind[slot]]
            key = self._key_names[key_id]
            fld = self._fields[key]
            table = fld.tables[kind]
            table.kill(int(self._slot_start[slot]), int(self._slot_len[slot]))
            if table.live == 0:
                del fld.tables[kind]
                if not fld.tables:
                    del self._fields[key]
            elif table.needs_compaction():
                kept = table.compact()
                # Every slot of this table moves with its entries (garbage slots too: harmless).
                used = slice(0, self._slots)
                mine = np.flatnonzero((self._slot_key[used] == key_id) & (self._slot_kind[used] == _KIND_CODE[kind]))
                self._slot_start[mine] = np.searchsorted(kept, self._slot_start[mine])
        self._count[row] = 0
        self._live_slots -= count
        garbage = self._slots - self._live_slots
        if garbage >= _COMPACT_MIN_DEAD and garbage > self._live_slots:
            self._compact_slots()

    def _compact_slots(self) -> None:
        """Rewrite the slots of rows [0, n) contiguously, in row order, dropping the garbage."""
        n = self._n
        counts = self._count[:n].astype(np.int64)
        firsts = np.cumsum(counts) - counts
        total = int(counts.sum())
        # Old position of new slot j: its row's old first slot plus its offset within the row.
        old = np.repeat(self._first[:n] - firsts, counts) + np.arange(total)
        for name in ("_slot_key", "_slot_kind", "_slot_start", "_slot_len"):
            setattr(self, name, grown(getattr(self, name)[old], max(_MIN_CAPACITY, 2 * total), total))
        self._first[:n] = firsts
        self._slots = self._live_slots = total

    # -- reads (filters) -----------------------------------------------------------------------

    def _table(self, key: str, kind: Kind) -> EntryTable | None:
        fld = self._fields.get(key)
        return None if fld is None else fld.tables.get(kind)

    def any_match(self, key: str, kind: Kind, predicate: Callable[[np.ndarray], Mask], n_rows: int) -> Mask:
        """Rows whose value under ``key`` (any element, for arrays) of type ``kind`` satisfies it.

        behaviour.md#decision-filter-semantics: a missing key or a value of another type matches nothing here; callers
        negate for
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
