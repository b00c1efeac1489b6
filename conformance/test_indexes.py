"""Vector indexes: create, get, list, delete, names, limits, and the configuration side of text search
(behaviour.md#limits, behaviour.md#names, behaviour.md#errors-catalogue, behaviour.md#listing, behaviour.md#tags;
behaviour.md#api-operations, behaviour.md#text-config-create, behaviour.md#text-config-update,
behaviour.md#queries-vector-or-text)."""

from __future__ import annotations

from datetime import datetime

import pytest

from conformance.helpers import coral_length, error_of

INDEX_NOT_FOUND = ("NotFoundException", "The specified index could not be found", 404)


def create(client, bucket, name="idx", **extra):
    params = {
        "vectorBucketName": bucket,
        "indexName": name,
        "dataType": "float32",
        "dimension": 4,
        "distanceMetric": "cosine",
    } | extra
    return client.create_index(**params)


@pytest.mark.ref("tags")
def test_create_get_list_delete(client, bucket):
    bucket_arn = client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"]["vectorBucketArn"]
    arn = create(client, bucket, metadataConfiguration={"nonFilterableMetadataKeys": ["raw_text"]})["indexArn"]
    assert arn == f"{bucket_arn}/index/idx"
    index = client.get_index(vectorBucketName=bucket, indexName="idx")["index"]
    assert (index["vectorBucketName"], index["indexName"], index["indexArn"]) == (bucket, "idx", arn)
    assert (index["dataType"], index["dimension"], index["distanceMetric"]) == ("float32", 4, "cosine")
    assert index["metadataConfiguration"]["nonFilterableMetadataKeys"] == ["raw_text"]
    assert isinstance(index["creationTime"], datetime)
    assert client.get_index(indexArn=arn)["index"]["indexName"] == "idx"
    listed = client.list_indexes(vectorBucketName=bucket)["indexes"]
    assert [(i["indexName"], i["indexArn"], i["vectorBucketName"]) for i in listed] == [("idx", arn, bucket)]
    assert set(listed[0]) == {"vectorBucketName", "indexName", "indexArn", "creationTime"}
    assert client.list_indexes(vectorBucketArn=bucket_arn)["indexes"][0]["indexName"] == "idx"
    client.delete_index(indexArn=arn)
    assert client.list_indexes(vectorBucketName=bucket)["indexes"] == []
    assert error_of(client.get_index, indexArn=arn)[:3] == INDEX_NOT_FOUND


@pytest.mark.ref("errors-catalogue")
def test_get_missing_index_and_missing_bucket(client, bucket, target):
    assert error_of(client.get_index, vectorBucketName=bucket, indexName="nope")[:3] == INDEX_NOT_FOUND
    assert (
        error_of(client.get_index, vectorBucketName=f"{target.prefix}missing", indexName="nope")[:3] == INDEX_NOT_FOUND
    )


@pytest.mark.decision("decision-deleting-absent")
def test_delete_index_of_missing_bucket_is_not_found(client, target):
    assert (
        error_of(client.delete_index, vectorBucketName=f"{target.prefix}missing", indexName="nope")[:3]
        == INDEX_NOT_FOUND
    )


@pytest.mark.ref("errors-catalogue")
@pytest.mark.decision("decision-deleting-absent")
def test_delete_missing_index_is_not_found(client, bucket):
    assert error_of(client.delete_index, vectorBucketName=bucket, indexName="nope")[:3] == INDEX_NOT_FOUND


@pytest.mark.ref("errors-catalogue")
def test_duplicate_is_conflict(client, bucket):
    create(client, bucket)
    assert error_of(create, client, bucket)[:3] == (
        "ConflictException",
        "An index with the specified name already exists",
        409,
    )


@pytest.mark.decision("compat")
def test_create_in_missing_bucket(client, target):
    assert error_of(create, client, f"{target.prefix}missing")[:3] == (
        "NotFoundException",
        "The specified vector bucket could not be found",
        404,
    )


@pytest.mark.ref("names")
def test_names_with_dots_and_length_boundaries(client, bucket):
    names = ["a.b", "abc", "x" * 63, "v1.2-3"]
    for name in names:
        create(client, bucket, name)
    assert sorted(i["indexName"] for i in client.list_indexes(vectorBucketName=bucket)["indexes"]) == sorted(names)


@pytest.mark.decision("decision-unseen-messages")
@pytest.mark.parametrize("length", [2, 64])
def test_name_length_out_of_range(raw, bucket, length):
    assert error_of(create, raw, bucket, "a" * length)[:3] == (
        "ValidationException",
        coral_length("/indexName", length, 3, 63),
        400,
    )


@pytest.mark.decision("decision-unseen-messages")
@pytest.mark.parametrize("name", ["UPPER", "under_score", ".dot-first", "dash-last-", "sp ace"])
def test_bad_name_characters(client, bucket, name):
    assert error_of(create, client, bucket, name)[:3] == ("ValidationException", "Invalid vector index name", 400)


@pytest.mark.ref("limits")
@pytest.mark.parametrize("dimension", [1, 4096])
def test_dimension_at_limits_is_accepted(client, bucket, dimension):
    create(client, bucket, dimension=dimension)
    assert client.get_index(vectorBucketName=bucket, indexName="idx")["index"]["dimension"] == dimension


@pytest.mark.ref("errors-catalogue")
@pytest.mark.parametrize("dimension", [0, 4097, 99999])
def test_dimension_out_of_range(raw, bucket, dimension):
    assert error_of(create, raw, bucket, dimension=dimension)[:3] == (
        "ValidationException",
        "1 validation error detected. Value at '/dimension' failed to satisfy constraint: "
        "Member must be between 1 and 4096, inclusive",
        400,
    )


@pytest.mark.decision("decision-wire-details")
def test_missing_required_member(raw, bucket):
    err = error_of(
        raw.create_index, vectorBucketName=bucket, indexName="idx", dataType="float32", distanceMetric="cosine"
    )
    assert err[:3] == (
        "ValidationException",
        "1 validation error detected. Value null at '/dimension' failed to satisfy constraint: Member must not be null",
        400,
    )
    assert err.fields == [{"path": "/dimension", "message": "Member must not be null"}]


@pytest.mark.decision("decision-wire-details")
def test_several_constraint_failures_are_reported_together(raw, bucket):
    err = error_of(create, raw, bucket, "ab", dataType="float16")
    assert err.message.startswith(
        "2 validation errors detected. Value with length 2 at '/indexName' failed to satisfy constraint: "
    )
    assert "Value at '/dataType' failed to satisfy constraint: Member must satisfy enum value set: [float32]" in (
        err.message
    )
    assert [f["path"] for f in err.fields] == ["/indexName", "/dataType"]


@pytest.mark.ref("errors-catalogue")
def test_data_type_enum(raw, bucket):
    assert error_of(create, raw, bucket, dataType="float16")[:3] == (
        "ValidationException",
        "1 validation error detected. Value at '/dataType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [float32]",
        400,
    )


@pytest.mark.ref("errors-catalogue")
def test_distance_metric_enum(raw, bucket):
    assert error_of(create, raw, bucket, distanceMetric="dot")[:3] == (
        "ValidationException",
        "1 validation error detected. Value at '/distanceMetric' failed to satisfy "
        "constraint: Member must satisfy enum value set: [euclidean, cosine]",
        400,
    )


@pytest.mark.ref("limits")
def test_ten_non_filterable_keys_of_63_characters(client, bucket):
    keys = [f"{i}" + "k" * 62 for i in range(10)]
    create(client, bucket, metadataConfiguration={"nonFilterableMetadataKeys": keys})
    index = client.get_index(vectorBucketName=bucket, indexName="idx")["index"]
    assert sorted(index["metadataConfiguration"]["nonFilterableMetadataKeys"]) == sorted(keys)


@pytest.mark.ref("limits")
def test_eleven_non_filterable_keys_are_refused(raw, bucket):
    err = error_of(
        create, raw, bucket, metadataConfiguration={"nonFilterableMetadataKeys": [f"k{i}" for i in range(11)]}
    )
    assert err.code == "ValidationException"


@pytest.mark.decision("decision-unseen-messages")
def test_eleven_non_filterable_keys_message(raw, bucket):
    err = error_of(
        create, raw, bucket, metadataConfiguration={"nonFilterableMetadataKeys": [f"k{i}" for i in range(11)]}
    )
    assert err.message == coral_length("/metadataConfiguration/nonFilterableMetadataKeys", 11, 0, 10)


@pytest.mark.ref("limits")
def test_non_filterable_key_of_64_characters_is_refused(raw, bucket):
    err = error_of(create, raw, bucket, metadataConfiguration={"nonFilterableMetadataKeys": ["k" * 64]})
    assert err.code == "ValidationException"
    assert "Member must have length between 1 and 63, inclusive" in err.message


@pytest.mark.decision("decision-unseen-messages")
def test_non_filterable_key_of_64_characters_message(raw, bucket):
    err = error_of(create, raw, bucket, metadataConfiguration={"nonFilterableMetadataKeys": ["k" * 64]})
    assert err.message == coral_length("/metadataConfiguration/nonFilterableMetadataKeys/0", 64, 1, 63)


@pytest.mark.decision("compat")
@pytest.mark.parametrize("configuration", [{}, {"nonFilterableMetadataKeys": []}])
def test_empty_metadata_configuration_is_accepted(client, bucket, configuration):
    create(client, bucket, metadataConfiguration=configuration)
    index = client.get_index(vectorBucketName=bucket, indexName="idx")["index"]
    assert index.get("metadataConfiguration", {}).get("nonFilterableMetadataKeys", []) == []


@pytest.mark.decision("compat")
def test_no_metadata_configuration_is_omitted(client, bucket):
    create(client, bucket)
    assert "metadataConfiguration" not in client.get_index(vectorBucketName=bucket, indexName="idx")["index"]


EITHER_INDEX = ("ValidationException", "Must specify either indexArn or both vectorBucketName and indexName", 400)


@pytest.mark.ref("errors-catalogue")
@pytest.mark.parametrize("operation", ["get_index", "delete_index"])
def test_name_and_arn_together_are_refused(raw, bucket, operation):
    create(raw, bucket)
    arn = raw.get_index(vectorBucketName=bucket, indexName="idx")["index"]["indexArn"]
    assert error_of(getattr(raw, operation), vectorBucketName=bucket, indexName="idx", indexArn=arn)[:3] == EITHER_INDEX
    assert raw.get_index(indexArn=arn)["index"]["indexName"] == "idx"


@pytest.mark.decision("compat")
@pytest.mark.parametrize("operation", ["get_index", "delete_index"])
@pytest.mark.parametrize("names", ["index-and-arn", "bucket", "index", "none"])
def test_other_mixes_of_names_are_refused(raw, bucket, operation, names):
    create(raw, bucket)
    arn = raw.get_index(vectorBucketName=bucket, indexName="idx")["index"]["indexArn"]
    given = {
        "index-and-arn": {"indexName": "idx", "indexArn": arn},
        "bucket": {"vectorBucketName": bucket},
        "index": {"indexName": "idx"},
        "none": {},
    }[names]
    assert error_of(getattr(raw, operation), **given)[:3] == EITHER_INDEX


@pytest.mark.ref("listing")
def test_list_by_prefix(client, bucket):
    for name in ["alpha-1", "alpha-2", "beta-1"]:
        create(client, bucket, name)
    listed = client.list_indexes(vectorBucketName=bucket, prefix="alpha")
    assert sorted(i["indexName"] for i in listed["indexes"]) == ["alpha-1", "alpha-2"]
    nothing = client.list_indexes(vectorBucketName=bucket, prefix="gamma")
    assert nothing["indexes"] == [] and "nextToken" not in nothing


@pytest.mark.ref("limits")
def test_list_max_results_boundary(client, raw, bucket):
    client.list_indexes(vectorBucketName=bucket, maxResults=500)
    err = error_of(raw.list_indexes, vectorBucketName=bucket, maxResults=501)
    assert err.code == "ValidationException" and "Member must be between 1 and 500, inclusive" in err.message


# -- text search configuration (behaviour.md#text-config-create, behaviour.md#text-config-update); queries with
# queryTexts are in test_text_search.py --

TEXT = {"textSearchConfigurations": [{"metadataKey": "body", "language": "en"}]}


def text_keys(client, bucket):
    configuration = client.get_index(vectorBucketName=bucket, indexName="idx")["index"].get("metadataConfiguration", {})
    return {c["metadataKey"]: c for c in configuration.get("textSearchConfigurations", [])}


@pytest.mark.ref("text-config-create")
def test_text_configuration_at_creation_is_echoed(client, bucket):
    create(client, bucket, metadataConfiguration=TEXT)
    config = text_keys(client, bucket)["body"]
    assert config["language"] == "en" and config.get("status") in {"ACTIVE", "BUILDING"}


@pytest.mark.ref("text-config-create")
def test_ten_text_configurations_accepted_eleven_refused(client, raw, bucket):
    create(
        client,
        bucket,
        metadataConfiguration={"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(10)]},
    )
    assert len(text_keys(client, bucket)) == 10
    err = error_of(
        create,
        raw,
        bucket,
        "eleven",
        metadataConfiguration={"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(11)]},
    )
    assert err.code == "ValidationException"


@pytest.mark.decision("decision-text-configurations")
def test_text_configurations_are_echoed_as_given(client, bucket):
    create(
        client,
        bucket,
        metadataConfiguration={
            "textSearchConfigurations": [{"metadataKey": "body", "language": "en"}, {"metadataKey": "title"}]
        },
    )
    where = {"vectorBucketName": bucket, "indexName": "idx"}
    assert client.get_index(**where)["index"]["metadataConfiguration"] == {
        "textSearchConfigurations": [
            {"metadataKey": "body", "language": "en", "status": "ACTIVE"},
            {"metadataKey": "title", "status": "ACTIVE"},  # no language given: none shown
        ]
    }
    client.update_metadata_configuration(
        **where, delete={"textSearchConfigurations": [{"metadataKey": "body"}, {"metadataKey": "title"}]}
    )
    client.update_metadata_configuration(
        **where, add={"textSearchConfigurations": [{"metadataKey": "body", "language": "de"}]}
    )
    assert client.get_index(**where)["index"]["metadataConfiguration"] == {
        "textSearchConfigurations": [{"metadataKey": "body", "language": "de", "status": "ACTIVE"}]
    }
    client.update_metadata_configuration(**where, delete={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert client.get_index(**where)["index"]["metadataConfiguration"] == {"textSearchConfigurations": []}


@pytest.mark.decision("decision-text-configurations")
def test_one_key_twice_at_creation_is_refused(raw, bucket):
    configurations = [{"metadataKey": "body"}, {"metadataKey": "body", "language": "fr"}]
    err = error_of(create, raw, bucket, metadataConfiguration={"textSearchConfigurations": configurations})
    assert err[:3] == ("ValidationException", "Duplicate text search configuration for metadata key 'body'", 400)


@pytest.mark.decision("decision-unseen-messages")
def test_eleven_text_configurations_message(raw, bucket):
    eleven = {"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(11)]}
    assert error_of(create, raw, bucket, metadataConfiguration=eleven).message == coral_length(
        "/metadataConfiguration/textSearchConfigurations", 11, 0, 10
    )


@pytest.mark.decision("decision-text-configurations")
def test_at_most_ten_text_configurations_after_an_add(client, bucket):
    nine = {"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(9)]}
    where = {"vectorBucketName": bucket, "indexName": "idx"}
    create(client, bucket, metadataConfiguration=nine)
    client.update_metadata_configuration(**where, add={"textSearchConfigurations": [{"metadataKey": "k9"}]})
    err = error_of(
        client.update_metadata_configuration, **where, add={"textSearchConfigurations": [{"metadataKey": "k10"}]}
    )
    assert err[:3] == ("ValidationException", "An index can have at most 10 text search configurations", 400)
    assert len(text_keys(client, bucket)) == 10


@pytest.mark.decision("decision-text-search")
def test_text_configuration_is_active_at_once(client, bucket):
    create(client, bucket, metadataConfiguration=TEXT)
    assert text_keys(client, bucket)["body"]["status"] == "ACTIVE"


@pytest.mark.ref("text-config-update")
def test_update_metadata_configuration_add_then_delete(client, bucket):
    create(client, bucket)
    where = {"vectorBucketName": bucket, "indexName": "idx"}
    arn = client.get_index(**where)["index"]["indexArn"]
    assert client.update_metadata_configuration(**where, add=TEXT)["indexArn"] == arn
    assert set(text_keys(client, bucket)) == {"body"}
    client.update_metadata_configuration(indexArn=arn, add={"textSearchConfigurations": [{"metadataKey": "title"}]})
    assert set(text_keys(client, bucket)) == {"body", "title"}
    client.update_metadata_configuration(**where, delete={"textSearchConfigurations": [{"metadataKey": "body"}]})
    assert set(text_keys(client, bucket)) == {"title"}


@pytest.mark.decision("decision-text-search")
def test_added_configuration_is_active_at_once(client, bucket):
    create(client, bucket)
    client.update_metadata_configuration(vectorBucketName=bucket, indexName="idx", add=TEXT)
    assert text_keys(client, bucket)["body"]["status"] == "ACTIVE"


@pytest.mark.ref("text-config-update")
def test_update_metadata_configuration_on_missing_index(client, bucket):
    assert (
        error_of(client.update_metadata_configuration, vectorBucketName=bucket, indexName="nope", add=TEXT)[:3]
        == INDEX_NOT_FOUND
    )


@pytest.mark.decision("compat")
@pytest.mark.parametrize(
    "change",
    [
        {"add": TEXT, "delete": {"textSearchConfigurations": [{"metadataKey": "body"}]}},
        {},
        {"delete": {"textSearchConfigurations": [{"metadataKey": "absent"}]}},
        {"add": {"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(11)]}},
        {"add": {"textSearchConfigurations": [{"metadataKey": "a"}, {"metadataKey": "a"}]}},
    ],
    ids=["add-and-delete", "neither", "delete-absent", "eleven", "same-key-twice"],
)
def test_update_metadata_configuration_refusals(raw, bucket, change):
    create(raw, bucket)
    assert (
        error_of(raw.update_metadata_configuration, vectorBucketName=bucket, indexName="idx", **change).code
        == "ValidationException"
    )


@pytest.mark.decision("compat")
def test_adding_a_configured_key_is_conflict(client, bucket):
    create(client, bucket, metadataConfiguration=TEXT)
    assert error_of(client.update_metadata_configuration, vectorBucketName=bucket, indexName="idx", add=TEXT)[:3] == (
        "ConflictException",
        "A text search configuration already exists for metadata key 'body'",
        409,
    )


@pytest.mark.decision("decision-unseen-messages")
@pytest.mark.parametrize("at", ["create", "update"])
def test_language_enum(raw, bucket, at):
    bad = {"textSearchConfigurations": [{"metadataKey": "body", "language": "xx"}]}
    if at == "create":
        err, path = error_of(create, raw, bucket, metadataConfiguration=bad), "/metadataConfiguration"
    else:
        create(raw, bucket)
        err, path = (
            error_of(raw.update_metadata_configuration, vectorBucketName=bucket, indexName="idx", add=bad),
            "/add",
        )
    assert err[:3] == (
        "ValidationException",
        f"1 validation error detected. Value at '{path}/textSearchConfigurations/0/language' failed to satisfy "
        "constraint: Member must satisfy enum value set: [en, fr, es, pt, it, de, nl, zh, ja, ko]",
        400,
    )
