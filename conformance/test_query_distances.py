"""QueryVectors: distances, ordering, result shape and query errors (behaviour.md#distances,
behaviour.md#errors-catalogue; behaviour.md#search-scores, behaviour.md#paging; behaviour.md#decision-query-results,
behaviour.md#decision-unseen-messages)."""

from __future__ import annotations

import math

import pytest

from conformance.helpers import coral_range, error_of, unit

INVALID_QUERY = "Query vector contains invalid values or is invalid for this index"


def query(client, where, data, **extra):
    params = {"topK": 10, "returnDistance": True} | extra
    return client.query_vectors(**where, queryVector={"float32": data}, **params)


@pytest.mark.ref("distances")
def test_cosine_distance_is_one_minus_similarity(client, buckets, bucket, close):
    where = buckets.index(bucket)
    client.put_vectors(
        **where,
        vectors=[
            {"key": k, "data": {"float32": v}}
            for k, v in [
                ("same", [1, 0, 0, 0]),
                ("scaled", [5, 0, 0, 0]),
                ("orthogonal", [0, 1, 0, 0]),
                ("opposite", [-1, 0, 0, 0]),
            ]
        ],
    )
    result = query(client, where, [1, 0, 0, 0])
    assert result["distanceMetric"] == "cosine"
    got = {v["key"]: v["distance"] for v in result["vectors"]}
    assert got == {"same": close(0.0), "scaled": close(0.0), "orthogonal": close(1.0), "opposite": close(2.0)}
    assert [v["key"] for v in result["vectors"]][2:] == ["orthogonal", "opposite"]


@pytest.mark.ref("distances")
def test_cosine_distance_of_a_skewed_pair(client, buckets, bucket, close):
    where = buckets.index(bucket, dimension=3)
    client.put_vectors(**where, vectors=[{"key": "v", "data": {"float32": [1, 1, 2]}}])
    (hit,) = query(client, where, [1, 1, 1])["vectors"]
    assert hit["distance"] == close(1 - 4 / (math.sqrt(3) * math.sqrt(6)))  # 0.05719


@pytest.mark.ref("distances")
def test_euclidean_distance_is_squared(client, buckets, bucket, close):
    where = buckets.index(bucket, dimension=3, metric="euclidean")
    client.put_vectors(
        **where,
        vectors=[{"key": k, "data": {"float32": v}} for k, v in [("a", [1, 1, 1]), ("b", [1, 1, 2]), ("c", [2, 2, 2])]],
    )
    result = query(client, where, [1, 1, 1])
    assert result["distanceMetric"] == "euclidean"
    assert [v["key"] for v in result["vectors"]] == ["a", "b", "c"]
    assert [v["distance"] for v in result["vectors"]] == [close(0.0), close(1.0), close(3.0)]


@pytest.mark.ref("distances")
def test_results_ascend_by_distance(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    client.put_vectors(
        **where, vectors=[{"key": f"k{i}", "data": {"float32": [i * 0.37 % 5, i * 0.11]}} for i in range(40)]
    )
    distances = [v["distance"] for v in query(client, where, [1.0, 1.0], topK=40)["vectors"]]
    assert len(distances) == 40 and distances == sorted(distances)


@pytest.mark.ref("distances")
def test_result_shape_follows_the_flags(client, buckets, bucket):
    where = buckets.index(bucket)
    client.put_vectors(
        **where, vectors=[{"key": "m", "data": unit(4), "metadata": {"genre": "x"}}, {"key": "n", "data": unit(4, 1)}]
    )
    plain = client.query_vectors(**where, queryVector=unit(4), topK=5)
    assert plain["distanceMetric"] == "cosine"
    assert [set(v) for v in plain["vectors"]] == [{"key"}, {"key"}]
    full = client.query_vectors(**where, queryVector=unit(4), topK=5, returnMetadata=True, returnDistance=True)
    assert [(v["key"], v["metadata"]) for v in full["vectors"]] == [("m", {"genre": "x"}), ("n", {})]
    assert all(set(v) == {"key", "metadata", "distance"} for v in full["vectors"])  # never `data` (behaviour.md#tags)
    off = client.query_vectors(**where, queryVector=unit(4), topK=5, returnMetadata=False, returnDistance=False)
    assert [set(v) for v in off["vectors"]] == [{"key"}, {"key"}]
    metadata = client.query_vectors(**where, queryVector=unit(4), topK=5, returnMetadata=True)
    assert [set(v) for v in metadata["vectors"]] == [{"key", "metadata"}] * 2
    distance = client.query_vectors(**where, queryVector=unit(4), topK=5, returnDistance=True)
    assert [set(v) for v in distance["vectors"]] == [{"key", "distance"}] * 2


@pytest.mark.ref("distances")
def test_top_k_larger_than_index_and_empty_index(client, buckets, bucket):
    where = buckets.index(bucket)
    empty = client.query_vectors(**where, queryVector=unit(4), topK=5, returnDistance=True, returnMetadata=True)
    assert empty["vectors"] == [] and empty["distanceMetric"] == "cosine" and "nextToken" not in empty
    client.put_vectors(**where, vectors=[{"key": f"k{i}", "data": unit(4, i)} for i in range(3)])
    assert len(client.query_vectors(**where, queryVector=unit(4), topK=50)["vectors"]) == 3


@pytest.mark.ref("distances")
@pytest.mark.parametrize("zero", [[0.0] * 4, [1e-46] * 4], ids=["zero", "rounds-to-zero"])
def test_zero_query_vector_on_cosine(client, buckets, bucket, zero):
    where = buckets.index(bucket)
    err = error_of(client.query_vectors, **where, queryVector={"float32": zero}, topK=1)
    assert err[:3] == ("ValidationException", INVALID_QUERY, 400)
    assert err.fields == [
        {"path": "vector", "message": "Invalid input: cosine distance does not support vectors with zero norm"}
    ]


@pytest.mark.decision("decision-vector-checks")
def test_zero_query_vector_on_euclidean(client, buckets, bucket):
    where = buckets.index(bucket, metric="euclidean")
    client.put_vectors(
        **where,
        vectors=[{"key": "origin", "data": {"float32": [0.0] * 4}}, {"key": "p", "data": {"float32": [3, 4, 0, 0]}}],
    )
    hits = query(client, where, [0.0] * 4)["vectors"]
    assert [(v["key"], v["distance"]) for v in hits] == [("origin", 0.0), ("p", 25.0)]


@pytest.mark.ref("queries-query-vector")
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e39], ids=["nan", "inf", "1e39"])
def test_non_finite_query_value(client, buckets, bucket, bad):
    where = buckets.index(bucket)
    err = error_of(client.query_vectors, **where, queryVector={"float32": [1.0, bad, 0.0, 0.0]}, topK=1)
    assert err[:3] == ("ValidationException", INVALID_QUERY, 400)
    assert [f["path"] for f in err.fields] == ["vector"]


@pytest.mark.decision("decision-unseen-messages")
def test_non_finite_query_value_detail(client, buckets, bucket):
    where = buckets.index(bucket)
    err = error_of(client.query_vectors, **where, queryVector={"float32": [1.0, float("nan"), 0.0, 0.0]}, topK=1)
    assert err.fields == [{"path": "vector", "message": "Invalid input: vector contains NaNs or Infs"}]


@pytest.mark.decision("decision-unseen-messages")
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("length", [1, 3, 5])
def test_wrong_dimension_query(client, buckets, bucket, metric, length):
    where = buckets.index(bucket, metric=metric)
    err = error_of(client.query_vectors, **where, queryVector={"float32": [1.0] * length}, topK=1)
    assert err[:3] == ("ValidationException", INVALID_QUERY, 400)
    assert err.fields == [
        {"path": "vector", "message": f"Invalid input: vector must have length 4, but has length {length}"}
    ]


@pytest.mark.decision("decision-query-results")
def test_ties_are_broken_by_key(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    client.put_vectors(
        **where,
        vectors=[{"key": k, "data": {"float32": [1.0, 0.0]}} for k in ["d", "b", "a", "c", "B"]]
        + [{"key": "z-near", "data": {"float32": [0.5, 0.0]}}, {"key": "0-far", "data": {"float32": [3.0, 0.0]}}],
    )
    # Ascending by code point ("B" before "a"); at the topK boundary the smaller keys win.
    assert [v["key"] for v in query(client, where, [0.0, 0.0])["vectors"]] == [
        "z-near",
        "B",
        "a",
        "b",
        "c",
        "d",
        "0-far",
    ]
    assert [v["key"] for v in query(client, where, [0.0, 0.0], topK=3)["vectors"]] == ["z-near", "B", "a"]


@pytest.mark.ref("paging")
def test_top_k_of_10000_is_accepted(client, buckets, bucket):
    where = buckets.index(bucket)
    client.put_vectors(**where, vectors=[{"key": "a", "data": unit(4)}])
    assert [v["key"] for v in client.query_vectors(**where, queryVector=unit(4), topK=10000)["vectors"]] == ["a"]


@pytest.mark.ref("paging")
def test_top_k_above_10000_is_refused(raw, buckets, bucket):
    where = buckets.index(bucket)
    assert error_of(raw.query_vectors, **where, queryVector=unit(4), topK=10001).code == "ValidationException"


@pytest.mark.decision("decision-query-results")
@pytest.mark.parametrize("top_k", [0, 10001])
def test_top_k_range_message(raw, buckets, bucket, top_k):
    where = buckets.index(bucket)
    assert error_of(raw.query_vectors, **where, queryVector=unit(4), topK=top_k)[:3] == (
        "ValidationException",
        coral_range("/topK", 1, 10000),
        400,
    )


@pytest.mark.ref("search-scores")
def test_query_without_vector_or_texts_is_refused(raw, buckets, bucket):
    where = buckets.index(bucket)
    assert error_of(raw.query_vectors, **where, topK=1).code == "ValidationException"


@pytest.mark.decision("compat")
def test_query_without_vector_or_texts_message(raw, buckets, bucket):
    where = buckets.index(bucket)
    assert (
        error_of(raw.query_vectors, **where, topK=1).message
        == "At least one of queryVector or queryTexts must be specified"
    )


@pytest.mark.ref("search-scores")
def test_return_scores_on_a_vector_query_adds_nothing(client, buckets, bucket):
    where = buckets.index(bucket)
    client.put_vectors(**where, vectors=[{"key": "a", "data": unit(4)}])
    (hit,) = client.query_vectors(**where, queryVector=unit(4), topK=1, returnScores=True)["vectors"]
    assert "scores" not in hit
