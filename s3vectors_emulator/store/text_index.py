"""Full-text search's inverted indexes and BM25 (behaviour.md#decision-text-search, behaviour.md#search).

BM25 as Lucene 8+ (the engine followed, behaviour.md#search-analyzers): ``idf · tf / (tf + k1·(1 − b + b·dl/avgdl))``,
statistics per key over the whole index.  Terms come from :mod:`s3vectors_emulator.store.analysis`.

Storage
-------
Every vector of an index with text configurations has a *document id*, stable while its row moves
(DeleteVectors moves the last row into the hole) and shared by all searchable keys.  Per key, a
term owns two append-only ``array('i')`` columns, document ids and term frequencies; a write
appends, a delete or an overwrite only marks the old document id dead (``row_of_doc = −1``) and
subtracts its length from the key's statistics, both O(1).  An overwrite gets a fresh id.  Query
time gathers a term's postings with numpy, maps ids to rows with one ``row_of_doc[docs]``
(−1 = dead, dropped) and scores every document at once: no Python loop over documents.  When dead
ids outnumber live ones, every column is compacted and the ids renumbered (amortised O(1) per
delete).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from s3vectors_emulator.store.analysis import Analysis, analyzer_for
from s3vectors_emulator.store.arrays import grown

# behaviour.md#decision-text-search / Lucene BM25Similarity defaults.
K1 = 1.2
B = 0.75

# Compaction waits for at least this much garbage, so small indexes are not renumbered often.
COMPACT_MIN_DEAD_DOCS = 1024
COMPACT_MIN_DEAD_ENTRIES = 16384


def idf(n_docs: int, doc_freq: float | NDArray[np.float64]) -> Any:
    """behaviour.md#decision-text-search: Lucene's BM25 idf, ln(1 + (N − n + 0.5) / (n + 0.5))."""
    return np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def bm25(tf: Any, dl: Any, avgdl: float, n_docs: int, doc_freq: int) -> Any:
    """behaviour.md#decision-text-search: one term's BM25 score, idf · tf / (tf + k1·(1 − b + b·dl/avgdl)) (Lucene
    8+)."""
    return idf(n_docs, doc_freq) * tf / (tf + K1 * (1.0 - B + B * dl / avgdl))


class _Postings:
    __slots__ = ("docs", "tfs")

    def __init__(self) -> None:
        self.docs = array("i")
        self.tfs = array("i")


class FieldPostings:
    """The inverted index of one searchable metadata key."""

    def __init__(self, key: str, language: str | None, capacity: int) -> None:
        self.key = key
        self.language = language
        self.analyzer = analyzer_for(language)
        self.postings: dict[str, _Postings] = {}
        self.doc_len = np.zeros(capacity, dtype=np.int32)  # tokens per document id (0 = none)
        self.doc_terms = np.zeros(capacity, dtype=np.int32)  # distinct terms per document id
        # Statistics over the live documents that have at least one token for this key, as Lucene's docCount and
        # sumTotalTermFreq (behaviour.md#decision-text-search: whole index, never the filtered subset).
        self.n_docs = 0
        self.total_len = 0
        self.entries = 0  # postings entries, live and dead
        self.dead_entries = 0

    def grow(self, capacity: int) -> None:
        self.doc_len = grown(self.doc_len, capacity, len(self.doc_len), 0)
        self.doc_terms = grown(self.doc_terms, capacity, len(self.doc_terms), 0)

    def add(self, doc: int, analysis: Analysis) -> None:
        terms, length = analysis
        postings = self.postings
        for term, tf in terms.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = _Postings()
            entry.docs.append(doc)
            entry.tfs.append(tf)
        self.doc_len[doc] = length
        self.doc_terms[doc] = len(terms)
        self.n_docs += 1
        self.total_len += length
        self.entries += len(terms)

    def kill(self, doc: int) -> None:
        """Forget ``doc`` in the statistics; its postings entries die with its id."""
        length = int(self.doc_len[doc])
        if length:
            self.n_docs -= 1
            self.total_len -= length
            self.dead_entries += int(self.doc_terms[doc])

    def compact(self, new_id: NDArray[np.int64], alive: NDArray[np.bool_]) -> None:
        """Drop dead entries and renumber ids (``new_id`` maps old id → new id, −1 = dead)."""
        for term in list(self.postings):
            entry = self.postings[term]
            docs = new_id[np.frombuffer(entry.docs, dtype=np.int32)]
            keep = docs >= 0
            if not keep.any():
                del self.postings[term]
                continue
            tfs = np.frombuffer(entry.tfs, dtype=np.int32)[keep]
            entry.docs = array("i", docs[keep].astype(np.int32).tobytes())
            entry.tfs = array("i", tfs.tobytes())
        self.doc_len = self.doc_len[: len(alive)][alive].copy()
        self.doc_terms = self.doc_terms[: len(alive)][alive].copy()
        self.entries -= self.dead_entries
        self.dead_entries = 0

    def scores(self, terms: Mapping[str, int], row_of_doc: NDArray[np.int64], n_rows: int) -> NDArray[np.float64]:
        """BM25 of every row for the OR of ``terms`` (0 where nothing matches), vectorised."""
        out = np.zeros(n_rows, dtype=np.float64)
        n_docs = self.n_docs
        if n_docs == 0:
            return out
        avgdl = self.total_len / n_docs
        for term, weight in terms.items():
            entry = self.postings.get(term)
            if entry is None:
                continue
            docs = np.frombuffer(entry.docs, dtype=np.int32)
            rows = row_of_doc[docs]
            live = rows >= 0
            tfs = np.frombuffer(entry.tfs, dtype=np.int32)
            if not live.all():
                rows, docs, tfs = rows[live], docs[live], tfs[live]
            doc_freq = len(rows)
            if doc_freq == 0:
                continue
            # A term appears once per document in its postings, so rows are distinct: += is safe.
            out[rows] += weight * bm25(tfs.astype(np.float64), self.doc_len[docs], avgdl, n_docs, doc_freq)
        return out


class TextIndex:
    """The text fields of one vector index and the row ↔ document-id maps they share.

    Not thread-safe by itself: the owning index serialises writers against readers.
    """

    def __init__(self, n_rows: int) -> None:
        capacity = max(16, n_rows)
        # Existing rows get ids 0..n-1.
        self.doc_of_row = np.full(capacity, -1, dtype=np.int64)
        self.doc_of_row[:n_rows] = np.arange(n_rows)
        self.row_of_doc = np.full(capacity, -1, dtype=np.int64)
        self.row_of_doc[:n_rows] = np.arange(n_rows)
        self.next_doc = n_rows
        self.live_docs = n_rows
        self.fields: dict[str, FieldPostings] = {}

    # -- fields --------------------------------------------------------------------------------

    def add_field(self, key: str, language: str | None, analyses: Iterable[Analysis | None]) -> None:
        """A new field, filled from ``analyses``, one per row in row order."""
        fld = FieldPostings(key, language, len(self.row_of_doc))
        for row, analysis in enumerate(analyses):
            if analysis is not None:
                fld.add(int(self.doc_of_row[row]), analysis)
        self.fields[key] = fld

    def remove_field(self, key: str) -> None:
        self.fields.pop(key, None)

    # -- rows ----------------------------------------------------------------------------------

    def _new_doc(self, row: int) -> int:
        doc = self.next_doc
        if doc >= len(self.row_of_doc):
            capacity = 2 * len(self.row_of_doc)
            self.row_of_doc = grown(self.row_of_doc, capacity, len(self.row_of_doc), -1)
            for fld in self.fields.values():
                fld.grow(capacity)
        if row >= len(self.doc_of_row):
            self.doc_of_row = grown(self.doc_of_row, max(row + 1, 2 * len(self.doc_of_row)), len(self.doc_of_row), -1)
        self.next_doc += 1
        self.live_docs += 1
        self.row_of_doc[doc] = row
        self.doc_of_row[row] = doc
        return doc

    def _kill(self, doc: int) -> None:
        self.row_of_doc[doc] = -1
        self.live_docs -= 1
        for fld in self.fields.values():
            fld.kill(doc)

    def put_row(self, row: int, analyses: Mapping[str, Analysis], overwrite: bool) -> None:
        """Index ``row``'s values (an overwrite replaces everything of the row, behaviour.md#vectors-overwrite)."""
        if overwrite:
            self._kill(int(self.doc_of_row[row]))
        doc = self._new_doc(row)
        for key, analysis in analyses.items():
            fld = self.fields.get(key)
            if fld is not None:
                fld.add(doc, analysis)

    def remove_row(self, row: int, last: int) -> None:
        """Delete ``row``; the last row moves into the hole, as the vector matrix row does."""
        self._kill(int(self.doc_of_row[row]))
        if row != last:
            moved = int(self.doc_of_row[last])
            self.doc_of_row[row] = moved
            self.row_of_doc[moved] = row
        self.doc_of_row[last] = -1

    def maybe_compact(self) -> None:
        """Renumber when dead ids or entries outnumber live ones (amortised over those deletes)."""
        dead_docs = self.next_doc - self.live_docs
        dead_entries = sum(f.dead_entries for f in self.fields.values())
        live_entries = sum(f.entries for f in self.fields.values()) - dead_entries
        if dead_docs <= max(COMPACT_MIN_DEAD_DOCS, self.live_docs) and dead_entries <= max(
            COMPACT_MIN_DEAD_ENTRIES, live_entries
        ):
            return
        rows = self.row_of_doc[: self.next_doc]
        alive = rows >= 0
        new_id = np.full(self.next_doc, -1, dtype=np.int64)
        new_id[alive] = np.arange(self.live_docs)
        for fld in self.fields.values():
            fld.compact(new_id, alive)
        capacity = max(16, 2 * self.live_docs)
        live_rows = rows[alive]
        self.row_of_doc = grown(live_rows, capacity, len(live_rows), -1)
        for fld in self.fields.values():
            fld.grow(capacity)
        self.doc_of_row[live_rows] = np.arange(self.live_docs)
        self.next_doc = self.live_docs

    # -- reads ---------------------------------------------------------------------------------

    def scores(self, key: str, terms: Mapping[str, int], n_rows: int) -> NDArray[np.float64]:
        return self.fields[key].scores(terms, self.row_of_doc, n_rows)
