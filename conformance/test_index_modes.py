"""Index modes CLASSIC / ENHANCED, queryMode, `$startsWith` and the 100-constraint limit (behaviour.md#modes;
behaviour.md#decision-post-cutoff-buckets).

Buckets made today default to ENHANCED. CLASSIC indexes exist only in buckets made before 2026-09-30, which
only the emulator can make (``--legacy-buckets``): those tests are skipped on other targets.
"""

from __future__ import annotations

import pytest

from conformance.helpers import error_of, unit

CLASSIC_REFUSED = (
    "ValidationException",
    "CLASSIC index mode is only supported for vector indexes in vector buckets created before September 30, 2026",
    400,
)
QUERY = {"float32": [1.0, 0.0, 0.0, 0.0]}


def seeded(client, factory, bucket, **kwargs):
    where = factory.index(bucket, **kwargs)
    client.put_vectors(
        **where,
        vectors=[
            {"key": "docs", "data": unit(4), "metadata": {"path": "/docs/a", "n": 1}},
            {"key": "img", "data": unit(4, 1), "metadata": {"path": "/img/b", "n": 2}},
        ],
    )
    return where


def keys(result):
    return [v["key"] for v in result["vectors"]]


# -- buckets made today: ENHANCED --


@pytest.mark.ref("modes")
def test_new_bucket_and_index_are_enhanced(client, buckets, bucket):
    assert client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["defaultIndexMode"] == "ENHANCED"
    buckets.index(bucket)
    assert client.get_index(vectorBucketName=bucket, indexName="idx")["index"]["indexMode"] == "ENHANCED"


@pytest.mark.ref("modes")
def test_enhanced_is_accepted_everywhere(client, buckets, bucket):
    where = buckets.index(bucket)
    assert client.update_index_mode(**where, indexMode="ENHANCED")["ResponseMetadata"]["HTTPStatusCode"] == 200
    client.update_index_mode(**where, indexMode="ENHANCED")  # idempotent
    assert (
        client.put_vector_bucket_default_index_mode(vectorBucketName=bucket, defaultIndexMode="ENHANCED")[
            "ResponseMetadata"
        ]["HTTPStatusCode"]
        == 200
    )
    assert client.get_index(**where)["index"]["indexMode"] == "ENHANCED"
    assert client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["defaultIndexMode"] == "ENHANCED"


@pytest.mark.ref("modes")
def test_mode_operations_on_missing_resources(client, bucket, target):
    assert error_of(client.update_index_mode, vectorBucketName=bucket, indexName="nope", indexMode="ENHANCED")[:3] == (
        "NotFoundException",
        "The specified index could not be found",
        404,
    )
    assert error_of(
        client.put_vector_bucket_default_index_mode,
        vectorBucketName=f"{target.prefix}missing",
        defaultIndexMode="ENHANCED",
    )[:3] == ("NotFoundException", "The specified vector bucket could not be found", 404)


@pytest.mark.decision("decision-post-cutoff-buckets")
def test_classic_is_refused_on_a_new_bucket(client, buckets, bucket):
    where = buckets.index(bucket)
    assert error_of(client.update_index_mode, **where, indexMode="CLASSIC")[:3] == CLASSIC_REFUSED
    assert (
        error_of(client.put_vector_bucket_default_index_mode, vectorBucketName=bucket, defaultIndexMode="CLASSIC")[:3]
        == CLASSIC_REFUSED
    )


@pytest.mark.decision("decision-post-cutoff-buckets")
def test_query_mode_classic_on_enhanced_is_refused(client, buckets, bucket):
    where = buckets.index(bucket)
    assert error_of(client.query_vectors, **where, queryVector=QUERY, topK=1, queryMode="CLASSIC")[:3] == (
        "ValidationException",
        "Query mode CLASSIC cannot be used on a vector index in ENHANCED index mode",
        400,
    )


@pytest.mark.ref("modes")
def test_query_mode_enhanced_on_enhanced_changes_nothing(client, buckets, bucket):
    where = seeded(client, buckets, bucket)
    filter_ = {"path": {"$startsWith": "/docs/"}}
    assert (
        keys(client.query_vectors(**where, queryVector=QUERY, topK=5, filter=filter_, queryMode="ENHANCED"))
        == keys(client.query_vectors(**where, queryVector=QUERY, topK=5, filter=filter_))
        == ["docs"]
    )


@pytest.mark.ref("modes")
@pytest.mark.parametrize(
    "filter_",
    [
        {"$or": [{"n": i} for i in range(100)]},
        {"n": {"$in": list(range(100))}},
        {"$and": [{"n": {"$nin": list(range(50, 148))}}, {"n": {"$gte": 0, "$lte": 10}}]},
        {
            "$and": [
                {"path": {"$exists": True}},
                {"$or": [{"n": {"$in": list(range(97))}}, {"n": {"$gte": 0, "$lte": 9}}]},
            ]
        },
    ],
    ids=["or-of-100", "in-of-100", "nin-98-and-range-2", "nested-1-in-97-range-2"],
)
def test_100_constraints_are_accepted(client, buckets, bucket, filter_):
    where = seeded(client, buckets, bucket)
    assert keys(client.query_vectors(**where, queryVector=QUERY, topK=5, filter=filter_)) == ["docs", "img"]


@pytest.mark.ref("modes")
@pytest.mark.parametrize(
    "filter_",
    [
        {"$or": [{"n": i} for i in range(101)]},
        {"n": {"$in": list(range(101))}},
        {"$and": [{"n": {"$nin": list(range(50, 149))}}, {"n": {"$gte": 0, "$lte": 10}}]},
        {
            "$and": [
                {"path": {"$exists": True}},
                {"$or": [{"n": {"$in": list(range(98))}}, {"n": {"$gte": 0, "$lte": 9}}]},
            ]
        },
        {"$or": [{"n": {"$nin": list(range(60))}}, {"n": {"$in": list(range(41))}}]},
    ],
    ids=["or-of-101", "in-of-101", "nin-99-and-range-2", "nested-1-in-98-range-2", "nin-60-or-in-41"],
)
def test_101_constraints_are_refused(client, buckets, bucket, filter_):
    where = seeded(client, buckets, bucket)
    assert (
        error_of(client.query_vectors, **where, queryVector=QUERY, topK=5, filter=filter_).code == "ValidationException"
    )


@pytest.mark.decision("compat")
def test_constraint_limit_message(client, buckets, bucket):
    where = buckets.index(bucket)
    err = error_of(client.query_vectors, **where, queryVector=QUERY, topK=5, filter={"n": {"$in": list(range(101))}})
    assert err[:3] == ("ValidationException", "Filter exceeds the maximum of 100 constraints", 400)


# -- buckets made before 2026-09-30: CLASSIC (emulator only, behaviour.md#decision-post-cutoff-buckets) --


@pytest.mark.ref("modes")
@pytest.mark.decision("decision-post-cutoff-buckets")
def test_legacy_bucket_defaults_to_classic(legacy, legacy_buckets):
    client = legacy.client()
    bucket = legacy_buckets.create()
    assert client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["defaultIndexMode"] == "CLASSIC"
    where = legacy_buckets.index(bucket)
    assert client.get_index(**where)["index"]["indexMode"] == "CLASSIC"


@pytest.mark.ref("modes")
@pytest.mark.decision("decision-post-cutoff-buckets")
def test_legacy_modes_switch_both_ways(legacy, legacy_buckets):
    client = legacy.client()
    bucket = legacy_buckets.create()
    where = legacy_buckets.index(bucket, "first")
    client.update_index_mode(**where, indexMode="ENHANCED")
    assert client.get_index(**where)["index"]["indexMode"] == "ENHANCED"
    client.update_index_mode(**where, indexMode="CLASSIC")
    assert client.get_index(**where)["index"]["indexMode"] == "CLASSIC"
    client.put_vector_bucket_default_index_mode(vectorBucketName=bucket, defaultIndexMode="ENHANCED")
    assert client.get_index(**where)["index"]["indexMode"] == "CLASSIC"  # existing indexes keep their mode
    assert client.get_index(**legacy_buckets.index(bucket, "second"))["index"]["indexMode"] == "ENHANCED"


@pytest.mark.ref("modes")
@pytest.mark.decision("decision-post-cutoff-buckets")
def test_legacy_startswith_needs_query_mode_enhanced(legacy, legacy_buckets):
    client = legacy.client()
    where = seeded(client, legacy_buckets, legacy_buckets.create())
    filter_ = {"path": {"$startsWith": "/docs/"}}
    assert (
        error_of(client.query_vectors, **where, queryVector=QUERY, topK=5, filter=filter_).code == "ValidationException"
    )
    assert keys(client.query_vectors(**where, queryVector=QUERY, topK=5, filter=filter_, queryMode="ENHANCED")) == [
        "docs"
    ]
    assert keys(client.query_vectors(**where, queryVector=QUERY, topK=5, queryMode="CLASSIC")) == ["docs", "img"]


@pytest.mark.ref("modes")
@pytest.mark.decision("decision-post-cutoff-buckets")
def test_legacy_classic_has_no_constraint_limit(legacy, legacy_buckets):
    client = legacy.client()
    where = seeded(client, legacy_buckets, legacy_buckets.create())
    filter_ = {"n": {"$in": list(range(150))}}
    assert keys(client.query_vectors(**where, queryVector=QUERY, topK=5, filter=filter_)) == ["docs", "img"]


@pytest.mark.decision("compat")
def test_legacy_limit_applies_with_query_mode_enhanced(legacy, legacy_buckets):
    client = legacy.client()
    where = seeded(client, legacy_buckets, legacy_buckets.create())
    assert (
        error_of(
            client.query_vectors,
            **where,
            queryVector=QUERY,
            topK=5,
            queryMode="ENHANCED",
            filter={"n": {"$in": list(range(101))}},
        ).code
        == "ValidationException"
    )


@pytest.mark.decision("compat")
def test_legacy_startswith_refusal_is_invalid_filter(legacy, legacy_buckets):
    client = legacy.client()
    where = seeded(client, legacy_buckets, legacy_buckets.create())
    starts = {"path": {"$startsWith": "/"}}
    for filter_, mode in ((starts, {}), (starts, {"queryMode": "CLASSIC"}), ({"$or": [{"n": 3}, starts]}, {})):
        err = error_of(client.query_vectors, **where, queryVector=QUERY, topK=5, filter=filter_, **mode)
        assert err[:3] == ("ValidationException", "Invalid filter", 400)
        assert err.fields == [{"path": "filter", "message": "Invalid filter"}]
    nested = {"$or": [{"n": 2}, {"path": {"$startsWith": "/docs/"}}]}
    assert keys(client.query_vectors(**where, queryVector=QUERY, topK=5, filter=nested, queryMode="ENHANCED")) == [
        "docs",
        "img",
    ]
    assert client.get_index(**where)["index"]["indexMode"] == "CLASSIC"  # queryMode changed nothing


@pytest.mark.decision("compat")
def test_legacy_text_configuration_needs_enhanced(legacy, legacy_buckets):
    client = legacy.client()
    bucket = legacy_buckets.create()
    text = {"textSearchConfigurations": [{"metadataKey": "body"}]}
    assert (
        error_of(
            client.create_index,
            vectorBucketName=bucket,
            indexName="txt",
            dataType="float32",
            dimension=4,
            distanceMetric="cosine",
            metadataConfiguration=text,
        ).code
        == "ValidationException"
    )
    where = legacy_buckets.index(bucket)
    assert error_of(client.update_metadata_configuration, **where, add=text).code == "ValidationException"
