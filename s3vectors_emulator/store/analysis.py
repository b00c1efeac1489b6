"""Text analysis for full-text search: text to terms, as Lucene's analyzers do
(behaviour.md#decision-text-search, behaviour.md#search).

AWS documents none of the internals, so the emulator follows Lucene/OpenSearch (behaviour.md#search-analyzers):
``standard`` (UAX #29 word tokens, lowercased), the Lucene language analyzers for en, fr, es, pt, it,
de, nl with Snowball stemmers, and CJK bigrams for zh, ja, ko.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import regex
import snowballstemmer
import stop_words

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
