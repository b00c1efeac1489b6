"""QueryVectors through boto3 against the HTTP server: distances, order, paging, modes, limits.

behaviour.md#distances (distances), behaviour.md#errors-catalogue (messages); behaviour.md#modes (index
modes), behaviour.md#paging (paging); decisions
behaviour.md#decision-post-cutoff-buckets, behaviour.md#decision-query-results, behaviour.md#decision-unseen-messages.
"""

from __future__ import annotations

import math

import pytest
from botocore.exceptions import ClientError
from conftest import error_of

BUCKET = "query-bucket"
MSG_QUERY_INVALID = "Query vector contains invalid values or is invalid for this index"
TOPK_RANGE = (
    "1 validation error detected. Value at '/topK' failed to satisfy constraint: "
    "Member must be between 1 and 10000, inclusive"
)
INVALID_FILTER = ("ValidationException", "Invalid filter", 400, [{"path": "filter", "message": "Invalid filter"}])


def where(name):
    return {"vectorBucketName": BUCKET, "indexName": name}


def make_index(client, name, dimension=4, metric="cosine"):
    if not client.list_vector_buckets(prefix=BUCKET)["vectorBuckets"]:
        client.create_vector_bucket(vectorBucketName=BUCKET)
    client.create_index(**where(name), dataType="float32", dimension=dimension, distanceMetric=metric)
    return where(name)


def put(client, idx, vectors):
    records = list(vectors.items())
    for start in range(0, len(records), 500):
        client.put_vectors(
            **idx,
            vectors=[
                {"key": k, "data": {"float32": list(v[0])}, **({"metadata": v[1]} if v[1] is not None else {})}
                for k, v in records[start : start + 500]
            ],
        )


def q(client, idx, vector, **params):
    params.setdefault("topK", 10)
    return client.query_vectors(**idx, queryVector={"float32": list(vector)}, **params)


def pairs(result):
    return [(v["key"], v["distance"]) for v in result["vectors"]]


def query_error(client, idx, vector, **params):
    with pytest.raises(ClientError) as exc:
        q(client, idx, vector, **params)
    return error_of(exc)


@pytest.fixture
def cos(client):
    return make_index(client, "cos")


@pytest.fixture
def euc(client):
    return make_index(client, "euc", metric="euclidean")


# -- distances -----------------------------------------------------------------------------------


def test_cosine_distances(client, cos):
    put(
        client,
        cos,
        {
            "same": ([1, 0, 0, 0], None),
            "scaled": ([5, 0, 0, 0], None),
            "orth": ([0, 1, 0, 0], None),
            "opposite": ([-1, 0, 0, 0], None),
        },
    )
    result = q(client, cos, [1, 0, 0, 0], returnDistance=True)
    assert result["distanceMetric"] == "cosine"
    assert [k for k, _ in pairs(result)] == [
        "same",
        "scaled",
        "orth",
        "opposite",
    ]  # behaviour.md#decision-query-results: the 0-tie by key
    distances = dict(pairs(result))
    assert distances["same"] == pytest.approx(0.0, abs=1e-6)
    assert distances["scaled"] == pytest.approx(0.0, abs=1e-6)
    assert distances["orth"] == pytest.approx(1.0, abs=1e-6)
    assert distances["opposite"] == pytest.approx(2.0, abs=1e-6)


def test_cosine_ns3_example(client):
    idx = make_index(client, "cos3", dimension=3)
    put(client, idx, {"a": ([1, 1, 1], None), "b": ([1, 1, 2], None)})
    assert pairs(q(client, idx, [1, 1, 1], returnDistance=True)) == [
        ("a", pytest.approx(0.0, abs=1e-6)),
        ("b", pytest.approx(1 - 4 / math.sqrt(18), abs=1e-6)),
    ]
    assert pairs(q(client, idx, [1, 1, 1], returnDistance=True))[1][1] == pytest.approx(0.05719, abs=1e-5)


def test_euclidean_is_squared_l2(client):
    idx = make_index(client, "euc3", dimension=3, metric="euclidean")
    put(client, idx, {"c": ([2, 2, 2], None), "a": ([1, 1, 1], None), "b": ([1, 1, 2], None)})
    result = q(client, idx, [1, 1, 1], returnDistance=True)
    assert result["distanceMetric"] == "euclidean"
    assert pairs(result) == [("a", 0.0), ("b", 1.0), ("c", 3.0)]


def test_euclidean_zero_vectors(client, euc):
    put(client, euc, {"origin": ([0, 0, 0, 0], None), "p": ([3, 4, 0, 0], None)})
    assert pairs(q(client, euc, [0, 0, 0, 0], returnDistance=True)) == [("origin", 0.0), ("p", 25.0)]


def test_integers_in_query_vector(client, euc):
    put(client, euc, {"p": ([0.5, 0, 0, 0], None)})
    assert pairs(q(client, euc, [1, 0, 0, 0], returnDistance=True)) == [("p", 0.25)]


# -- order, topK, shape --------------------------------------------------------------------------


def test_ties_broken_by_key(client, cos, euc):
    # behaviour.md#decision-query-results (a decision: AWS leaves tie order open): ascending distance, then ascending
    # key.
    put(client, cos, {k: ([2, 0, 0, 0], None) for k in ["m", "b", "z", "a", "B"]} | {"first": ([0, 1, 0, 0], None)})
    assert [v["key"] for v in q(client, cos, [1, 0, 0, 0])["vectors"]] == ["B", "a", "b", "m", "z", "first"]
    assert [v["key"] for v in q(client, cos, [1, 0, 0, 0], topK=3)["vectors"]] == ["B", "a", "b"]
    put(
        client,
        euc,
        {
            "y": ([0, 1, 0, 0], None),
            "x": ([1, 0, 0, 0], None),
            "w": ([0, 0, -1, 0], None),
            "near": ([0, 0, 0, 0.5], None),
        },
    )
    assert [v["key"] for v in q(client, euc, [0, 0, 0, 0])["vectors"]] == ["near", "w", "x", "y"]


def test_top_k_larger_than_index(client, euc):
    put(client, euc, {f"k{i}": ([i, 0, 0, 0], None) for i in range(5)})
    assert [v["key"] for v in q(client, euc, [0, 0, 0, 0], topK=1000)["vectors"]] == [f"k{i}" for i in range(5)]
    assert [v["key"] for v in q(client, euc, [0, 0, 0, 0], topK=1)["vectors"]] == ["k0"]


def test_empty_index(client, cos):
    result = q(client, cos, [1, 0, 0, 0], returnDistance=True, returnMetadata=True)
    assert result["vectors"] == [] and result["distanceMetric"] == "cosine" and "nextToken" not in result


def test_result_members(client, euc):
    put(client, euc, {"meta": ([1, 0, 0, 0], {"g": "x", "n": [1, 2]}), "plain": ([2, 0, 0, 0], None)})
    for result in (q(client, euc, [0, 0, 0, 0]), q(client, euc, [0, 0, 0, 0], returnDistance=False)):
        assert result["vectors"] == [{"key": "meta"}, {"key": "plain"}]
        assert result["distanceMetric"] == "euclidean"
    assert q(client, euc, [0, 0, 0, 0], returnMetadata=True)["vectors"] == [
        {"key": "meta", "metadata": {"g": "x", "n": [1, 2]}},
        {"key": "plain", "metadata": {}},
    ]
    assert q(client, euc, [0, 0, 0, 0], returnMetadata=True, returnDistance=True)["vectors"] == [
        {"key": "meta", "metadata": {"g": "x", "n": [1, 2]}, "distance": 1.0},
        {"key": "plain", "metadata": {}, "distance": 4.0},
    ]


# -- query-vector validation ---------------------------------------------------------------------


@pytest.mark.parametrize("vector", [[1, 0, 0], [1, 0, 0, 0, 0], [1]], ids=["3", "5", "1"])
@pytest.mark.parametrize("name", ["cos", "euc"])
def test_wrong_dimension(client, cos, euc, vector, name):
    # behaviour.md#decision-unseen-messages wording.
    assert query_error(client, where(name), vector) == (
        "ValidationException",
        MSG_QUERY_INVALID,
        400,
        [{"path": "vector", "message": f"Invalid input: vector must have length 4, but has length {len(vector)}"}],
    )


def test_zero_query_vector_on_cosine(client, cos):
    put(client, cos, {"a": ([1, 0, 0, 0], None)})
    detail = "Invalid input: cosine distance does not support vectors with zero norm"
    expected = ("ValidationException", MSG_QUERY_INVALID, 400, [{"path": "vector", "message": detail}])
    assert query_error(client, cos, [0, 0, 0, 0]) == expected
    assert query_error(client, cos, [1e-46] * 4) == expected  # rounds to float32 zero


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e39], ids=["nan", "inf", "1e39"])
def test_nan_inf_query_vector(client, cos, bad):
    code, message, status, fields = query_error(client, cos, [1, bad, 0, 0])
    assert (code, message, status) == ("ValidationException", MSG_QUERY_INVALID, 400)
    assert [f["path"] for f in fields] == ["vector"]


def test_top_k_bounds(client, raw_client, euc):
    put(client, euc, {f"k{i}": ([i, 0, 0, 0], None) for i in range(3)})
    assert len(q(client, euc, [0, 0, 0, 0], topK=10_000)["vectors"]) == 3
    code, message, status, _ = query_error(client, euc, [0, 0, 0, 0], topK=10_001)
    assert (code, message, status) == ("ValidationException", TOPK_RANGE, 400)
    with pytest.raises(ClientError) as exc:
        raw_client.query_vectors(**euc, queryVector={"float32": [0, 0, 0, 0]}, topK=0)
    assert error_of(exc)[:3] == ("ValidationException", TOPK_RANGE, 400)


# -- paging (behaviour.md#decision-query-results, behaviour.md#paging)
# -----------------------------------------------------------------------

N = 250


def paging_data():
    """250 vectors; distances come in tied pairs, keys scrambled so the key order is not the rank order."""
    data = {}
    for i in range(N):
        key = f"k{(i * 97) % N:03}"
        data[key] = ([float(i // 2), 0.0, 0.0, 0.0], {"i": i, "even": i % 2 == 0})
    return data


def expected_order(data, predicate=lambda m: True, top_k=N):
    ranked = sorted(((v[0][0] ** 2, k) for k, v in data.items() if predicate(v[1])))
    return [k for _, k in ranked][:top_k]


@pytest.fixture
def paged(client, euc):
    data = paging_data()
    put(client, euc, data)
    return euc, data


def pages_of(client, idx, **params):
    pages = [q(client, idx, [0, 0, 0, 0], **params)]
    while "nextToken" in pages[-1]:
        assert len(pages) < 200
        pages.append(q(client, idx, [0, 0, 0, 0], **params, nextToken=pages[-1]["nextToken"]))
    return pages


def test_pages_of_100(client, paged):
    idx, data = paged
    pages = pages_of(client, idx, topK=N, returnDistance=True)
    assert [len(p["vectors"]) for p in pages] == [100, 100, 50]
    assert ["nextToken" in p for p in pages] == [True, True, False]
    assert all(p["distanceMetric"] == "euclidean" for p in pages)
    keys = [v["key"] for p in pages for v in p["vectors"]]
    assert keys == expected_order(data)
    distances = [v["distance"] for p in pages for v in p["vectors"]]
    assert distances == sorted(distances) and distances[-1] == float(((N - 1) // 2) ** 2)


@pytest.mark.parametrize(
    ("top_k", "sizes"),
    [(100, [100]), (1, [1]), (99, [99]), (101, [100, 1]), (200, [100, 100]), (10_000, [100, 100, 50])],
)
def test_token_only_while_more_remain(client, paged, top_k, sizes):
    idx, data = paged
    pages = pages_of(client, idx, topK=top_k)
    assert [len(p["vectors"]) for p in pages] == sizes
    assert "nextToken" not in pages[-1]
    assert [v["key"] for p in pages for v in p["vectors"]] == expected_order(data, top_k=top_k)


def test_filtered_paging(client, paged):
    idx, data = paged
    pages = pages_of(client, idx, topK=N, filter={"even": True})
    assert [len(p["vectors"]) for p in pages] == [100, 25]
    assert [v["key"] for p in pages for v in p["vectors"]] == expected_order(data, lambda m: m["even"])
    exactly_100 = pages_of(client, idx, topK=N, filter={"i": {"$lt": 100}})
    assert [len(p["vectors"]) for p in exactly_100] == [100] and "nextToken" not in exactly_100[0]


def test_boto3_paginator(client, paged):
    idx, data = paged
    paginator = client.get_paginator("query_vectors")
    pages = list(paginator.paginate(**idx, queryVector={"float32": [0, 0, 0, 0]}, topK=N, returnDistance=True))
    assert [len(p["vectors"]) for p in pages] == [100, 100, 50]
    assert [v["key"] for p in pages for v in p["vectors"]] == expected_order(data)
    full = paginator.paginate(**idx, queryVector={"float32": [0, 0, 0, 0]}, topK=N).build_full_result()
    assert [v["key"] for v in full["vectors"]] == expected_order(data)
    assert full["distanceMetric"] == "euclidean"


def test_pages_are_a_snapshot(client, paged):
    # behaviour.md#decision-query-results / behaviour.md#paging [RECOMMENDED snapshot]: writes between pages neither
    # repeat nor skip results.
    idx, data = paged
    before = [v["key"] for p in pages_of(client, idx, topK=N) for v in p["vectors"]]
    first = q(client, idx, [0, 0, 0, 0], topK=N)
    on_page_3 = before[220]
    client.put_vectors(
        **idx,
        vectors=[
            {"key": "a-new", "data": {"float32": [0, 0, 0, 0]}},
            {"key": before[150], "data": {"float32": [1000, 0, 0, 0]}},
        ],
    )
    client.delete_vectors(**idx, keys=[on_page_3, before[0]])
    second = q(client, idx, [0, 0, 0, 0], topK=N, nextToken=first["nextToken"])
    third = q(client, idx, [0, 0, 0, 0], topK=N, nextToken=second["nextToken"])
    assert "nextToken" not in third
    keys = [v["key"] for p in (first, second, third) for v in p["vectors"]]
    assert keys == before
    # A fresh query sees the writes.
    fresh = [v["key"] for p in pages_of(client, idx, topK=N) for v in p["vectors"]]
    assert fresh[0] == "a-new" and on_page_3 not in fresh and before[0] not in fresh and fresh[-1] == before[150]


def test_token_can_be_reused_with_the_same_request(client, paged):
    idx, data = paged
    first = q(client, idx, [0, 0, 0, 0], topK=N)
    again = [q(client, idx, [0, 0, 0, 0], topK=N, nextToken=first["nextToken"]) for _ in range(2)]
    assert again[0]["vectors"] == again[1]["vectors"] == [{"key": k} for k in expected_order(data)[100:200]]


@pytest.mark.parametrize(
    "change",
    [
        {"vector": [1, 0, 0, 0]},
        {"topK": N - 1},
        {"topK": 10_000},
        {"filter": {"even": True}},
        {"filter": {"even": False}, "first_filter": {"even": True}},
        {"queryMode": "ENHANCED"},
        {"other_index": True},
    ],
    ids=["vector", "topK", "topK-max", "filter-added", "filter-changed", "queryMode", "other-index"],
)
def test_token_bound_to_its_request(client, paged, change):
    idx, data = paged
    if change.get("other_index"):
        make_index(client, "euc-other", metric="euclidean")
        put(client, where("euc-other"), data)
    first_params = {"topK": N} | ({"filter": change["first_filter"]} if "first_filter" in change else {})
    token = q(client, idx, [0, 0, 0, 0], **first_params)["nextToken"]
    second = dict(first_params)
    for name in ("topK", "filter", "queryMode"):
        if name in change:
            second[name] = change[name]
    target = where("euc-other") if change.get("other_index") else idx
    code, _, status, _ = query_error(client, target, change.get("vector", [0, 0, 0, 0]), **second, nextToken=token)
    assert (code, status) == ("ValidationException", 400)


def test_garbage_tokens(client, paged):
    idx, _ = paged
    token = q(client, idx, [0, 0, 0, 0], topK=N)["nextToken"]
    forged = [
        token + "x",
        token[:-3] + "999",
        token.rsplit(".", 1)[0] + ".0",
        token.rsplit(".", 1)[0] + ".50",
        token.rsplit(".", 1)[0] + ".-100",
        "garbage",
        "abc.100",
        ".100",
        "x" * 4096,
        "🙂",
    ]
    for bad in forged:
        code, _, status, _ = query_error(client, idx, [0, 0, 0, 0], topK=N, nextToken=bad)
        assert (code, status) == ("ValidationException", 400), bad


# -- query modes (behaviour.md#modes, behaviour.md#decision-post-cutoff-buckets)
# --------------------------------------------------------------------


def test_classic_query_mode_refused_on_enhanced(client, euc):
    put(client, euc, {"a": ([1, 0, 0, 0], None)})
    code, _, status, _ = query_error(client, euc, [0, 0, 0, 0], queryMode="CLASSIC")
    assert (code, status) == ("ValidationException", 400)
    assert [v["key"] for v in q(client, euc, [0, 0, 0, 0], queryMode="ENHANCED")["vectors"]] == ["a"]


@pytest.fixture
def legacy(legacy_client):
    legacy_client.create_vector_bucket(vectorBucketName=BUCKET)
    legacy_client.create_index(**where("old"), dataType="float32", dimension=4, distanceMetric="euclidean")
    put(
        legacy_client,
        where("old"),
        {
            "m1": ([1, 0, 0, 0], {"path": "/marketing/a", "n": 1}),
            "m2": ([2, 0, 0, 0], {"path": "/marketing/b", "n": 2}),
            "s1": ([3, 0, 0, 0], {"path": "/sales/a", "n": 3}),
        },
    )
    return where("old")


def test_legacy_index_is_classic(legacy_client, legacy):
    assert legacy_client.get_index(**legacy)["index"]["indexMode"] == "CLASSIC"


def test_starts_with_needs_enhanced_behaviour(legacy_client, legacy):
    starts = {"path": {"$startsWith": "/marketing/"}}
    for params in ({}, {"queryMode": "CLASSIC"}):
        assert query_error(legacy_client, legacy, [0, 0, 0, 0], filter=starts, **params) == INVALID_FILTER
    nested = {"$or": [{"n": 3}, starts]}
    assert query_error(legacy_client, legacy, [0, 0, 0, 0], filter=nested) == INVALID_FILTER
    result = q(legacy_client, legacy, [0, 0, 0, 0], filter=starts, queryMode="ENHANCED")
    assert [v["key"] for v in result["vectors"]] == ["m1", "m2"]
    result = q(legacy_client, legacy, [0, 0, 0, 0], filter=nested, queryMode="ENHANCED")
    assert [v["key"] for v in result["vectors"]] == ["m1", "m2", "s1"]
    assert legacy_client.get_index(**legacy)["index"]["indexMode"] == "CLASSIC"  # the index is unchanged


def test_starts_with_on_enhanced_index(client, euc):
    put(client, euc, {"a": ([1, 0, 0, 0], {"p": "abc"}), "b": ([2, 0, 0, 0], {"p": "Abc"})})
    assert [v["key"] for v in q(client, euc, [0, 0, 0, 0], filter={"p": {"$startsWith": "ab"}})["vectors"]] == ["a"]


def in_filter(n, field="n"):
    return {field: {"$in": list(range(n))}}


def constraint_error(client, idx, flt, **params):
    code, _, status, _ = query_error(client, idx, [0, 0, 0, 0], filter=flt, **params)
    assert (code, status) == ("ValidationException", 400)


def test_hundred_constraints_on_enhanced(client, euc):
    put(client, euc, {"a": ([1, 0, 0, 0], {"n": 99, "s": "x"})})
    assert [v["key"] for v in q(client, euc, [0, 0, 0, 0], filter=in_filter(100))["vectors"]] == ["a"]
    constraint_error(client, euc, in_filter(101))
    # behaviour.md#modes counting: $and/$or are free, $in counts its values, a range pair counts 2.
    ok = {"$and": [{"s": "x"}, {"$or": [in_filter(97), {"n": {"$gte": 0, "$lte": 1000}}]}]}
    assert [v["key"] for v in q(client, euc, [0, 0, 0, 0], filter=ok)["vectors"]] == ["a"]
    constraint_error(client, euc, {"$and": [{"s": "x"}, {"$or": [in_filter(98), {"n": {"$gte": 0, "$lte": 9}}]}]})
    constraint_error(client, euc, {"$or": [{"n": {"$nin": list(range(60))}}, {"n": {"$in": list(range(41))}}]})
    constraint_error(client, euc, {"$or": [{"n": i} for i in range(101)]})
    assert len(q(client, euc, [0, 0, 0, 0], filter={"$or": [{"n": i} for i in range(100)]})["vectors"]) == 1


def test_no_constraint_limit_on_classic(legacy_client, legacy):
    for flt in (in_filter(101), in_filter(1000), {"$or": [{"n": i} for i in range(150)]}):
        assert [v["key"] for v in q(legacy_client, legacy, [0, 0, 0, 0], filter=flt)["vectors"]] == ["m1", "m2", "s1"]
    # [RECOMMENDED] queryMode=ENHANCED brings ENHANCED validation, limit included.
    constraint_error(legacy_client, legacy, in_filter(101), queryMode="ENHANCED")


# -- vector, texts ---------------------------------------------------------------------------------


def test_neither_query_vector_nor_texts(client, raw_client, euc):
    with pytest.raises(ClientError) as exc:
        raw_client.query_vectors(**euc, topK=3)
    code, _, status, _ = error_of(exc)
    assert (code, status) == ("ValidationException", 400)


@pytest.mark.parametrize("with_vector", [False, True])
def test_query_texts_need_a_text_configuration(client, euc, with_vector):
    # behaviour.md#search-validation: queryTexts on a key without a text search configuration is refused (full-text
    # and hybrid search themselves are tested in test_text_search.py).
    put(client, euc, {"a": ([1, 0, 0, 0], {"body": "hello world"})})
    params = {"queryTexts": [{"text": "hello", "metadataKey": "body"}], "topK": 3}
    if with_vector:
        params["queryVector"] = {"float32": [0, 0, 0, 0]}
    with pytest.raises(ClientError) as exc:
        client.query_vectors(**euc, **params)
    code, message, status, _ = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message == "Metadata key 'body' is not configured for full-text search"
