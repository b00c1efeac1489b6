"""The workflow users run against AWS (issue 3), end to end: bucket `test-s3-vector-bucket` (here under the run's
prefix), a cosine index `movies` with a non-filterable `raw_text`, and a euclidean `movies-euclidean`
(behaviour.md#metadata, behaviour.md#filters, behaviour.md#distances)."""

from __future__ import annotations

import pytest

from conformance.helpers import error_of

DIM = 1024


def vec(first):
    return {"float32": [first] + [0.0] * (DIM - 1)}


@pytest.mark.ref("distances")
def test_movies_workflow(client, target, buckets, close):
    bucket = buckets.exact(f"{target.prefix}test-s3-vector-bucket")
    client.create_vector_bucket(vectorBucketName=bucket)
    client.create_index(
        vectorBucketName=bucket,
        indexName="movies",
        dataType="float32",
        dimension=DIM,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["raw_text"]},
    )
    client.create_index(
        vectorBucketName=bucket,
        indexName="movies-euclidean",
        dataType="float32",
        dimension=DIM,
        distanceMetric="euclidean",
    )
    movies = {"vectorBucketName": bucket, "indexName": "movies"}

    client.put_vectors(
        **movies,
        vectors=[
            {"key": "doc1", "data": vec(0.1), "metadata": {"genre": "mystery", "year": 2020, "raw_text": "hello"}}
        ],
    )
    (got,) = client.get_vectors(**movies, keys=["doc1"], returnData=True, returnMetadata=True)["vectors"]
    assert got["key"] == "doc1" and len(got["data"]["float32"]) == DIM
    assert got["data"]["float32"][0] == 0.10000000149011612
    assert got["metadata"] == {"genre": "mystery", "year": 2020, "raw_text": "hello"}
    assert client.list_vectors(**movies, returnMetadata=True)["vectors"] == [
        {"key": "doc1", "metadata": {"genre": "mystery", "year": 2020, "raw_text": "hello"}}
    ]

    result = client.query_vectors(**movies, queryVector=vec(0.19), topK=5, returnDistance=True, returnMetadata=True)
    assert result["distanceMetric"] == "cosine"
    assert [(v["key"], v["distance"]) for v in result["vectors"]] == [("doc1", close(0.0))]
    assert result["vectors"][0]["metadata"]["genre"] == "mystery"

    client.put_vectors(
        **movies,
        vectors=[
            {"key": "doc1", "data": vec(0.2), "metadata": {"genre": "mystery", "year": 2021, "raw_text": "hello2"}}
        ],
    )
    result = client.query_vectors(
        **movies,
        queryVector=vec(0.19),
        topK=5,
        returnMetadata=True,
        filter={"$and": [{"genre": {"$eq": "mystery"}}, {"year": {"$gte": 2021}}]},
    )
    assert [(v["key"], v["metadata"]) for v in result["vectors"]] == [
        ("doc1", {"genre": "mystery", "year": 2021, "raw_text": "hello2"})
    ]

    err = error_of(client.query_vectors, **movies, queryVector=vec(0.19), topK=5, filter={"raw_text": {"$eq": "hello"}})
    assert err[:3] == ("ValidationException", "Invalid use of non-filterable metadata in filter", 400)

    client.delete_vectors(**movies, keys=["doc1"])
    assert client.list_vectors(**movies)["vectors"] == []
    assert client.query_vectors(**movies, queryVector=vec(0.19), topK=5)["vectors"] == []

    euclidean = {"vectorBucketName": bucket, "indexName": "movies-euclidean"}
    client.put_vectors(**euclidean, vectors=[{"key": "doc1", "data": vec(0.1)}])
    result = client.query_vectors(**euclidean, queryVector=vec(0.19), topK=5, returnDistance=True)
    assert result["distanceMetric"] == "euclidean"
    (hit,) = result["vectors"]
    assert hit["key"] == "doc1" and hit["distance"] == close(0.0081)  # squared L2 (behaviour.md#distances)
