"""The vectors of one index: a float32 matrix, its keys, its metadata columns, and exact search.

Knows nothing of HTTP; raises :mod:`s3vectors_emulator.errors` classes.  One readers–writer lock per index:
queries, gets and listings share it (numpy releases the GIL, so they run in parallel), puts and
deletes hold it alone, so a reader sees a write entirely or not at all (behaviour.md#decision-consistency).
"""

from __future__ import annotations

import array as stdarray
import bisect
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.dtypes import StringDType
from numpy.typing import NDArray

from s3vectors_emulator.errors import (
    INDEX_NOT_FOUND,
    VECTOR_NAN,
    VECTOR_NOT_NUMBERS,
    VECTOR_ZERO_NORM,
    NotFoundError,
    ValidationError,
    invalid_query_vector,
    invalid_record,
    key_too_long,
    not_searchable,
    wrong_dimension,
)
from s3vectors_emulator.store.analysis import (
    Analysis,
    Analyzer,
    analyses_of,
    analyze_value,
    analyzer_for,
    query_terms,
)
from s3vectors_emulator.store.columns import MetadataColumns
from s3vectors_emulator.store.distances import Metric, RowNorms, rank
from s3vectors_emulator.store.filters import compile_filter, parse_filter
from s3vectors_emulator.store.locks import ReadWriteLock
from s3vectors_emulator.store.metadata import (
    Metadata,
    StoredMetadata,
    pack_metadata,
    to_float,
    unpack_metadata,
    validate_metadata,
)
from s3vectors_emulator.store.ranking import fuse, rank_text_only
from s3vectors_emulator.store.text_index import TextIndex

Record = tuple[str, NDArray[np.float32], Metadata]

MAX_KEY_BYTES = 1024


_MIN_CAPACITY = 16


class QueryHit(NamedTuple):
    """One ranked result; text and hybrid queries fill the score fields (behaviour.md#search-scores)."""

    key: str
    distance: float | None  # None: not in the vector list (text-only, or hybrid beyond it)
    metadata: StoredMetadata  # packed (unpack_metadata); None when not asked for, or empty
    bm25: tuple[tuple[str, float], ...] = ()  # (metadata key, BM25) for each key scoring > 0
    fused: float | None = None  # hybrid only: the RRF score


def check_key(key: str, path: str | None = None) -> None:
    """behaviour.md#names: a key is bounded at 1,024 UTF-8 bytes as well as 1,024 characters.

    The character bound is the wire layer's (Coral length message); this is the byte bound, the
    same on PutVectors, GetVectors and DeleteVectors.
    """
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise key_too_long(path)


def to_float32(values: Sequence[Any]) -> NDArray[np.float32] | None:
    """JSON numbers as float32, converted before any check (behaviour.md#metadata: 1e39 → inf → refused).

    Returns None when an element is not a number at all.
    """
    with np.errstate(over="ignore"):
        return _as_float32(values)


def _as_float32(values: Sequence[Any]) -> NDArray[np.float32] | None:
    """:func:`to_float32` without its errstate (the caller holds one for a whole batch)."""
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


def _crc(key: str) -> int:
    # A hash that is stable across processes (unlike hash()), so segments are reproducible.
    return zlib.crc32(key.encode("utf-8", "surrogatepass"))


class VectorIndex:
    """The data plane of one vector index."""

    def __init__(
        self,
        dimension: int,
        metric: Metric,
        non_filterable_keys: frozenset[str] = frozenset(),
        text_fields: Mapping[str, str | None] | None = None,
    ) -> None:
        self.dimension = dimension
        self.metric: Metric = metric
        self.non_filterable_keys = frozenset(non_filterable_keys)
        self._lock = ReadWriteLock()
        # Full-text search (behaviour.md#decision-text-search): the inverted indexes, None while no key is searchable,
        # and the analyzer of each searchable key.  The dict is replaced, never mutated, so a writer can analyze outside
        # the lock and tell afterwards whether the configuration changed.
        self._text: TextIndex | None = None
        self._analyzers: dict[str, Analyzer] = {}
        self._version = 0  # bumped by every write: a build analyzed outside the lock checks it
        # Set by retire() (DeleteIndex): a write that found the index before the delete and takes
        # the lock after it fails as NotFound instead of writing rows nothing owns.
        self._retired = False
        self._n = 0
        # Row-aligned arrays, grown by doubling; rows [0, n) are live, no holes (a delete moves
        # the last row into the hole).
        self._matrix = np.empty((_MIN_CAPACITY, dimension), dtype=np.float32)
        self._norms = RowNorms(_MIN_CAPACITY)  # ‖x‖² and the screen's per-row factors
        self._key_col = np.empty(_MIN_CAPACITY, dtype=StringDType())
        self._crc = np.empty(_MIN_CAPACITY, dtype=np.uint32)
        # Keys live in _key_col (and as _row_of's keys): no separate list.  Metadata is kept packed
        # (pack_metadata: JSON bytes, None when empty), a fraction of a dict's size.
        self._metadata: list[StoredMetadata] = []
        self._row_of: dict[str, int] = {}
        self._columns = MetadataColumns()
        # Key order for ListVectors: (rows in key order, keys in that order); None after a write.
        self._sorted: tuple[NDArray[np.int64], list[str]] | None = None
        if text_fields:
            self.set_text_fields(text_fields)

    # -- sizes ---------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return self._n

    def __len__(self) -> int:
        return self._n

    def keys(self) -> list[str]:
        """Every key, in key (UTF-8 byte) order."""
        with self._lock.read():
            return sorted(self._key_col[: self._n].tolist())

    def _resize(self, capacity: int) -> None:
        n = self._n
        matrix = np.empty((capacity, self.dimension), dtype=np.float32)
        matrix[:n] = self._matrix[:n]
        key_col = np.empty(capacity, dtype=StringDType())
        key_col[:n] = self._key_col[:n]
        crc = np.empty(capacity, dtype=np.uint32)
        crc[:n] = self._crc[:n]
        self._norms.resize(capacity, n)
        self._matrix, self._key_col, self._crc = matrix, key_col, crc

    # -- validation ----------------------------------------------------------------------------

    def validate_put(self, vectors: list[dict[str, Any]]) -> list[Record]:
        """Check a PutVectors list; the first failing record fails the request (behaviour.md#errors-catalogue).

        Per record, in order: key bytes, dimension, NaN/Inf, cosine zero norm, metadata.
        Duplicate keys: every occurrence is checked, the last one wins (behaviour.md#decision-duplicates-and-order).
        """
        latest: dict[str, Record] = {}
        # One errstate for the batch (entering one costs about as much as the checks of a record).
        with np.errstate(over="ignore", invalid="ignore"):
            for i, record in enumerate(vectors):
                self._check_record(i, record, latest)
        return list(latest.values())

    def _check_record(self, i: int, record: dict[str, Any], latest: dict[str, Record]) -> None:
        """One record of :meth:`validate_put` (under the caller's errstate)."""
        key = record["key"]
        check_key(key, f"vectors[{i}].key")
        values = record["data"]["float32"]

        def fail(detail: str, *, i: int = i, key: str = key) -> ValidationError:
            return invalid_record(key, f"vectors[{i}]", detail)

        vector = _as_float32(values)
        if vector is None:
            raise fail(VECTOR_NOT_NUMBERS)
        if len(vector) != self.dimension:
            raise fail(wrong_dimension(self.dimension, len(vector)))
        # One BLAS call settles the common case: a finite, nonzero ‖x‖² means every component
        # is finite and one is nonzero.  Otherwise (NaN/Inf, zero, or a square that overflows
        # or underflows float32) the exact checks decide.
        square = float(vector @ vector)
        if not 0.0 < square < math.inf:
            if not np.isfinite(vector).all():
                raise fail(VECTOR_NAN)
            # behaviour.md#distances: checked on the float32 values, so components that round to 0 count as 0.
            if self.metric == "cosine" and not vector.any():
                raise fail(VECTOR_ZERO_NORM)
        metadata = validate_metadata(
            record.get("metadata"),
            record_key=key,
            record_index=i,
            non_filterable_keys=self.non_filterable_keys,
        )
        latest.pop(key, None)  # keep the order of last occurrences
        latest[key] = (key, vector, metadata)

    def validate_query_vector(self, vector: Sequence[Any]) -> NDArray[np.float32]:
        """behaviour.md#decision-unseen-messages / behaviour.md#distances: one top-level message, the detail in the
        fieldList at ``vector``."""

        def fail(detail: str) -> ValidationError:
            return invalid_query_vector(detail)

        query = to_float32(vector)
        if query is None:
            raise fail(VECTOR_NOT_NUMBERS)
        if len(query) != self.dimension:
            raise fail(wrong_dimension(self.dimension, len(query)))
        if not np.isfinite(query).all():
            raise fail(VECTOR_NAN)
        if self.metric == "cosine" and not query.any():
            raise fail(VECTOR_ZERO_NORM)
        return query

    # -- writes --------------------------------------------------------------------------------

    def put(self, records: list[Record], durable: Callable[[list[Record]], None] | None = None) -> None:
        """Insert or overwrite (vector and metadata entirely, behaviour.md#metadata); atomic for readers.

        ``durable`` (the data directory's write) runs under the write lock before memory
        changes, so the database and the matrix see writes in the same order, and a write
        that cannot be made durable is not applied.
        """
        latest: dict[str, Record] = {}
        for record in records:  # behaviour.md#decision-duplicates-and-order: the last occurrence of a key wins
            latest.pop(record[0], None)
            latest[record[0]] = record
        if not latest:
            return
        # Text analysis is the costly part of indexing: done before taking the lock, so readers
        # are not held up by it, and redone under the lock only if the configuration changed.
        analyzers = self._analyzers
        analyses = [analyses_of(analyzers, record[2]) for record in latest.values()] if analyzers else []
        with self._lock.write():
            self._check_live()
            if durable is not None:
                durable(list(latest.values()))
            if self._analyzers is not analyzers:
                analyzers = self._analyzers
                analyses = [analyses_of(analyzers, record[2]) for record in latest.values()] if analyzers else []
            text = self._text
            self._version += 1
            new = sum(1 for key in latest if key not in self._row_of)
            if self._n + new > len(self._matrix):
                self._resize(max(self._n + new, 2 * len(self._matrix)))
            touched = np.empty(len(latest), dtype=np.int64)
            appended: list[Metadata] = []  # new rows' metadata, added to the columns in one batch
            for j, (key, vector, metadata) in enumerate(latest.values()):
                row = self._row_of.get(key)
                if row is None:
                    row = self._n
                    self._n += 1
                    self._row_of[key] = row
                    self._metadata.append(pack_metadata(metadata))
                    self._key_col[row] = key
                    self._crc[row] = _crc(key)
                    appended.append(metadata)
                    if text is not None:
                        text.put_row(row, analyses[j], overwrite=False)
                else:
                    old = self._metadata[row]
                    self._metadata[row] = pack_metadata(metadata)
                    self._columns.replace_row(row, metadata)
                    # behaviour.md#decision-text-search: strongly consistent; an unchanged searchable value keeps its
                    # postings.
                    if text is not None:
                        before = unpack_metadata(old)
                        if any(before.get(k) != metadata.get(k) for k in analyzers):
                            text.put_row(row, analyses[j], overwrite=True)
                self._matrix[row] = vector
                touched[j] = row
            self._columns.append_rows(appended)
            self._norms.update(touched, self._matrix)
            self._sorted = None
            if text is not None:
                text.maybe_compact()

    def delete(self, keys: list[str], durable: Callable[[list[str]], None] | None = None) -> None:
        """Delete the given keys; absent keys are ignored (behaviour.md#decision-deleting-absent); atomic for
        readers."""
        for i, key in enumerate(keys):
            check_key(key, f"keys[{i}]")
        with self._lock.write():
            self._check_live()
            if durable is not None:
                durable(list(dict.fromkeys(keys)))
            self._version += 1
            text = self._text
            for key in dict.fromkeys(keys):
                row = self._row_of.pop(key, None)
                if row is None:
                    continue
                last = self._n - 1
                self._columns.remove_row(row)
                if text is not None:
                    text.remove_row(
                        row, last
                    )  # behaviour.md#decision-text-search: the vector leaves text results at once
                if row != last:
                    # O(1): the last row fills the hole, everywhere in step.
                    moved = str(self._key_col[last])
                    self._matrix[row] = self._matrix[last]
                    self._norms.move(row, last)
                    self._key_col[row] = moved
                    self._crc[row] = self._crc[last]
                    self._metadata[row] = self._metadata[last]
                    self._row_of[moved] = row
                self._metadata.pop()
                self._key_col[last] = ""
                self._n = last
                self._sorted = None
            if text is not None:
                text.maybe_compact()
            capacity = len(self._matrix)
            if capacity > _MIN_CAPACITY and self._n < capacity // 4:
                self._resize(max(_MIN_CAPACITY, capacity // 2))  # give memory back, amortised

    def retire(self, durable: Callable[[], None] | None = None) -> None:
        """End the index (DeleteIndex): every write either lands before this, and is deleted with
        it by ``durable``, or fails afterwards with NotFound."""
        with self._lock.write():
            self._check_live()
            if durable is not None:
                durable()
            self._retired = True

    def _check_live(self) -> None:
        if self._retired:
            raise NotFoundError(INDEX_NOT_FOUND)

    # -- text search configuration (behaviour.md#text-config-update, behaviour.md#search)
    # -------------------------------------

    def set_text_fields(self, fields: Mapping[str, str | None]) -> None:
        """Make exactly ``fields`` (metadata key → language) searchable.

        A new key is built from the vectors already stored before this returns (behaviour.md#decision-text-search:
        ACTIVE at
        once); a dropped key's index is freed.  The analysis runs under the read lock, so queries
        keep running, and is redone under the write lock only if a write landed in between.
        """
        wanted = {key: analyzer_for(language) for key, language in fields.items()}

        def build(current: Mapping[str, Analyzer]) -> dict[str, list[Analysis | None]]:
            added = [key for key, analyzer in wanted.items() if current.get(key) is not analyzer]
            built: dict[str, list[Analysis | None]] = {key: [] for key in added}
            if added:
                for stored in self._metadata[: self._n]:
                    metadata = unpack_metadata(stored)  # once per row, whatever the number of keys
                    for key in added:
                        built[key].append(analyze_value(wanted[key], metadata.get(key)))
            return built

        with self._lock.read():
            version = self._version
            built = build(self._analyzers)
        with self._lock.write():
            if self._version != version:
                built = build(self._analyzers)
            if not wanted:
                self._text = None
            else:
                if self._text is None:
                    self._text = TextIndex(self._n)
                for key in set(self._analyzers) - set(wanted):
                    self._text.remove_field(key)
                for key, analyses in built.items():
                    self._text.remove_field(key)
                    self._text.add_field(key, wanted[key].language, analyses)
            self._analyzers = wanted

    # -- reads ---------------------------------------------------------------------------------

    def _wire(self, row: int, return_data: bool, return_metadata: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"key": str(self._key_col[row])}
        if return_data:
            # float32 values as Python floats: 0.1 reads back as 0.10000000149011612 (behaviour.md#metadata).
            item["data"] = {"float32": self._matrix[row].tolist()}
        if return_metadata:
            item["metadata"] = unpack_metadata(self._metadata[row])  # {} when none (behaviour.md#metadata)
        return item

    def get(self, keys: list[str], return_data: bool = False, return_metadata: bool = False) -> list[dict[str, Any]]:
        """behaviour.md#decision-duplicates-and-order: request order, absent keys omitted, duplicates collapsed."""
        for i, key in enumerate(keys):
            check_key(key, f"keys[{i}]")
        with self._lock.read():
            out = []
            for key in dict.fromkeys(keys):
                row = self._row_of.get(key)
                if row is not None:
                    out.append(self._wire(row, return_data, return_metadata))
            return out

    def _key_order(self) -> tuple[NDArray[np.int64], list[str]]:
        """Rows in key order, cached until the next write (called under the read lock).

        Readers may race to build it; each builds the same value and the store is atomic.
        """
        cached = self._sorted
        if cached is None:
            keys = self._key_col[: self._n]
            # StringDType compares UTF-8 bytes, i.e. code points, the same order as Python str.
            order = np.argsort(keys, kind="stable").astype(np.int64)
            # A list for bisect: numpy 2.4's searchsorted on StringDType mis-compares strings of
            # 16 bytes or more (wrong positions, or MemoryError).
            cached = self._sorted = (order, keys[order].tolist())
        return cached

    def list_page(
        self,
        max_results: int,
        start_after: str | None = None,
        segment_count: int = 1,
        segment_index: int = 0,
        return_data: bool = False,
        return_metadata: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One ListVectors page: keys in UTF-8 byte order after ``start_after``, in one segment.

        behaviour.md#decision-duplicates-and-order: segment = crc32(UTF-8 key) mod segment_count, so segments are
        disjoint and cover the
        index; a page continues strictly after a key, so a vector present and unchanged through
        a listing is returned exactly once.  Returns the page and its last key when more items
        remain in this segment (else None), for the wire layer to make a nextToken of.
        """
        with self._lock.read():
            n = self._n
            order, sorted_keys = self._key_order()
            pos = 0 if start_after is None else bisect.bisect_right(sorted_keys, start_after)
            picked: list[NDArray[np.int64]] = []
            need = max_results
            more = False
            window = max(64, 2 * max_results * segment_count)
            while pos < n:
                chunk = order[pos : pos + window]
                if segment_count > 1:
                    chunk = chunk[self._crc[chunk] % segment_count == segment_index]
                take = chunk[:need]
                if len(take):
                    picked.append(take)
                    need -= len(take)
                if need == 0 and len(chunk) > len(take):
                    more = True
                    break
                pos += window
                window *= 2
            rows = np.concatenate(picked) if picked else np.empty(0, dtype=np.int64)
            items = [self._wire(int(row), return_data, return_metadata) for row in rows]
            last = items[-1]["key"] if more and items else None
            return items, last

    def search(
        self,
        vector: Sequence[Any] | None,
        texts: Sequence[tuple[str, str]] | None,
        top_k: int,
        filter_doc: Any = None,
        enhanced: bool = True,
        return_metadata: bool = False,
    ) -> list[QueryHit]:
        """Vector, full-text or hybrid search (behaviour.md#queries-order-of-checks), at most ``top_k`` hits in rank
        order.

        ``texts`` holds (metadata key, query text) pairs.  Vector only: ascending distance.  Text
        only: descending sum of the per-key BM25 (a bool "should" query), zero scores left out.
        Both: RRF over the vector list and each key's list, each cut at ``top_k``.  Ties go by key
        ascending (behaviour.md#decision-query-results, behaviour.md#decision-text-search).  A filter restricts every
        list; BM25 statistics stay whole-index.
        """
        query = self.validate_query_vector(vector) if vector is not None else None
        # The filter is validated before any data is looked at: errors come on an empty index too.
        evaluate = None
        if filter_doc is not None:
            parsed = parse_filter(filter_doc, enhanced=enhanced, non_filterable_keys=self.non_filterable_keys)
            evaluate = compile_filter(parsed)
        with self._lock.read():
            analyzers = self._analyzers
            wanted: list[tuple[str, dict[str, int]]] = []
            for position, (key, query_text) in enumerate(texts or ()):
                analyzer = analyzers.get(key)
                if analyzer is None:  # the configuration was deleted since the caller checked
                    raise not_searchable(key, position)
                wanted.append((key, query_terms(analyzer, query_text)))
            n = self._n
            if n == 0 or top_k <= 0:
                return []
            mask = None
            if evaluate is not None:
                mask = evaluate(self._columns, n)
                matches = int(np.count_nonzero(mask))
                if matches == 0:
                    return []
                if matches == n:
                    mask = None
            key_col = self._key_col[:n]

            vector_rows = np.empty(0, dtype=np.int64)
            distances = np.empty(0, dtype=np.float64)
            if query is not None:
                vector_rows, distances = rank(
                    self._matrix[:n], self._norms.view(n), key_col, query, self.metric, top_k, mask
                )
            if not wanted:
                return [
                    QueryHit(str(key_col[row]), distance, self._metadata_of(row, return_metadata))
                    for row, distance in zip(vector_rows.tolist(), distances.tolist(), strict=True)
                ]

            text = self._text
            assert text is not None  # a searchable key exists, so its index does
            scores = np.empty((len(wanted), n), dtype=np.float64)
            for i, (key, terms) in enumerate(wanted):
                scores[i] = text.scores(key, terms, n)
                if mask is not None:
                    scores[i][~mask] = 0.0  # pre-filtering: every list sees only the matches
            if query is None:
                rows, fused = rank_text_only(scores, key_col, top_k), None
            else:
                rows, fused = fuse(vector_rows, scores, key_col, top_k)
            distance_of = dict(zip(vector_rows.tolist(), distances.tolist(), strict=True))
            keys = [key for key, _ in wanted]
            hits = []
            for j, row in enumerate(rows.tolist()):
                row_scores = scores[:, row].tolist()
                hits.append(
                    QueryHit(
                        str(key_col[row]),
                        distance_of.get(row),
                        self._metadata_of(row, return_metadata),
                        tuple((k, s) for k, s in zip(keys, row_scores, strict=True) if s > 0.0),
                        None if fused is None else float(fused[j]),
                    )
                )
            return hits

    def _metadata_of(self, row: int, wanted: bool) -> StoredMetadata:
        # Packed: a topK of 10,000 unpacks only the page it answers, and its snapshot stays compact.
        return self._metadata[row] if wanted else None
