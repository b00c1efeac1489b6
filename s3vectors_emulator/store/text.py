"""Full-text search: analyzers, inverted indexes and BM25 (behaviour.md#decision-text-search, behaviour.md#search).

AWS documents none of the internals, so the reference engine is Lucene/OpenSearch (behaviour.md#search-analyzers):

* analyzers: ``standard`` (UAX #29 word tokens, lowercased), the Lucene language analyzers for
  en, fr, es, pt, it, de, nl with Snowball stemmers, and CJK bigrams for zh, ja, ko;
* BM25 as Lucene 8+: ``idf · tf / (tf + k1·(1 − b + b·dl/avgdl))``, statistics per key over the
  whole index.

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

import re
import threading
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

import numpy as np
import regex
import snowballstemmer
import stop_words
from numpy.typing import NDArray

# behaviour.md#decision-text-search / Lucene BM25Similarity defaults.
K1 = 1.2
B = 0.75

# Compaction waits for at least this much garbage, so small indexes are not renumbered often.
COMPACT_MIN_DEAD_DOCS = 1024
COMPACT_MIN_DEAD_ENTRIES = 16384

MAX_TOKEN_LENGTH = 255  # Lucene StandardTokenizer: longer tokens are split at this length

# behaviour.md#decision-text-search: Lucene's EnglishAnalyzer default stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET),
# verbatim.
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then "
    "there these they this to was will with".split()
)

# Lucene ElisionFilter article sets: FrenchAnalyzer.DEFAULT_ARTICLES, ItalianAnalyzer.DEFAULT_ARTICLES.
FRENCH_ELISIONS = frozenset("l m t qu n s j d c jusqu quoiqu lorsqu puisqu".split())
ITALIAN_ELISIONS = frozenset("c l all dall dell nell sull coll pell gl agl dagl degl negl sugl un m t s v d".split())

# behaviour.md#decision-text-search: the Snowball algorithm per language.  English uses Snowball's original Porter, the
# stemmer of Lucene's EnglishAnalyzer (PorterStemFilter), not Porter2.
STEMMERS = {
    "en": "porter",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "it": "italian",
    "de": "german",
    "nl": "dutch",
}
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})

# -- tokenisation (UAX #29 as Lucene's StandardTokenizer applies it) ----------------------------

# Word characters that are not ideographs/kana: Han and Hiragana are one token per character,
# Katakana runs are one token (UAX #29 WB13), as StandardTokenizer emits them.
_WC = r"[\w--[\p{Han}\p{Hiragana}\p{Katakana}]]"
_WC_CJK = r"[\w--[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]]"
# UAX #29 WB6/7: letter (MidLetter | MidNumLet | Single_Quote) letter stays one word ("it's").
_MID_LETTER = r"[:·'’‘.\u0387\u05F4\u2024\u2027\uFE13\uFE52\uFE55\uFF07\uFF0E\uFF1A]"
# UAX #29 WB11/12: digit (MidNum | MidNumLet | Single_Quote) digit stays one number ("1,000.5").
_MID_NUM = (
    r"[,;.'’‘\u037E\u0589\u060C\u060D\u066C\u07F8\u2024\u2044"
    r"\uFE10\uFE14\uFE50\uFE52\uFE54\uFF07\uFF0C\uFF0E\uFF1B]"
)


def _word(wc: str) -> str:
    # WB4: format characters (soft hyphen, ZWJ...) inside a word do not break it.
    body = rf"{wc}(?:{wc}|\p{{Cf}})*"
    mid = rf"(?:(?<=[\p{{L}}\p{{M}}]){_MID_LETTER}(?=\p{{L}})|(?<=\p{{Nd}}){_MID_NUM}(?=\p{{Nd}}))"
    return rf"{body}(?:{mid}{body})*"


# The same rules restricted to ASCII, for the stdlib engine, several times faster on ASCII text.
_ASCII = re.compile(r"[A-Za-z0-9_]+(?:(?:(?<=[A-Za-z])[:'.](?=[A-Za-z])|(?<=[0-9])[,;.'](?=[0-9]))[A-Za-z0-9_]+)*")
_KATAKANA = r"[\p{Katakana}\u30FC\uFF70]+"  # U+30FC/U+FF70, the prolonged sound marks, are Katakana for WB
_STANDARD = regex.compile(rf"{_KATAKANA}|[\p{{Han}}\p{{Hiragana}}]|{_word(_WC)}", regex.V1)
_CJK_RUN = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u30FC\uFF70]+"
_CJK = regex.compile(rf"(?P<cjk>{_CJK_RUN})|{_word(_WC_CJK)}", regex.V1)
_WIDE = regex.compile(r"[\uFF01-\uFF5E\uFF65-\uFF9F]+")


def _split_long(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        if len(token) <= MAX_TOKEN_LENGTH:
            out.append(token)
        else:
            out.extend(token[i : i + MAX_TOKEN_LENGTH] for i in range(0, len(token), MAX_TOKEN_LENGTH))
    return out


def standard_tokens(text: str) -> list[str]:
    """StandardTokenizer: UAX #29 words, one token per ideograph or hiragana, not lowercased."""
    tokens = _ASCII.findall(text) if text.isascii() else _STANDARD.findall(text)
    if any(len(t) > MAX_TOKEN_LENGTH for t in tokens):
        tokens = _split_long(tokens)
    return tokens


def cjk_bigram_tokens(text: str) -> list[str]:
    """Lucene CJKAnalyzer: width folding, lowercase, then CJKBigramFilter.

    A run of adjacent Han/Hiragana/Katakana/Hangul characters becomes its overlapping bigrams;
    a lone CJK character stays a unigram.  Other text is tokenised as the standard analyzer does.
    """
    if text.isascii():
        return [token.lower() for token in standard_tokens(text)]
    # CJKWidthFilter: full-width ASCII → ASCII, half-width katakana → full-width (NFKC does both).
    text = _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    out: list[str] = []
    for match in _CJK.finditer(text):
        run = match.group()
        if match.group("cjk") is None:
            out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return _split_long(out) if any(len(t) > MAX_TOKEN_LENGTH for t in out) else out


# -- analyzers -------------------------------------------------------------------------------------


class _Stemmers(threading.local):
    """PyStemmer's stemmer objects are not thread-safe: one per thread and language."""

    def __init__(self) -> None:
        self.by_algorithm: dict[str, Any] = {}

    def get(self, algorithm: str) -> Any:
        stemmer = self.by_algorithm.get(algorithm)
        if stemmer is None:
            stemmer = self.by_algorithm[algorithm] = snowballstemmer.stemmer(algorithm)
        return stemmer


_stemmers = _Stemmers()


def _strip_possessive(token: str) -> str:
    # Lucene EnglishPossessiveFilter: a trailing 's (', ’ or ＇, then s or S) is removed.
    if len(token) >= 2 and token[-1] in "sS" and token[-2] in "'\u2019\uff07":
        return token[:-2]
    return token


def _strip_elision(articles: frozenset[str]) -> Callable[[str], str]:
    def strip(token: str) -> str:
        # Lucene ElisionFilter: "l'avion" → "avion" when the part before the apostrophe is an article.
        for i, char in enumerate(token):
            if char in "'\u2019":
                return token[i + 1 :] if token[:i].lower() in articles else token
        return token

    return strip


@cache
def language_stop_words(language: str) -> frozenset[str]:
    """The stop list of a language analyzer (behaviour.md#decision-text-search): Lucene's 33 English words, else
    `stop-words`."""
    if language == "en":
        return ENGLISH_STOP_WORDS
    return frozenset(word.lower() for word in stop_words.get_stop_words(language))


class Analyzer:
    """Text → terms, for one language code (None = the standard analyzer)."""

    def __init__(self, language: str | None = None) -> None:
        self.language = language
        self._stop: frozenset[str] = frozenset()
        self._algorithm: str | None = None
        self._before_lowercase: Callable[[str], str] | None = None
        if language in STEMMERS:
            self._stop = language_stop_words(language)
            self._algorithm = STEMMERS[language]
            if language == "en":
                self._before_lowercase = _strip_possessive
            elif language == "fr":
                self._before_lowercase = _strip_elision(FRENCH_ELISIONS)
            elif language == "it":
                self._before_lowercase = _strip_elision(ITALIAN_ELISIONS)
        elif language is not None and language not in CJK_LANGUAGES:
            raise ValueError(f"unknown language {language!r}")

    def __repr__(self) -> str:
        return f"Analyzer({self.language!r})"

    def analyze(self, text: str) -> list[str]:
        if self.language in CJK_LANGUAGES:
            return cjk_bigram_tokens(text)
        tokens = standard_tokens(text)
        if self._algorithm is None:
            return [token.lower() for token in tokens]
        if self._before_lowercase is not None:
            tokens = [self._before_lowercase(token) for token in tokens]
        stop = self._stop
        kept = [token for token in (t.lower() for t in tokens) if token and token not in stop]
        return _stemmers.get(self._algorithm).stemWords(kept)


@cache
def analyzer_for(language: str | None) -> Analyzer:
    return Analyzer(language)


Analysis = tuple[dict[str, int], int]  # term → frequency, and the document length in tokens


def analyze_value(analyzer: Analyzer, value: Any) -> Analysis | None:
    """The terms of one metadata value, or None when it has none.

    behaviour.md#text-config-create [RECOMMENDED]: a string is analyzed; an array contributes its string elements,
    one after another (a multi-valued field); numbers and booleans have no text and are ignored.
    """
    if isinstance(value, str):
        terms = analyzer.analyze(value)
    elif isinstance(value, list):
        terms = [term for element in value if isinstance(element, str) for term in analyzer.analyze(element)]
    else:
        return None
    if not terms:
        return None
    return dict(Counter(terms)), len(terms)


def query_terms(analyzer: Analyzer, text: str) -> dict[str, int]:
    """Analyzed query terms with their multiplicity.

    behaviour.md#decision-text-search: the terms are OR-ed.  A repeated term counts once per occurrence, as in Lucene,
    whose
    BooleanQuery merges duplicate SHOULD clauses by summing their boosts.
    """
    return dict(Counter(analyzer.analyze(text)))


def idf(n_docs: int, doc_freq: float | NDArray[np.float64]) -> Any:
    """behaviour.md#decision-text-search: Lucene's BM25 idf, ln(1 + (N − n + 0.5) / (n + 0.5))."""
    return np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def bm25(tf: Any, dl: Any, avgdl: float, n_docs: int, doc_freq: int) -> Any:
    """behaviour.md#decision-text-search: one term's BM25 score, idf · tf / (tf + k1·(1 − b + b·dl/avgdl)) (Lucene
    8+)."""
    return idf(n_docs, doc_freq) * tf / (tf + K1 * (1.0 - B + B * dl / avgdl))


# -- inverted index ------------------------------------------------------------------------------


class _Postings:
    __slots__ = ("docs", "tfs")

    def __init__(self) -> None:
        self.docs = array("i")
        self.tfs = array("i")


def _grow(values: NDArray[Any], capacity: int, fill: int) -> NDArray[Any]:
    grown = np.full(capacity, fill, dtype=values.dtype)
    grown[: len(values)] = values
    return grown


class TextField:
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
        self.doc_len = _grow(self.doc_len, capacity, 0)
        self.doc_terms = _grow(self.doc_terms, capacity, 0)

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
        self.fields: dict[str, TextField] = {}

    # -- fields --------------------------------------------------------------------------------

    def add_field(self, key: str, language: str | None, analyses: Iterable[Analysis | None]) -> None:
        """A new field, filled from ``analyses``, one per row in row order."""
        fld = TextField(key, language, len(self.row_of_doc))
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
            self.row_of_doc = _grow(self.row_of_doc, capacity, -1)
            for fld in self.fields.values():
                fld.grow(capacity)
        if row >= len(self.doc_of_row):
            self.doc_of_row = _grow(self.doc_of_row, max(row + 1, 2 * len(self.doc_of_row)), -1)
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
        """Index ``row``'s values (an overwrite replaces everything of the row, behaviour.md#metadata)."""
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
        self.row_of_doc = _grow(rows[alive], capacity, -1)
        for fld in self.fields.values():
            fld.grow(capacity)
        live_rows = rows[alive]
        self.doc_of_row[live_rows] = np.arange(self.live_docs)
        self.next_doc = self.live_docs

    # -- reads ---------------------------------------------------------------------------------

    def scores(self, key: str, terms: Mapping[str, int], n_rows: int) -> NDArray[np.float64]:
        return self.fields[key].scores(terms, self.row_of_doc, n_rows)


def analyses_of(analyzers: Mapping[str, Analyzer], metadata: Mapping[str, Any]) -> dict[str, Analysis]:
    """The analysis of each searchable key a vector's metadata has text for."""
    out: dict[str, Analysis] = {}
    for key, analyzer in analyzers.items():
        value = metadata.get(key)
        if value is not None:
            analysis = analyze_value(analyzer, value)
            if analysis is not None:
                out[key] = analysis
    return out
