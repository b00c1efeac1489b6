"""Full-text and hybrid search: configurations, `queryTexts`, scores, BM25 and RRF (behaviour.md#search;
behaviour.md#decision-text-search).

AWS documents the API but none of the internals (analyzers, BM25 parameters, the RRF constant), so the
sourced tests check shapes, refusals and which documents come back; the behaviour.md#decision-text-search tests check
the emulator's
Lucene-style choices through orders and presence. Score values are compared with a BM25 or RRF computed here
only on the emulator target. CLASSIC indexes exist only on the emulator (``--legacy-buckets``): those tests are
skipped elsewhere.
"""

from __future__ import annotations

import math

import pytest

from conformance.helpers import error_of, put_all

ORIGIN = {"float32": [0.0, 0.0]}


def text_index(buckets, bucket, *configs, name="idx", metric="euclidean", **metadata):
    """A 2-dimensional index whose ``configs`` (metadata keys, or full configuration dicts) are searchable."""
    entries = [c if isinstance(c, dict) else {"metadataKey": c} for c in configs]
    configuration = {"textSearchConfigurations": entries, **metadata} if entries or metadata else None
    extra = {"metadataConfiguration": configuration} if configuration else {}
    return buckets.index(bucket, name, dimension=2, metric=metric, **extra)


def put(client, where, docs):
    """``docs``: key -> metadata, or key -> (vector, metadata); the vector defaults to [1, 0]."""
    vectors = []
    for key, value in docs.items():
        vector, metadata = value if isinstance(value, tuple) else ([1.0, 0.0], value)
        vectors.append({"key": key, "data": {"float32": list(vector)}, "metadata": metadata})
    put_all(client, where, vectors)


def texts(**by_key):
    return [{"metadataKey": key, "text": text} for key, text in by_key.items()]


def keys(result):
    return [v["key"] for v in result["vectors"]]


def configurations(client, where):
    index = client.get_index(**where)["index"]
    return {c["metadataKey"]: c for c in index.get("metadataConfiguration", {}).get("textSearchConfigurations", [])}


def bm25(tf, dl, avgdl, n_docs, doc_freq):
    """behaviour.md#decision-text-search, written out: Lucene 8+ BM25, k1 = 1.2, b = 0.75."""
    idf = math.log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
    return idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))


def rrf(*ranked_lists):
    """behaviour.md#decision-text-search, written out: RRF with k = 60 and 1-based ranks."""
    fused = {}
    for ranked in ranked_lists:
        for rank, key in enumerate(ranked, start=1):
            fused[key] = fused.get(key, 0.0) + 1 / (60 + rank)
    return fused


def all_pages(client, where, **params):
    pages, token = [], {}
    while True:
        page = client.query_vectors(**where, **params, **token)
        pages.append(page["vectors"])
        if not page.get("nextToken"):
            return pages
        token = {"nextToken": page["nextToken"]}


# -- configuration (behaviour.md#text-config-create, behaviour.md#text-config-status)
# -----------------------------------------------------------------------


@pytest.mark.ref("text-config-create")
def test_configuration_at_creation_shows_in_get_index_with_status(client, buckets, bucket):
    where = text_index(buckets, bucket, {"metadataKey": "body", "language": "en"}, "title")
    config = configurations(client, where)
    assert set(config) == {"body", "title"}
    assert config["body"]["language"] == "en"
    assert all(c["status"] in {"ACTIVE", "BUILDING"} for c in config.values())


@pytest.mark.ref("text-config-create")
def test_searchable_key_may_be_non_filterable(client, buckets, bucket):
    where = text_index(buckets, bucket, "body", nonFilterableMetadataKeys=["body"])
    put(client, where, {"hit": {"body": "needle in a haystack"}, "miss": {"body": "hay"}})
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="needle"))) == ["hit"]


@pytest.mark.ref("text-config-update")
def test_update_metadata_configuration_add_and_delete_answer_the_index_arn(client, buckets, bucket):
    where = text_index(buckets, bucket)
    arn = client.get_index(**where)["index"]["indexArn"]
    added = client.update_metadata_configuration(**where, add={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert added["indexArn"] == arn
    assert set(configurations(client, where)) == {"body"}
    client.update_metadata_configuration(
        indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": "title", "language": "en"}]}
    )
    assert set(configurations(client, where)) == {"body", "title"}
    deleted = client.update_metadata_configuration(
        indexArn=arn, delete={"textSearchConfigurations": [{"metadataKey": "body"}]}
    )
    assert deleted["indexArn"] == arn
    assert set(configurations(client, where)) == {"title"}


@pytest.mark.ref("text-config-update")
def test_add_and_delete_together_are_refused(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    err = error_of(
        client.update_metadata_configuration,
        **where,
        add={"textSearchConfigurations": [{"metadataKey": "title"}]},
        delete={"textSearchConfigurations": [{"metadataKey": "body"}]},
    )
    assert (err.code, err.status) == ("ValidationException", 400)
    assert set(configurations(client, where)) == {"body"}  # nothing changed


@pytest.mark.decision("decision-text-search")
def test_configurations_are_active_at_once(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    assert configurations(client, where)["body"]["status"] == "ACTIVE"
    put(client, where, {"q": {"title": "Quantum computing"}, "m": {"title": "Classical music"}})
    client.update_metadata_configuration(**where, add={"textSearchConfigurations": [{"metadataKey": "title"}]})
    # The stored vectors are indexed before the update returns: ACTIVE and searchable straight away.
    assert configurations(client, where)["title"]["status"] == "ACTIVE"
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(title="quantum"))) == ["q"]
    put(client, where, {"p": {"title": "quantum physics"}})
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(title="quantum"))) == ["p", "q"]


@pytest.mark.decision("compat")
def test_deleted_configuration_refuses_queries_and_keeps_metadata(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {"a": {"body": "some text"}})
    client.update_metadata_configuration(**where, delete={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert error_of(client.query_vectors, **where, topK=5, queryTexts=texts(body="text")).code == "ValidationException"
    assert client.get_vectors(**where, keys=["a"], returnMetadata=True)["vectors"][0]["metadata"] == {
        "body": "some text"
    }
    # Added back, the key is built again from the stored metadata.
    client.update_metadata_configuration(**where, add={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="text"))) == ["a"]


# -- refused queries (behaviour.md#search-scores, behaviour.md#search-validation)
# ---------------------------------------------------------------------


@pytest.mark.ref("search-validation")
def test_query_texts_on_a_key_without_configuration_is_refused(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {"a": {"body": "apple", "title": "apple"}})
    for query_texts in (texts(title="apple"), texts(body="apple", title="apple")):
        err = error_of(client.query_vectors, **where, topK=5, queryTexts=query_texts)
        assert (err.code, err.status) == ("ValidationException", 400)
    # The same key is refused as a hybrid query's text too.
    assert (
        error_of(client.query_vectors, **where, topK=5, queryVector=ORIGIN, queryTexts=texts(title="apple")).code
        == "ValidationException"
    )


@pytest.mark.ref("search-validation")
def test_duplicate_keys_in_query_texts_are_refused(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {"a": {"body": "apple pear"}})
    twice = texts(body="apple") + texts(body="pear")
    for extra in ({}, {"queryVector": ORIGIN}):
        err = error_of(client.query_vectors, **where, topK=5, queryTexts=twice, **extra)
        assert (err.code, err.status) == ("ValidationException", 400)


@pytest.mark.ref("search-validation")
def test_ten_query_texts_accepted_eleven_refused(client, raw, buckets, bucket):
    where = text_index(buckets, bucket, *(f"k{i}" for i in range(10)))
    put(client, where, {"a": {f"k{i}": "word" for i in range(10)}})
    ten = [{"metadataKey": f"k{i}", "text": "word"} for i in range(10)]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=ten)) == ["a"]
    err = error_of(raw.query_vectors, **where, topK=5, queryTexts=ten + [{"metadataKey": "k10", "text": "word"}])
    assert (err.code, err.status) == ("ValidationException", 400)


@pytest.mark.ref("search-validation")
def test_text_of_1024_characters_accepted_1025_refused(client, raw, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {"a": {"body": "x y z"}})
    assert client.query_vectors(**where, topK=5, queryTexts=texts(body="x" * 1024))["vectors"] == []
    err = error_of(raw.query_vectors, **where, topK=5, queryTexts=texts(body="x" * 1025))
    assert (err.code, err.status) == ("ValidationException", 400)


@pytest.mark.decision("decision-unseen-messages")
def test_query_texts_length_messages(raw, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    assert error_of(raw.query_vectors, **where, topK=5, queryTexts=texts(body="x" * 1025)).message == (
        "1 validation error detected. Value with length 1025 at '/queryTexts/0/text' failed to satisfy constraint: "
        "Member must have length between 1 and 1024, inclusive"
    )
    eleven = [{"metadataKey": "body", "text": "x"}] * 11
    assert error_of(raw.query_vectors, **where, topK=5, queryTexts=eleven).message == (
        "1 validation error detected. Value with length 11 at '/queryTexts' failed to satisfy constraint: "
        "Member must have length between 1 and 10, inclusive"
    )


@pytest.mark.decision("decision-unseen-messages")
def test_query_texts_refusal_messages(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    plain = text_index(buckets, bucket, name="plain")  # no text configuration at all
    not_configured = "Metadata key '{}' is not configured for full-text search"
    for index, query_texts, vector, message, path in (
        (plain, texts(body="hello"), {}, not_configured.format("body"), "queryTexts[0].metadataKey"),
        (
            plain,
            texts(body="hello"),
            {"queryVector": ORIGIN},
            not_configured.format("body"),
            "queryTexts[0].metadataKey",
        ),
        (where, texts(body="a", title="b"), {}, not_configured.format("title"), "queryTexts[1].metadataKey"),
        (
            where,
            texts(body="a") + texts(body="b"),
            {},
            "Duplicate metadataKey 'body' in queryTexts: each key may appear only once",
            "queryTexts[1].metadataKey",
        ),
    ):
        err = error_of(client.query_vectors, **index, topK=5, queryTexts=query_texts, **vector)
        assert err[:3] == ("ValidationException", message, 400)
        assert err.fields == [{"path": path, "message": message}]


@pytest.mark.decision("decision-query-checks")
def test_query_checks_come_in_order_and_before_any_data(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")  # empty: every refusal below comes from the checks alone
    duplicate = texts(body="a") + texts(body="b")
    for params, message in (
        (
            {"queryTexts": texts(body="x"), "queryMode": "CLASSIC"},
            "Query mode CLASSIC cannot be used on a vector index in ENHANCED index mode",
        ),
        (
            {"queryTexts": duplicate, "filter": {"$bad": 1}, "queryVector": {"float32": [1.0]}},
            "Duplicate metadataKey 'body' in queryTexts: each key may appear only once",
        ),
        ({"queryTexts": texts(body="a"), "filter": {"$bad": 1}}, "Invalid filter"),
    ):
        assert error_of(client.query_vectors, **where, topK=5, **params)[:2] == ("ValidationException", message)


@pytest.mark.ref("search-scores")
def test_neither_query_vector_nor_query_texts_is_refused(raw, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    err = error_of(raw.query_vectors, **where, topK=5, returnScores=True)
    assert (err.code, err.status) == ("ValidationException", 400)


# -- answers (behaviour.md#search-scores)
# -----------------------------------------------------------------------------------


@pytest.mark.ref("search-scores")
def test_text_only_answer_carries_the_distance_metric(client, buckets, bucket):
    for metric in ("cosine", "euclidean"):
        where = text_index(buckets, bucket, "body", name=f"idx-{metric}", metric=metric)
        put(client, where, {"a": {"body": "apple"}})
        result = client.query_vectors(**where, topK=5, queryTexts=texts(body="apple"))
        assert (keys(result), result["distanceMetric"]) == (["a"], metric)


@pytest.mark.ref("search-scores")
def test_return_scores_adds_nothing_to_a_vector_only_query(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {"a": ([0.0, 0.0], {"body": "apple"}), "b": ([1.0, 0.0], {"body": "pear"})})
    result = client.query_vectors(**where, topK=5, queryVector=ORIGIN, returnScores=True, returnDistance=True)
    assert keys(result) == ["a", "b"]
    assert all("scores" not in v for v in result["vectors"])


@pytest.mark.ref("search-scores")
def test_text_only_results_are_documents_with_a_matching_term(client, buckets, bucket):
    where = text_index(buckets, bucket, "title", "body")
    put(
        client,
        where,
        {
            "in-title": {"title": "walrus", "body": "an animal"},
            "in-body": {"title": "an animal", "body": "the walrus swims"},
            "in-both": {"title": "walrus", "body": "walrus again"},
            "untargeted-key": {"title": "an animal", "body": "a seal", "note": "walrus"},
            "no-match": {"title": "penguin", "body": "a bird"},
            "no-text": {"year": 2020},
        },
    )
    result = client.query_vectors(**where, topK=20, queryTexts=texts(title="walrus", body="walrus"))
    got = keys(result)
    assert len(got) == len(set(got)) and set(got) <= {"in-title", "in-body", "in-both"}
    assert got  # at least one of them
    only_title = keys(client.query_vectors(**where, topK=20, queryTexts=texts(title="walrus")))
    assert set(only_title) <= {"in-title", "in-both"} and only_title


@pytest.mark.ref("search-scores")
def test_text_only_scores_are_bm25_per_matched_key(client, buckets, bucket):
    where = text_index(buckets, bucket, "title", "body")
    put(client, where, {"a": {"title": "walrus", "body": "walrus"}, "b": {"title": "walrus", "body": "seal"}})
    result = client.query_vectors(
        **where, topK=5, queryTexts=texts(title="walrus", body="walrus"), returnScores=True, returnDistance=True
    )
    assert set(keys(result)) == {"a", "b"}
    for v in result["vectors"]:
        assert "fused" not in v["scores"] and "vectorDistance" not in v["scores"]
        scored = {s["metadataKey"] for s in v["scores"]["bm25Scores"]}
        assert scored <= {"title", "body"} and "title" in scored
        assert all(isinstance(s["score"], float) and s["score"] > 0 for s in v["scores"]["bm25Scores"])
    plain = client.query_vectors(**where, topK=5, queryTexts=texts(title="walrus"))
    assert all("scores" not in v for v in plain["vectors"])  # returnScores defaults to false


@pytest.mark.ref("search-scores")
def test_hybrid_results_carry_a_fused_score(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {f"k{i}": ([float(i), 0.0], {"body": "apple" if i % 2 else "pear"}) for i in range(6)})
    result = client.query_vectors(
        **where, topK=4, queryVector=ORIGIN, queryTexts=texts(body="apple"), returnScores=True
    )
    assert 0 < len(result["vectors"]) <= 4
    assert result["distanceMetric"] == "euclidean"
    for v in result["vectors"]:
        assert isinstance(v["scores"]["fused"], float)
        assert set(v["scores"]) <= {"fused", "bm25Scores", "vectorDistance"}


@pytest.mark.decision("decision-text-answers")
def test_bm25_scores_hold_the_matched_keys_in_query_order(client, buckets, bucket):
    where = text_index(buckets, bucket, "title", "body")
    put(
        client,
        where,
        {
            "both": {"title": "solar power", "body": "solar panels"},
            "title": {"title": "solar"},
            "body": {"body": "power tools"},
            "none": {"title": "wind"},
        },
    )
    result = client.query_vectors(**where, topK=10, queryTexts=texts(title="solar", body="solar"), returnScores=True)
    assert keys(result)[0] == "both" and set(keys(result)) == {"both", "title"}  # the per-key scores add up
    scores = {v["key"]: [s["metadataKey"] for s in v["scores"]["bm25Scores"]] for v in result["vectors"]}
    assert scores == {"both": ["title", "body"], "title": ["title"]}  # only the keys scoring above 0


def foxes_by_year(client, buckets, bucket):
    """A text index of three vectors: two foxes (2020, 2021) and a whale (2021)."""
    where = text_index(buckets, bucket, "body")
    put(
        client,
        where,
        {
            "old": ([0.0, 0.0], {"body": "red fox", "year": 2020}),
            "new": ([1.0, 0.0], {"body": "red fox fox", "year": 2021}),
            "other": ([2.0, 0.0], {"body": "blue whale", "year": 2021}),
        },
    )
    return where


RECENT = {"year": {"$gte": 2021}}


@pytest.mark.decision("decision-text-answers")
def test_filter_restricts_every_list_of_a_hybrid_query(client, buckets, bucket):
    where = foxes_by_year(client, buckets, bucket)
    hybrid = client.query_vectors(**where, topK=5, queryVector=ORIGIN, queryTexts=texts(body="fox"), filter=RECENT)
    assert keys(hybrid) == ["new", "other"]


@pytest.mark.ref("search-scores")
def test_filter_applies_to_text_and_hybrid_queries(client, buckets, bucket):
    where = foxes_by_year(client, buckets, bucket)
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="fox"), filter=RECENT)) == ["new"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="fox"), filter={"year": 1999})) == []
    hybrid = client.query_vectors(**where, topK=5, queryVector=ORIGIN, queryTexts=texts(body="fox"), filter=RECENT)
    assert set(keys(hybrid)) <= {"new", "other"} and "new" in keys(hybrid)


# -- the emulator's analyzers, BM25 and RRF (behaviour.md#decision-text-search)
# ---------------------------------------------------------------


@pytest.mark.decision("decision-text-search")
def test_standard_analyzer_is_case_insensitive_and_does_not_stem(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {"hello": {"body": "Hello WORLD"}, "bye": {"body": "goodbye"}, "run": {"body": "run"}})
    for query in ("hello", "HELLO", "wOrLd", "hello world"):
        assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body=query))) == ["hello"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="running"))) == []


@pytest.mark.decision("decision-text-search")
def test_english_analyzer_stems(client, buckets, bucket):
    where = text_index(buckets, bucket, {"metadataKey": "body", "language": "en"})
    put(client, where, {"runner": {"body": "I run every day"}, "swimmer": {"body": "Swimming pools"}})
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="running"))) == ["runner"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="runs"))) == ["runner"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="pool"))) == ["swimmer"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="the and of"))) == []  # stop words only


@pytest.mark.decision("decision-text-search")
def test_chinese_analyzer_makes_bigrams(client, buckets, bucket):
    where = text_index(buckets, bucket, {"metadataKey": "body", "language": "zh"})
    put(client, where, {"pku": {"body": "北京大学"}, "tokyo": {"body": "东京大学"}, "city": {"body": "北京市"}})
    # 北京 is a bigram of pku and city, not of tokyo (a character match on 京 would find it too);
    # city's text is shorter, so it ranks first.
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="北京"))) == ["city", "pku"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="京市"))) == ["city"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="大学"))) == ["pku", "tokyo"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="京"))) == []  # a lone character is a term


@pytest.mark.decision("decision-text-configurations")
def test_string_elements_are_searchable_numbers_and_booleans_are_not(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(
        client,
        where,
        {
            "arr": {"body": ["red apple", "green pear"]},
            "num": {"body": 12},
            "flag": {"body": True},
            "nums": {"body": [1, 2]},
            "s": {"body": "12 true"},
        },
    )
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="pear"))) == ["arr"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="12 true"))) == ["s"]


@pytest.mark.decision("decision-text-search")
def test_bm25_ranks_the_rarer_term_first(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {f"common{i}": {"body": "apple pie"} for i in range(5)} | {"rare": {"body": "zucchini pie"}})
    got = keys(client.query_vectors(**where, topK=10, queryTexts=texts(body="apple zucchini")))
    assert got[0] == "rare" and sorted(got) == sorted(f"common{i}" for i in range(5)) + ["rare"]


@pytest.mark.decision("decision-text-search")
def test_bm25_ranks_the_shorter_document_first(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(
        client,
        where,
        {
            "long": {"body": "ocean waves crash on the long sandy shore"},
            "short": {"body": "ocean waves"},
            "other": {"body": "mountain"},
        },
    )
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="ocean"))) == ["short", "long"]


@pytest.mark.decision("decision-text-search")
def test_bm25_scores_computed_by_hand(client, buckets, bucket, target):
    where = text_index(buckets, bucket, "body")
    put(
        client,
        where,
        {
            "a": {"body": "cat dog cat"},
            "b": {"body": "dog bird"},
            "c": {"body": "bird bird bird fish"},
            "d": {"other": "cat"},  # no value for the key: not counted in N
        },
    )
    result = client.query_vectors(**where, topK=5, queryTexts=texts(body="cat bird"), returnScores=True)
    avgdl = (3 + 2 + 4) / 3
    expected = {"a": bm25(2, 3, avgdl, 3, 1), "b": bm25(1, 2, avgdl, 3, 2), "c": bm25(3, 4, avgdl, 3, 2)}
    assert keys(result) == sorted(expected, key=lambda k: -expected[k])  # a, c, b
    if target.is_emulator:  # AWS's BM25 parameters and statistics are unknown: values only here
        got = {v["key"]: v["scores"]["bm25Scores"] for v in result["vectors"]}
        assert got == {k: [{"metadataKey": "body", "score": pytest.approx(s, rel=1e-9)}] for k, s in expected.items()}


@pytest.mark.decision("decision-text-search")
def test_hybrid_order_is_reciprocal_rank_fusion(client, buckets, bucket, target):
    where = text_index(buckets, bucket, "body")
    # Squared euclidean distances to the origin: a 0, b 1, c 4, d 9, e 16.
    put(
        client,
        where,
        {
            "a": ([0.0, 0.0], {"body": "wind turbine"}),
            "b": ([1.0, 0.0], {"body": "solar farm"}),
            "c": ([2.0, 0.0], {"body": "solar solar"}),
            "d": ([3.0, 0.0], {"body": "hydro dam"}),
            "e": ([4.0, 0.0], {"body": "solar panel roof"}),
        },
    )
    result = client.query_vectors(
        **where, topK=3, queryVector=ORIGIN, queryTexts=texts(body="solar"), returnScores=True
    )
    # Vector list a, b, c; text list c (tf 2), b, e (longer). c is third and first, b second twice: with any
    # rank constant 1/(k+1) + 1/(k+3) > 2/(k+2), so c leads, then b, then a (first once) before e (third once).
    assert keys(result) == ["c", "b", "a"]
    fused = [v["scores"]["fused"] for v in result["vectors"]]
    assert fused == sorted(fused, reverse=True)
    if target.is_emulator:  # k = 60 and lists cut at topK are the emulator's choice
        expected = rrf(["a", "b", "c"], ["c", "b", "e"])
        assert fused == [pytest.approx(expected[k], rel=1e-12) for k in ("c", "b", "a")]


@pytest.mark.decision("decision-text-search")
def test_ties_are_broken_by_key(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {k: ([1.0, 0.0], {"body": "same words here"}) for k in ("d", "b", "e", "a", "c")})
    assert keys(client.query_vectors(**where, topK=10, queryTexts=texts(body="words"))) == ["a", "b", "c", "d", "e"]
    assert keys(client.query_vectors(**where, topK=3, queryTexts=texts(body="same"))) == ["a", "b", "c"]
    hybrid = client.query_vectors(**where, topK=10, queryVector=ORIGIN, queryTexts=texts(body="here"))
    assert keys(hybrid) == ["a", "b", "c", "d", "e"]


@pytest.mark.decision("decision-text-search")
def test_distance_only_on_results_of_the_vector_list(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(
        client,
        where,
        {f"near{i}": ([0.0, float(i)], {"body": "filler"}) for i in range(5)}
        | {"far": ([100.0, 0.0], {"body": "needle"})},
    )
    text_only = client.query_vectors(**where, topK=5, queryTexts=texts(body="needle"), returnDistance=True)
    assert text_only["vectors"] == [{"key": "far"}]
    hybrid = client.query_vectors(
        **where, topK=3, queryVector=ORIGIN, queryTexts=texts(body="needle"), returnDistance=True, returnScores=True
    )
    # Vector list near0, near1, near2; text list far. near0 and far tie first (ties by key), near1 next.
    assert keys(hybrid) == ["far", "near0", "near1"]
    far, near0, near1 = hybrid["vectors"]
    assert "distance" not in far and set(far["scores"]) == {"fused", "bm25Scores"}
    assert near0["distance"] == near0["scores"]["vectorDistance"] == 0.0
    assert near1["distance"] == near1["scores"]["vectorDistance"] == 1.0
    assert "bm25Scores" not in near0["scores"]  # no positive score on the queried key


@pytest.mark.decision("decision-text-search")
def test_text_query_pages_of_100(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(
        client,
        where,
        {f"k{i:03d}": {"body": "word " + "pad " * (i % 7)} for i in range(250)}
        | {f"x{i}": {"body": "nothing"} for i in range(5)},
    )
    pages = all_pages(client, where, topK=1000, queryTexts=texts(body="word"), returnScores=True)
    assert [len(p) for p in pages] == [100, 100, 50]
    flat = [v for page in pages for v in page]
    assert sorted(v["key"] for v in flat) == [f"k{i:03d}" for i in range(250)]  # each once, no non-match
    ranked = [(-v["scores"]["bm25Scores"][0]["score"], v["key"]) for v in flat]
    assert ranked == sorted(ranked)  # descending score across pages, ties by key
    token = client.query_vectors(**where, topK=1000, queryTexts=texts(body="word"), returnScores=True)["nextToken"]
    err = error_of(
        client.query_vectors, **where, topK=1000, queryTexts=texts(body="pad"), returnScores=True, nextToken=token
    )
    assert err[:2] == ("ValidationException", "Invalid nextToken")  # bound to its request's texts


@pytest.mark.decision("decision-text-answers")
def test_hybrid_pages_are_a_snapshot(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {f"k{i:03d}": ([float(i), 0.0], {"body": "term"}) for i in range(150)})
    params = {"queryTexts": texts(body="term"), "queryVector": ORIGIN, "topK": 150, "returnScores": True}
    first = client.query_vectors(**where, **params)
    client.delete_vectors(**where, keys=[v["key"] for v in first["vectors"]])  # writes between pages
    second = client.query_vectors(**where, **params, nextToken=first["nextToken"])
    got = first["vectors"] + second["vectors"]
    assert len(got) == 150 and len({v["key"] for v in got}) == 150
    fused = [v["scores"]["fused"] for v in got]
    assert fused == sorted(fused, reverse=True)


@pytest.mark.decision("decision-consistency")
def test_deleted_and_overwritten_vectors_leave_the_text_index_at_once(client, buckets, bucket):
    where = text_index(buckets, bucket, "body")
    put(client, where, {"a": {"body": "apple"}, "b": {"body": "apple"}, "c": {"body": "apple"}, "d": {"body": "pear"}})
    client.delete_vectors(**where, keys=["a"])
    put(client, where, {"b": {"body": "pear"}})
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="apple"))) == ["c"]
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="pear"))) == ["b", "d"]
    put(client, where, {"c": {"other": "apple"}})
    assert keys(client.query_vectors(**where, topK=5, queryTexts=texts(body="apple"))) == []


# -- CLASSIC indexes (emulator only, behaviour.md#decision-post-cutoff-buckets)
# ------------------------------------------------------------------------


@pytest.mark.ref("search-validation")
@pytest.mark.decision("decision-post-cutoff-buckets")
def test_legacy_classic_index_refuses_query_texts(legacy, legacy_buckets):
    client = legacy.client()
    where = legacy_buckets.index(legacy_buckets.create(), dimension=2)
    client.put_vectors(**where, vectors=[{"key": "a", "data": {"float32": [1.0, 0.0]}, "metadata": {"body": "x"}}])
    assert client.get_index(**where)["index"]["indexMode"] == "CLASSIC"
    message = "Full-text search requires a vector index in ENHANCED index mode"
    for mode in ({}, {"queryMode": "CLASSIC"}, {"queryMode": "ENHANCED"}):
        for vector in ({}, {"queryVector": {"float32": [1.0, 0.0]}}):
            err = error_of(client.query_vectors, **where, topK=3, queryTexts=texts(body="x"), **mode, **vector)
            assert err[:3] == ("ValidationException", message, 400)
            assert err.fields == [{"path": "queryTexts", "message": message}]


@pytest.mark.ref("search-scores")
@pytest.mark.decision("decision-post-cutoff-buckets")
@pytest.mark.decision("compat")
def test_legacy_index_made_enhanced_searches_text(legacy, legacy_buckets):
    client = legacy.client()
    where = legacy_buckets.index(legacy_buckets.create(), dimension=2, metric="euclidean")
    client.put_vectors(
        **where,
        vectors=[
            {"key": "fox", "data": {"float32": [1.0, 0.0]}, "metadata": {"body": "quick brown fox"}},
            {"key": "dog", "data": {"float32": [0.0, 1.0]}, "metadata": {"body": "lazy dog"}},
        ],
    )
    client.update_index_mode(**where, indexMode="ENHANCED")
    client.update_metadata_configuration(**where, add={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert keys(client.query_vectors(**where, topK=3, queryTexts=texts(body="fox"))) == ["fox"]
    assert (
        error_of(client.query_vectors, **where, topK=3, queryTexts=texts(body="fox"), queryMode="CLASSIC").code
        == "ValidationException"
    )
    # compat: an index with text configurations cannot go back to CLASSIC.
    assert error_of(client.update_index_mode, **where, indexMode="CLASSIC").code == "ValidationException"
    assert client.get_index(**where)["index"]["indexMode"] == "ENHANCED"
