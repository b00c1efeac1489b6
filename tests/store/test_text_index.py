"""Full-text search through an Index, without HTTP: BM25, hybrid RRF and the inverted indexes
(behaviour.md#decision-text-search, behaviour.md#search).

BM25 is checked against a pure-Python computation written here from the formula in
behaviour.md#decision-text-search, and the index against that brute force after random puts,
overwrites and deletes (row moves, compaction).
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from typing import Any

import pytest
from support import checked, make_index, set_text_fields, wire_field_list

from s3vectors_emulator.errors import ValidationError
from s3vectors_emulator.store import text_index
from s3vectors_emulator.store.analysis import Analyzer
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.ranking import RRF_K

# ---------------------------------------------------------------------------------------------
# BM25 against a hand computation
# ---------------------------------------------------------------------------------------------


def vec(key: str, metadata: Any = None, data: list[float] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"key": key, "data": {"float32": data or [1.0, 0.0]}}
    if metadata is not None:
        record["metadata"] = metadata
    return record


def make(records: list[dict[str, Any]], fields: dict[str, str | None] | None = None) -> Index:
    index = make_index(2, "euclidean", frozenset(), fields if fields is not None else {"body": None})
    index.put(checked(index, records))
    return index


def hand_bm25(tf: int, dl: int, avgdl: float, n_docs: int, doc_freq: int) -> float:
    idf = math.log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
    return idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))


def test_bm25_tiny_corpus_by_hand() -> None:
    index = make(
        [
            vec("a", {"body": "apple banana apple"}),
            vec("b", {"body": "banana cherry"}),
            vec("c", {"body": "cherry cherry cherry date"}),
            vec("d", {"other": "apple"}),  # no value for the key: not in N
        ]
    )
    hits = index.search(None, [("body", "apple cherry")], 10)
    avgdl = (3 + 2 + 4) / 3
    expected = {
        "a": hand_bm25(2, 3, avgdl, 3, 1),
        "b": hand_bm25(1, 2, avgdl, 3, 2),
        "c": hand_bm25(3, 4, avgdl, 3, 2),
    }
    assert [h.key for h in hits] == sorted(expected, key=lambda k: -expected[k])
    for hit in hits:
        assert hit.distance is None and hit.fused is None
        assert hit.bm25[0][0] == "body"
        assert hit.bm25[0][1] == pytest.approx(expected[hit.key], abs=1e-12)


def test_rarer_term_and_shorter_document_rank_first() -> None:
    index = make(
        [
            vec("common1", {"body": "the cat"}),
            vec("common2", {"body": "the dog"}),
            vec("rare", {"body": "the zebra"}),
            vec("long", {"body": "the zebra was seen with many other animals"}),
        ]
    )
    assert [h.key for h in index.search(None, [("body", "the zebra")], 10)][:2] == ["rare", "long"]


def test_repeated_query_term_counts_twice() -> None:
    index = make([vec("a", {"body": "x y"}), vec("b", {"body": "y z"})])
    once = {h.key: h.bm25[0][1] for h in index.search(None, [("body", "x")], 10)}
    twice = {h.key: h.bm25[0][1] for h in index.search(None, [("body", "x x")], 10)}
    assert twice["a"] == pytest.approx(2 * once["a"])


def test_zero_scores_never_returned_and_ties_by_key() -> None:
    index = make([vec(k, {"body": "same words"}) for k in ("c", "a", "b")] + [vec("z", {"body": "other"})])
    assert [h.key for h in index.search(None, [("body", "words")], 10)] == ["a", "b", "c"]
    assert [h.key for h in index.search(None, [("body", "words")], 2)] == ["a", "b"]
    assert index.search(None, [("body", "absent")], 10) == []


def test_text_only_sums_keys() -> None:
    fields = {"title": None, "body": "en"}
    index = make(
        [
            vec("a", {"title": "alpha", "body": "nothing"}),
            vec("b", {"title": "alpha", "body": "running"}),
            vec("c", {"title": "gamma", "body": "run"}),
        ],
        fields,
    )
    hits = index.search(None, [("title", "alpha"), ("body", "runs")], 10)
    assert [h.key for h in hits][0] == "b"
    by_key = {h.key: dict(h.bm25) for h in hits}
    assert set(by_key["a"]) == {"title"} and set(by_key["b"]) == {"title", "body"} and set(by_key["c"]) == {"body"}
    totals = {k: sum(v.values()) for k, v in by_key.items()}
    assert [h.key for h in hits] == sorted(totals, key=lambda k: (-totals[k], k))


def test_statistics_are_whole_index_under_a_filter() -> None:
    records = [vec(f"k{i}", {"body": "common" if i else "common rare", "n": i}) for i in range(5)]
    index = make(records)
    unfiltered = {h.key: h.bm25[0][1] for h in index.search(None, [("body", "common")], 10)}
    filtered = index.search(None, [("body", "common")], 10, {"n": {"$gte": 3}})
    assert [h.key for h in filtered] == ["k3", "k4"]
    for hit in filtered:
        assert hit.bm25[0][1] == unfiltered[hit.key]


def test_hybrid_rrf() -> None:
    index = make(
        [
            vec("a", {"body": "blue sky"}, [0.0, 0.0]),
            vec("b", {"body": "blue blue"}, [1.0, 0.0]),
            vec("c", {"body": "red sky"}, [2.0, 0.0]),
            vec("d", {"body": "blue sky"}, [3.0, 0.0]),
        ]
    )
    hits = index.search([0.0, 0.0], [("body", "blue")], 2)
    # Vector list (top 2): a, b.  Text list (top 2): b (tf 2), then a/d tie (same score) → a.
    # So a = 1/(k+1) + 1/(k+2) and b = 1/(k+2) + 1/(k+1); c and d are in no list.
    expected = {"a": 1 / (RRF_K + 1) + 1 / (RRF_K + 2), "b": 1 / (RRF_K + 2) + 1 / (RRF_K + 1)}
    assert [h.key for h in hits] == ["a", "b"]  # equal fused scores: ties by key
    for hit in hits:
        assert hit.fused == pytest.approx(expected[hit.key])
        assert hit.distance is not None
    assert hits[0].fused == hits[1].fused  # exactly equal, whatever the summation order


def test_hybrid_result_outside_the_vector_list_has_no_distance() -> None:
    index = make(
        [
            vec("near", {"body": "nothing"}, [0.0, 0.0]),
            vec("far", {"body": "needle"}, [9.0, 0.0]),
        ]
    )
    # topK 2: both lists hold both documents (near has no BM25, so the text list is just far).
    hits = {h.key: h for h in index.search([0.0, 0.0], [("body", "needle")], 2)}
    assert hits["far"].distance == 81.0 and hits["near"].distance == 0.0 and hits["near"].bm25 == ()
    # topK 1: vector list [near], text list [far], both 1/(k+1): ties by key, "far" < "near".
    hits1 = index.search([0.0, 0.0], [("body", "needle")], 1)
    assert [h.key for h in hits1] == ["far"] and hits1[0].distance is None


def test_unconfigured_key_refused() -> None:
    index = make([vec("a", {"body": "x"})])
    with pytest.raises(ValidationError) as info:
        index.search(None, [("body", "x"), ("title", "x")], 5)
    assert info.value.message == "Metadata key 'title' is not configured for full-text search"
    assert wire_field_list(info.value) == [
        {"path": "queryTexts[1].metadataKey", "message": "Metadata key 'title' is not configured for full-text search"}
    ]


def test_empty_index_and_stop_word_only_query() -> None:
    assert make([], {"body": "en"}).search(None, [("body", "x")], 5) == []
    assert make([vec("a", {"body": "the x"})], {"body": "en"}).search(None, [("body", "the")], 5) == []


# ---------------------------------------------------------------------------------------------
# Configuration changes and consistency with writes
# ---------------------------------------------------------------------------------------------


def test_fields_added_later_and_removed() -> None:
    index = make([vec("a", {"body": "hello", "title": "world"})], {})
    assert index._text is None
    set_text_fields(index, {"title": None})
    assert [h.key for h in index.search(None, [("title", "world")], 5)] == ["a"]
    set_text_fields(index, {"title": None, "body": "en"})
    assert [h.key for h in index.search(None, [("body", "hello")], 5)] == ["a"]
    set_text_fields(index, {"body": "en"})
    with pytest.raises(ValidationError):
        index.search(None, [("title", "world")], 5)
    set_text_fields(index, {})
    assert index._text is None


def test_overwrite_and_delete_drop_out() -> None:
    index = make([vec("a", {"body": "apple"}), vec("b", {"body": "apple"}), vec("c", {"body": "pear"})])
    index.put(checked(index, [vec("a", {"body": "pear"})]))
    assert [h.key for h in index.search(None, [("body", "apple")], 5)] == ["b"]
    index.delete(["b"])  # "c" moves into b's row
    assert index.search(None, [("body", "apple")], 5) == []
    assert [h.key for h in index.search(None, [("body", "pear")], 5)] == ["a", "c"]
    index.put(checked(index, [vec("a", {"other": 1})]))  # overwrite drops the key entirely
    assert [h.key for h in index.search(None, [("body", "pear")], 5)] == ["c"]


WORDS = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]


def brute(docs: dict[str, dict[str, Any]], key: str, query: str, language: str | None) -> dict[str, float]:
    """BM25 per document from scratch, straight from the behaviour.md#decision-text-search formula."""
    analyzer = Analyzer(language)
    analysed: dict[str, Counter[str]] = {}
    for name, metadata in docs.items():
        value = metadata.get(key)
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, list):
            values = [v for v in value if isinstance(v, str)]
        else:
            values = []
        tokens = [t for v in values for t in analyzer.analyze(v)]
        if tokens:
            analysed[name] = Counter(tokens)
    n_docs = len(analysed)
    if not n_docs:
        return {}
    avgdl = sum(sum(c.values()) for c in analysed.values()) / n_docs
    scores: dict[str, float] = {}
    for term, weight in Counter(analyzer.analyze(query)).items():
        holders = [name for name, c in analysed.items() if term in c]
        for name in holders:
            dl = sum(analysed[name].values())
            scores[name] = scores.get(name, 0.0) + weight * hand_bm25(
                analysed[name][term], dl, avgdl, n_docs, len(holders)
            )
    return scores


@pytest.mark.parametrize("seed", range(6))
def test_random_writes_match_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small thresholds so the renumbering compaction runs many times.
    monkeypatch.setattr(text_index, "COMPACT_MIN_DEAD_DOCS", 3)
    monkeypatch.setattr(text_index, "COMPACT_MIN_DEAD_ENTRIES", 5)
    rng = random.Random(seed)
    index = make_index(2, "euclidean", frozenset(), {"body": None})
    docs: dict[str, dict[str, Any]] = {}
    for step in range(120):
        action = rng.random()
        if action < 0.6:
            batch = []
            for _ in range(rng.randint(1, 4)):
                key = f"k{rng.randint(0, 25)}"
                choice = rng.random()
                if choice < 0.7:
                    metadata: dict[str, Any] = {"body": " ".join(rng.choices(WORDS, k=rng.randint(1, 6)))}
                elif choice < 0.85:
                    metadata = {"body": [" ".join(rng.choices(WORDS, k=2)), "eta"]}
                else:
                    metadata = {"body": rng.randint(0, 3)}
                batch.append(vec(key, metadata))
                docs[key] = metadata
            index.put(checked(index, batch))
        elif action < 0.9:
            keys = [f"k{rng.randint(0, 25)}" for _ in range(rng.randint(1, 3))]
            index.delete(keys)
            for key in keys:
                docs.pop(key, None)
        elif action < 0.95:
            set_text_fields(index, {})
            set_text_fields(index, {"body": None})
        if step % 5 == 0:
            query = " ".join(rng.sample(WORDS, 2))
            expected = brute(docs, "body", query, None)
            hits = index.search(None, [("body", query)], 100)
            assert {h.key: h.bm25[0][1] for h in hits} == pytest.approx(expected, rel=1e-12)
            assert [h.key for h in hits] == sorted(expected, key=lambda k: (-expected[k], k))


def test_readers_see_whole_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    # behaviour.md#decision-consistency: every document always holds "alpha" or "beta", so a reader must always find all
    # of them, whatever overwrites (new document ids) and compactions run alongside.
    monkeypatch.setattr(text_index, "COMPACT_MIN_DEAD_DOCS", 8)
    monkeypatch.setattr(text_index, "COMPACT_MIN_DEAD_ENTRIES", 8)
    index = make([vec(f"k{i}", {"body": "alpha"}) for i in range(40)])
    done = threading.Event()
    failures: list[str] = []

    def write() -> None:
        rng = random.Random(1)
        for _ in range(200):
            batch = [
                vec(f"k{rng.randint(0, 39)}", {"body": rng.choice(["alpha", "beta", "alpha beta"])}) for _ in range(5)
            ]
            index.put(checked(index, batch))
        done.set()

    def read() -> None:
        while not done.is_set():
            hits = index.search(None, [("body", "alpha beta")], 100)
            if len(hits) != 40:
                failures.append(f"{len(hits)} hits")

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
