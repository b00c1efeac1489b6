"""Vector buckets through boto3 against the HTTP server (behaviour.md#names, behaviour.md#errors-catalogue,
behaviour.md#listing, behaviour.md#tags)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import error_of


def test_create_get_list_delete(client):
    arn = client.create_vector_bucket(vectorBucketName="my-bucket")["vectorBucketArn"]
    assert arn == "arn:aws:s3vectors:us-east-1:123456789012:bucket/my-bucket"
    bucket = client.get_vector_bucket(vectorBucketName="my-bucket")["vectorBucket"]
    assert bucket["vectorBucketName"] == "my-bucket"
    assert bucket["vectorBucketArn"] == arn
    assert isinstance(bucket["creationTime"], dt.datetime)
    assert abs(bucket["creationTime"].timestamp() - dt.datetime.now().timestamp()) < 60
    # behaviour.md#tags: AES256 is the default encryption, reported even when none was given.
    assert bucket["encryptionConfiguration"] == {"sseType": "AES256"}
    assert bucket["defaultIndexMode"] == "ENHANCED"  # behaviour.md#decision-post-cutoff-buckets
    assert client.get_vector_bucket(vectorBucketArn=arn)["vectorBucket"]["vectorBucketName"] == "my-bucket"
    listed = client.list_vector_buckets()["vectorBuckets"]
    assert [b["vectorBucketName"] for b in listed] == ["my-bucket"]
    assert set(listed[0]) == {"vectorBucketName", "vectorBucketArn", "creationTime"}
    client.delete_vector_bucket(vectorBucketName="my-bucket")
    assert client.list_vector_buckets()["vectorBuckets"] == []


def test_delete_by_arn(client):
    arn = client.create_vector_bucket(vectorBucketName="by-arn")["vectorBucketArn"]
    client.delete_vector_bucket(vectorBucketArn=arn)
    with pytest.raises(ClientError) as exc:
        client.get_vector_bucket(vectorBucketArn=arn)
    assert error_of(exc)[:3] == ("NotFoundException", "The specified vector bucket could not be found", 404)


def test_uuid_names_are_valid(client):
    name = str(uuid.uuid4())
    client.create_vector_bucket(vectorBucketName=name)
    assert client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketName"] == name


@pytest.mark.parametrize("length", [2, 64])
def test_name_length(raw_client, length):
    with pytest.raises(ClientError) as exc:
        raw_client.create_vector_bucket(vectorBucketName="a" * length)
    code, message, status, fields = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        f"1 validation error detected. Value with length {length} at '/vectorBucketName' failed to satisfy "
        "constraint: Member must have length between 3 and 63, inclusive"
    )
    assert fields == [{"path": "/vectorBucketName", "message": "Member must have length between 3 and 63, inclusive"}]


def test_name_length_boundaries_accepted(client):
    client.create_vector_bucket(vectorBucketName="abc")
    client.create_vector_bucket(vectorBucketName="a" * 63)
    assert len(client.list_vector_buckets()["vectorBuckets"]) == 2


@pytest.mark.parametrize("name", ["with_under_score", "special&char", "UpperCase", "-leading", "trailing-", "has.dot"])
def test_name_characters(client, name):
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName=name)
    assert error_of(exc)[:3] == ("ValidationException", "Invalid vector bucket name", 400)


def test_duplicate(client):
    client.create_vector_bucket(vectorBucketName="dup")
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName="dup")
    assert error_of(exc)[:3] == ("ConflictException", "A vector bucket with the specified name already exists", 409)


@pytest.mark.parametrize(
    "op",
    [
        "get_vector_bucket",
        "delete_vector_bucket",
        "list_indexes",
        "get_vector_bucket_policy",
        "delete_vector_bucket_policy",
    ],
)
def test_missing_bucket(client, op):
    with pytest.raises(ClientError) as exc:
        getattr(client, op)(vectorBucketName="nope")
    assert error_of(exc)[:3] == ("NotFoundException", "The specified vector bucket could not be found", 404)


def test_not_empty(client):
    client.create_vector_bucket(vectorBucketName="full")
    client.create_index(
        vectorBucketName="full", indexName="idx", dataType="float32", dimension=2, distanceMetric="cosine"
    )
    with pytest.raises(ClientError) as exc:
        client.delete_vector_bucket(vectorBucketName="full")
    assert error_of(exc)[:3] == ("ConflictException", "The specified vector bucket is not empty", 409)


@pytest.mark.parametrize(
    "params",
    [
        {"vectorBucketName": "bb1", "vectorBucketArn": "arn:aws:s3vectors:us-east-1:123456789012:bucket/bb1"},
        {},
    ],
)
@pytest.mark.parametrize(
    "op",
    [
        "get_vector_bucket",
        "delete_vector_bucket",
        "list_indexes",
        "get_vector_bucket_policy",
        "delete_vector_bucket_policy",
    ],
)
def test_name_or_arn(raw_client, op, params):
    raw_client.create_vector_bucket(vectorBucketName="bb1")
    with pytest.raises(ClientError) as exc:
        getattr(raw_client, op)(**params)
    assert error_of(exc)[:3] == (
        "ValidationException",
        "Must specify either vectorBucketName or vectorBucketArn but not both",
        400,
    )


def test_list_prefix_and_pages(client):
    for name in ["prefix1-a", "prefix1-b", "prefix1-c", "prefix2-a", "other"]:
        client.create_vector_bucket(vectorBucketName=name)
    assert [b["vectorBucketName"] for b in client.list_vector_buckets(prefix="prefix1")["vectorBuckets"]] == [
        "prefix1-a",
        "prefix1-b",
        "prefix1-c",
    ]
    empty = client.list_vector_buckets(prefix="zzz")
    assert empty["vectorBuckets"] == [] and "nextToken" not in empty
    first = client.list_vector_buckets(maxResults=2)
    assert [b["vectorBucketName"] for b in first["vectorBuckets"]] == ["other", "prefix1-a"]
    second = client.list_vector_buckets(maxResults=2, nextToken=first["nextToken"])
    assert [b["vectorBucketName"] for b in second["vectorBuckets"]] == ["prefix1-b", "prefix1-c"]
    third = client.list_vector_buckets(maxResults=2, nextToken=second["nextToken"])
    assert [b["vectorBucketName"] for b in third["vectorBuckets"]] == ["prefix2-a"]
    assert "nextToken" not in third
    # The paginator walks the same pages.
    pages = client.get_paginator("list_vector_buckets").paginate(PaginationConfig={"PageSize": 2})
    assert [b["vectorBucketName"] for p in pages for b in p["vectorBuckets"]] == [
        "other",
        "prefix1-a",
        "prefix1-b",
        "prefix1-c",
        "prefix2-a",
    ]


def test_exactly_a_full_page_has_no_token(client):
    for name in ["aaa", "bbb"]:
        client.create_vector_bucket(vectorBucketName=name)
    assert "nextToken" not in client.list_vector_buckets(maxResults=2)


@pytest.mark.parametrize("value", [0, 501])
def test_list_max_results_range(raw_client, value):
    with pytest.raises(ClientError) as exc:
        raw_client.list_vector_buckets(maxResults=value)
    assert error_of(exc)[1] == (
        "1 validation error detected. Value at '/maxResults' failed to satisfy constraint: "
        "Member must be between 1 and 500, inclusive"
    )


def test_bad_next_token(client):
    with pytest.raises(ClientError) as exc:
        client.list_vector_buckets(nextToken="%%%not-a-token%%%")
    assert error_of(exc)[0] == "ValidationException"


def test_encryption_kms(client):
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    client.create_vector_bucket(
        vectorBucketName="kms-bucket", encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": key}
    )
    got = client.get_vector_bucket(vectorBucketName="kms-bucket")["vectorBucket"]["encryptionConfiguration"]
    assert got == {"sseType": "aws:kms", "kmsKeyArn": key}


@pytest.mark.parametrize(
    "config,message",
    [
        (
            {"sseType": "AES256", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"},
            "kmsKeyArn must not be specified when sseType is AES256.",
        ),
        (
            {"kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"},
            "kmsKeyArn must not be specified when sseType is AES256.",
        ),
        ({"sseType": "aws:kms"}, "kmsKeyArn must be specified when sseType is set to aws:kms"),
    ],
)
def test_encryption_pairing(client, config, message):
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName="enc", encryptionConfiguration=config)
    code, got, status, fields = error_of(exc)
    assert (code, got, status) == ("ValidationException", message, 400)
    assert fields == [{"path": "EncryptionConfiguration", "message": message}]


def test_kms_key_must_be_an_arn(raw_client):
    with pytest.raises(ClientError) as exc:
        raw_client.create_vector_bucket(
            vectorBucketName="enc", encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": "alias/mine"}
        )
    assert "Member must satisfy regular expression pattern" in error_of(exc)[1]


def test_bad_enum(raw_client):
    with pytest.raises(ClientError) as exc:
        raw_client.create_vector_bucket(vectorBucketName="enc", encryptionConfiguration={"sseType": "DES"})
    assert error_of(exc)[1] == (
        "1 validation error detected. Value at '/encryptionConfiguration/sseType' failed to "
        "satisfy constraint: Member must satisfy enum value set: [AES256, aws:kms]"
    )


def test_default_index_mode_classic_refused_on_new_bucket(client):
    client.create_vector_bucket(vectorBucketName="modern")
    with pytest.raises(ClientError) as exc:
        client.put_vector_bucket_default_index_mode(vectorBucketName="modern", defaultIndexMode="CLASSIC")
    assert error_of(exc)[0] == "ValidationException"  # behaviour.md#decision-post-cutoff-buckets
    client.put_vector_bucket_default_index_mode(vectorBucketName="modern", defaultIndexMode="ENHANCED")
    assert client.get_vector_bucket(vectorBucketName="modern")["vectorBucket"]["defaultIndexMode"] == "ENHANCED"


def test_default_index_mode_missing_bucket(client):
    with pytest.raises(ClientError) as exc:
        client.put_vector_bucket_default_index_mode(vectorBucketName="nope", defaultIndexMode="ENHANCED")
    assert error_of(exc)[:3] == ("NotFoundException", "The specified vector bucket could not be found", 404)


def test_bucket_quota(client, monkeypatch):
    """behaviour.md#limits: 10,000 buckets per account and region; the 402 status comes from the model."""
    from s3vectors_emulator.store import store

    monkeypatch.setattr(store, "MAX_BUCKETS", 3)
    for name in ["q-1", "q-2", "q-3"]:
        client.create_vector_bucket(vectorBucketName=name)
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName="q-4")
    assert error_of(exc)[0] == "ServiceQuotaExceededException"
    assert error_of(exc)[2] == 402
