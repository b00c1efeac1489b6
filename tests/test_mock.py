"""The in-process mode (``s3vectors_emulator.mock_s3vectors``) as a test suite meets it, beside moto.

What the answers hold is the conformance suite's business (``make conformance ARGS="--target inprocess"``);
these tests check the mode itself: which clients it reaches, what it leaves behind, how it sits beside
moto's ``mock_aws``, and that it needs no network and no thread.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.endpoint import Endpoint
from botocore.exceptions import ClientError, EndpointConnectionError

from s3vectors_emulator import mock_s3vectors
from s3vectors_emulator.config import Config
from s3vectors_emulator.errors import InvalidSignatureError
from s3vectors_emulator.store.store import Store
from s3vectors_emulator.testing import client_for, running_emulator

ORIGINAL = Endpoint.__dict__["_do_get_response"]
# Where nothing listens: a request that leaves the process fails at once.
NOWHERE = "http://127.0.0.1:9"
ONE_ATTEMPT = BotoConfig(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2)


def s3v(region: str = "us-east-1", **kwargs: Any) -> Any:
    kwargs.setdefault("aws_access_key_id", "test")
    kwargs.setdefault("aws_secret_access_key", "test")
    return boto3.client("s3vectors", region_name=region, **kwargs)


def names(client: Any) -> list[str]:
    return [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]]


def search(client: Any, bucket: str) -> list[str]:
    """Make an index of two vectors in ``bucket``; the keys QueryVectors ranks, nearest first."""
    where = {"vectorBucketName": bucket, "indexName": "docs"}
    client.create_index(**where, dataType="float32", dimension=2, distanceMetric="cosine")
    client.put_vectors(
        **where, vectors=[{"key": "east", "data": {"float32": [1, 0]}}, {"key": "north", "data": {"float32": [0, 1]}}]
    )
    hits = client.query_vectors(**where, queryVector={"float32": [1, 0.2]}, topK=2)["vectors"]
    return [hit["key"] for hit in hits]


def test_every_client_whenever_made_in_any_region_with_or_without_endpoint_url() -> None:
    before = s3v()
    with mock_s3vectors():
        before.create_vector_bucket(vectorBucketName="made-before")
        assert names(s3v(endpoint_url=NOWHERE)) == ["made-before"]
        s3v("eu-west-1").create_vector_bucket(vectorBucketName="in-ireland")
        # Regions and accounts are kept apart as by the server (from each request's credential scope).
        assert names(s3v("eu-west-1")) == ["in-ireland"]
        assert names(before) == ["made-before"]
        assert names(s3v(aws_access_key_id="111122223333")) == []


def test_each_activation_starts_empty_unless_given_a_store() -> None:
    mock = mock_s3vectors()
    with mock:
        s3v().create_vector_bucket(vectorBucketName="first-run")
    with mock:
        assert names(s3v()) == []
    store = Store()
    shared = mock_s3vectors(store=store)
    with shared:
        s3v().create_vector_bucket(vectorBucketName="kept")
    with shared as active:
        assert active.store is store
        assert names(s3v()) == ["kept"]
    store.close()


def test_a_data_dir_keeps_state_across_activations(tmp_path: Path) -> None:
    mock = mock_s3vectors(config=Config(data_dir=str(tmp_path)))
    with mock:
        s3v().create_vector_bucket(vectorBucketName="on-disk")
    # Stopping closed the database and released its lock, so the next activation opens it again.
    with mock:
        assert names(s3v()) == ["on-disk"]


def test_leaving_restores_botocore_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    with running_emulator(Config(port=0)) as url:
        served = client_for(url)
        served.create_vector_bucket(vectorBucketName="on-the-server")
        with mock_s3vectors():
            assert Endpoint.__dict__["_do_get_response"] is not ORIGINAL
            # No credentials were set: the mock's dummy ones stop botocore's search before it reaches the network.
            assert os.environ["AWS_ACCESS_KEY_ID"] == "test"
            assert names(served) == []
        assert Endpoint.__dict__["_do_get_response"] is ORIGINAL
        assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_SECRET_ACCESS_KEY" not in os.environ
        assert names(served) == ["on-the-server"]


def test_credentials_already_set_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "111122223333")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "mine")
    with mock_s3vectors():
        client = boto3.client("s3vectors", region_name="us-east-1")
        client.create_vector_bucket(vectorBucketName="mine")
        arn = client.get_vector_bucket(vectorBucketName="mine")["vectorBucket"]["vectorBucketArn"]
        assert arn == "arn:aws:s3vectors:us-east-1:111122223333:bucket/mine"
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == "mine"


def test_the_innermost_activation_answers() -> None:
    client = s3v()
    with mock_s3vectors():
        client.create_vector_bucket(vectorBucketName="outer")
        with mock_s3vectors():
            assert names(client) == []
        assert names(client) == ["outer"]
        assert Endpoint.__dict__["_do_get_response"] is not ORIGINAL
    assert Endpoint.__dict__["_do_get_response"] is ORIGINAL


def test_start_and_stop_and_their_misuse() -> None:
    mock = mock_s3vectors()
    with pytest.raises(RuntimeError, match="not active"):
        mock.stop()
    with pytest.raises(RuntimeError, match="not active"):
        _ = mock.store
    assert mock.start() is mock
    s3v().create_vector_bucket(vectorBucketName="started")
    assert [bucket.name for bucket in mock.store.region("123456789012", "us-east-1").buckets.values()] == ["started"]
    mock.stop()
    assert Endpoint.__dict__["_do_get_response"] is ORIGINAL
    with pytest.raises(TypeError, match="decorates a function or a class"):
        mock_s3vectors()(42)


def test_decorated_functions_each_call_fresh_with_their_config() -> None:
    @mock_s3vectors
    def make_and_list() -> list[str]:
        before = names(s3v())
        s3v().create_vector_bucket(vectorBucketName="per-call")
        return before

    assert make_and_list() == [] and make_and_list() == []

    @mock_s3vectors(config=Config(account_id="444455556666"))
    def arn() -> str:
        s3v().create_vector_bucket(vectorBucketName="elsewhere")
        return str(s3v().get_vector_bucket(vectorBucketName="elsewhere")["vectorBucket"]["vectorBucketArn"])

    assert arn() == "arn:aws:s3vectors:us-east-1:444455556666:bucket/elsewhere"
    assert make_and_list.__name__ == "make_and_list"
    assert Endpoint.__dict__["_do_get_response"] is ORIGINAL


def test_decorated_coroutine_function() -> None:
    @mock_s3vectors
    async def make() -> list[str]:
        await asyncio.sleep(0)
        s3v().create_vector_bucket(vectorBucketName="awaited")
        return names(s3v())

    # In a thread of its own: in the whole suite, Playwright's sync API keeps a loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, make()).result() == ["awaited"]
    assert Endpoint.__dict__["_do_get_response"] is ORIGINAL


def test_decorated_unittest_case_shares_set_up_and_test_only() -> None:
    seen: list[list[str]] = []

    @mock_s3vectors
    class Case(unittest.TestCase):
        def setUp(self) -> None:
            s3v().create_vector_bucket(vectorBucketName=f"set-up-{self._testMethodName.replace('_', '-')}")

        def tearDown(self) -> None:
            seen.append(names(s3v()))

        def test_one(self) -> None:
            self.assertEqual(names(s3v()), ["set-up-test-one"])

        def test_two(self) -> None:
            self.assertEqual(names(s3v()), ["set-up-test-two"])

    result = unittest.TextTestRunner(stream=open(os.devnull, "w"), verbosity=0).run(  # noqa: SIM115
        unittest.defaultTestLoader.loadTestsFromTestCase(Case)
    )
    assert result.wasSuccessful(), result.failures + result.errors
    assert seen == [["set-up-test-one"], ["set-up-test-two"]]
    assert Endpoint.__dict__["_do_get_response"] is ORIGINAL


def test_signatures_checked_as_configured() -> None:
    with mock_s3vectors(config=Config(credentials=(("AKIDEXAMPLE", "right"),))):
        assert names(s3v(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="right")) == []
        with pytest.raises(ClientError) as refused:
            s3v(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="wrong").list_vector_buckets()
        assert refused.value.response["Error"]["Code"] == InvalidSignatureError.code


@pytest.mark.parametrize("outer", ["moto", "emulator"])
def test_beside_moto_in_either_order(outer: str) -> None:
    from moto import mock_aws

    first, second = (mock_aws(), mock_s3vectors()) if outer == "moto" else (mock_s3vectors(), mock_aws())
    with first, second:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="documents")
        s3.put_object(Bucket="documents", Key="a.txt", Body=b"hello")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="chunks",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        vectors = boto3.client("s3vectors", region_name="us-east-1")
        vectors.create_vector_bucket(vectorBucketName="embeddings")
        assert search(vectors, "embeddings") == ["east", "north"]
        assert s3.get_object(Bucket="documents", Key="a.txt")["Body"].read() == b"hello"
        assert dynamodb.list_tables()["TableNames"] == ["chunks"]
        if outer == "moto":
            second.__exit__(None, None, None)
            # Back to moto alone: its own S3 Vectors never saw the emulator's bucket.
            assert names(vectors) == []
            second.__enter__()
    assert Endpoint.__dict__["_do_get_response"] is ORIGINAL


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every socket connection of this process fails while the test runs."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("this test allows no network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.usefixtures("no_network")
def test_no_network_and_no_thread() -> None:
    from moto import mock_aws

    threads = set(threading.enumerate())
    with mock_aws(), mock_s3vectors():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="offline")
        vectors = boto3.client("s3vectors", region_name="us-east-1", endpoint_url=NOWHERE)
        vectors.create_vector_bucket(vectorBucketName="offline")
        assert search(vectors, "offline") == ["east", "north"]
        assert set(threading.enumerate()) == threads
    # The other services are not the mock's: without moto, their requests go out, and fail here.
    with mock_s3vectors():
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=NOWHERE, config=ONE_ATTEMPT)
        with pytest.raises(EndpointConnectionError):
            s3.list_buckets()
    with pytest.raises(EndpointConnectionError):
        s3v(endpoint_url=NOWHERE, config=ONE_ATTEMPT).list_vector_buckets()
