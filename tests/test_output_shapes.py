"""The check every answer of the suite goes through (s3vectors_emulator.protocol.output_check) can fail."""

from __future__ import annotations

from typing import Any

import pytest

from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.operations import HANDLERS
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.output_check import output_problems, watch

BUCKET = {"vectorBucketName": "b", "vectorBucketArn": "arn:aws:s3vectors:us-east-1:123456789012:bucket/b"}


def output(operation: str) -> Any:
    return model.operation(operation).output_shape


def test_a_conforming_answer_has_no_problems():
    assert output_problems(output("GetVectorBucket"), {"vectorBucket": {**BUCKET, "creationTime": 1.5}}) == []
    assert output_problems(output("DeleteVectorBucket"), {}) == []
    assert output_problems(None, {}) == []
    assert output_problems(None, {"deleted": True}) == ["body: {'deleted': True} where the operation has no output"]
    hit = {"key": "a", "distance": 0.25, "metadata": {"genre": ["x", 1, True, {"y": 2.5}]}}
    assert output_problems(output("QueryVectors"), {"vectors": [hit], "distanceMetric": "cosine"}) == []
    vector = {"key": "a", "data": {"float32": [1, 0.5, -2.0]}}
    assert output_problems(output("GetVectors"), {"vectors": [vector]}) == []


@pytest.mark.parametrize(
    ("operation", "body", "problem"),
    [
        ("GetVectorBucket", {"vectorBucket": {**BUCKET, "creationTime": 1.5, "internal": "x"}}, "not a member"),
        ("GetVectorBucket", {"vectorBucket": {**BUCKET, "creationTime": "yesterday"}}, "is not a timestamp"),
        ("GetVectorBucket", {"vectorBucket": {**BUCKET, "creationTime": True}}, "is not a timestamp"),
        ("GetVectorBucket", {"vectorBucket": {**BUCKET, "creationTime": 1.5, "encryptionConfiguration": None}}, "null"),
        ("GetVectorBucket", {"vectorBucket": {"vectorBucketName": "b", "creationTime": 1.5}}, "missing"),
        ("GetVectorBucket", {"vectorBucket": [BUCKET]}, "is not an object"),
        ("GetVectorBucket", {}, "body.vectorBucket: required"),
        ("QueryVectors", {"vectors": [{"key": "a", "distance": "0.5"}], "distanceMetric": "cosine"}, "not a float"),
        ("QueryVectors", {"vectors": [{"key": "a", "distance": None}], "distanceMetric": "cosine"}, "null"),
        ("QueryVectors", {"vectors": [], "distanceMetric": "manhattan"}, "is not one of"),
        ("QueryVectors", {"vectors": [{"key": "a", "metadata": {"genre": None}}], "distanceMetric": "cosine"}, "null"),
        ("GetVectors", {"vectors": [{"key": "a", "data": {"float32": [1.0, "2"]}}]}, "float32[1]"),
        ("GetVectors", {"vectors": [{"key": "a", "data": {}}]}, "is a union, 0 members"),
        ("GetIndex", {"index": {"indexName": 3}}, "is not a string"),
        ("DeleteVectorBucket", {"deleted": True}, "body.deleted: not a member of DeleteVectorBucketOutput"),
    ],
)
def test_an_answer_off_its_shape_is_reported(operation: str, body: Any, problem: str):
    problems = output_problems(output(operation), body)
    assert any(problem in p for p in problems), problems


def test_the_watch_records_what_an_app_answers_off_its_shape(monkeypatch: pytest.MonkeyPatch):
    # A handler gone wrong in a way no encoder would notice: the answer is JSON, only not what the model says.
    monkeypatch.setitem(HANDLERS, "GetVectorBucket", lambda ctx, params: {"vectorBucket": {"creationTime": "now"}})
    check = watch()
    app = create_app(Config())
    response = app.test_client().post("/GetVectorBucket", json={"vectorBucketName": "bucket"})
    assert response.status_code == 200
    problems = check.take()  # taken here, so the suite's own check (conftest.py) finds nothing left
    assert len(problems) == 1
    assert problems[0].startswith("GetVectorBucket answered 200 off its shape:")
    assert "body.vectorBucket.creationTime: 'now' is not a timestamp" in problems[0]
    assert "body.vectorBucket.vectorBucketName: required by VectorBucket, missing" in problems[0]


def test_the_watch_checks_errors_against_their_exception_shape(monkeypatch: pytest.MonkeyPatch):
    check = watch()
    app = create_app(Config())
    response = app.test_client().post("/GetVectorBucket", json={"vectorBucketName": "missing"})
    assert response.status_code == 404
    assert check.take() == []

    monkeypatch.setattr("s3vectors_emulator.app.error_response", lambda error: (404, _not_found_headers(), b"{}"))
    app.test_client().post("/GetVectorBucket", json={"vectorBucketName": "missing"})
    problems = check.take()
    assert len(problems) == 1
    assert "body.message: required by NotFoundException, missing" in problems[0]


def _not_found_headers() -> dict[str, str]:
    return {"x-amzn-ErrorType": "NotFoundException", "Content-Type": "application/json"}


def test_get_index_answers_no_null_of_its_own():
    check = watch()
    client = create_app(Config()).test_client()
    index = {"vectorBucketName": "bucket", "indexName": "index"}
    assert client.post("/CreateVectorBucket", json={"vectorBucketName": "bucket"}).status_code == 200
    settings = {"dataType": "float32", "dimension": 2, "distanceMetric": "cosine"}
    made = client.post("/CreateIndex", json={**index, **settings})
    assert made.status_code == 200
    assert client.post("/GetIndex", json=index).status_code == 200
    assert check.take() == []
