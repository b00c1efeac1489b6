"""Vector buckets: create, get, list, delete, names and their errors (behaviour.md#names,
behaviour.md#errors-catalogue, behaviour.md#listing, behaviour.md#tags)."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime

import pytest

from conformance.helpers import coral_length, coral_range, error_of, make_client

BUCKET_NOT_FOUND = ("NotFoundException", "The specified vector bucket could not be found", 404)
ARN = re.compile(r"^arn:aws[-a-z]*:s3vectors:(?P<region>[-a-z0-9]+):(?P<account>\d{12}):bucket/(?P<name>.+)$")


@pytest.mark.ref("tags")
def test_create_returns_arn_and_get_describes_bucket(client, target, buckets):
    name = buckets.name()
    arn = client.create_vector_bucket(vectorBucketName=name)["vectorBucketArn"]
    match = ARN.match(arn)
    assert match and match["name"] == name and match["region"] == target.region
    bucket = client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]
    assert bucket["vectorBucketName"] == name
    assert bucket["vectorBucketArn"] == arn
    assert isinstance(bucket["creationTime"], datetime) and bucket["creationTime"].tzinfo is not None
    assert bucket["encryptionConfiguration"] == {"sseType": "AES256"}
    assert client.get_vector_bucket(vectorBucketArn=arn)["vectorBucket"]["vectorBucketName"] == name


@pytest.mark.ref("listing")
def test_list_by_prefix_shows_summaries(client, buckets):
    hint = secrets.token_hex(3)
    names = sorted(buckets.create(f"{hint}-") for _ in range(3))
    listed = client.list_vector_buckets(prefix=names[0][:-8])["vectorBuckets"]
    assert sorted(b["vectorBucketName"] for b in listed) == names
    assert all(set(b) == {"vectorBucketName", "vectorBucketArn", "creationTime"} for b in listed)
    assert all(ARN.match(b["vectorBucketArn"])["name"] == b["vectorBucketName"] for b in listed)


@pytest.mark.ref("listing")
def test_list_with_prefix_matching_nothing(client, target):
    page = client.list_vector_buckets(prefix=f"{target.prefix}nothing-here")
    assert page["vectorBuckets"] == [] and "nextToken" not in page


@pytest.mark.decision("decision-duplicates-and-order")
def test_list_is_ascending_by_name(client, buckets):
    hint = secrets.token_hex(3)
    names = [buckets.create(f"{hint}-") for _ in range(4)]
    listed = [b["vectorBucketName"] for b in client.list_vector_buckets(prefix=names[0][:-8])["vectorBuckets"]]
    assert listed == sorted(names)


@pytest.mark.ref("errors-catalogue")
def test_delete_then_get_is_not_found(client, buckets):
    name = buckets.create()
    assert client.delete_vector_bucket(vectorBucketName=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert error_of(client.get_vector_bucket, vectorBucketName=name)[:3] == BUCKET_NOT_FOUND


@pytest.mark.ref("tags")
def test_delete_by_arn(client, buckets):
    name = buckets.create()
    arn = client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketArn"]
    client.delete_vector_bucket(vectorBucketArn=arn)
    assert error_of(client.get_vector_bucket, vectorBucketArn=arn)[:3] == BUCKET_NOT_FOUND


@pytest.mark.ref("errors-catalogue")
def test_duplicate_is_conflict(client, bucket):
    assert error_of(client.create_vector_bucket, vectorBucketName=bucket)[:3] == (
        "ConflictException",
        "A vector bucket with the specified name already exists",
        409,
    )


@pytest.mark.ref("errors-catalogue")
def test_delete_non_empty_is_conflict(client, buckets, bucket):
    buckets.index(bucket)
    assert error_of(client.delete_vector_bucket, vectorBucketName=bucket)[:3] == (
        "ConflictException",
        "The specified vector bucket is not empty",
        409,
    )


@pytest.mark.ref("errors-catalogue")
@pytest.mark.parametrize(
    "operation", ["get_vector_bucket", "list_indexes", "get_vector_bucket_policy", "delete_vector_bucket_policy"]
)
def test_missing_bucket_is_not_found(client, target, operation):
    name = f"{target.prefix}missing"
    assert error_of(getattr(client, operation), vectorBucketName=name)[:3] == BUCKET_NOT_FOUND


@pytest.mark.ref("errors-catalogue")
@pytest.mark.decision("decision-deleting-absent")
def test_delete_missing_bucket_is_not_found(client, target):
    assert error_of(client.delete_vector_bucket, vectorBucketName=f"{target.prefix}missing")[:3] == BUCKET_NOT_FOUND


@pytest.mark.ref("errors-catalogue")
def test_put_policy_on_missing_bucket_is_not_found(client, target):
    assert (
        error_of(
            client.put_vector_bucket_policy,
            vectorBucketName=f"{target.prefix}missing",
            policy='{"Version": "2012-10-17", "Statement": []}',
        )[:3]
        == BUCKET_NOT_FOUND
    )


@pytest.mark.ref("names")
def test_name_of_63_characters_is_accepted(client, target, buckets):
    name = buckets.exact(target.prefix + "a" * (63 - len(target.prefix)))
    client.create_vector_bucket(vectorBucketName=name)
    assert client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketName"] == name


@pytest.mark.ref("names")
def test_name_of_3_characters_is_accepted(client, target):
    if target.is_aws:
        pytest.skip("a 3-character name cannot carry the run's prefix: only off AWS")
    name = "z" + secrets.token_hex(1)
    client.create_vector_bucket(vectorBucketName=name)
    try:
        assert client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketName"] == name
    finally:
        client.delete_vector_bucket(vectorBucketName=name)


@pytest.mark.ref("names")
def test_name_of_64_characters_is_refused(raw, target, buckets):
    name = buckets.exact(target.prefix + "a" * (64 - len(target.prefix)))
    err = error_of(raw.create_vector_bucket, vectorBucketName=name)
    assert err[:3] == ("ValidationException", coral_length("/vectorBucketName", 64, 3, 63), 400)


@pytest.mark.decision("decision-wire-details")
def test_name_length_field_list(raw, target, buckets):
    name = buckets.exact(target.prefix + "a" * (64 - len(target.prefix)))
    assert error_of(raw.create_vector_bucket, vectorBucketName=name).fields == [
        {"path": "/vectorBucketName", "message": "Member must have length between 3 and 63, inclusive"}
    ]


@pytest.mark.ref("names")
def test_name_of_2_characters_is_refused(raw):
    try:
        err = error_of(raw.create_vector_bucket, vectorBucketName="ab")
    except pytest.fail.Exception:
        raw.delete_vector_bucket(vectorBucketName="ab")  # only if this run just created it
        raise
    assert err[:3] == ("ValidationException", coral_length("/vectorBucketName", 2, 3, 63), 400)


@pytest.mark.ref("names")
@pytest.mark.parametrize("suffix", ["with_under_score", "special&char"])
def test_name_with_bad_characters(client, raw, buckets, suffix):
    name = buckets.name(suffix)
    assert error_of(raw.create_vector_bucket, vectorBucketName=name)[:3] == (
        "ValidationException",
        "Invalid vector bucket name",
        400,
    )


@pytest.mark.ref("buckets-naming")
def test_name_starting_with_a_hyphen_is_refused(raw):
    name = "-" + secrets.token_hex(4)  # cannot carry the run's prefix
    try:
        err = error_of(raw.create_vector_bucket, vectorBucketName=name)
    except pytest.fail.Exception:
        raw.delete_vector_bucket(vectorBucketName=name)  # only if this run just created it
        raise
    assert err[:3] == ("ValidationException", "Invalid vector bucket name", 400)


@pytest.mark.decision("compat")
@pytest.mark.parametrize("suffix", ["UPPER", "dot.ted", "dash-last-"])
def test_name_outside_documented_alphabet(raw, buckets, suffix):
    name = buckets.name("x") + suffix
    buckets.exact(name)
    assert error_of(raw.create_vector_bucket, vectorBucketName=name)[:3] == (
        "ValidationException",
        "Invalid vector bucket name",
        400,
    )


@pytest.mark.ref("names")
def test_uuid_shaped_name_is_accepted(client, target, buckets):
    name = buckets.exact(target.prefix + str(uuid.uuid4()))
    client.create_vector_bucket(vectorBucketName=name)
    assert client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketName"] == name


BUCKET_OPERATIONS = [
    "get_vector_bucket",
    "delete_vector_bucket",
    "list_indexes",
    "get_vector_bucket_policy",
    "delete_vector_bucket_policy",
]
EITHER_BUCKET = ("ValidationException", "Must specify either vectorBucketName or vectorBucketArn but not both", 400)


@pytest.mark.ref("errors-catalogue")
@pytest.mark.parametrize("operation", BUCKET_OPERATIONS)
def test_name_and_arn_together_are_refused(raw, bucket, operation):
    arn = raw.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"]
    assert error_of(getattr(raw, operation), vectorBucketName=bucket, vectorBucketArn=arn)[:3] == EITHER_BUCKET
    assert raw.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketName"] == bucket


@pytest.mark.decision("compat")
@pytest.mark.parametrize("operation", BUCKET_OPERATIONS)
def test_neither_name_nor_arn_is_refused(raw, operation):
    assert error_of(getattr(raw, operation))[:3] == EITHER_BUCKET


@pytest.mark.ref("limits")
def test_list_max_results_boundary(client, raw, target):
    client.list_vector_buckets(maxResults=500, prefix=target.prefix)
    client.list_vector_buckets(maxResults=1, prefix=target.prefix)
    for value in (0, 501):
        assert error_of(raw.list_vector_buckets, maxResults=value)[:3] == (
            "ValidationException",
            coral_range("/maxResults", 1, 500),
            400,
        )


@pytest.mark.ref("listing")
def test_list_prefix_length_boundary(client, raw, target):
    assert client.list_vector_buckets(prefix=target.prefix + "p" * (63 - len(target.prefix)))["vectorBuckets"] == []
    err = error_of(raw.list_vector_buckets, prefix="p" * 64)
    assert err[:3] == ("ValidationException", coral_length("/prefix", 64, 1, 63), 400)


@pytest.mark.ref("tags")
def test_request_id_is_uuid_shaped(client, bucket):
    request_id = client.get_vector_bucket(vectorBucketName=bucket)["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(r"[0-9a-fA-F-]{36}", request_id)


@pytest.mark.decision("decision-error-shape")
def test_error_wire_format(client, target):
    with pytest.raises(Exception) as exc:
        client.get_vector_bucket(vectorBucketName=f"{target.prefix}missing")
    headers = exc.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"].split(":")[0] == "NotFoundException"
    assert headers["content-type"].startswith("application/json")
    assert re.fullmatch(r"[0-9a-fA-F-]{36}", headers["x-amzn-requestid"])


def other_region(target):
    return "us-west-2" if target.region != "us-west-2" else "us-east-1"


@pytest.mark.ref("listing")
@pytest.mark.decision("decision-accounts-regions")
def test_buckets_are_regional(client, target, bucket):
    region = other_region(target)
    other = make_client(target, region=region)
    assert other.list_vector_buckets(prefix=bucket)["vectorBuckets"] == []
    assert error_of(other.get_vector_bucket, vectorBucketName=bucket)[:3] == BUCKET_NOT_FOUND
    # The same name is free in the other region, and its ARN names that region.
    arn = other.create_vector_bucket(vectorBucketName=bucket)["vectorBucketArn"]
    try:
        assert ARN.match(arn)["region"] == region
        assert (
            ARN.match(arn)["account"]
            == client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"].split(":")[4]
        )
    finally:
        other.delete_vector_bucket(vectorBucketName=bucket)


@pytest.mark.decision("decision-name-or-arn")
def test_arn_of_another_region_is_not_found(client, target, bucket):
    arn = client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"]
    other = make_client(target, region=other_region(target))
    assert error_of(other.get_vector_bucket, vectorBucketArn=arn)[:3] == BUCKET_NOT_FOUND
