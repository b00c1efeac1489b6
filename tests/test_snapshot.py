"""Whole-emulator snapshots (behaviour.md#consistency-snapshots): ``GET /_emulator/snapshot`` streams every account
and region as one archive of dumps, and ``--init`` restores it in another emulator, nothing lost."""

from __future__ import annotations

import http.client
import io
import json
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import client_for, running_emulator

KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _snapshot(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        conn.request("GET", "/_emulator/snapshot", headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def _fill(url: str) -> dict[str, Any]:
    """Buckets and indexes with every setting a snapshot carries, in two accounts and regions; returns the vectors."""
    client = client_for(url)
    client.create_vector_bucket(
        vectorBucketName="media", encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": KMS}, tags={"team": "a"}
    )
    client.put_vector_bucket_policy(vectorBucketName="media", policy='{"Version":"2012-10-17","Statement":[]}')
    client.create_index(
        vectorBucketName="media",
        indexName="films",
        dataType="float32",
        dimension=8,
        distanceMetric="cosine",
        metadataConfiguration={
            "nonFilterableMetadataKeys": ["body"],
            "textSearchConfigurations": [{"metadataKey": "title", "language": "en"}],
        },
        encryptionConfiguration={"sseType": "AES256"},
        tags={"kind": "films"},
    )
    client.create_index(
        vectorBucketName="media", indexName="empty", dataType="float32", dimension=3, distanceMetric="euclidean"
    )
    data = np.random.default_rng(5).standard_normal((1300, 8)).astype(np.float32)
    data[0] = [1e-45, 3.4028235e38, -0.0, 1.1754942e-38, 0.1, 16777217.0, 1.0, 2.0]
    metadata = [{"title": f"film number {i}", "year": 1900 + i % 100, "body": "x" * (i % 7)} for i in range(1300)]
    for start in range(0, 1300, 500):
        client.put_vectors(
            vectorBucketName="media",
            indexName="films",
            vectors=[
                {"key": f"k{i}", "data": {"float32": data[i].tolist()}, "metadata": metadata[i]}
                for i in range(start, min(1300, start + 500))
            ],
        )
    other = client_for(url, region="eu-west-1", access_key="111122223333")
    other.create_vector_bucket(vectorBucketName="elsewhere")
    other.create_index(
        vectorBucketName="elsewhere", indexName="one", dataType="float32", dimension=2, distanceMetric="euclidean"
    )
    other.put_vectors(
        vectorBucketName="elsewhere", indexName="one", vectors=[{"key": "z", "data": {"float32": [3, 4]}}]
    )
    return {"data": data, "metadata": metadata}


def _described(url: str) -> dict[str, Any]:
    """Everything the API tells of the emulator's state, creation times aside, vectors as float32 bytes."""
    out: dict[str, Any] = {}
    for region, key in (("us-east-1", "test"), ("eu-west-1", "111122223333")):
        client = client_for(url, region=region, access_key=key)
        for summary in client.list_vector_buckets()["vectorBuckets"]:
            name = summary["vectorBucketName"]
            bucket = client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]
            bucket.pop("creationTime")
            bucket["tags"] = client.list_tags_for_resource(resourceArn=bucket["vectorBucketArn"])["tags"]
            try:
                bucket["policy"] = client.get_vector_bucket_policy(vectorBucketName=name)["policy"]
            except client.exceptions.NotFoundException:
                pass
            for listed in client.list_indexes(vectorBucketName=name)["indexes"]:
                index = client.get_index(vectorBucketName=name, indexName=listed["indexName"])["index"]
                index.pop("creationTime")
                index["tags"] = client.list_tags_for_resource(resourceArn=index["indexArn"])["tags"]
                pages = client.get_paginator("list_vectors").paginate(
                    vectorBucketName=name, indexName=listed["indexName"], returnData=True, returnMetadata=True
                )
                index["vectors"] = sorted(
                    (v["key"], np.array(v["data"]["float32"], dtype=np.float32).tobytes(), json.dumps(v["metadata"]))
                    for page in pages
                    for v in page["vectors"]
                )
                bucket[f"index {listed['indexName']}"] = index
            out[f"{region} {name}"] = bucket
    return out


def test_a_snapshot_restored_by_init_holds_everything_bit_exact(tmp_path: Path):
    with running_emulator(Config(port=0)) as url:
        filled = _fill(url)
        before = _described(url)
        status, headers, archive = _snapshot(url)
    assert status == 200 and headers["content-type"] == "application/gzip"
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    names = tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz").getnames()
    assert sorted(names) == [
        "111122223333/eu-west-1/manifest.json",
        "111122223333/eu-west-1/vectors/elsewhere/one.jsonl.gz",
        "123456789012/us-east-1/manifest.json",
        "123456789012/us-east-1/vectors/media/empty.jsonl.gz",
        "123456789012/us-east-1/vectors/media/films.jsonl.gz",
    ]
    path = tmp_path / "snapshot.tar.gz"
    path.write_bytes(archive)
    with running_emulator(Config(port=0, init=str(path))) as url:
        after = _described(url)
        hits = client_for(url).query_vectors(
            vectorBucketName="media",
            indexName="films",
            queryTexts=[{"metadataKey": "title", "text": "number 7"}],
            topK=3,
        )["vectors"]
    assert after == before
    films = after["us-east-1 media"]["index films"]["vectors"]
    assert dict((k, v) for k, v, _ in films)["k0"] == filled["data"][0].tobytes()
    assert hits  # the text index was rebuilt from the restored metadata


def test_the_snapshot_of_an_empty_emulator_restores_to_an_empty_one(tmp_path: Path):
    with running_emulator(Config(port=0)) as url:
        status, _, archive = _snapshot(url)
    assert status == 200
    (tmp_path / "empty.tar.gz").write_bytes(archive)
    with running_emulator(Config(port=0, init=str(tmp_path / "empty.tar.gz"))) as url:
        assert client_for(url).list_vector_buckets()["vectorBuckets"] == []


def test_under_auth_a_snapshot_needs_a_signature():
    config = Config(port=0, credentials=(("AKID", "SECRET"),))
    with running_emulator(config) as url:
        status, headers, body = _snapshot(url)
        assert (status, headers["x-amzn-errortype"]) == (403, "MissingAuthenticationTokenException")
        request = AWSRequest(method="GET", url=f"{url}/_emulator/snapshot")
        SigV4Auth(Credentials("AKID", "SECRET"), "s3vectors", "us-east-1").add_auth(request)
        status, _, archive = _snapshot(url, dict(request.headers.items()))
        assert status == 200
        assert tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz").getnames() == [
            "123456789012/us-east-1/manifest.json"
        ]


def test_a_client_that_leaves_half_way_leaves_the_server_serving():
    with running_emulator(Config(port=0)) as url:
        client = client_for(url)
        client.create_vector_bucket(vectorBucketName="media")
        client.create_index(
            vectorBucketName="media", indexName="films", dataType="float32", dimension=1024, distanceMetric="cosine"
        )
        rows = np.random.default_rng(9).standard_normal((500, 1024)).astype(np.float32)
        client.put_vectors(
            vectorBucketName="media",
            indexName="films",
            vectors=[{"key": f"k{i}", "data": {"float32": rows[i].tolist()}} for i in range(500)],
        )
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        conn.request("GET", "/_emulator/snapshot")
        answer = conn.getresponse()
        assert answer.status == 200 and len(answer.read(100)) == 100
        conn.close()  # the rest is never read
        status, _, archive = _snapshot(url)
        assert status == 200 and len(tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz").getnames()) == 2
        assert client.list_vector_buckets()["vectorBuckets"][0]["vectorBucketName"] == "media"


def test_an_archive_that_is_no_snapshot_is_one_line(tmp_path: Path):
    from test_seed import _fails

    (tmp_path / "garbage.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    line = _fails("--init", str(tmp_path / "garbage.tar.gz"))
    assert line.startswith(f"s3vectors-emulator: {tmp_path / 'garbage.tar.gz'}: not a readable snapshot archive")
    with tarfile.open(tmp_path / "other.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("README")
        tar.addfile(info, io.BytesIO(b""))
    line = _fails("--init", str(tmp_path / "other.tar.gz"))
    assert line == f"s3vectors-emulator: {tmp_path / 'other.tar.gz'}: holds no <account>/<region>/manifest.json"


def test_a_legacy_emulator_restores_text_search_on_an_index_made_enhanced_later(tmp_path: Path):
    """behaviour.md#text-config-create: text search needs ENHANCED, which this index became after its creation."""
    with running_emulator(Config(port=0, legacy_buckets=True)) as url:
        client = client_for(url)
        client.create_vector_bucket(vectorBucketName="old")
        client.create_index(
            vectorBucketName="old", indexName="docs", dataType="float32", dimension=2, distanceMetric="cosine"
        )
        client.create_index(
            vectorBucketName="old", indexName="plain", dataType="float32", dimension=2, distanceMetric="cosine"
        )
        client.update_index_mode(vectorBucketName="old", indexName="docs", indexMode="ENHANCED")
        client.update_metadata_configuration(
            vectorBucketName="old", indexName="docs", add={"textSearchConfigurations": [{"metadataKey": "title"}]}
        )
        before = {name: client.get_index(vectorBucketName="old", indexName=name)["index"] for name in ("docs", "plain")}
        status, _, archive = _snapshot(url)
    assert status == 200
    (tmp_path / "legacy.tar.gz").write_bytes(archive)
    with running_emulator(Config(port=0, legacy_buckets=True, init=str(tmp_path / "legacy.tar.gz"))) as url:
        client = client_for(url)
        after = {name: client.get_index(vectorBucketName="old", indexName=name)["index"] for name in ("docs", "plain")}
    for index in (*before.values(), *after.values()):
        index.pop("creationTime")
    assert after == before
    assert after["docs"]["indexMode"] == "ENHANCED" and after["plain"]["indexMode"] == "CLASSIC"
