"""PutVectors of 500 × 1024 through boto3: vectors per second, the server's own time per request
(a timing middleware around the Flask app's WSGI callable, here and not in s3vectors_emulator/) and the
client's own time before sending (botocore's event hooks)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from bench.data import gaussian, generator, key_of
from bench.report import Column, Section, Target
from bench.servers import client_for, create_index
from bench.stats import median, now
from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.server import EmulatorServer

BATCH, DIM = 500, 1024
BUCKET, INDEX = "bench-put", "put-500x1024"
TARGET_MS = 60.0


class TimingMiddleware:
    """Wraps a WSGI app; records (path, seconds) from the call until the response body is produced."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.records: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start = now()
        result = self.app(environ, start_response)
        try:
            body = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        seconds = now() - start
        with self._lock:
            self.records.append((environ.get("PATH_INFO", ""), seconds))
        return body


class ClientMarks:
    """botocore event hooks on one operation: when the call starts (provide-client-params), when
    the request is serialised (before-call) and when it is signed and about to go (before-send)."""

    def __init__(self, client: Any, operation: str) -> None:
        self.marks: dict[str, float] = {}
        self.body_bytes = 0
        events = client.meta.events
        events.register(f"provide-client-params.s3vectors.{operation}", self._mark("start"))
        events.register(f"before-call.s3vectors.{operation}", self._mark("serialised"))
        events.register(f"before-send.s3vectors.{operation}", self._mark("send"))
        events.register(f"before-send.s3vectors.{operation}", self._body)

    def _body(self, request: Any, **kwargs: Any) -> None:
        body = request.body
        self.body_bytes = len(body) if isinstance(body, bytes | str) else 0

    def _mark(self, name: str) -> Callable[..., None]:
        def handler(**kwargs: Any) -> None:  # returning None: the call goes on unchanged
            self.marks[name] = now()

        return handler


def run(quick: bool) -> Section:
    calls = 6 if quick else 20
    section = Section(
        "put",
        f"PutVectors of {BATCH} x {DIM} through boto3 ({calls} calls)",
        [
            Column("what", "figure"),
            Column("value", "median", "num"),
            Column("unit", "unit"),
            Column("target", "target"),
        ],
    )
    rng = generator()
    middleware = TimingMiddleware(create_app(Config(port=0)))
    server = EmulatorServer(middleware, "127.0.0.1", 0, 16)
    server.start()
    try:
        client = client_for(server.url)
        create_index(client, BUCKET, INDEX, DIM)
        marks = ClientMarks(client, "PutVectors")
        wall, server_s, prep, serialise, body_bytes = [], [], [], [], []
        for call in range(calls + 1):  # the first call is a warm-up
            block = gaussian(rng, BATCH, DIM)
            vectors = [
                {"key": key_of(call * BATCH + j), "data": {"float32": row}, "metadata": {"batch": call, "row": j}}
                for j, row in enumerate(block.tolist())
            ]
            middleware.records.clear()
            start = now()
            response = client.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=vectors)
            end = now()
            timed = [s for path, s in middleware.records if path == "/PutVectors"]
            if call == 0:
                continue
            wall.append(end - start)
            server_s.append(timed[-1])
            prep.append(marks.marks["send"] - marks.marks["start"])
            serialise.append(marks.marks["serialised"] - marks.marks["start"])
            if response["ResponseMetadata"]["HTTPStatusCode"] != 200:
                raise RuntimeError(f"PutVectors answered {response['ResponseMetadata']}")
            body_bytes.append(marks.body_bytes)
    finally:
        server.stop()
    wall_m, server_m, prep_m = median(wall), median(server_s), median(prep)
    section.rows += [
        {"what": "throughput through boto3", "value": BATCH / wall_m, "unit": "vectors/s"},
        {"what": "client wall time per call", "value": wall_m * 1e3, "unit": "ms"},
    ]
    server_row: dict[str, Any] = {"what": "server time per request (middleware)", "value": server_m * 1e3, "unit": "ms"}
    section.add_target(server_row, Target("PutVectors 500x1024 server time", server_m * 1e3, "<=", TARGET_MS, " ms"))
    section.rows += [
        server_row,
        {"what": "client time before sending (validate+serialise+sign)", "value": prep_m * 1e3, "unit": "ms"},
        {"what": "  of which validate+serialise", "value": median(serialise) * 1e3, "unit": "ms"},
        {"what": "server time / client time before sending", "value": server_m / prep_m, "unit": "x"},
        {"what": "request body (approx.)", "value": median(body_bytes) / 2**20, "unit": "MiB"},
    ]
    section.notes.append("client and server share this process (running_emulator style), so they share its GIL")
    return section
