"""D4: state is isolated per account and region, taken from the SigV4 credential scope."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import error_of


def test_regions_are_isolated(client_for):
    east, west = client_for("us-east-1"), client_for("us-west-2")
    east.create_vector_bucket(vectorBucketName="shared-name")
    assert west.list_vector_buckets()["vectorBuckets"] == []
    with pytest.raises(ClientError) as exc:
        west.get_vector_bucket(vectorBucketName="shared-name")
    assert error_of(exc)[0] == "NotFoundException"
    arn = west.create_vector_bucket(vectorBucketName="shared-name")["vectorBucketArn"]
    assert arn == "arn:aws:s3vectors:us-west-2:123456789012:bucket/shared-name"


def test_twelve_digit_key_is_the_account(client_for):
    other = client_for(access_key="210987654321")
    arn = other.create_vector_bucket(vectorBucketName="acct")["vectorBucketArn"]
    assert arn == "arn:aws:s3vectors:us-east-1:210987654321:bucket/acct"
    assert client_for().list_vector_buckets()["vectorBuckets"] == []


def test_arn_of_another_region_is_not_found(client_for):
    east, west = client_for("us-east-1"), client_for("us-west-2")
    arn = east.create_vector_bucket(vectorBucketName="only-east")["vectorBucketArn"]
    with pytest.raises(ClientError) as exc:
        west.get_vector_bucket(vectorBucketArn=arn)
    assert error_of(exc)[0] == "NotFoundException"


def test_unsigned_requests_use_the_default_region(http_call, client):
    response = http_call("POST", "/CreateVectorBucket", b'{"vectorBucketName": "unsigned"}')
    assert response.json() == {"vectorBucketArn": "arn:aws:s3vectors:us-east-1:123456789012:bucket/unsigned"}
    assert client.get_vector_bucket(vectorBucketName="unsigned")["vectorBucket"]["vectorBucketName"] == "unsigned"
