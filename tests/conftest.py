"""Fixtures: the real HTTP server on a free port, and boto3 clients bound to it."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest

from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.protocol import output_check
from s3vectors_emulator.server import EmulatorServer
from s3vectors_emulator.testing import client_for as boto_client
from s3vectors_emulator.testing import reset


@contextmanager
def serving(config: Config, threads: int = 8) -> Iterator[EmulatorServer]:
    """The real HTTP server for ``config`` on a free port, stopped after the block."""
    server = EmulatorServer(create_app(config), "127.0.0.1", 0, threads)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def skip_unless_importable_as(prefix: list[str], who: str) -> None:
    """Skip when the package cannot be imported under ``prefix`` (a command dropping privileges):
    a checkout or virtualenv in a directory only its owner can read (mktemp -d makes one) hides it."""
    import subprocess
    import sys

    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import s3vectors_emulator"], capture_output=True, cwd="/", timeout=60
    )
    if probe.returncode != 0:
        pytest.skip(f"{who} cannot read this checkout or its .venv; clone it into a directory others can read")


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body) of the answer on a raw socket, read until it closes."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


@pytest.fixture(autouse=True)
def answers_in_shape() -> Iterator[None]:
    """Fail a test whose requests got an answer off the service model's shapes: the app no longer walks its
    answers against them (s3vectors_emulator.protocol.output_check)."""
    check = output_check.watch()
    yield
    if problems := check.take():
        pytest.fail("answers off their shapes:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    with serving(Config()) as running:
        yield running


@pytest.fixture(scope="session")
def legacy_server() -> Iterator[EmulatorServer]:
    """behaviour.md#decision-post-cutoff-buckets: a server whose new buckets count as made before 2026-09-30."""
    with serving(Config(legacy_buckets=True)) as running:
        yield running


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
