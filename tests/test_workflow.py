"""The workflow real users run against AWS (issue 3), end to end through boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import error_of

DIM = 1024


def vec(first: float) -> dict:
    return {"float32": [first] + [0.0] * (DIM - 1)}


def test_movies_workflow(client):
    client.create_vector_bucket(vectorBucketName="test-s3-vector-bucket")
    client.create_index(
        vectorBucketName="test-s3-vector-bucket",
        indexName="movies",
        dataType="float32",
        dimension=DIM,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["raw_text"]},
    )
    client.create_index(
        vectorBucketName="test-s3-vector-bucket",
        indexName="movies-euclidean",
        dataType="float32",
        dimension=DIM,
        distanceMetric="euclidean",
    )
    where = {"vectorBucketName": "test-s3-vector-bucket", "indexName": "movies"}

    client.put_vectors(
        **where,
        vectors=[
            {"key": "doc1", "data": vec(0.1), "metadata": {"genre": "mystery", "year": 2020, "raw_text": "hello"}}
        ],
    )
    got = client.get_vectors(**where, keys=["doc1"], returnData=True, returnMetadata=True)["vectors"]
    assert len(got) == 1 and got[0]["key"] == "doc1"
    assert len(got[0]["data"]["float32"]) == DIM
    assert got[0]["data"]["float32"][0] == 0.10000000149011612
    assert got[0]["metadata"] == {"genre": "mystery", "year": 2020, "raw_text": "hello"}

    listed = client.list_vectors(**where, returnMetadata=True)["vectors"]
    assert listed == [{"key": "doc1", "metadata": {"genre": "mystery", "year": 2020, "raw_text": "hello"}}]

    result = client.query_vectors(**where, queryVector=vec(0.19), topK=5, returnDistance=True, returnMetadata=True)
    assert result["distanceMetric"] == "cosine"
    assert [(v["key"], v["distance"]) for v in result["vectors"]] == [("doc1", 0.0)]
    assert result["vectors"][0]["metadata"]["genre"] == "mystery"

    client.put_vectors(
        **where,
        vectors=[
            {"key": "doc1", "data": vec(0.2), "metadata": {"genre": "mystery", "year": 2021, "raw_text": "hello2"}}
        ],
    )
    result = client.query_vectors(
        **where,
        queryVector=vec(0.19),
        topK=5,
        returnMetadata=True,
        filter={"$and": [{"genre": {"$eq": "mystery"}}, {"year": {"$gte": 2021}}]},
    )
    assert [(v["key"], v["metadata"]) for v in result["vectors"]] == [
        ("doc1", {"genre": "mystery", "year": 2021, "raw_text": "hello2"})
    ]

    with pytest.raises(ClientError) as exc:
        client.query_vectors(**where, queryVector=vec(0.19), topK=5, filter={"raw_text": {"$eq": "hello"}})
    assert error_of(exc)[:3] == ("ValidationException", "Invalid use of non-filterable metadata in filter", 400)

    client.delete_vectors(**where, keys=["doc1"])
    assert client.list_vectors(**where)["vectors"] == []

    euclid = {"vectorBucketName": "test-s3-vector-bucket", "indexName": "movies-euclidean"}
    client.put_vectors(**euclid, vectors=[{"key": "doc1", "data": vec(0.1)}])
    result = client.query_vectors(**euclid, queryVector=vec(0.19), topK=5, returnDistance=True)
    assert result["distanceMetric"] == "euclidean"
    (hit,) = result["vectors"]
    assert hit["distance"] == pytest.approx(0.0081, rel=1e-5)  # squared L2, behaviour.md#distances
