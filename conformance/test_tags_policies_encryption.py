"""Tags, bucket policies and encryption configurations (behaviour.md#limits, behaviour.md#errors-catalogue,
behaviour.md#tags)."""

from __future__ import annotations

import json

import pytest

from conformance.helpers import error_of

PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
POLICY_NOT_FOUND = ("NotFoundException", "The specified vector bucket policy could not be found", 404)
KMS_ARN = "arn:aws:kms:{region}:{account}:key/00000000-0000-4000-8000-000000000000"


@pytest.fixture
def arns(client, buckets):
    name = buckets.create(tags={"team": "search"})
    bucket = client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketArn"]
    client.create_index(
        vectorBucketName=name,
        indexName="idx",
        dataType="float32",
        dimension=2,
        distanceMetric="euclidean",
        tags={"env": "dev"},
    )
    index = client.get_index(vectorBucketName=name, indexName="idx")["index"]["indexArn"]
    return bucket, index


def account_of(arn):
    return arn.split(":")[4]


# -- tags --


@pytest.mark.ref("tags")
def test_tags_given_at_creation(client, arns):
    bucket, index = arns
    assert client.list_tags_for_resource(resourceArn=bucket)["tags"] == {"team": "search"}
    assert client.list_tags_for_resource(resourceArn=index)["tags"] == {"env": "dev"}


@pytest.mark.ref("tags")
def test_tag_overwrites_and_untag_removes_only_named_keys(client, arns):
    for arn in arns:
        client.tag_resource(resourceArn=arn, tags={"team": "infra", "cost": "", "path": "a/b:c=d+e-f@g.h"})
        client.untag_resource(resourceArn=arn, tagKeys=["path", "absent"])
        tags = client.list_tags_for_resource(resourceArn=arn)["tags"]
        assert tags["team"] == "infra" and tags["cost"] == "" and "path" not in tags


@pytest.mark.ref("tags")
def test_untagged_resource_lists_empty(client, bucket):
    arn = client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {}


@pytest.mark.ref("limits")
def test_fifty_tags_accepted_fifty_one_refused(client, arns):
    bucket, _ = arns
    client.tag_resource(resourceArn=bucket, tags={f"k{i}": "v" for i in range(49)})
    assert len(client.list_tags_for_resource(resourceArn=bucket)["tags"]) == 50
    assert error_of(client.tag_resource, resourceArn=bucket, tags={"one-more": "v"})[:3] == (
        "ValidationException",
        "Too many tags specified",
        400,
    )


@pytest.mark.ref("limits")
def test_fifty_one_tags_at_creation_refused(client, buckets):
    err = error_of(client.create_vector_bucket, vectorBucketName=buckets.name(), tags={f"k{i}": "v" for i in range(51)})
    assert err[:3] == ("ValidationException", "Too many tags specified", 400)


@pytest.mark.ref("errors-catalogue")
def test_system_tags_are_refused(client, arns):
    bucket, _ = arns
    assert error_of(client.tag_resource, resourceArn=bucket, tags={"aws:owner": "me"})[:3] == (
        "ValidationException",
        "System tags cannot be added/updated by requester",
        400,
    )
    assert error_of(client.tag_resource, resourceArn=bucket, tags={"AWS:owner": "me"})[:3] == (
        "ValidationException",
        'Invalid System Tag: AWS:owner must be prefixed with "aws:" in lowercase.',
        400,
    )


@pytest.mark.ref("tags")
def test_unusual_tags_are_accepted(client, arns):
    bucket, _ = arns
    tags = {" lead": "aws:x", "名前": "値", "𠀀": "𠀁", "empty": ""}
    client.tag_resource(resourceArn=bucket, tags=tags)
    assert client.list_tags_for_resource(resourceArn=bucket)["tags"].items() >= tags.items()


@pytest.mark.ref("errors-catalogue")
def test_tag_patterns(client, arns):
    bucket, _ = arns
    err = error_of(client.tag_resource, resourceArn=bucket, tags={"team": "bad#value"})
    assert err.code == "ValidationException"
    assert err.message.endswith(f"Member must satisfy regular expression pattern: {PATTERN}")
    assert err.fields == [
        {"path": "/tags/team", "message": f"Member must satisfy regular expression pattern: {PATTERN}"}
    ]
    err = error_of(client.tag_resource, resourceArn=bucket, tags={"bad#key": "v"})
    assert err.code == "ValidationException"
    assert err.fields == [{"path": "/tags", "message": f"Member must satisfy regular expression pattern: {PATTERN}"}]


@pytest.mark.ref("tags")
def test_tag_length_boundaries(client, raw, arns):
    bucket, _ = arns
    client.tag_resource(resourceArn=bucket, tags={"k" * 128: "v" * 256})
    for tags, where in (({"k" * 129: "v"}, "Value with length 129 at '/tags'"), ({"k": "v" * 257}, "at '/tags/k'")):
        err = error_of(raw.tag_resource, resourceArn=bucket, tags=tags)
        assert err.code == "ValidationException" and "Member must have length between" in err.message
        assert where in err.message


@pytest.mark.ref("errors-catalogue")
def test_tags_on_missing_resources(client, arns):
    bucket, index = arns
    for arn in (f"{bucket}-missing", f"{bucket}/index/missing"):
        assert error_of(client.list_tags_for_resource, resourceArn=arn)[::2] == ("NotFoundException", 404)
        assert error_of(client.tag_resource, resourceArn=arn, tags={"a": "b"})[::2] == ("NotFoundException", 404)
        assert error_of(client.untag_resource, resourceArn=arn, tagKeys=["a"])[::2] == ("NotFoundException", 404)


@pytest.mark.ref("tags")
def test_tags_vanish_with_their_resource(client, arns):
    bucket, index = arns
    client.delete_index(indexArn=index)
    assert error_of(client.list_tags_for_resource, resourceArn=index).code == "NotFoundException"
    name = bucket.rsplit("/", 1)[1]
    client.delete_vector_bucket(vectorBucketArn=bucket)
    assert error_of(client.list_tags_for_resource, resourceArn=bucket).code == "NotFoundException"
    client.create_vector_bucket(vectorBucketName=name)  # a new bucket of the same name starts untagged
    assert client.list_tags_for_resource(resourceArn=bucket)["tags"] == {}


@pytest.mark.decision("decision-tags")
def test_tags_of_missing_resources_say_what_is_missing(client, arns):
    bucket, index = arns
    for arn, message in (
        (f"{bucket}-missing", "The specified vector bucket could not be found"),
        (f"{bucket}/index/missing", "The specified index could not be found"),
    ):
        assert error_of(client.list_tags_for_resource, resourceArn=arn)[:3] == ("NotFoundException", message, 404)


# -- bucket policies --


def policy_for(client, bucket):
    arn = client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"]
    return arn, {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "conformance",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_of(arn)}:root"},
                "Action": "s3vectors:GetVectors",
                "Resource": f"{arn}/index/*",
            }
        ],
    }


@pytest.mark.ref("tags")
def test_policy_put_get_delete(client, bucket):
    arn, policy = policy_for(client, bucket)
    assert error_of(client.get_vector_bucket_policy, vectorBucketName=bucket)[:3] == POLICY_NOT_FOUND
    client.put_vector_bucket_policy(vectorBucketName=bucket, policy=json.dumps(policy))
    assert json.loads(client.get_vector_bucket_policy(vectorBucketName=bucket)["policy"]) == policy
    assert json.loads(client.get_vector_bucket_policy(vectorBucketArn=arn)["policy"]) == policy
    client.delete_vector_bucket_policy(vectorBucketArn=arn)
    assert error_of(client.get_vector_bucket_policy, vectorBucketName=bucket)[:3] == POLICY_NOT_FOUND


@pytest.mark.decision("compat")
def test_delete_policy_when_none_exists(client, bucket):
    assert client.delete_vector_bucket_policy(vectorBucketName=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.decision("compat")
@pytest.mark.parametrize("policy", ["not json", "{", "[1, 2]", '"a string"'])
def test_policy_that_is_not_a_json_object(client, bucket, policy):
    assert error_of(client.put_vector_bucket_policy, vectorBucketName=bucket, policy=policy)[:3] == (
        "ValidationException",
        "Policy must be a valid JSON document",
        400,
    )


@pytest.mark.ref("buckets-policy")
def test_policy_goes_with_its_bucket(client, bucket):
    _, policy = policy_for(client, bucket)
    client.put_vector_bucket_policy(vectorBucketName=bucket, policy=json.dumps(policy))
    client.delete_vector_bucket(vectorBucketName=bucket)
    client.create_vector_bucket(vectorBucketName=bucket)
    assert error_of(client.get_vector_bucket_policy, vectorBucketName=bucket)[:3] == POLICY_NOT_FOUND


# -- encryption --


@pytest.mark.ref("tags")
def test_index_with_aes256(client, buckets, bucket):
    buckets.index(bucket, encryptionConfiguration={"sseType": "AES256"})
    index = client.get_index(vectorBucketName=bucket, indexName="idx")["index"]
    assert index["encryptionConfiguration"] == {"sseType": "AES256"}


@pytest.mark.decision("compat")
def test_index_without_encryption_shows_the_buckets(client, buckets, bucket):
    buckets.index(bucket)
    index = client.get_index(vectorBucketName=bucket, indexName="idx")["index"]
    assert index["encryptionConfiguration"] == {"sseType": "AES256"}


# An encryption configuration's type and key must go together; the same rule for buckets and indexes.
PAIRINGS = pytest.mark.parametrize(
    ("configuration", "message"),
    [
        ({"sseType": "AES256", "kmsKeyArn": KMS_ARN}, "kmsKeyArn must not be specified when sseType is AES256."),
        ({"kmsKeyArn": KMS_ARN}, "kmsKeyArn must not be specified when sseType is AES256."),
        ({"sseType": "aws:kms"}, "kmsKeyArn must be specified when sseType is set to aws:kms"),
    ],
    ids=["aes256-with-key", "key-without-type", "kms-without-key"],
)


@pytest.mark.ref("errors-catalogue")
@PAIRINGS
def test_index_encryption_pairing(client, target, bucket, configuration, message):
    account = account_of(client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"])
    configuration = {k: v.format(region=target.region, account=account) for k, v in configuration.items()}
    err = error_of(
        client.create_index,
        vectorBucketName=bucket,
        indexName="idx",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
        encryptionConfiguration=configuration,
    )
    assert err[:3] == ("ValidationException", message, 400)
    assert err.fields == [{"path": "EncryptionConfiguration", "message": message}]


@pytest.mark.decision("compat")
@PAIRINGS
def test_bucket_encryption_pairing(client, target, bucket, buckets, configuration, message):
    account = account_of(client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"])
    configuration = {k: v.format(region=target.region, account=account) for k, v in configuration.items()}
    err = error_of(client.create_vector_bucket, vectorBucketName=buckets.name(), encryptionConfiguration=configuration)
    assert err[:3] == ("ValidationException", message, 400)
    assert err.fields == [{"path": "EncryptionConfiguration", "message": message}]


@pytest.mark.decision("compat")
def test_any_well_formed_kms_key_is_accepted(client, target, buckets):
    name = buckets.create()
    account = account_of(client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]["vectorBucketArn"])
    key = KMS_ARN.format(region=target.region, account=account)
    client.create_index(
        vectorBucketName=name,
        indexName="kms",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
        encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": key},
    )
    index = client.get_index(vectorBucketName=name, indexName="kms")["index"]
    assert index["encryptionConfiguration"] == {"sseType": "aws:kms", "kmsKeyArn": key}
    kms_bucket = buckets.create(encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": key})
    bucket = client.get_vector_bucket(vectorBucketName=kms_bucket)["vectorBucket"]
    assert bucket["encryptionConfiguration"] == {"sseType": "aws:kms", "kmsKeyArn": key}


@pytest.mark.ref("names")
def test_lone_surrogate_in_a_tag(raw, arns):
    bucket, _ = arns
    assert error_of(raw.tag_resource, resourceArn=bucket, tags={"a": "\ud800"})[:3] == (
        "SerializationException",
        "UnknownError",
        400,
    )


def create_with(raw, buckets, bucket, resource, configuration):
    """CreateVectorBucket (a new bucket) or CreateIndex (in ``bucket``) with ``configuration``."""
    if resource == "bucket":
        return raw.create_vector_bucket(vectorBucketName=buckets.name(), encryptionConfiguration=configuration)
    return raw.create_index(
        vectorBucketName=bucket,
        indexName="idx",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
        encryptionConfiguration=configuration,
    )


@pytest.mark.ref("buckets-encryption")
@pytest.mark.parametrize("resource", ["bucket", "index"])
@pytest.mark.parametrize("key", ["arn:aws:kms:{region}:{account}:alias/conformance", "alias/conformance"])
def test_kms_key_must_be_a_key_arn(raw, target, buckets, bucket, resource, key):
    account = account_of(raw.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"])
    configuration = {"sseType": "aws:kms", "kmsKeyArn": key.format(region=target.region, account=account)}
    err = error_of(create_with, raw, buckets, bucket, resource, configuration)
    assert err.code == "ValidationException" and "Member must satisfy regular expression pattern" in err.message


@pytest.mark.ref("buckets-encryption")
@pytest.mark.parametrize("resource", ["bucket", "index"])
def test_sse_type_enum(raw, buckets, bucket, resource):
    err = error_of(create_with, raw, buckets, bucket, resource, {"sseType": "AES512"})
    assert err[:3] == (
        "ValidationException",
        "1 validation error detected. Value at "
        "'/encryptionConfiguration/sseType' failed to satisfy constraint: Member must satisfy enum "
        "value set: [AES256, aws:kms]",
        400,
    )


@pytest.mark.ref("errors-catalogue")
def test_missing_kms_key_is_access_denied(client, target, bucket):
    if not target.is_aws:
        pytest.skip("KMS is not emulated (docs/compatibility.md): only real AWS checks keys")
    account = account_of(client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"])
    key = KMS_ARN.format(region=target.region, account=account)
    err = error_of(
        client.create_index,
        vectorBucketName=bucket,
        indexName="kms",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
        encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": key},
    )
    assert err.code == "AccessDeniedException" and err.status == 403
    assert err.message.startswith(f"Key '{key}' does not exist")
