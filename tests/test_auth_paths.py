"""With --auth: a request is routed on exactly the path that was signed, and the admin endpoints
(all but health) need a signed request too."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from test_auth import KEY, SECRET, signed_client

from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import running_emulator


@pytest.fixture
def url():
    with running_emulator(Config(port=0, credentials=((KEY, SECRET),))) as running:
        yield running


def _signed(url: str, method: str, path: str, body: bytes = b"", service: str = "s3vectors") -> AWSRequest:
    request = AWSRequest(
        method=method, url=f"{url}{path}", data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    SigV4Auth(Credentials(KEY, SECRET), service, "us-east-1").add_auth(request)
    request.headers["Host"] = urlsplit(url).netloc  # signed (from the URL), sent by _send
    return request


def _send(url: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body and "Content-Length" not in headers:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "spelling",
    [
        "/{other}/../{signed}",
        "/{other}/%2E%2E/{signed}",
        "/{other}/./../{signed}",
        "//{signed}",
        "/{signed}/",
        "/./{signed}",
    ],
)
def test_a_signed_request_replayed_on_another_spelling_of_its_path_is_refused(url, spelling):
    client = signed_client(url)
    client.create_vector_bucket(vectorBucketName="kept")
    client.create_index(
        vectorBucketName="kept", indexName="idx", dataType="float32", dimension=2, distanceMetric="cosine"
    )
    for signed_op, other_op, body in [
        ("GetVectorBucket", "DeleteVectorBucket", {"vectorBucketName": "kept"}),
        (
            "QueryVectors",
            "DeleteIndex",
            {"vectorBucketName": "kept", "indexName": "idx", "queryVector": {"float32": [1, 0]}, "topK": 1},
        ),
    ]:
        payload = json.dumps(body).encode()
        signed = _signed(url, "POST", f"/{signed_op}", payload)
        status, headers, answer = _send(
            url, "POST", spelling.format(other=other_op, signed=signed_op), dict(signed.headers.items()), payload
        )
        assert status >= 400 and headers["x-amzn-ErrorType"] and "message" in json.loads(answer)
        # The request as signed still works, so the refusal was the path's, not the signature's.
        assert _send(url, "POST", f"/{signed_op}", dict(signed.headers.items()), payload)[0] == 200
    assert client.get_index(vectorBucketName="kept", indexName="idx")["index"]["indexName"] == "idx"


def test_an_encoded_slash_inside_a_tag_arn_still_routes(url):
    client = signed_client(url)
    arn = client.create_vector_bucket(vectorBucketName="tagged")["vectorBucketArn"]
    client.create_index(
        vectorBucketName="tagged", indexName="idx", dataType="float32", dimension=2, distanceMetric="cosine"
    )
    index_arn = f"{arn}/index/idx"
    client.tag_resource(resourceArn=index_arn, tags={"a": "b"})
    assert client.list_tags_for_resource(resourceArn=index_arn)["tags"] == {"a": "b"}


def test_admin_endpoints_need_a_signature(url):
    client = signed_client(url)
    client.create_vector_bucket(vectorBucketName="precious")
    rules = json.dumps({"rules": [{"operation": "*", "error": "ServiceUnavailableException"}]}).encode()
    for method, path, body in [
        ("POST", "/_emulator/reset", b""),
        ("POST", "/_emulator/faults", rules),
        ("GET", "/_emulator/faults", b""),
        ("DELETE", "/_emulator/faults", b""),
    ]:
        status, headers, answer = _send(url, method, path, {"Host": urlsplit(url).netloc}, body)
        assert (status, headers["x-amzn-ErrorType"]) == (403, "MissingAuthenticationTokenException"), path
    # A wrong secret is refused as well.
    wrong = AWSRequest(method="POST", url=f"{url}/_emulator/reset")
    SigV4Auth(Credentials(KEY, "not-the-secret"), "s3vectors", "us-east-1").add_auth(wrong)
    wrong.headers["Host"] = urlsplit(url).netloc
    assert _send(url, "POST", "/_emulator/reset", dict(wrong.headers.items()))[0] == 403
    assert [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]] == ["precious"]
    assert client.get_vector_bucket(vectorBucketName="precious")  # no fault was installed

    # Health stays open, for container health checks.
    assert _send(url, "GET", "/_emulator/health", {"Host": urlsplit(url).netloc})[0] == 200

    # Signed with botocore's signer (any service name in the scope), they work.
    signed = _signed(url, "POST", "/_emulator/faults", rules, service="s3vectors")
    assert _send(url, "POST", "/_emulator/faults", dict(signed.headers.items()), rules)[0] == 200
    cleared = _signed(url, "DELETE", "/_emulator/faults")
    assert _send(url, "DELETE", "/_emulator/faults", dict(cleared.headers.items()))[0] == 200
    reset = _signed(url, "POST", "/_emulator/reset")
    assert _send(url, "POST", "/_emulator/reset", dict(reset.headers.items()))[0] == 200
    assert client.list_vector_buckets()["vectorBuckets"] == []


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_aws_sigv4_reaches_the_admin_endpoints(url):
    signed_client(url).create_vector_bucket(vectorBucketName="via-curl")

    def curl(*args: str) -> tuple[int, str]:
        result = subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                "-",
                "-w",
                "\n%{http_code}",
                "--aws-sigv4",
                "aws:amz:us-east-1:s3vectors",
                "--user",
                f"{KEY}:{SECRET}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        body, _, code = result.stdout.rpartition("\n")
        return int(code), body

    assert curl(f"{url}/_emulator/faults") == (200, '{"rules":[]}')
    assert curl("-X", "POST", f"{url}/_emulator/reset")[0] == 200
    assert signed_client(url).list_vector_buckets()["vectorBuckets"] == []
    # A wrong secret is refused.
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3vectors",
            "--user",
            f"{KEY}:wrong",
            "-X",
            "POST",
            f"{url}/_emulator/reset",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout == "403"
