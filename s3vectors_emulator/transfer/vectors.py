"""Vectors in bulk: an index read by parallel ListVectors segments, and PutVectors batches sent over several
connections, each whole or not at all (behaviour.md#vectors-all-or-nothing)."""

from __future__ import annotations

import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any, NamedTuple

import numpy as np
import orjson
import simdjson
from numpy.typing import NDArray

from s3vectors_emulator.transfer.client import Endpoint, RateLimit, ServiceError, TransferError
from s3vectors_emulator.transfer.dump import DumpError, LineBatch, check_lines, encode_vector
from s3vectors_emulator.transfer.progress import Progress

# The model's bounds: ListVectors pages of at most 1,000 and 16 segments; PutVectors batches of at most 500.
PAGE = 1000
SEGMENTS = 16
BATCH = 500
# The request size limit is 20 MiB (behaviour.md#errors-body-size); the bucket and index names fit in the rest.
MAX_BODY = 20 * 1024 * 1024 - 4096
# A process of its own parses and encodes beside this one's writing (the GIL allows one at a time): where fork is
# safe and cheap, so nothing is imported again and the endpoint is inherited, credentials and all.
_FORK = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
PROCESSES = min(os.cpu_count() or 1, SEGMENTS)
# ListVectors requests in flight per reading process when the endpoint is not AWS (read_index says why).
_AT_ONCE = 3
# writev (not on Windows) and the most buffers it takes at once (POSIX guarantees 16; Linux takes 1,024).
_WRITEV = getattr(os, "writev", None)


def _iov_max() -> int:
    try:
        return max(16, os.sysconf("SC_IOV_MAX"))  # -1: no stated limit
    except (AttributeError, ValueError, OSError):
        return 16


_IOV_MAX = _iov_max()
_POSITION = re.compile(r"vectors\[(\d+)\]|/vectors/(\d+)")


class Page(NamedTuple):
    """A ListVectors page: keys, their float32 values (one row each) and metadata (None where empty)."""

    keys: list[str]
    data: NDArray[np.float32]
    metadata: list[dict[str, Any] | None]

    def lines(self, newline: bool = False) -> list[bytes]:
        """The page as dump lines, which are PutVectors vectors too (docs/data-format.md), each ending in
        ``\n`` with ``newline``."""
        return [encode_vector(key, self.data[i], self.metadata[i], newline) for i, key in enumerate(self.keys)]


class _PageReader:
    """ListVectors answers parsed by simdjson, whose arrays of numbers come out as float64 buffers: orjson made
    a Python float of each of the 1,024,000 values of a page of 1,000 × 1024 (~0.13 s against ~0.06 s, and the
    floats back to float32 after).  One parser, reused (its buffers stay allocated) and used by one thread at a
    time: parsing holds the GIL anyway."""

    def __init__(self) -> None:
        self._parser = simdjson.Parser()
        self._lock = threading.Lock()

    def read(self, answer: bytes) -> tuple[Page, str | None]:
        """The page and its nextToken."""
        with self._lock:
            try:
                return self._read(answer)
            except (ValueError, TypeError, KeyError) as exc:
                # Kept as text: the exception's frames hold the parser's proxies, which would bar its reuse.
                problem = f"{type(exc).__name__}: {exc}"
        raise TransferError(f"ListVectors: an answer that is not a page of vectors ({problem})")

    def _read(self, answer: bytes) -> tuple[Page, str | None]:
        document = self._parser.parse(answer)
        if not isinstance(document, simdjson.Object):
            raise TypeError("not an object")
        vectors = document.get("vectors")
        token = document.get("nextToken")
        items = vectors if isinstance(vectors, simdjson.Array) else ()
        keys: list[str] = []
        metadata: list[dict[str, Any] | None] = []
        matrix = np.empty((0, 0), dtype=np.float32)
        for i, vector in enumerate(items):
            if not isinstance(vector, simdjson.Object):
                raise TypeError("a vector that is not an object")
            keys.append(str(vector["key"]))
            data = vector.get("data")
            values = data.get("float32") if isinstance(data, simdjson.Object) else None
            if not isinstance(values, simdjson.Array):
                raise TypeError("a vector without float32 data")
            row = np.frombuffer(values.as_buffer(of_type="d"), dtype=np.float64)
            if i == 0:
                matrix = np.empty((len(items), len(row)), dtype=np.float32)
            elif len(row) != matrix.shape[1]:
                raise ValueError("vectors of different lengths")
            # AWS writes each float32 as the decimal of its double (behaviour.md#vectors-float32): exact as
            # float64, exact again as float32.  Written into the page's matrix: no list of rows to copy again.
            matrix[i] = row
            meta = vector.get("metadata")
            metadata.append(meta.as_dict() if isinstance(meta, simdjson.Object) and len(meta) else None)
        return Page(keys, matrix, metadata), str(token) if token else None


def read_index(
    endpoint: Endpoint,
    bucket: str,
    index: str,
    handle: Callable[[list[bytes]], None],
    segments: int = SEGMENTS,
    processes: int = PROCESSES,
    file: tuple[int, str] | None = None,
) -> None:
    """Every vector of the index with data and metadata, as dump lines (PutVectors vectors too), a ListVectors
    page at a time handed to ``handle`` in the calling thread; with ``file`` (a descriptor and its name, from
    VectorWriter.shared) the readers append the lines to it themselves, and ``handle`` gets only as many empty
    lines: sending them back cost this process more than the writing.  The ``segments`` are shared by
    ``processes`` forked processes (read by a thread of this one with 0, or where fork is not to be had).  The
    first error stops every segment."""
    numbers = list(range(segments))
    readers: list[threading.Thread | BaseProcess] = []
    stop: Any
    out: Any
    lock: Any
    # AWS answers from many servers far away: every segment at once.  Another endpoint (the emulator) is bound by
    # CPU, its own and this machine's: three requests in flight per process, so that each always has its next page
    # on the way while it parses one.  Measured on 100,000 x 1024 with two processes, median of three exports: one
    # in flight 13.4 s (the two cores 82 % busy: both readers often waited on the server at once), two 12.1-12.4 s,
    # three 11.8 s, four 11.9 s, all eight 12.0 s (more CPU: the server's threads contend).
    if _FORK is not None and processes > 0:
        stop, out, lock = _FORK.Event(), _FORK.Queue(maxsize=segments), _FORK.Lock()
        for share in (numbers[i::processes] for i in range(min(processes, segments))):
            at_once = len(share) if endpoint.aws else min(_AT_ONCE, len(share))
            arguments = (endpoint, bucket, index, share, segments, at_once, _Sink(out, stop, file, lock))
            readers.append(_FORK.Process(target=_forked, args=arguments, daemon=True))
    else:
        stop, out, lock = threading.Event(), queue.Queue(maxsize=segments), threading.Lock()
        at_once = segments if endpoint.aws else _AT_ONCE
        arguments = (endpoint, bucket, index, numbers, segments, at_once, _Sink(out, stop, file, lock))
        readers.append(threading.Thread(target=_read_segments, args=arguments, daemon=True))
    for reader in readers:
        reader.start()
    try:
        running = len(readers)
        while running:
            try:
                kind, value = out.get(timeout=1.0)
            except queue.Empty:
                kind, value = "waiting", None
            if kind == "waiting":
                ended = [r for r in readers if isinstance(r, BaseProcess) and r.exitcode not in (None, 0)]
                if ended:  # killed, say, without a word on the queue
                    raise TransferError(f"ListVectors: a reading process ended (exit status {ended[0].exitcode})")
            elif kind == "lines":
                handle(value)
            elif kind == "appended":
                handle([b""] * value)
            elif kind == "done":
                running -= 1
            else:
                raise TransferError(value)
    finally:
        stop.set()
        for reader in readers:
            if isinstance(reader, BaseProcess):
                reader.terminate()  # one blocked on a full queue would never end
            reader.join()


def _forked(*arguments: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends this process
    arguments[0].reconnect()
    _read_segments(*arguments)


class _Sink:
    """Where a reader's pages go: their lines on the queue ``out``, or appended to ``file`` and their count on
    the queue; ``stop`` is set on the first failure."""

    def __init__(self, out: Any, stop: Any, file: tuple[int, str] | None, lock: Any) -> None:
        self.out, self.stop, self.file, self.lock = out, stop, file, lock

    def page(self, page: Page) -> None:
        if self.file is None:
            self.put("lines", page.lines())
            return
        fd, name = self.file
        lines = page.lines(newline=True)
        try:
            with self.lock:  # whole pages, one after the other
                _write_all(fd, lines)
        except OSError as exc:
            raise TransferError(f"{name}: cannot write: {exc.strerror or exc}") from None
        self.put("appended", len(lines))

    def put(self, kind: str, value: Any) -> None:
        """On the queue, unless the reading is stopped while the queue is full (its reader gone)."""
        while True:
            try:
                self.out.put((kind, value), timeout=0.5)
                return
            except queue.Full:
                if self.stop.is_set():
                    return


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Every piece, in order, by writev where there is one: joining a page's ~11 MB of lines first copied it
    twice more."""
    views = [memoryview(piece) for piece in pieces]
    first = 0
    while first < len(views):
        if _WRITEV is None:
            written = os.write(fd, views[first])
        else:
            written = _WRITEV(fd, views[first : first + _IOV_MAX])
        while first < len(views) and written >= len(views[first]):
            written -= len(views[first])
            first += 1
        if written:
            views[first] = views[first][written:]


def _read_segments(
    endpoint: Endpoint, bucket: str, index: str, numbers: list[int], segments: int, at_once: int, sink: _Sink
) -> None:
    """The segments ``numbers``, ``at_once`` at a time, every page into ``sink``; then ("done", None), or
    ("error", message) for the first failure."""
    reader = _PageReader()

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
        while not sink.stop.is_set():
            page, token = reader.read(endpoint.call_raw("ListVectors", {**body, "nextToken": token} if token else body))
            if page.keys:
                sink.page(page)
            if not token:
                return

    try:
        with ThreadPoolExecutor(max_workers=at_once) as pool:
            futures = [pool.submit(segment, n) for n in numbers]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                sink.stop.set()  # every segment, in every process, ends after its page
                raise
    except TransferError as exc:
        sink.put("error", str(exc))
    except Exception:
        sink.put("error", f"ListVectors: {traceback.format_exc()}")
    else:
        sink.put("done", None)


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
