"""One vector index: its configuration, its float32 matrix, keys, metadata columns and text fields,
and exact search over them.

Knows nothing of HTTP or of the API's member names; raises :mod:`s3vectors_emulator.errors` classes.
One readers–writer lock per index: queries, gets and listings share it (numpy releases the GIL, so
they run in parallel), puts and deletes hold it alone, so a reader sees a write entirely or not at
all (behaviour.md#decision-consistency).  Every write goes through the journal under that lock
before memory changes (:mod:`s3vectors_emulator.store.journal`).
"""

from __future__ import annotations

import bisect
import math
import secrets
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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
from s3vectors_emulator.store.arrays import grown, held_bytes
from s3vectors_emulator.store.columns import MetadataColumns
from s3vectors_emulator.store.configuration import ENHANCED, Encryption, IndexSettings
from s3vectors_emulator.store.distances import Metric, RowNorms, rank
from s3vectors_emulator.store.filters import compile_filter, parse_filter
from s3vectors_emulator.store.journal import IndexDeleted, Journal, VectorsDeleted, VectorsPut
from s3vectors_emulator.store.locks import ReadWriteLock
from s3vectors_emulator.store.metadata import (
    Metadata,
    StoredMetadata,
    pack_metadata,
    unpack_metadata,
    validate_metadata,
)
from s3vectors_emulator.store.ranking import fuse, rank_text_only
from s3vectors_emulator.store.records import QueryHit, Record, StoredVector, check_keys, key_fits, to_float32
from s3vectors_emulator.store.text_index import TextIndex

_MIN_CAPACITY = 16
_MEMORY_ONLY = Journal()


def new_uid() -> str:
    """An identity no other bucket, index or region state ever has: page tokens are bound to it."""
    return secrets.token_hex(8)


def _crc(key: str) -> int:
    # A hash that is stable across processes (unlike hash()), so segments are reproducible.
    return zlib.crc32(key.encode("utf-8", "surrogatepass"))


class Index:
    """A vector index: configuration and data, behind one lock.

    Alone (a dimension and a metric) it is a complete searchable collection; a region gives it its
    names, ARN, settings and journal when it creates or restores one.
    """

    def __init__(
        self,
        dimension: int,
        metric: Metric,
        *,
        non_filterable_keys: Sequence[str] | None = None,
        settings: IndexSettings | None = None,
        name: str = "",
        bucket_name: str = "",
        bucket_uid: str = "",
        arn: str = "",
        creation_time: float = 0.0,
        data_type: str = "float32",
        encryption: Encryption | None = None,
        bucket_encryption: Encryption | None = None,
        uid: str | None = None,
        journal: Journal = _MEMORY_ONLY,
    ) -> None:
        self.dimension = dimension
        self.metric: Metric = metric
        self.name = name
        self.bucket_name = bucket_name
        self.bucket_uid = bucket_uid
        self.arn = arn
        self.creation_time = creation_time
        self.data_type = data_type
        # As configured (None: never given, GetIndex omits it) and as a frozen set for the checks.
        self.non_filterable_list = tuple(non_filterable_keys) if non_filterable_keys is not None else None
        self.non_filterable_keys = frozenset(non_filterable_keys or ())
        self.encryption = encryption  # its own configuration, else None
        # What its vectors are encrypted with: its own configuration, else its bucket's.
        self.effective_encryption = encryption or bucket_encryption or Encryption()
        self.uid = uid or new_uid()
        self._journal = journal
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
        # memory_bytes() walks every key and metadata blob (about 200 ms per million vectors, bench/console.py),
        # so its answer is kept until a write or a new text index makes it stale: (version, text index, bytes).
        self._held: tuple[int, TextIndex | None, int] | None = None
        self.settings = IndexSettings(ENHANCED)
        self.apply_settings(settings or IndexSettings(ENHANCED))

    # -- settings (behaviour.md#text-config-update, behaviour.md#modes-update-index-mode) ---------------------------

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def text_fields(self) -> dict[str, str | None]:
        """Searchable key → analyzer language (None: standard)."""
        return {f.key: f.language for f in self.settings.text_fields or ()}

    def apply_settings(self, settings: IndexSettings) -> None:
        """Make ``settings`` current (the caller has made them durable); a new text field is built
        from the stored vectors before this returns (behaviour.md#decision-text-search: ACTIVE at once)."""
        if settings.text_fields != self.settings.text_fields:
            self._set_text_fields({f.key: f.language for f in settings.text_fields or ()})
        self.settings = settings

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
        self._matrix = grown(self._matrix, capacity, n)
        self._key_col = grown(self._key_col, capacity, n)
        self._crc = grown(self._crc, capacity, n)
        self._norms.resize(capacity, n)

    # -- validation ----------------------------------------------------------------------------

    def check_records(self, entries: Iterable[tuple[str, Any, Any]]) -> list[Record]:
        """(key, values, metadata document) of a PutVectors as records with distinct keys; the first
        failing entry fails them all (behaviour.md#vectors-all-or-nothing).

        Per entry, in order: key bytes, dimension, NaN/Inf, cosine zero norm, metadata.  A repeated
        key: every occurrence is checked, the last one wins, in the place of its last occurrence
        (behaviour.md#vectors-duplicates).
        """
        latest: dict[str, Record] = {}
        # One errstate for the batch (entering one costs about as much as the checks of a record).
        with np.errstate(over="ignore", invalid="ignore"):
            for position, (key, values, metadata) in enumerate(entries):
                record = self._check_record(position, key, values, metadata)
                latest.pop(key, None)  # keep the order of last occurrences
                latest[key] = record
        return list(latest.values())

    def _check_record(self, position: int, key: str, values: Any, metadata: Any) -> Record:
        """One entry of :meth:`check_records` (under its errstate)."""
        if not key_fits(key):
            raise key_too_long(position)

        def fail(detail: str) -> ValidationError:
            return invalid_record(key, position, "vector", detail)

        vector = to_float32(values)
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
            # behaviour.md#vectors-zero-norm: checked on the float32 values, so components that round to 0 count as 0.
            if self.metric == "cosine" and not vector.any():
                raise fail(VECTOR_ZERO_NORM)
        checked = validate_metadata(
            metadata, record_key=key, record_index=position, non_filterable_keys=self.non_filterable_keys
        )
        return Record(key, vector, checked)

    def check_query_vector(self, values: Sequence[Any]) -> NDArray[np.float32]:
        """behaviour.md#decision-unseen-messages / behaviour.md#queries-query-vector: the query vector as float32."""
        with np.errstate(over="ignore"):
            query = to_float32(values)
        if query is None:
            raise invalid_query_vector(VECTOR_NOT_NUMBERS)
        if len(query) != self.dimension:
            raise invalid_query_vector(wrong_dimension(self.dimension, len(query)))
        if not np.isfinite(query).all():
            raise invalid_query_vector(VECTOR_NAN)
        if self.metric == "cosine" and not query.any():
            raise invalid_query_vector(VECTOR_ZERO_NORM)
        return query

    # -- writes --------------------------------------------------------------------------------

    def put(self, records: list[Record]) -> None:
        """Insert or overwrite records of distinct keys (:meth:`check_records` makes them so); the
        vector and metadata are replaced entirely (behaviour.md#vectors-overwrite); atomic for readers."""
        if records:
            self._put(VectorsPut(self, records, [pack_metadata(record.metadata) for record in records]), journal=True)

    def replay(self, change: VectorsPut) -> None:
        """Apply a put that is already durable (restore: the journal's content at start-up)."""
        self._put(change, journal=False)

    def _put(self, change: VectorsPut, journal: bool) -> None:
        records, packed = change.records, change.packed
        # Text analysis is the costly part of indexing: done before taking the lock, so readers
        # are not held up by it, and redone under the lock only if the configuration changed.
        analyzers = self._analyzers
        analyses = [analyses_of(analyzers, record.metadata) for record in records] if analyzers else []
        with self._lock.write():
            self._check_live()
            if journal:
                self._journal.write(change)
            if self._analyzers is not analyzers:
                analyzers = self._analyzers
                analyses = [analyses_of(analyzers, record.metadata) for record in records] if analyzers else []
            text = self._text
            self._version += 1
            new = sum(1 for record in records if record.key not in self._row_of)
            if self._n + new > len(self._matrix):
                self._resize(max(self._n + new, 2 * len(self._matrix)))
            touched = np.empty(len(records), dtype=np.int64)
            appended: list[Metadata] = []  # new rows' metadata, added to the columns in one batch
            for j, (key, vector, metadata) in enumerate(records):
                row = self._row_of.get(key)
                if row is None:
                    row = self._n
                    self._n += 1
                    self._row_of[key] = row
                    self._metadata.append(packed[j])
                    self._key_col[row] = key
                    self._crc[row] = _crc(key)
                    appended.append(metadata)
                    if text is not None:
                        text.put_row(row, analyses[j], overwrite=False)
                else:
                    old = self._metadata[row]
                    self._metadata[row] = packed[j]
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

    def delete(self, keys: list[str]) -> None:
        """Delete the given keys; absent keys are ignored (behaviour.md#decision-deleting-absent); atomic for
        readers."""
        check_keys(keys)
        distinct = list(dict.fromkeys(keys))
        with self._lock.write():
            self._check_live()
            self._journal.write(VectorsDeleted(self, distinct))
            self._version += 1
            text = self._text
            for key in distinct:
                row = self._row_of.pop(key, None)
                if row is None:
                    continue
                last = self._n - 1
                self._columns.remove_row(row)
                if text is not None:
                    # behaviour.md#decision-text-search: the vector leaves text results at once.
                    text.remove_row(row, last)
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

    def retire(self) -> None:
        """End the index (DeleteIndex): every write either lands before this, and is deleted with
        it, or fails afterwards with NotFound."""
        with self._lock.write():
            self._check_live()
            self._journal.write(IndexDeleted(self))
            self._retired = True

    def _check_live(self) -> None:
        if self._retired:
            raise NotFoundError(INDEX_NOT_FOUND)

    def _set_text_fields(self, fields: Mapping[str, str | None]) -> None:
        """Make exactly ``fields`` (metadata key → language) searchable.

        A new key is built from the vectors already stored; a dropped key's index is freed.  The
        analysis runs under the read lock, so queries keep running, and is redone under the write
        lock only if a write landed in between.
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

    def _vectors(self, rows: Sequence[int], with_data: bool, with_metadata: bool) -> list[StoredVector]:
        """The vectors of ``rows`` (under the read lock): values copied, so later writes do not show."""
        block = self._matrix[np.asarray(rows, dtype=np.int64)] if with_data and len(rows) else None
        return [
            StoredVector(
                str(self._key_col[row]),
                block[i] if block is not None else None,
                unpack_metadata(self._metadata[row]) if with_metadata else None,
            )
            for i, row in enumerate(rows)
        ]

    def get(self, keys: list[str], with_data: bool = False, with_metadata: bool = False) -> list[StoredVector]:
        """behaviour.md#vectors-get: request order, absent keys omitted, duplicates collapsed."""
        check_keys(keys)
        with self._lock.read():
            rows = [row for row in map(self._row_of.get, dict.fromkeys(keys)) if row is not None]
            return self._vectors(rows, with_data, with_metadata)

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
        with_data: bool = False,
        with_metadata: bool = False,
    ) -> tuple[list[StoredVector], str | None]:
        """One ListVectors page: keys in UTF-8 byte order after ``start_after``, in one segment.

        behaviour.md#decision-duplicates-and-order: segment = crc32(UTF-8 key) mod segment_count, so segments are
        disjoint and cover the
        index; a page continues strictly after a key, so a vector present and unchanged through
        a listing is returned exactly once.  Returns the page and its last key when more items
        remain in this segment (else None), for the caller to make a page token of.
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
            items = self._vectors(rows.tolist(), with_data, with_metadata)
            last = items[-1].key if more and items else None
            return items, last

    def browse(
        self,
        limit: int,
        after: str | None = None,
        prefix: str = "",
        filter_doc: Any = None,
        enhanced: bool = True,
    ) -> tuple[list[StoredVector], str | None, int]:
        """A page of vectors in key order whose key starts with ``prefix`` and whose metadata matches
        ``filter_doc`` (the QueryVectors filter language, refused as QueryVectors refuses it), after
        ``after``; returns the page (data and metadata), its last key when more follow, and how
        many vectors match in all.  For looking at an index (the console): no API operation pages
        by a filter.
        """
        evaluate = None
        if filter_doc is not None:
            evaluate = compile_filter(
                parse_filter(filter_doc, enhanced=enhanced, non_filterable_keys=self.non_filterable_keys)
            )
        with self._lock.read():
            order, sorted_keys = self._key_order()
            low = bisect.bisect_left(sorted_keys, prefix) if prefix else 0
            # Every key with the prefix sorts before the prefix followed by the highest code point.
            high = bisect.bisect_left(sorted_keys, prefix + "\U0010ffff", low) if prefix else len(sorted_keys)
            in_range = order[low:high]
            start = 0 if after is None else bisect.bisect_right(sorted_keys, after, low, high) - low
            if evaluate is None:
                matched = len(in_range)
                rows = in_range[start : start + limit]
                more = start + limit < matched
            else:
                keep = evaluate(self._columns, self._n)[in_range]
                matched = int(np.count_nonzero(keep))
                following = in_range[start:][keep[start:]]
                rows = following[:limit]
                more = len(following) > limit
            items = self._vectors(rows.tolist(), True, True)
            return items, (items[-1].key if more and items else None), matched

    def contents(self) -> tuple[list[str], NDArray[np.float32], list[StoredMetadata]]:
        """Every vector as of one moment (behaviour.md#consistency-snapshots): keys, a copy of their values and their
        packed metadata, in row order; copied under the read lock, so writes wait only for the copy."""
        with self._lock.read():
            n = self._n
            return self._key_col[:n].tolist(), self._matrix[:n].copy(), self._metadata[:n]

    def sample(self, limit: int, seed: int = 0) -> tuple[list[str], NDArray[np.float32], list[Metadata]]:
        """Up to ``limit`` vectors drawn without replacement, the same ones for the same content and
        seed (rows in key order, so the draw does not depend on the order of writes): keys, a copy
        of their values, their metadata."""
        with self._lock.read():
            order, sorted_keys = self._key_order()
            n = len(order)
            picked = (
                np.arange(n) if n <= limit else np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))
            )
            rows = order[picked]
            matrix = self._matrix[rows]
            metadata = [unpack_metadata(self._metadata[row]) for row in rows.tolist()]
            return [sorted_keys[i] for i in picked.tolist()], matrix, metadata

    def memory_bytes(self) -> int:
        """What the index holds in memory, approximately: its arrays, keys, metadata and text indexes."""
        with self._lock.read():
            cached = self._held
            if cached is not None and cached[0] == self._version and cached[1] is self._text:
                return cached[2]
            held = self._matrix.nbytes + self._crc.nbytes + held_bytes(self._norms)
            held += sum(len(k) + 16 for k in self._row_of) * 2  # the key column and the row map
            held += sum(len(m) + 33 if isinstance(m, bytes) else 0 for m in self._metadata)
            held += held_bytes(self._columns) + (held_bytes(self._text) if self._text is not None else 0)
            self._held = (self._version, self._text, held)
            return held

    def search(
        self,
        vector: Sequence[Any] | None,
        texts: Sequence[tuple[str, str]] | None,
        top_k: int,
        filter_doc: Any = None,
        enhanced: bool = True,
        with_metadata: bool = False,
    ) -> list[QueryHit]:
        """Vector, full-text or hybrid search (behaviour.md#queries-order-of-checks), at most ``top_k`` hits in rank
        order.

        ``texts`` holds (metadata key, query text) pairs.  Vector only: ascending distance.  Text
        only: descending sum of the per-key BM25 (a bool "should" query), zero scores left out.
        Both: RRF over the vector list and each key's list, each cut at ``top_k``.  Ties go by key
        ascending (behaviour.md#decision-query-results, behaviour.md#decision-text-search).  A filter restricts every
        list; BM25 statistics stay whole-index.
        """
        query = self.check_query_vector(vector) if vector is not None else None
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
                    QueryHit(str(key_col[row]), distance, self._metadata_of(row, with_metadata))
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
                        self._metadata_of(row, with_metadata),
                        tuple((k, s) for k, s in zip(keys, row_scores, strict=True) if s > 0.0),
                        None if fused is None else float(fused[j]),
                    )
                )
            return hits

    def _metadata_of(self, row: int, wanted: bool) -> StoredMetadata:
        # Packed: a topK of 10,000 unpacks only the page it answers, and its snapshot stays compact.
        return self._metadata[row] if wanted else None
