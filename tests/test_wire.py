"""The wire itself (behaviour.md#decision-error-shape, behaviour.md#decision-timestamps,
behaviour.md#decision-request-size): never a 500, never HTML, always AWS's error shape."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import read_answer

from s3vectors_emulator.config import MAX_BODY_BYTES


def assert_aws_error(response, status: int, code: str) -> dict:
    assert response.status == status
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-errortype"] == code
    uuid.UUID(response.headers["x-amzn-requestid"])
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_success_is_json(http_call):
    # The request id on a success is in conformance/test_buckets.py.
    response = http_call("POST", "/ListVectorBuckets", b"{}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"vectorBuckets": []}


def test_timestamps_are_epoch_seconds(http_call):
    http_call("POST", "/CreateVectorBucket", b'{"vectorBucketName": "times"}')
    body = http_call("POST", "/GetVectorBucket", b'{"vectorBucketName": "times"}').json()
    assert isinstance(body["vectorBucket"]["creationTime"], (int, float))  # behaviour.md#decision-timestamps


@pytest.mark.parametrize("body", [b"{", b"{'a': 1}", b"[1, 2]", b"nul", b'{"a": NaN}', b'"text"'])
def test_malformed_json(http_call, body):
    assert_aws_error(http_call("POST", "/ListVectorBuckets", body), 400, "SerializationException")


def test_invalid_utf8(http_call):
    assert_aws_error(
        http_call("POST", "/CreateVectorBucket", b'{"vectorBucketName": "ab\xff\xfec"}'), 400, "SerializationException"
    )


@pytest.mark.parametrize(
    "path,body",
    [
        ("/CreateVectorBucket", b'{"vectorBucketName": 5}'),
        ("/CreateVectorBucket", b'{"vectorBucketName": ["abc"]}'),
        ("/CreateVectorBucket", b'{"vectorBucketName": "abc", "tags": []}'),
        ("/ListVectorBuckets", b'{"maxResults": "5"}'),
        ("/ListVectorBuckets", b'{"maxResults": 1.5}'),
        ("/ListVectorBuckets", b'{"maxResults": true}'),
        ("/GetVectors", b'{"vectorBucketName": "abc", "indexName": "abc", "keys": ["a"], "returnData": "yes"}'),
    ],
)
def test_wrong_member_types(http_call, path, body):
    assert_aws_error(http_call("POST", path, body), 400, "SerializationException")


def test_unknown_members_are_ignored(http_call):
    response = http_call("POST", "/CreateVectorBucket", b'{"vectorBucketName": "extra", "colour": "blue"}')
    assert response.status == 200


def test_empty_body_means_no_members(http_call):
    body = assert_aws_error(http_call("POST", "/CreateVectorBucket", b""), 400, "ValidationException")
    assert body["message"] == (
        "1 validation error detected. Value null at '/vectorBucketName' failed to satisfy "
        "constraint: Member must not be null"
    )


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/NoSuchOperation"),
        ("GET", "/"),
        ("GET", "/CreateVectorBucket"),
        ("PUT", "/tags/x"),
        ("GET", "/_emulator/nothing"),
        ("POST", "/_emulator/health"),
    ],
)
def test_unknown_path(http_call, method, path):
    body = assert_aws_error(http_call(method, path, b"{}"), 404, "UnknownOperationException")
    assert path.split("?")[0] in body["message"]  # behaviour.md#decision-error-shape: the answer names the path


def _raw_exchange(server, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        try:
            sock.sendall(raw)
        except OSError:
            pass  # the server may answer and close before taking everything, as AWS may
        return read_answer(sock)


def test_oversize_body_is_refused_from_its_declared_length(server):
    """behaviour.md#decision-request-size: answered at once from Content-Length, without reading the body."""
    head = (
        f"POST /ListVectorBuckets HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    status, headers, body = _raw_exchange(server, head + b" " * 1024)
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert json.loads(body)["message"] == "Request body exceeds max allowed size"


def test_oversize_chunked_body(server):
    """behaviour.md#decision-request-size without a declared length: the body is read only up to the limit."""
    chunk = b" " * (1 << 20)
    raw = b"POST /ListVectorBuckets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    raw += (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * 21 + b"0\r\n\r\n"
    status, headers, body = _raw_exchange(server, raw)
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert json.loads(body)["message"] == "Request body exceeds max allowed size"


def test_content_type_is_not_required(http_call):
    for content_type in ("application/json", "text/plain", "application/x-amz-json-1.1", "application/octet-stream"):
        response = http_call("POST", "/ListVectorBuckets", b"{}", {"Content-Type": content_type})
        assert response.status == 200


def test_health_and_reset(http_call):
    health = http_call("GET", "/_emulator/health")
    assert health.status == 200
    body = health.json()
    assert body["status"] == "ok" and isinstance(body["version"], str) and body["uptimeSeconds"] >= 0
    http_call("POST", "/CreateVectorBucket", b'{"vectorBucketName": "gone-soon"}')
    assert http_call("POST", "/_emulator/reset").status == 200
    assert http_call("POST", "/ListVectorBuckets", b"{}").json() == {"vectorBuckets": []}


def test_validation_error_body_is_a_message_and_a_field_list(http_call):
    # What the fieldList says is in conformance/test_buckets.py; here, that the body holds nothing else (no __type).
    body = assert_aws_error(
        http_call("POST", "/CreateVectorBucket", json.dumps({"vectorBucketName": "x"}).encode()),
        400,
        "ValidationException",
    )
    assert set(body) == {"message", "fieldList"}
    assert all(set(entry) == {"path", "message"} for entry in body["fieldList"])


def test_not_found_body_is_only_a_message(http_call):
    # The headers and the message are in conformance/test_buckets.py; here, that the body holds nothing else.
    response = http_call("POST", "/GetVectorBucket", b'{"vectorBucketName": "nope"}')
    assert response.status == 404 and set(response.json()) == {"message"}


@pytest.mark.parametrize(
    "raw",
    [
        b"POST //CreateIndex HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        b"GARBAGE\r\n\r\n",
        b"POST /ListVectorBuckets HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    ],
)
def test_http_level_errors_are_aws_shaped(server, raw):
    """Requests the HTTP parser refuses before the app sees them still get AWS's error shape
    (behaviour.md#decision-error-shape)."""
    status, headers, body = _raw_exchange(server, raw)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-errortype"] == "BadRequestException"
    uuid.UUID(headers["x-amzn-requestid"])
    assert json.loads(body)["message"]
