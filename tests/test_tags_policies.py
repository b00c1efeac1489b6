"""Tags and bucket policies through boto3 (behaviour.md#tags, behaviour.md#errors-catalogue)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError
from conftest import error_of

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3vectors:GetVectors", "Resource": "*"}],
    }
)


@pytest.fixture
def arns(client):
    bucket = client.create_vector_bucket(vectorBucketName="tagged", tags={"team": "search"})["vectorBucketArn"]
    index = client.create_index(
        vectorBucketName="tagged",
        indexName="idx",
        dataType="float32",
        dimension=2,
        distanceMetric="euclidean",
        tags={"env": "dev"},
    )["indexArn"]
    return bucket, index


def test_tags_at_creation(client, arns):
    bucket, index = arns
    assert client.list_tags_for_resource(resourceArn=bucket)["tags"] == {"team": "search"}
    assert client.list_tags_for_resource(resourceArn=index)["tags"] == {"env": "dev"}


def test_tag_overwrite_and_untag(client, arns):
    bucket, _ = arns
    client.tag_resource(resourceArn=bucket, tags={"team": "infra", "cost": "", "path": "a/b:c=d+e-f@g.h"})
    assert client.list_tags_for_resource(resourceArn=bucket)["tags"] == {
        "team": "infra",
        "cost": "",
        "path": "a/b:c=d+e-f@g.h",
    }
    client.untag_resource(resourceArn=bucket, tagKeys=["team", "path", "absent"])
    assert client.list_tags_for_resource(resourceArn=bucket)["tags"] == {"cost": ""}


def test_untagged_resource_lists_empty(client):
    arn = client.create_vector_bucket(vectorBucketName="plain")["vectorBucketArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_fifty_tags(client, arns):
    bucket, _ = arns
    client.tag_resource(resourceArn=bucket, tags={f"k{i}": "v" for i in range(49)})
    assert len(client.list_tags_for_resource(resourceArn=bucket)["tags"]) == 50
    with pytest.raises(ClientError) as exc:
        client.tag_resource(resourceArn=bucket, tags={"one-more": "v"})
    assert error_of(exc)[:3] == ("ValidationException", "Too many tags specified", 400)


def test_too_many_tags_at_creation(client):
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName="many", tags={f"k{i}": "v" for i in range(51)})
    assert error_of(exc)[1] == "Too many tags specified"


def test_system_tags(client, arns):
    bucket, _ = arns
    with pytest.raises(ClientError) as exc:
        client.tag_resource(resourceArn=bucket, tags={"aws:owner": "me"})
    assert error_of(exc)[1] == "System tags cannot be added/updated by requester"
    with pytest.raises(ClientError) as exc:
        client.tag_resource(resourceArn=bucket, tags={"AWS:owner": "me"})
    assert error_of(exc)[1] == 'Invalid System Tag: AWS:owner must be prefixed with "aws:" in lowercase.'
    client.tag_resource(resourceArn=bucket, tags={" lead": "aws:x", "名前": "値"})  # behaviour.md#tags: accepted


def test_tag_patterns(client, arns):
    bucket, _ = arns
    pattern = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
    with pytest.raises(ClientError) as exc:
        client.tag_resource(resourceArn=bucket, tags={"team": "bad#value"})
    code, message, _, fields = error_of(exc)
    assert code == "ValidationException"
    assert message.endswith(f"Member must satisfy regular expression pattern: {pattern}")
    assert fields == [{"path": "/tags/team", "message": f"Member must satisfy regular expression pattern: {pattern}"}]
    with pytest.raises(ClientError) as exc:
        client.tag_resource(resourceArn=bucket, tags={"bad#key": "v"})
    assert error_of(exc)[3][0]["path"] == "/tags"


def test_tag_lengths(raw_client, arns):
    bucket, _ = arns
    raw_client.tag_resource(resourceArn=bucket, tags={"k" * 128: "v" * 256})
    with pytest.raises(ClientError) as exc:
        raw_client.tag_resource(resourceArn=bucket, tags={"k" * 129: "v"})
    assert "Value with length 129 at '/tags'" in error_of(exc)[1]
    with pytest.raises(ClientError) as exc:
        raw_client.tag_resource(resourceArn=bucket, tags={"k": "v" * 257})
    assert "Value with length 257 at '/tags/k'" in error_of(exc)[1]


def test_tags_go_with_the_resource(client, arns):
    bucket, index = arns
    client.delete_index(indexArn=index)
    for arn in (index,):
        with pytest.raises(ClientError) as exc:
            client.list_tags_for_resource(resourceArn=arn)
        assert error_of(exc)[:3] == ("NotFoundException", "The specified index could not be found", 404)
    client.delete_vector_bucket(vectorBucketArn=bucket)
    with pytest.raises(ClientError) as exc:
        client.list_tags_for_resource(resourceArn=bucket)
    assert error_of(exc)[:3] == ("NotFoundException", "The specified vector bucket could not be found", 404)
    # A new resource of the same name starts untagged.
    client.create_vector_bucket(vectorBucketName="tagged")
    assert client.list_tags_for_resource(resourceArn=bucket)["tags"] == {}


def test_tag_routes_on_the_wire(http_call, arns):
    bucket, _ = arns
    path = "/tags/" + quote(bucket, safe="")
    response = http_call("POST", path, json.dumps({"tags": {"a": "1", "b": "2"}}).encode())
    assert response.status == 200
    response = http_call("DELETE", path + "?tagKeys=a&tagKeys=team")
    assert response.status == 200
    response = http_call("GET", path)
    assert response.status == 200 and response.json() == {"tags": {"b": "2"}}


def test_policy_lifecycle(client):
    arn = client.create_vector_bucket(vectorBucketName="pol")["vectorBucketArn"]
    with pytest.raises(ClientError) as exc:
        client.get_vector_bucket_policy(vectorBucketName="pol")
    assert error_of(exc)[:3] == ("NotFoundException", "The specified vector bucket policy could not be found", 404)
    client.put_vector_bucket_policy(vectorBucketName="pol", policy=POLICY)
    assert json.loads(client.get_vector_bucket_policy(vectorBucketArn=arn)["policy"]) == json.loads(POLICY)
    client.delete_vector_bucket_policy(vectorBucketName="pol")
    with pytest.raises(ClientError) as exc:
        client.get_vector_bucket_policy(vectorBucketName="pol")
    assert error_of(exc)[0] == "NotFoundException"
    client.delete_vector_bucket_policy(vectorBucketName="pol")  # idempotent


@pytest.mark.parametrize("policy", ["not json", "[1, 2]", '"a string"', "{"])
def test_policy_must_be_a_json_document(client, policy):
    client.create_vector_bucket(vectorBucketName="pol")
    with pytest.raises(ClientError) as exc:
        client.put_vector_bucket_policy(vectorBucketName="pol", policy=policy)
    assert error_of(exc)[0] == "ValidationException"


def test_policy_goes_with_the_bucket(client):
    client.create_vector_bucket(vectorBucketName="pol")
    client.put_vector_bucket_policy(vectorBucketName="pol", policy=POLICY)
    client.delete_vector_bucket(vectorBucketName="pol")
    client.create_vector_bucket(vectorBucketName="pol")
    with pytest.raises(ClientError) as exc:
        client.get_vector_bucket_policy(vectorBucketName="pol")
    assert error_of(exc)[0] == "NotFoundException"


def test_policy_on_missing_bucket(client):
    with pytest.raises(ClientError) as exc:
        client.put_vector_bucket_policy(vectorBucketName="nope", policy=POLICY)
    assert error_of(exc)[:2] == ("NotFoundException", "The specified vector bucket could not be found")
