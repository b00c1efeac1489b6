"""Vector indexes through boto3 against the HTTP server (behaviour.md#names, behaviour.md#errors-catalogue,
behaviour.md#tags; behaviour.md#text-config-create, behaviour.md#text-config-update, behaviour.md#modes)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import error_of

BUCKET = "idx-bucket"
ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/idx-bucket"


@pytest.fixture
def bucket(client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    return BUCKET


def create(client, name="idx", **extra):
    params = {
        "vectorBucketName": BUCKET,
        "indexName": name,
        "dataType": "float32",
        "dimension": 4,
        "distanceMetric": "cosine",
    } | extra
    return client.create_index(**params)


def test_create_get_list_delete(client, bucket):
    arn = create(client, metadataConfiguration={"nonFilterableMetadataKeys": ["raw_text"]})["indexArn"]
    assert arn == f"{ARN}/index/idx"
    index = client.get_index(vectorBucketName=BUCKET, indexName="idx")["index"]
    assert index["indexArn"] == arn
    assert (index["dataType"], index["dimension"], index["distanceMetric"]) == ("float32", 4, "cosine")
    assert index["metadataConfiguration"] == {"nonFilterableMetadataKeys": ["raw_text"]}
    assert index["indexMode"] == "ENHANCED"
    assert index["encryptionConfiguration"] == {"sseType": "AES256"}
    assert client.get_index(indexArn=arn)["index"]["indexName"] == "idx"
    listed = client.list_indexes(vectorBucketName=BUCKET)["indexes"]
    assert [(i["indexName"], i["indexArn"]) for i in listed] == [("idx", arn)]
    assert set(listed[0]) == {"vectorBucketName", "indexName", "indexArn", "creationTime"}
    assert client.list_indexes(vectorBucketArn=ARN)["indexes"][0]["indexName"] == "idx"
    client.delete_index(indexArn=arn)
    assert client.list_indexes(vectorBucketName=BUCKET)["indexes"] == []


def test_index_without_metadata_configuration_has_none(client, bucket):
    create(client)
    assert "metadataConfiguration" not in client.get_index(vectorBucketName=BUCKET, indexName="idx")["index"]


def test_names_with_dots_and_boundaries(client, bucket):
    for name in ["a.b", "abc", "x" * 63, "v1.2-3"]:
        create(client, name)
    names = [i["indexName"] for i in client.list_indexes(vectorBucketName=BUCKET)["indexes"]]
    assert names == sorted(
        ["a.b", "abc", "x" * 63, "v1.2-3"]
    )  # behaviour.md#decision-duplicates-and-order: ascending by name


@pytest.mark.parametrize("name", ["UPPER", "under_score", ".dot-first", "dash-last-", "sp ace"])
def test_bad_index_names(client, bucket, name):
    with pytest.raises(ClientError) as exc:
        create(client, name)
    assert error_of(exc)[:3] == (
        "ValidationException",
        "Invalid vector index name",
        400,
    )  # behaviour.md#decision-unseen-messages


@pytest.mark.parametrize("length", [2, 64])
def test_index_name_length(raw_client, bucket, length):
    with pytest.raises(ClientError) as exc:
        create(raw_client, "a" * length)
    assert error_of(exc)[1] == (
        f"1 validation error detected. Value with length {length} at '/indexName' failed to "
        "satisfy constraint: Member must have length between 3 and 63, inclusive"
    )


@pytest.mark.parametrize("dimension", [1, 4096])
def test_dimension_boundaries_accepted(client, bucket, dimension):
    create(client, dimension=dimension)
    assert client.get_index(vectorBucketName=BUCKET, indexName="idx")["index"]["dimension"] == dimension


@pytest.mark.parametrize("dimension", [0, 4097, 99999])
def test_dimension_out_of_range(raw_client, bucket, dimension):
    with pytest.raises(ClientError) as exc:
        create(raw_client, dimension=dimension)
    assert error_of(exc)[:3] == (
        "ValidationException",
        "1 validation error detected. Value at '/dimension' failed to "
        "satisfy constraint: Member must be between 1 and 4096, inclusive",
        400,
    )


def test_data_type_enum(raw_client, bucket):
    with pytest.raises(ClientError) as exc:
        create(raw_client, dataType="float16")
    assert error_of(exc)[1] == (
        "1 validation error detected. Value at '/dataType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [float32]"
    )


def test_distance_metric_enum(raw_client, bucket):
    with pytest.raises(ClientError) as exc:
        create(raw_client, distanceMetric="dot")
    assert error_of(exc)[1] == (
        "1 validation error detected. Value at '/distanceMetric' failed to satisfy "
        "constraint: Member must satisfy enum value set: [euclidean, cosine]"
    )


def test_missing_required_member(raw_client, bucket):
    with pytest.raises(ClientError) as exc:
        raw_client.create_index(vectorBucketName=BUCKET, indexName="idx", dataType="float32", distanceMetric="cosine")
    code, message, _, fields = error_of(exc)
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected. Value null at '/dimension' failed to satisfy constraint: Member must not be null"
    )
    assert fields == [{"path": "/dimension", "message": "Member must not be null"}]


def test_duplicate(client, bucket):
    create(client)
    with pytest.raises(ClientError) as exc:
        create(client)
    assert error_of(exc)[:3] == ("ConflictException", "An index with the specified name already exists", 409)


def test_create_in_missing_bucket(client):
    with pytest.raises(ClientError) as exc:
        create(client)
    assert error_of(exc)[:3] == ("NotFoundException", "The specified vector bucket could not be found", 404)


@pytest.mark.parametrize("op", ["get_index", "delete_index"])
def test_missing_index_and_missing_bucket(client, bucket, op):
    for bucket_name in (BUCKET, "no-such-bucket"):
        with pytest.raises(ClientError) as exc:
            getattr(client, op)(vectorBucketName=bucket_name, indexName="nope")
        assert error_of(exc)[:3] == ("NotFoundException", "The specified index could not be found", 404)


def test_delete_twice(client, bucket):
    create(client)
    client.delete_index(vectorBucketName=BUCKET, indexName="idx")
    with pytest.raises(ClientError) as exc:
        client.delete_index(vectorBucketName=BUCKET, indexName="idx")
    assert error_of(exc)[0] == "NotFoundException"  # behaviour.md#decision-deleting-absent


@pytest.mark.parametrize(
    "params",
    [
        {"indexArn": f"{ARN}/index/idx", "vectorBucketName": BUCKET, "indexName": "idx"},
        {"indexArn": f"{ARN}/index/idx", "indexName": "idx"},
        {"vectorBucketName": BUCKET},
        {"indexName": "idx"},
        {},
    ],
)
@pytest.mark.parametrize("op", ["get_index", "delete_index"])
def test_name_or_arn(raw_client, bucket, op, params):
    create(raw_client)
    with pytest.raises(ClientError) as exc:
        getattr(raw_client, op)(**params)
    assert error_of(exc)[:2] == (
        "ValidationException",
        "Must specify either indexArn or both vectorBucketName and indexName",
    )


def test_non_filterable_keys_limit(raw_client, bucket):
    create(raw_client, "ten", metadataConfiguration={"nonFilterableMetadataKeys": [f"k{i}" for i in range(10)]})
    with pytest.raises(ClientError) as exc:
        create(raw_client, "eleven", metadataConfiguration={"nonFilterableMetadataKeys": [f"k{i}" for i in range(11)]})
    assert error_of(exc)[1] == (
        "1 validation error detected. Value with length 11 at '/metadataConfiguration/nonFilterableMetadataKeys' "
        "failed to satisfy constraint: Member must have length between 0 and 10, inclusive"
    )


def test_non_filterable_key_length(raw_client, bucket):
    with pytest.raises(ClientError) as exc:
        create(raw_client, metadataConfiguration={"nonFilterableMetadataKeys": ["k" * 64]})
    assert "at '/metadataConfiguration/nonFilterableMetadataKeys/0'" in error_of(exc)[1]


def test_index_encryption_and_inheritance(client, bucket):
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    create(client, "own", encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": key})
    got = client.get_index(vectorBucketName=BUCKET, indexName="own")["index"]["encryptionConfiguration"]
    assert got == {"sseType": "aws:kms", "kmsKeyArn": key}
    with pytest.raises(ClientError) as exc:
        create(client, "bad", encryptionConfiguration={"sseType": "AES256", "kmsKeyArn": key})
    assert error_of(exc)[1:] == (
        "kmsKeyArn must not be specified when sseType is AES256.",
        400,
        [{"path": "EncryptionConfiguration", "message": "kmsKeyArn must not be specified when sseType is AES256."}],
    )


def test_list_indexes_prefix_and_pages(client, bucket):
    for name in ["alpha", "alpha.2", "beta", "gamma"]:
        create(client, name)
    assert [i["indexName"] for i in client.list_indexes(vectorBucketName=BUCKET, prefix="alpha")["indexes"]] == [
        "alpha",
        "alpha.2",
    ]
    pages = client.get_paginator("list_indexes").paginate(vectorBucketName=BUCKET, PaginationConfig={"PageSize": 3})
    pages = list(pages)
    assert len(pages) == 2
    assert [i["indexName"] for p in pages for i in p["indexes"]] == ["alpha", "alpha.2", "beta", "gamma"]


def test_update_index_mode(client, bucket):
    create(client)
    client.update_index_mode(vectorBucketName=BUCKET, indexName="idx", indexMode="ENHANCED")
    with pytest.raises(ClientError) as exc:
        client.update_index_mode(vectorBucketName=BUCKET, indexName="idx", indexMode="CLASSIC")
    assert (
        error_of(exc)[0] == "ValidationException"
    )  # behaviour.md#decision-post-cutoff-buckets: the bucket was made after the cut-off
    with pytest.raises(ClientError) as exc:
        client.update_index_mode(vectorBucketName=BUCKET, indexName="nope", indexMode="ENHANCED")
    assert error_of(exc)[:2] == ("NotFoundException", "The specified index could not be found")


def test_legacy_bucket_modes(legacy_client):
    """behaviour.md#decision-post-cutoff-buckets: --legacy-buckets makes CLASSIC the default and lets indexes move both
    ways."""
    client = legacy_client
    client.create_vector_bucket(vectorBucketName=BUCKET)
    assert client.get_vector_bucket(vectorBucketName=BUCKET)["vectorBucket"]["defaultIndexMode"] == "CLASSIC"
    create(client, "old")
    assert client.get_index(vectorBucketName=BUCKET, indexName="old")["index"]["indexMode"] == "CLASSIC"
    client.update_index_mode(vectorBucketName=BUCKET, indexName="old", indexMode="ENHANCED")
    assert client.get_index(vectorBucketName=BUCKET, indexName="old")["index"]["indexMode"] == "ENHANCED"
    client.update_index_mode(vectorBucketName=BUCKET, indexName="old", indexMode="CLASSIC")
    assert client.get_index(vectorBucketName=BUCKET, indexName="old")["index"]["indexMode"] == "CLASSIC"
    # The bucket default changes only indexes made afterwards.
    client.put_vector_bucket_default_index_mode(vectorBucketName=BUCKET, defaultIndexMode="ENHANCED")
    create(client, "new")
    assert client.get_index(vectorBucketName=BUCKET, indexName="new")["index"]["indexMode"] == "ENHANCED"
    assert client.get_index(vectorBucketName=BUCKET, indexName="old")["index"]["indexMode"] == "CLASSIC"


def test_text_configuration_at_creation(client, bucket):
    create(
        client,
        metadataConfiguration={
            "textSearchConfigurations": [{"metadataKey": "body", "language": "en"}, {"metadataKey": "title"}]
        },
    )
    config = client.get_index(vectorBucketName=BUCKET, indexName="idx")["index"]["metadataConfiguration"]
    assert config == {
        "textSearchConfigurations": [
            {"metadataKey": "body", "language": "en", "status": "ACTIVE"},
            {"metadataKey": "title", "status": "ACTIVE"},
        ]
    }


def test_text_configuration_rules_at_creation(raw_client, bucket):
    with pytest.raises(ClientError) as exc:
        create(
            raw_client,
            metadataConfiguration={
                "textSearchConfigurations": [{"metadataKey": "body"}, {"metadataKey": "body", "language": "fr"}]
            },
        )
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        create(
            raw_client,
            metadataConfiguration={"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(11)]},
        )
    assert "Member must have length between 0 and 10, inclusive" in error_of(exc)[1]
    with pytest.raises(ClientError) as exc:
        create(raw_client, metadataConfiguration={"textSearchConfigurations": [{"metadataKey": "b", "language": "xx"}]})
    assert error_of(exc)[1] == (
        "1 validation error detected. Value at '/metadataConfiguration/textSearchConfigurations/0/language' failed "
        "to satisfy constraint: Member must satisfy enum value set: [en, fr, es, pt, it, de, nl, zh, ja, ko]"
    )


def test_text_configuration_needs_enhanced(legacy_client):
    legacy_client.create_vector_bucket(vectorBucketName=BUCKET)
    with pytest.raises(ClientError) as exc:
        create(legacy_client, metadataConfiguration={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert error_of(exc)[0] == "ValidationException"
    create(legacy_client)
    with pytest.raises(ClientError) as exc:
        legacy_client.update_metadata_configuration(
            vectorBucketName=BUCKET, indexName="idx", add={"textSearchConfigurations": [{"metadataKey": "body"}]}
        )
    assert error_of(exc)[0] == "ValidationException"


def test_update_metadata_configuration(client, bucket):
    arn = create(client)["indexArn"]
    out = client.update_metadata_configuration(
        indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": "body", "language": "de"}]}
    )
    assert out["indexArn"] == arn
    config = client.get_index(indexArn=arn)["index"]["metadataConfiguration"]
    assert config["textSearchConfigurations"] == [{"metadataKey": "body", "language": "de", "status": "ACTIVE"}]
    with pytest.raises(ClientError) as exc:
        client.update_metadata_configuration(indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert error_of(exc)[:3] == (
        "ConflictException",
        "A text search configuration already exists for metadata key 'body'",
        409,
    )
    with pytest.raises(ClientError) as exc:
        client.update_metadata_configuration(indexArn=arn, delete={"textSearchConfigurations": [{"metadataKey": "x"}]})
    assert error_of(exc)[0] == "ValidationException"
    client.update_metadata_configuration(indexArn=arn, delete={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert client.get_index(indexArn=arn)["index"]["metadataConfiguration"] == {"textSearchConfigurations": []}


def test_update_metadata_configuration_add_and_delete(client, bucket):
    arn = create(client)["indexArn"]
    for kwargs in (
        {
            "add": {"textSearchConfigurations": [{"metadataKey": "a"}]},
            "delete": {"textSearchConfigurations": [{"metadataKey": "a"}]},
        },
        {},
    ):
        with pytest.raises(ClientError) as exc:
            client.update_metadata_configuration(indexArn=arn, **kwargs)
        assert error_of(exc)[0] == "ValidationException"


def test_update_metadata_configuration_total_limit(client, bucket):
    arn = create(
        client, metadataConfiguration={"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(9)]}
    )["indexArn"]
    client.update_metadata_configuration(indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": "k9"}]})
    with pytest.raises(ClientError) as exc:
        client.update_metadata_configuration(indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": "k10"}]})
    assert error_of(exc)[0] == "ValidationException"


def test_update_metadata_configuration_missing_index(client, bucket):
    with pytest.raises(ClientError) as exc:
        client.update_metadata_configuration(
            vectorBucketName=BUCKET, indexName="nope", add={"textSearchConfigurations": [{"metadataKey": "a"}]}
        )
    assert error_of(exc)[:2] == ("NotFoundException", "The specified index could not be found")


def test_text_index_cannot_go_classic(legacy_client):
    legacy_client.create_vector_bucket(vectorBucketName=BUCKET)
    create(legacy_client)
    legacy_client.update_index_mode(vectorBucketName=BUCKET, indexName="idx", indexMode="ENHANCED")
    legacy_client.update_metadata_configuration(
        vectorBucketName=BUCKET, indexName="idx", add={"textSearchConfigurations": [{"metadataKey": "a"}]}
    )
    with pytest.raises(ClientError) as exc:
        legacy_client.update_index_mode(vectorBucketName=BUCKET, indexName="idx", indexMode="CLASSIC")
    assert error_of(exc)[0] == "ValidationException"
