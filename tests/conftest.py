"""Fixtures: the real HTTP server on a free port, and boto3 clients bound to it."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.server import EmulatorServer
from s3vectors_emulator.testing import client_for as boto_client
from s3vectors_emulator.testing import reset


def _serve(config: Config) -> Iterator[EmulatorServer]:
    server = EmulatorServer(create_app(config), "127.0.0.1", 0, threads=8)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    yield from _serve(Config())


@pytest.fixture(scope="session")
def legacy_server() -> Iterator[EmulatorServer]:
    """behaviour.md#decision-post-cutoff-buckets: a server whose new buckets count as made before 2026-09-30."""
    yield from _serve(Config(legacy_buckets=True))


def make_client(url: str, region: str = "us-east-1", validate: bool = True, access_key: str = "test") -> Any:
    return boto_client(
        url, region, access_key, parameter_validation=validate, retries={"total_max_attempts": 1, "mode": "standard"}
    )


@pytest.fixture
def client(server: EmulatorServer) -> Any:
    reset(server.url)
    return make_client(server.url)


@pytest.fixture
def raw_client(server: EmulatorServer, client: Any) -> Any:
    """A client that sends what botocore would refuse, so the server's checks are reached."""
    return make_client(server.url, validate=False)


@pytest.fixture
def legacy_client(legacy_server: EmulatorServer) -> Any:
    reset(legacy_server.url)
    return make_client(legacy_server.url)


@pytest.fixture
def client_for(server: EmulatorServer, client: Any) -> Callable[..., Any]:
    def factory(region: str = "us-east-1", access_key: str = "test") -> Any:
        return make_client(server.url, region=region, access_key=access_key)

    return factory


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture
def http_call(server: EmulatorServer, client: Any) -> Callable[..., RawResponse]:
    """Send raw bytes to the server, for bodies no SDK would produce."""
    parts = urlsplit(server.url)

    def call(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> RawResponse:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    return call


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str, int, Any]:
    """(code, message, status, fieldList) of a botocore ClientError."""
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response.get("fieldList"),
    )
