"""Full-text and hybrid search through boto3 against the HTTP server (behaviour.md#search,
behaviour.md#queries-order-of-checks; behaviour.md#decision-text-search).

Much of this checks emulator decisions (behaviour.md#decision-text-search: analyzers, BM25 k1/b and statistics, RRF k =
60),
not sourced AWS facts: a run against real AWS should expect the orders and presence of results to
hold, not the score values.
"""

from __future__ import annotations

import math

import pytest
from botocore.exceptions import ClientError
from conftest import error_of

BUCKET = "text-bucket"
IDX = {"vectorBucketName": BUCKET, "indexName": "docs"}
TEXT_NEEDS_ENHANCED = "Full-text search requires a vector index in ENHANCED index mode"


def make_index(client, configs=None, metric="euclidean", name="docs", **metadata):
    if not client.list_vector_buckets(prefix=BUCKET)["vectorBuckets"]:
        client.create_vector_bucket(vectorBucketName=BUCKET)
    params = {}
    if configs is not None or metadata:
        params["metadataConfiguration"] = {"textSearchConfigurations": configs or [], **metadata}
    client.create_index(
        vectorBucketName=BUCKET, indexName=name, dataType="float32", dimension=2, distanceMetric=metric, **params
    )
    return {"vectorBucketName": BUCKET, "indexName": name}


def put(client, docs, idx=IDX):
    """docs: key → metadata, or key → (vector, metadata)."""
    items = list(docs.items())
    for start in range(0, len(items), 500):
        vectors = []
        for key, value in items[start : start + 500]:
            vector, metadata = value if isinstance(value, tuple) else ([1.0, 0.0], value)
            vectors.append({"key": key, "data": {"float32": list(vector)}, "metadata": metadata})
        client.put_vectors(**idx, vectors=vectors)


def texts(**by_key):
    return [{"metadataKey": key, "text": text} for key, text in by_key.items()]


def search(client, idx=IDX, topK=10, **params):
    return client.query_vectors(**idx, topK=topK, **params)


def keys(result):
    return [v["key"] for v in result["vectors"]]


def hand_bm25(tf, dl, avgdl, n_docs, doc_freq):
    """behaviour.md#decision-text-search, written out: Lucene BM25 with k1 = 1.2, b = 0.75."""
    idf = math.log(1 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
    return idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))


def query_error(client, **params):
    params.setdefault("topK", 5)
    with pytest.raises(ClientError) as exc:
        client.query_vectors(**IDX, **params)
    return error_of(exc)


@pytest.fixture
def body(client):
    make_index(client, [{"metadataKey": "body"}])
    return client


@pytest.fixture
def english(client):
    make_index(client, [{"metadataKey": "body", "language": "en"}])
    return client


# -- ranking and analyzers -----------------------------------------------------------------------


def test_rarer_term_ranks_first(body):
    put(body, {f"common{i}": {"body": "apple pie"} for i in range(5)} | {"rare": {"body": "zucchini pie"}})
    result = search(body, queryTexts=texts(body="apple zucchini"))
    assert keys(result)[0] == "rare"
    assert len(result["vectors"]) == 6


def test_longer_document_ranks_lower(body):
    put(
        body,
        {
            "short": {"body": "ocean waves"},
            "long": {"body": "ocean waves crash on the long sandy shore"},
            "other": {"body": "mountain"},
        },
    )
    assert keys(search(body, queryTexts=texts(body="ocean"))) == ["short", "long"]


def test_case_insensitive(body):
    put(body, {"a": {"body": "Hello WORLD"}, "b": {"body": "goodbye"}})
    assert keys(search(body, queryTexts=texts(body="hello world"))) == ["a"]
    assert keys(search(body, queryTexts=texts(body="HELLO"))) == ["a"]


def test_standard_analyzer_does_not_stem(body):
    put(body, {"a": {"body": "run"}})
    assert keys(search(body, queryTexts=texts(body="running"))) == []


def test_english_stemming(english):
    put(english, {"a": {"body": "I run every day"}, "b": {"body": "swimming pools"}})
    assert keys(search(english, queryTexts=texts(body="running"))) == ["a"]
    assert keys(search(english, queryTexts=texts(body="pool"))) == ["b"]
    # Stop words alone match nothing.
    assert keys(search(english, queryTexts=texts(body="the and of"))) == []


def test_chinese_bigrams(client):
    make_index(client, [{"metadataKey": "body", "language": "zh"}])
    put(client, {"pku": {"body": "北京大学"}, "tokyo": {"body": "东京大学"}, "city": {"body": "北京市"}})
    # 北京 is a bigram of pku and city, not of tokyo (a character match on 京 would find it too);
    # city's text is shorter, so it ranks first.
    assert keys(search(client, queryTexts=texts(body="北京"))) == ["city", "pku"]
    assert keys(search(client, queryTexts=texts(body="京市"))) == ["city"]
    assert keys(search(client, queryTexts=texts(body="大学"))) == ["pku", "tokyo"]
    assert keys(search(client, queryTexts=texts(body="京"))) == []  # a lone character is its own term


def test_arrays_and_non_text_values(body):
    # behaviour.md#text-config-create [RECOMMENDED]: string elements are indexed; numbers and booleans are ignored.
    put(
        body,
        {
            "arr": {"body": ["red apple", "green pear"]},
            "num": {"body": 12},
            "flag": {"body": True},
            "nums": {"body": [1, 2]},
            "s": {"body": "12 true"},
        },
    )
    assert keys(search(body, queryTexts=texts(body="pear"))) == ["arr"]
    assert keys(search(body, queryTexts=texts(body="12 true"))) == ["s"]


def test_non_filterable_key_is_searchable(client):
    make_index(client, [{"metadataKey": "raw"}], nonFilterableMetadataKeys=["raw"])
    put(client, {"a": {"raw": "needle in a haystack"}, "b": {"raw": "hay"}})
    assert keys(search(client, queryTexts=texts(raw="needle"))) == ["a"]


def test_several_keys_sum(client):
    make_index(client, [{"metadataKey": "title"}, {"metadataKey": "body"}])
    put(
        client,
        {
            "both": {"title": "solar power", "body": "solar panels"},
            "title": {"title": "solar"},
            "body": {"body": "power tools"},
            "none": {"title": "wind"},
        },
    )
    result = search(client, queryTexts=texts(title="solar", body="solar"), returnScores=True)
    assert keys(result)[0] == "both"
    assert set(keys(result)) == {"both", "title"}
    scores = {v["key"]: v["scores"]["bm25Scores"] for v in result["vectors"]}
    assert [s["metadataKey"] for s in scores["both"]] == ["title", "body"]
    assert [s["metadataKey"] for s in scores["title"]] == ["title"]  # only keys with a positive score


# -- scores ---------------------------------------------------------------------------------------


def test_bm25_scores_by_hand(body):
    put(
        body,
        {
            "a": {"body": "cat dog cat"},
            "b": {"body": "dog bird"},
            "c": {"body": "bird bird bird fish"},
            "d": {"other": "cat"},  # no value for the key: not counted in N
        },
    )
    result = search(body, queryTexts=texts(body="cat bird"), returnScores=True, returnDistance=True)
    avgdl = (3 + 2 + 4) / 3
    expected = {
        "a": hand_bm25(2, 3, avgdl, 3, 1),
        "b": hand_bm25(1, 2, avgdl, 3, 2),
        "c": hand_bm25(3, 4, avgdl, 3, 2),
    }
    assert keys(result) == sorted(expected, key=lambda k: -expected[k])
    assert result["distanceMetric"] == "euclidean"
    for v in result["vectors"]:
        assert "distance" not in v  # text-only: no query vector, so no distance
        assert set(v["scores"]) == {"bm25Scores"}  # no fused, no vectorDistance outside hybrid
        [entry] = v["scores"]["bm25Scores"]
        assert entry["metadataKey"] == "body"
        assert abs(entry["score"] - expected[v["key"]]) < 1e-6


def test_scores_absent_unless_asked(body):
    put(body, {"a": ([0.0, 0.0], {"body": "x"})})
    assert "scores" not in search(body, queryTexts=texts(body="x"))["vectors"][0]
    vector_only = search(body, queryVector={"float32": [0.0, 0.0]}, returnScores=True, returnDistance=True)
    assert vector_only["vectors"] == [{"key": "a", "distance": 0.0}]  # vector-only never gets scores


def test_hybrid_rrf_by_hand(client):
    make_index(client, [{"metadataKey": "body"}])
    # Euclidean distances to [0, 0]: a 0, b 1, c 4, d 9, e 16.
    put(
        client,
        {
            "a": ([0.0, 0.0], {"body": "nothing relevant"}),
            "b": ([1.0, 0.0], {"body": "solar solar"}),
            "c": ([2.0, 0.0], {"body": "wind"}),
            "d": ([3.0, 0.0], {"body": "solar"}),
            "e": ([4.0, 0.0], {"body": "solar energy storage systems"}),
        },
    )
    result = search(
        client,
        topK=3,
        queryVector={"float32": [0.0, 0.0]},
        queryTexts=texts(body="solar"),
        returnScores=True,
        returnDistance=True,
    )
    # Vector list (cut at 3): a, b, c.  Text list: BM25 descending, computed here.
    docs = {"a": (0, 2), "b": (2, 2), "c": (0, 1), "d": (1, 1), "e": (1, 4)}  # (tf of "solar", length)
    avgdl = sum(dl for _, dl in docs.values()) / 5
    bm25 = {k: hand_bm25(tf, dl, avgdl, 5, 3) for k, (tf, dl) in docs.items() if tf}
    text_list = sorted(bm25, key=lambda k: (-bm25[k], k))[:3]
    vector_list = ["a", "b", "c"]
    fused = {}
    for ranked in (vector_list, text_list):
        for rank, key in enumerate(ranked, start=1):
            fused[key] = fused.get(key, 0.0) + 1 / (60 + rank)
    expected = sorted(fused, key=lambda k: (-fused[k], k))[:3]
    assert keys(result) == expected
    distances = {"a": 0.0, "b": 1.0, "c": 4.0}
    for v in result["vectors"]:
        assert abs(v["scores"]["fused"] - fused[v["key"]]) < 1e-12
        if v["key"] in vector_list:
            assert v["distance"] == v["scores"]["vectorDistance"] == distances[v["key"]]
        else:
            assert "distance" not in v and "vectorDistance" not in v["scores"]
        if v["key"] in bm25:
            assert abs(v["scores"]["bm25Scores"][0]["score"] - bm25[v["key"]]) < 1e-6
        else:
            assert "bm25Scores" not in v["scores"]


def test_hybrid_text_beyond_vector_window(client):
    make_index(client, [{"metadataKey": "body"}])
    put(
        client,
        {f"near{i}": ([0.0, float(i)], {"body": "filler"}) for i in range(5)}
        | {"far": ([100.0, 0.0], {"body": "needle"})},
    )
    result = search(
        client,
        topK=2,
        queryVector={"float32": [0.0, 0.0]},
        queryTexts=texts(body="needle"),
        returnScores=True,
        returnDistance=True,
    )
    # near0 (vector rank 1) and far (text rank 1) tie at 1/61; ties go by key.
    assert keys(result) == ["far", "near0"]
    far = result["vectors"][0]
    assert "distance" not in far and set(far["scores"]) == {"fused", "bm25Scores"}


# -- filters and pagination -----------------------------------------------------------------------


def test_filter_restricts_text_and_hybrid(body):
    put(
        body,
        {
            "a": ([0.0, 0.0], {"body": "red fox", "year": 2020}),
            "b": ([1.0, 0.0], {"body": "red fox fox", "year": 2021}),
            "c": ([2.0, 0.0], {"body": "blue whale", "year": 2021}),
        },
    )
    flt = {"year": {"$gte": 2021}}
    assert keys(search(body, queryTexts=texts(body="fox"), filter=flt)) == ["b"]
    hybrid = search(body, queryVector={"float32": [0.0, 0.0]}, queryTexts=texts(body="fox"), filter=flt)
    assert keys(hybrid) == ["b", "c"]
    assert keys(search(body, queryTexts=texts(body="fox"), filter={"year": 1999})) == []


def test_text_query_pages(body):
    put(body, {f"k{i:03d}": {"body": "word " + "pad " * (i % 7)} for i in range(250)} | {"x": {"body": "none"}})
    pages = []
    params = {"queryTexts": texts(body="word"), "topK": 1000, "returnScores": True}
    result = search(body, **params)
    while True:
        pages.append(result["vectors"])
        if "nextToken" not in result:
            break
        result = search(body, **params, nextToken=result["nextToken"])
    assert [len(p) for p in pages] == [100, 100, 50]
    flat = [v for p in pages for v in p]
    assert len({v["key"] for v in flat}) == 250
    ordered = [(-v["scores"]["bm25Scores"][0]["score"], v["key"]) for v in flat]
    assert ordered == sorted(ordered)
    # A token is bound to its request.
    with pytest.raises(ClientError) as exc:
        token = search(body, **params)["nextToken"]
        search(body, queryTexts=texts(body="pad"), topK=1000, returnScores=True, nextToken=token)
    assert error_of(exc)[:2] == ("ValidationException", "Invalid nextToken")


def test_hybrid_pages_are_a_snapshot(body):
    put(body, {f"k{i:03d}": ([float(i), 0.0], {"body": "term"}) for i in range(150)})
    params = {
        "queryTexts": texts(body="term"),
        "queryVector": {"float32": [0.0, 0.0]},
        "topK": 150,
        "returnScores": True,
    }
    first = search(body, **params)
    body.delete_vectors(**IDX, keys=[v["key"] for v in first["vectors"]])  # writes between pages
    second = search(body, **params, nextToken=first["nextToken"])
    got = first["vectors"] + second["vectors"]
    assert len(got) == 150 and len({v["key"] for v in got}) == 150
    fused = [v["scores"]["fused"] for v in got]
    assert fused == sorted(fused, reverse=True)


# -- consistency with writes and configuration changes --------------------------------------------


def test_deleted_and_overwritten_vectors_drop_out(body):
    put(body, {"a": {"body": "apple"}, "b": {"body": "apple"}, "c": {"body": "apple"}, "d": {"body": "pear"}})
    body.delete_vectors(**IDX, keys=["a"])
    put(body, {"b": {"body": "pear"}})
    assert keys(search(body, queryTexts=texts(body="apple"))) == ["c"]
    assert keys(search(body, queryTexts=texts(body="pear"))) == ["b", "d"]
    put(body, {"c": {"other": "apple"}})
    assert keys(search(body, queryTexts=texts(body="apple"))) == []


def test_configuration_added_to_index_with_data(client):
    make_index(client)
    put(client, {"a": {"title": "Quantum computing"}, "b": {"title": "Classical music"}})
    with pytest.raises(ClientError) as exc:
        search(client, queryTexts=texts(title="quantum"))
    assert error_of(exc)[0] == "ValidationException"
    client.update_metadata_configuration(**IDX, add={"textSearchConfigurations": [{"metadataKey": "title"}]})
    config = client.get_index(**IDX)["index"]["metadataConfiguration"]["textSearchConfigurations"]
    assert config == [{"metadataKey": "title", "status": "ACTIVE"}]
    assert keys(search(client, queryTexts=texts(title="quantum"))) == ["a"]  # searchable at once
    put(client, {"c": {"title": "quantum physics"}})
    assert keys(search(client, queryTexts=texts(title="quantum"))) == ["a", "c"]


def test_configuration_deleted_refuses_queries(body):
    put(body, {"a": {"body": "text"}})
    body.update_metadata_configuration(**IDX, delete={"textSearchConfigurations": [{"metadataKey": "body"}]})
    code, message, status, fields = query_error(body, queryTexts=texts(body="text"))
    assert (code, message, status) == (
        "ValidationException",
        "Metadata key 'body' is not configured for full-text search",
        400,
    )
    assert fields == [{"path": "queryTexts[0].metadataKey", "message": message}]
    # The metadata stays stored; adding the key back indexes it again.
    assert body.get_vectors(**IDX, keys=["a"], returnMetadata=True)["vectors"][0]["metadata"] == {"body": "text"}
    body.update_metadata_configuration(**IDX, add={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert keys(search(body, queryTexts=texts(body="text"))) == ["a"]


# -- validation (behaviour.md#search-validation) --------------------------------------------------------------------


def test_neither_vector_nor_texts(raw_client, body):
    code, message, status, _ = query_error(raw_client)
    assert (code, message, status) == (
        "ValidationException",
        "At least one of queryVector or queryTexts must be specified",
        400,
    )


def test_too_many_query_texts(raw_client, client):
    make_index(client, [{"metadataKey": f"k{i}"} for i in range(10)])
    code, message, status, _ = query_error(
        raw_client, queryTexts=[{"metadataKey": f"k{i % 10}", "text": "x"} for i in range(11)]
    )
    assert (code, status) == ("ValidationException", 400)
    assert "'/queryTexts'" in message and "between 1 and 10" in message


def test_duplicate_metadata_key(body):
    code, message, status, fields = query_error(body, queryTexts=texts(body="a") + texts(body="b"))
    assert (code, message, status) == (
        "ValidationException",
        "Duplicate metadataKey 'body' in queryTexts: each key may appear only once",
        400,
    )
    assert fields == [{"path": "queryTexts[1].metadataKey", "message": message}]


def test_key_without_configuration(body):
    code, message, _, _ = query_error(body, queryTexts=texts(body="a", title="b"))
    assert (code, message) == ("ValidationException", "Metadata key 'title' is not configured for full-text search")


def test_text_too_long(raw_client, body):
    code, message, status, _ = query_error(raw_client, queryTexts=texts(body="x" * 1025))
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected. Value with length 1025 at '/queryTexts/0/text' failed to "
        "satisfy constraint: Member must have length between 1 and 1024, inclusive"
    )
    put(body, {"a": {"body": "x " * 500}})
    assert keys(search(body, queryTexts=texts(body="x" * 1024))) == []  # 1,024 is allowed


def test_query_mode_classic_with_texts(body):
    code, message, _, _ = query_error(body, queryTexts=texts(body="x"), queryMode="CLASSIC")
    assert code == "ValidationException"
    assert message == "Query mode CLASSIC cannot be used on a vector index in ENHANCED index mode"


def test_classic_index_refuses_texts(legacy_client):
    legacy_client.create_vector_bucket(vectorBucketName=BUCKET)
    legacy_client.create_index(**IDX, dataType="float32", dimension=2, distanceMetric="cosine")
    for mode in ({}, {"queryMode": "CLASSIC"}, {"queryMode": "ENHANCED"}):
        with pytest.raises(ClientError) as exc:
            legacy_client.query_vectors(**IDX, topK=3, queryTexts=texts(body="x"), **mode)
        code, message, status, fields = error_of(exc)
        assert (code, message, status) == ("ValidationException", TEXT_NEEDS_ENHANCED, 400)
        assert fields == [{"path": "queryTexts", "message": TEXT_NEEDS_ENHANCED}]


def test_validation_before_data(body):
    # Refused on an empty index, and text rules come before the filter and the vector are read.
    code, message, _, _ = query_error(
        body, queryTexts=texts(body="a") + texts(body="b"), filter={"$bad": 1}, queryVector={"float32": [1.0]}
    )
    assert (code, message) == (
        "ValidationException",
        "Duplicate metadataKey 'body' in queryTexts: each key may appear only once",
    )
    code, message, _, _ = query_error(body, queryTexts=texts(body="a"), filter={"$bad": 1})
    assert (code, message) == ("ValidationException", "Invalid filter")


def test_configuration_rules(client, raw_client):
    arn = make_index(client, [{"metadataKey": "body"}])
    arn = client.get_index(**arn)["index"]["indexArn"]
    with pytest.raises(ClientError) as exc:  # add and delete together
        client.update_metadata_configuration(
            indexArn=arn,
            add={"textSearchConfigurations": [{"metadataKey": "a"}]},
            delete={"textSearchConfigurations": [{"metadataKey": "body"}]},
        )
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:  # duplicate configurations
        client.update_metadata_configuration(
            indexArn=arn,
            add={"textSearchConfigurations": [{"metadataKey": "a"}, {"metadataKey": "a", "language": "en"}]},
        )
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:  # more than 10 in total
        client.update_metadata_configuration(
            indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(10)]}
        )
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:  # unknown language
        raw_client.update_metadata_configuration(
            indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": "a", "language": "xx"}]}
        )
    assert error_of(exc)[0] == "ValidationException"
    assert "enum value set: [en, fr, es, pt, it, de, nl, zh, ja, ko]" in error_of(exc)[1]
    # None of the refused updates changed anything.
    config = client.get_index(indexArn=arn)["index"]["metadataConfiguration"]["textSearchConfigurations"]
    assert config == [{"metadataKey": "body", "status": "ACTIVE"}]
