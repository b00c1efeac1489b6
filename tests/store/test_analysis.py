"""Text analysis without an index: tokenisers, the language analyzers and CJK bigrams against Lucene's
behaviour (behaviour.md#decision-text-search, behaviour.md#search-analyzers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3vectors_emulator.store import analysis
from s3vectors_emulator.store.analysis import (
    ENGLISH_STOP_WORDS,
    Analyzer,
    analyze_value,
    analyzer_for,
    cjk_bigram_tokens,
    query_terms,
    standard_tokens,
)


def terms(language: str | None, text: str) -> list[str]:
    return analyzer_for(language).analyze(text)


def test_standard_analyzer_reference_example() -> None:
    # behaviour.md#search-analyzers: the OpenSearch standard analyzer's documented example.
    assert terms(None, "It's fun to contribute a brand-new PR or 2") == [
        "it's",
        "fun",
        "to",
        "contribute",
        "a",
        "brand",
        "new",
        "pr",
        "or",
        "2",
    ]


def test_standard_tokenizer_word_boundaries() -> None:
    # UAX #29: letters around ' . : stay together, digits around , . stay together, others split.
    assert standard_tokens("U.S.A. rock'n'roll 3.14 1,000 a.1 foo_bar e-mail") == [
        "U.S.A",
        "rock'n'roll",
        "3.14",
        "1,000",
        "a",
        "1",
        "foo_bar",
        "e",
        "mail",
    ]
    assert standard_tokens("Über straße, ÉCOLE!") == ["Über", "straße", "ÉCOLE"]
    assert terms(None, "Über ÉCOLE") == ["über", "école"]
    # Han and Hiragana are one token per character, Katakana runs one token, Hangul words one token.
    assert standard_tokens("東京 ひらがな カタカナ 한국어") == [
        "東",
        "京",
        "ひ",
        "ら",
        "が",
        "な",
        "カタカナ",
        "한국어",
    ]
    assert standard_tokens("  ...  --- ") == []


@given(st.text(alphabet=st.sampled_from("aZ09_ '.,:;-!é東"), max_size=40))
def test_ascii_fast_path_agrees_with_unicode_rules(sample: str) -> None:
    # ASCII text takes a stdlib-regex fast path; it must cut exactly where the UAX #29 rules do.
    ascii_only = sample.encode("ascii", "ignore").decode()
    assert analysis._ASCII.findall(ascii_only) == analysis._STANDARD.findall(ascii_only)
    assert standard_tokens(sample) == analysis._STANDARD.findall(sample)


def test_standard_tokenizer_splits_long_tokens() -> None:
    assert [len(t) for t in standard_tokens("x" * 600)] == [255, 255, 90]


def test_english_analyzer() -> None:
    # Possessive removal, lowercase, Lucene's 33 stop words, Porter stemming.
    assert terms("en", "The dog's RUNNING quickly, and it's connected") == ["dog", "run", "quickli", "connect"]
    assert terms("en", "running runs run") == ["run", "run", "run"]
    assert terms("en", "the and of to") == []
    assert len(ENGLISH_STOP_WORDS) == 33
    assert "able" not in ENGLISH_STOP_WORDS


def test_french_analyzer_strips_elisions() -> None:
    assert terms("fr", "L'avion d'Air France") == ["avion", "air", "franc"]
    assert terms("fr", "les chanteuses chantaient") == terms("fr", "chanteuse chantaient")


@pytest.mark.parametrize(
    ("language", "text", "stop"),
    [
        ("es", "los corriendo", "los"),
        ("pt", "os correndo", "os"),
        ("it", "gli correndo", "gli"),
        ("de", "die Häuser", "die"),
        ("nl", "de huizen", "de"),
    ],
)
def test_other_language_analyzers(language: str, text: str, stop: str) -> None:
    got = terms(language, text)
    assert len(got) == 1 and stop not in got
    assert got == terms(language, text.split()[1].upper())  # lowercased and stemmed the same way


def test_italian_elision() -> None:
    assert terms("it", "l'amico dell'amica") == terms("it", "amico amica")


def test_cjk_bigrams() -> None:
    assert cjk_bigram_tokens("北京大学") == ["北京", "京大", "大学"]
    assert cjk_bigram_tokens("我 爱") == ["我", "爱"]  # a lone CJK character is a unigram
    assert cjk_bigram_tokens("東京タワー") == ["東京", "京タ", "タワ", "ワー"]
    assert cjk_bigram_tokens("안녕하세요") == ["안녕", "녕하", "하세", "세요"]
    # Non-CJK runs are standard tokens; full-width ASCII is folded first.
    assert cjk_bigram_tokens("Hello北京 ＡＢＣ it's") == ["hello", "北京", "abc", "it's"]
    for language in ("zh", "ja", "ko"):
        assert terms(language, "北京大学") == ["北京", "京大", "大学"]


def test_unknown_language() -> None:
    with pytest.raises(ValueError):
        Analyzer("xx")


def test_analyze_value_types() -> None:
    standard = analyzer_for(None)
    assert analyze_value(standard, "a b a") == ({"a": 2, "b": 1}, 3)
    # Arrays: string elements only, one after another; numbers and booleans have no text.
    assert analyze_value(standard, ["a b", "b"]) == ({"a": 1, "b": 2}, 3)
    assert analyze_value(standard, [1, 2]) is None
    assert analyze_value(standard, 7) is None
    assert analyze_value(standard, True) is None
    assert analyze_value(standard, "...") is None
    assert analyze_value(analyzer_for("en"), "the") is None  # only stop words: no tokens


def test_query_terms_count_repeats() -> None:
    assert query_terms(analyzer_for("en"), "running run the runs") == {"run": 3}
