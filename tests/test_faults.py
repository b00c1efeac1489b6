"""Fault injection: chosen operations fail with 429/503 so users can test their retries."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import error_of, make_client

from s3vectors_emulator.config import Config
from s3vectors_emulator.faults import FaultRule
from s3vectors_emulator.testing import client_for, running_emulator


@pytest.fixture
def faults(http_call):
    def set_rules(*rules):
        response = http_call("POST", "/_emulator/faults", json.dumps({"rules": list(rules)}).encode())
        assert response.status == 200, response.body
        return response.json()

    yield set_rules
    assert http_call("DELETE", "/_emulator/faults").json() == {"rules": []}


def test_counted_fault_then_success(client, faults):
    faults({"operation": "ListVectorBuckets", "error": "TooManyRequestsException", "count": 2})
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            client.list_vector_buckets()
        assert error_of(exc)[:3] == ("TooManyRequestsException", "Rate exceeded", 429)
    assert client.list_vector_buckets()["vectorBuckets"] == []


def test_boto3_retries_through_injected_throttling(server, client, faults):
    faults({"operation": "CreateVectorBucket", "error": "503", "count": 2})
    retrying = client_for(server.url, retries={"max_attempts": 3, "mode": "standard"})
    response = retrying.create_vector_bucket(vectorBucketName="retried")
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert client.get_vector_bucket(vectorBucketName="retried")["vectorBucket"]["vectorBucketName"] == "retried"


def test_other_operations_are_untouched(client, faults):
    faults({"operation": "PutVectors", "error": "ServiceUnavailableException"})
    client.create_vector_bucket(vectorBucketName="fine")
    client.create_index(
        vectorBucketName="fine", indexName="idx", dataType="float32", dimension=2, distanceMetric="cosine"
    )
    with pytest.raises(ClientError) as exc:
        client.put_vectors(
            vectorBucketName="fine", indexName="idx", vectors=[{"key": "a", "data": {"float32": [1.0, 2.0]}}]
        )
    assert error_of(exc)[:3] == ("ServiceUnavailableException", "Currently unable to handle the request", 503)


def test_rules_are_listed_and_validated(http_call, faults):
    listed = faults({"operation": "*", "error": "429", "rate": 0.5})
    assert listed == {"rules": [{"operation": "*", "error": "TooManyRequestsException", "rate": 0.5, "count": None}]}
    for bad in ({"error": "Teapot"}, {"error": "429", "rate": 2}, {"error": "429", "count": 0}, "x"):
        response = http_call("POST", "/_emulator/faults", json.dumps({"rules": [bad]}).encode())
        assert response.status == 400 and response.headers["x-amzn-errortype"] == "ValidationException"


def test_rate_is_seeded_and_applied():
    config = Config(port=0, faults=("GetVectorBucket=429@0.5",), fault_seed=7)
    outcomes = []
    with running_emulator(config) as url:
        client = make_client(url)
        for _ in range(40):
            try:
                client.list_vector_buckets()
                client.get_vector_bucket(vectorBucketName="nope")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])
    assert set(outcomes) == {"TooManyRequestsException", "NotFoundException"}
    assert 8 <= outcomes.count("TooManyRequestsException") <= 32


@pytest.mark.parametrize(
    "spec,rule",
    [
        ("PutVectors=429", FaultRule("PutVectors", "TooManyRequestsException", 1.0, None)),
        ("*=503@0.25", FaultRule("*", "ServiceUnavailableException", 0.25, None)),
        ("QueryVectors=TooManyRequestsExceptionx3", FaultRule("QueryVectors", "TooManyRequestsException", 1.0, 3)),
    ],
)
def test_option_syntax(spec, rule):
    assert FaultRule.parse(spec) == rule
