"""behaviour.md#decision-credentials: SigV4 verification when the server is given key pairs (--auth)."""

from __future__ import annotations

import datetime as dt
import http.client
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import error_of

from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import running_emulator

KEY, SECRET = "AKIDEMULATOR", "emulator-secret"
ACCOUNT_KEY = "111122223333"


@pytest.fixture(scope="module")
def url():
    config = Config(port=0, credentials=((KEY, SECRET), (ACCOUNT_KEY, "other-secret")))
    with running_emulator(config) as running:
        yield running


def signed_client(url: str, key: str = KEY, secret: str = SECRET, **config):
    import boto3

    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=BotoConfig(retries={"max_attempts": 1}, **config),
    )


def test_right_secret_works_for_every_route(url):
    client = signed_client(url)
    arn = client.create_vector_bucket(vectorBucketName="signed")["vectorBucketArn"]
    client.tag_resource(resourceArn=arn, tags={"a b": "c/d", "e": "f"})
    client.untag_resource(resourceArn=arn, tagKeys=["a b"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"e": "f"}
    client.create_index(
        vectorBucketName="signed", indexName="idx", dataType="float32", dimension=256, distanceMetric="cosine"
    )
    client.put_vectors(
        vectorBucketName="signed",
        indexName="idx",
        vectors=[{"key": f"k{i}", "data": {"float32": [1.0 + i] * 256}} for i in range(200)],
    )
    assert len(client.list_vectors(vectorBucketName="signed", indexName="idx")["vectors"]) == 200
    client.delete_index(vectorBucketName="signed", indexName="idx")
    client.delete_vector_bucket(vectorBucketArn=arn)


def test_twelve_digit_key_is_still_the_account(url):
    client = signed_client(url, ACCOUNT_KEY, "other-secret")
    arn = client.create_vector_bucket(vectorBucketName="acct-signed")["vectorBucketArn"]
    assert ":111122223333:" in arn


def test_wrong_secret(url):
    with pytest.raises(ClientError) as exc:
        signed_client(url, secret="not-the-secret").list_vector_buckets()
    assert error_of(exc)[:3] == (
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method.",
        403,
    )


def test_unknown_key(url):
    with pytest.raises(ClientError) as exc:
        signed_client(url, key="AKIDUNKNOWN").list_vector_buckets()
    assert error_of(exc)[:3] == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        403,
    )


def test_unsigned_request(url):
    with pytest.raises(ClientError) as exc:
        signed_client(url, signature_version=UNSIGNED).list_vector_buckets()
    assert error_of(exc)[0] == "MissingAuthenticationTokenException"
    assert error_of(exc)[2] == 403


def test_free_access_without_auth_option(client):
    """Without --auth, any credentials work (behaviour.md#decision-credentials's default)."""
    client.list_vector_buckets()


def _send(url: str, body: bytes, when: dt.datetime, secret: str = SECRET, tamper: bytes | None = None):
    request = AWSRequest(
        method="POST", url=f"{url}/ListVectorBuckets", data=body, headers={"Content-Type": "application/json"}
    )
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: when.replace(tzinfo=None)
    try:
        SigV4Auth(Credentials(KEY, secret), "s3vectors", "us-east-1").add_auth(request)
    finally:
        botocore.auth.get_current_datetime = original
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(
        "POST", "/ListVectorBuckets", body=tamper if tamper is not None else body, headers=dict(request.headers.items())
    )
    response = conn.getresponse()
    return response.status, response.getheader("x-amzn-ErrorType"), response.read()


def test_signing_date_window(url):
    now = dt.datetime.now(dt.UTC)
    assert _send(url, b"{}", now)[0] == 200
    assert _send(url, b"{}", now - dt.timedelta(minutes=10))[0] == 200
    status, code, body = _send(url, b"{}", now - dt.timedelta(minutes=20))
    assert (status, code) == (403, "InvalidSignatureException") and b"Signature expired" in body
    status, code, _ = _send(url, b"{}", now + dt.timedelta(minutes=20))
    assert (status, code) == (403, "InvalidSignatureException")


def test_payload_is_covered_by_the_signature(url):
    status, code, _ = _send(url, b'{"maxResults": 5}', dt.datetime.now(dt.UTC), tamper=b'{"maxResults": 6}')
    assert (status, code) == (403, "InvalidSignatureException")


def test_cli_reads_auth_file(tmp_path):
    from s3vectors_emulator.cli import parse_args

    path = tmp_path / "keys"
    path.write_text("# comment\nAKID1:secret1\n\nAKID2:se:cret2\n")
    config = parse_args(["--auth-file", str(path), "--auth", "AKID3:secret3"])
    assert dict(config.credentials) == {"AKID1": "secret1", "AKID2": "se:cret2", "AKID3": "secret3"}
