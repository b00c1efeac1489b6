"""The app answers every request itself, in AWS's shape (behaviour.md#decision-error-shape), without Flask's routing."""

from __future__ import annotations

import pytest

from s3vectors_emulator.app import create_app


@pytest.fixture
def wsgi():
    return create_app().test_client()


def test_a_method_no_operation_uses_is_answered_in_aws_shape(wsgi):
    response = wsgi.open("/ListVectorBuckets", method="PROPFIND")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {"message": "No operation at PROPFIND /ListVectorBuckets"}


def test_head_answers_headers_only(wsgi):
    response = wsgi.head("/_emulator/health")
    assert response.status_code == 404  # health answers GET only
    assert response.data == b""
    assert int(response.headers["Content-Length"]) > 0
    assert response.headers["x-amzn-RequestId"]


def test_an_answer_has_its_length_type_and_request_id(wsgi):
    response = wsgi.post("/ListVectorBuckets", json={})
    assert response.status == "200 OK"
    assert response.data == b'{"vectorBuckets":[]}'
    assert response.headers["Content-Length"] == str(len(response.data))
    assert response.headers["Content-Type"] == "application/json"
    assert "x-amzn-ErrorType" not in response.headers
    assert len(response.headers["x-amzn-RequestId"]) == 36
