"""Vectors in bulk: an index read by parallel ListVectors segments, and PutVectors batches sent over several
connections, each whole or not at all (behaviour.md#vectors-all-or-nothing)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import orjson

from s3vectors_emulator.transfer.client import Endpoint, RateLimit, ServiceError, TransferError
from s3vectors_emulator.transfer.dump import DumpError, LineBatch, check_lines
from s3vectors_emulator.transfer.progress import Progress

# The model's bounds: ListVectors pages of at most 1,000 and 16 segments; PutVectors batches of at most 500.
PAGE = 1000
SEGMENTS = 16
BATCH = 500
# The request size limit is 20 MiB (behaviour.md#errors-body-size); the bucket and index names fit in the rest.
MAX_BODY = 20 * 1024 * 1024 - 4096
_POSITION = re.compile(r"vectors\[(\d+)\]|/vectors/(\d+)")


def read_index(
    endpoint: Endpoint,
    bucket: str,
    index: str,
    handle: Callable[[list[dict[str, Any]]], None],
    segments: int = SEGMENTS,
) -> None:
    """Every vector of the index with data and metadata, as ListVectors pages handed to ``handle`` from
    ``segments`` threads at once (so ``handle`` must be thread-safe).  The first error stops every segment."""
    stop = threading.Event()

    def segment(number: int) -> None:
        body: dict[str, Any] = {
            "vectorBucketName": bucket,
            "indexName": index,
            "maxResults": PAGE,
            "returnData": True,
            "returnMetadata": True,
        }
        if segments > 1:
            body |= {"segmentCount": segments, "segmentIndex": number}
        token: str | None = None
        while not stop.is_set():
            answer = endpoint.call("ListVectors", {**body, "nextToken": token} if token else body)
            if answer["vectors"]:
                handle(answer["vectors"])
            token = answer.get("nextToken")
            if not token:
                return

    with ThreadPoolExecutor(max_workers=segments) as pool:
        futures = [pool.submit(segment, n) for n in range(segments)]
        try:
            for future in futures:
                future.result()
        finally:
            stop.set()


class Putter:
    """Sends PutVectors batches of vector lines (JSON bytes, one PutVectors vector each) to one index over
    ``connections`` connections; ``close`` waits for them and raises the first refusal, naming the line
    (``source:line``) or the key that caused it."""

    def __init__(
        self,
        endpoint: Endpoint,
        bucket: str,
        index: str,
        dimension: int,
        progress: Progress,
        connections: int,
        rate: RateLimit,
    ) -> None:
        self._endpoint = endpoint
        self._prefix = b'{"vectorBucketName":%s,"indexName":%s,"vectors":[' % (
            orjson.dumps(bucket),
            orjson.dumps(index),
        )
        self._dimension = dimension
        self._progress = progress
        self._rate = rate
        self._pool = ThreadPoolExecutor(max_workers=connections)
        self._slots = threading.BoundedSemaphore(connections * 2)  # batches read ahead, no more
        self._futures: list[Future[None]] = []
        self._failed = threading.Event()

    def put(self, batch: LineBatch) -> None:
        """Queue one batch (at most 500 lines and MAX_BODY bytes); blocks while enough are in flight."""
        self._slots.acquire()
        if self._failed.is_set():
            self._slots.release()
            self.close()
        self._futures.append(self._pool.submit(self._send, batch))
        self._futures = [f for f in self._futures if not f.done() or f.exception() is not None]

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for future in self._futures:
            future.result()

    def _send(self, batch: LineBatch) -> None:
        try:
            if self._failed.is_set():
                return
            self._rate.take(len(batch.lines))
            body = self._prefix + b",".join(batch.lines) + b"]}"
            try:
                self._endpoint.call("PutVectors", body)
            except ServiceError as exc:
                self._failed.set()
                raise self._located(batch, exc) from None
            except TransferError:
                self._failed.set()
                raise
            self._progress.add(len(batch.lines))
        finally:
            self._slots.release()

    def _located(self, batch: LineBatch, exc: ServiceError) -> TransferError:
        """A refused batch: a line that is no vector at all is the dump's fault; otherwise the receiver's
        fieldList or message names the vector, and so its line."""
        if exc.status == 400 and batch.numbers:
            try:
                check_lines(batch, self._dimension)
            except DumpError as bad:
                return TransferError(str(bad))
        paths = [str(f.get("path", "")) for f in exc.field_list if isinstance(f, dict)] + [exc.message]
        for text in paths:
            match = _POSITION.search(text)
            if match and int(match.group(1) or match.group(2)) < len(batch.lines):
                position = int(match.group(1) or match.group(2))
                key = orjson.loads(batch.lines[position]).get("key")
                where = f"{batch.file}:{batch.numbers[position]}" if batch.numbers else batch.file
                return TransferError(f"{where}: vector {key!r} refused by {self._endpoint.url}: {exc}")
        first, last = (batch.numbers[0], batch.numbers[-1]) if batch.numbers else (0, 0)
        return TransferError(f"{batch.file}:{first}-{last}: batch refused by {self._endpoint.url}: {exc}")
