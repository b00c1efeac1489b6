"""Servers for the benchmark to talk to: boto3 clients, fast PutVectors fills over HTTP, and
servers run in processes of their own."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import orjson
from numpy.typing import NDArray

from bench import ROOT
from bench.data import key_of
from bench.stats import now

REGION = "us-east-1"


def client_for(url: str) -> Any:
    """A boto3 S3 Vectors client with dummy credentials (the project's own factory)."""
    from s3vectors_emulator.testing import client_for as make

    return make(url, region=REGION)


def create_index(client: Any, bucket: str, index: str, dimension: int, metric: str = "cosine") -> None:
    try:
        client.create_vector_bucket(vectorBucketName=bucket)
    except client.exceptions.ConflictException:
        pass
    client.create_index(
        vectorBucketName=bucket, indexName=index, dataType="float32", dimension=dimension, distanceMetric=metric
    )


def http_put(
    url: str,
    bucket: str,
    index: str,
    matrix: NDArray[np.float32],
    first_key: int = 0,
    metadata: Callable[[int], dict[str, Any] | None] | None = None,
    batch: int = 500,
) -> float:
    """Fill an index over HTTP with unsigned PutVectors bodies serialised by orjson (much cheaper
    than boto3, so fills stay short); returns the seconds spent.  Fails loudly on any non-200."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    start = now()
    try:
        for b in range(0, len(matrix), batch):
            vectors = []
            for j in range(b, min(b + batch, len(matrix))):
                item: dict[str, Any] = {"key": key_of(first_key + j), "data": {"float32": matrix[j]}}
                meta = metadata(first_key + j) if metadata else None
                if meta is not None:
                    item["metadata"] = meta
                vectors.append(item)
            body = orjson.dumps(
                {"vectorBucketName": bucket, "indexName": index, "vectors": vectors},
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
            conn.request("POST", "/PutVectors", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"PutVectors answered {response.status}: {answer[:300]!r}")
    finally:
        conn.close()
    return now() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = now() + timeout
    while now() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server process exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {timeout:.0f} s")


@contextmanager
def server_process(argv: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server in its own process (own GIL) and yield its URL; SIGTERM it afterwards."""
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or os.environ.copy()
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def emulator_process(threads: int = 16) -> Iterator[str]:
    """The emulator as a user runs it (``python -m s3vectors_emulator``), in its own process."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "s3vectors_emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
    ]
    with server_process(argv, port) as url:
        yield url
