"""Reading a dump's vectors file fast enough for a seed of 100,000 × 1024 vectors in seconds (README, Performance).

A vectors file of that size is ~1.1 GB of JSON text (~0.5 GB gzip-compressed).  Python's gzip and orjson took
~8 s each for it on the benchmark machine, and orjson's 100M Python floats cost ~4 s more to become float32.  So:

- each line is parsed by simdjson (``pysimdjson``), whose arrays hand their numbers over as one buffer of
  doubles, with no Python float made; a row is then one cast to float32 (the shortest decimal of a float32 read
  as the nearest double rounds back to the same float32: bit-exact);
- a large plain file (export's default) is cut into chunks at line ends, parsed by child processes
  (s3vectors_emulator.seeding.parse_worker) on the other cores while this one hands the vectors to the store:
  simdjson holds the GIL, so threads would take turns (100,000 × 1024: ready in 8.3-10.8 s against 17.9-18.6 s in
  one process, on a busy machine);
- a gzip file is decompressed by ISA-L (``isal``, ~3× zlib) in a child process (s3vectors_emulator.seeding.gunzip),
  while a thread splits its output into lines and this one parses them.

What this fast path cannot vouch for (a value that is not a number, a line that is not a vector, a nested list
simdjson would flatten) is handed to the dump format's own checks
(:func:`s3vectors_emulator.transfer.dump.check_lines`), which refuse it with the dump's one-line message naming
the file and line, or accept it, and then the line is read by orjson instead.  The vectors' content (keys,
values, metadata) is checked afterwards by the store's rules, as PutVectors checks it
(s3vectors_emulator.seeding.apply).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pickle
import queue
import stat
import subprocess
import sys
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import orjson
import simdjson
from isal import igzip
from numpy.typing import NDArray

from s3vectors_emulator.transfer.dump import DumpError, LineBatch, VectorBatch, check_lines, gzipped, resolve

_BLOCK = 4 << 20  # bytes decompressed at a time
_QUEUED = 4  # blocks read ahead: enough to keep both threads busy, little memory
_ROWS = 2048  # vectors per batch handed to the store
_PIPE = 1 << 20  # Linux's largest pipe for an unprivileged process by default
_SETPIPE_SIZE = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux's, named by fcntl from Python 3.10 on
# A plain file from this size on is parsed by child processes, a chunk at a time each, while this one hands the
# vectors to the store: simdjson holds the GIL, and the parsing was ~3/4 of a seed, on one core.  Smaller files
# are not worth the children's start (~0.2 s).
_PARALLEL_FROM = 128 << 20
_CHUNK = 16 << 20
_WORKERS = 4  # at most, and no more than the cores


@dataclass(frozen=True)
class VectorsFile:
    """A vectors file of one index: ``count`` is what a manifest says it holds (None: not said)."""

    path: Path
    count: int | None = None


def read_batches(source: VectorsFile, dimension: int) -> Iterator[VectorBatch]:
    """The file's vectors in batches (keys, float32 rows, metadata, line numbers), each line checked as the dump
    format checks it; a key repeated in the file, or a count other than the manifest's, is refused."""
    path = resolve(source.path)
    name = str(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the reader thread or below
    except FileNotFoundError:
        raise DumpError(f"{name}: missing") from None
    except OSError as exc:
        raise DumpError(f"{name}: cannot read: {exc.strerror or exc}") from None
    batches = _in_children(raw, name, dimension) if _parallel(raw) else _here(raw, name, dimension)
    seen: set[str] = set()
    try:
        for batch in batches:
            if not seen.isdisjoint(batch.keys) or len(set(batch.keys)) != len(batch.keys):
                _repeated(batch, seen, name)
            seen.update(batch.keys)
            yield batch
    finally:
        batches.close()
    if source.count is not None and len(seen) != source.count:
        raise DumpError(f"{name}: holds {len(seen)} vectors, the manifest says {source.count}")


def _repeated(batch: VectorBatch, seen: set[str], name: str) -> None:
    """Refuse the first key of ``batch`` that an earlier line had: one of the batches before (``seen``) or of
    this one."""
    inside: set[str] = set()
    for key, number in zip(batch.keys, batch.lines, strict=True):
        if key in seen or key in inside:
            raise DumpError(f"{name}:{number}: key {key!r} appears a second time in this file")
        inside.add(key)


def _parallel(raw: io.BufferedReader) -> bool:
    """Whether the file is parsed by child processes: a large plain file on a machine with cores to spare."""
    if os.name != "posix" or (os.cpu_count() or 1) < 2 or gzipped(raw):
        return False
    status = os.fstat(raw.fileno())
    return stat.S_ISREG(status.st_mode) and status.st_size >= _PARALLEL_FROM


def _here(raw: io.BufferedReader, name: str, dimension: int) -> Generator[VectorBatch, None, None]:
    """The file parsed in this process (a reader thread splits it into lines, or a child decompresses it)."""
    reader = _Reader(raw, name)
    parser = simdjson.Parser()
    try:
        for first, lines in reader.blocks():
            yield from parse_lines(parser, lines, first, name, dimension)
    finally:
        reader.stop()


def _in_children(raw: io.BufferedReader, name: str, dimension: int) -> Generator[VectorBatch, None, None]:
    """The file cut into chunks at line ends, parsed by child processes (s3vectors_emulator.seeding.parse_worker)
    in turn, while this process takes their vectors in the file's order.  A child numbers its lines from its
    chunk's start; a chunk it finds fault with is parsed again here, numbered from the file's, so that the dump
    format's message names the right line."""
    with raw:
        fd = raw.fileno()
        chunks = list(_chunks(fd, os.fstat(fd).st_size, _CHUNK))
        count = min(_WORKERS, os.cpu_count() or 1, len(chunks))
        workers: list[subprocess.Popen[bytes]] = []
        try:
            for w in range(count):
                command = [sys.executable, "-m", "s3vectors_emulator.seeding.parse_worker", str(fd), str(dimension)]
                worker = subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(fd,)
                )
                workers.append(worker)
                assert worker.stdin is not None
                try:  # the worker reads every range before it answers any: neither waits on the other
                    worker.stdin.write(b"".join(b"%d %d\n" % chunk for chunk in chunks[w::count]))
                    worker.stdin.close()
                except BrokenPipeError:
                    pass  # it ended already: its first answer says why
            first = 1
            parser: simdjson.Parser | None = None
            for k, (start, end) in enumerate(chunks):
                result = _answer(workers[k % count], name)
                if result.batches is None:
                    parser = parser or simdjson.Parser()
                    yield from parse_lines(parser, chunk_lines(fd, start, end), first, name, dimension)
                else:
                    shift = first - 1
                    for batch in result.batches:
                        numbers = [number + shift for number in batch.lines]
                        yield VectorBatch(batch.keys, batch.data, batch.metadata, numbers)
                first += result.line_count
        finally:
            for worker in workers:
                _end(worker)


class ChunkResult(NamedTuple):
    """A parse worker's answer for one chunk: its number of lines, and its vectors numbered from the chunk's first
    line (None: the chunk has a line the dump format refuses)."""

    line_count: int
    batches: list[VectorBatch] | None


def _answer(worker: subprocess.Popen[bytes], name: str) -> ChunkResult:
    assert worker.stdout is not None
    try:
        result = pickle.load(worker.stdout)  # from a child of this process: trusted
    except (EOFError, pickle.UnpicklingError):
        reason = _end(worker).decode(errors="replace").strip().splitlines()
        raise DumpError(f"{name}: a parsing process ended ({reason[-1] if reason else worker.returncode})") from None
    if not isinstance(result, ChunkResult):
        raise DumpError(f"{name}: a parsing process answered {type(result).__name__}")
    return result


def _end(worker: subprocess.Popen[bytes]) -> bytes:
    """Stop the worker if it still runs and close its pipes (again is harmless); what it wrote on stderr."""
    if worker.poll() is None:
        worker.kill()
    worker.wait()
    errors = worker.stderr.read() if worker.stderr is not None and not worker.stderr.closed else b""
    for pipe in (worker.stdin, worker.stdout, worker.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):  # stdin's close flushes into a pipe the worker may have left
                pipe.close()
    return errors


def _chunks(fd: int, size: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of about ``chunk`` bytes covering the file, each ending just after a newline
    (the last at the file's end)."""
    start = 0
    while start < size:
        end = start + chunk
        if end >= size:
            yield start, size
            return
        while True:  # to the end of the line under ``end``
            window = os.pread(fd, 1 << 16, end)
            if not window:
                end = size
                break
            at = window.find(b"\n")
            if at >= 0:
                end += at + 1
                break
            end += len(window)
        yield start, end
        start = end


def chunk_lines(fd: int, start: int, end: int) -> list[bytes]:
    """The lines of the file's bytes from ``start`` to ``end`` (a range from ``_chunks``), without their
    newlines; the last may have none."""
    pieces = []
    while start < end:
        piece = os.pread(fd, end - start, start)
        if not piece:
            break
        pieces.append(piece)
        start += len(piece)
    lines = b"".join(pieces).split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def parse_lines(
    parser: simdjson.Parser, lines: list[bytes], first: int, name: str, dimension: int
) -> Iterator[VectorBatch]:
    """Consecutive lines (the first numbered ``first``) as batches of vectors."""
    for start in range(0, len(lines), _ROWS):
        yield _parse(parser, lines[start : start + _ROWS], first + start, name, dimension)


class _Reader:
    """Splits the file into lines in a thread of its own, a few blocks ahead of the parser; a gzip file is
    decompressed by a child process (s3vectors_emulator.seeding.gunzip), which runs on another core."""

    def __init__(self, raw: io.BufferedReader, name: str) -> None:
        self.name = name
        self._raw = raw
        self._child: subprocess.Popen[bytes] | None = None
        self._stream: Any = raw
        if gzipped(raw):
            if stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
                command = [sys.executable, "-m", "s3vectors_emulator.seeding.gunzip", name]
                self._child = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                assert self._child.stdout is not None
                self._stream = self._child.stdout
                try:  # a larger pipe: fewer wake-ups of the two processes (64 KiB by default)
                    fcntl.fcntl(self._child.stdout.fileno(), _SETPIPE_SIZE, _PIPE)
                except OSError:
                    pass  # capped by /proc/sys/fs/pipe-max-size: the default works, a little slower
            else:
                # A pipe: decompressed in the reader thread, from the bytes peeked here on.
                self._stream = igzip.IGzipFile(fileobj=raw, mode="rb")
        self._queue: queue.Queue[tuple[int, list[bytes]] | BaseException | None] = queue.Queue(_QUEUED)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3vectors-seed-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        number = 1  # the 1-based number of the next line
        stream = self._stream
        try:
            tail = b""
            while not self._stopping.is_set():
                block = stream.read(_BLOCK)
                if not block:
                    break
                lines = block.split(b"\n")
                if tail:
                    lines[0] = tail + lines[0]
                tail = lines.pop()
                if lines:
                    self._put((number, lines))
                    number += len(lines)
            if self._child is not None and not self._stopping.is_set():
                _, errors = self._child.communicate()
                if self._child.returncode:
                    reason = errors.decode(errors="replace").strip()
                    self._put(DumpError(f"{self.name}: the gzip stream is damaged or cut short ({reason})"))
                    return
            if tail and not self._stopping.is_set():
                self._put((number, [tail]))
            self._put(None)
        except (EOFError, igzip.BadGzipFile) as exc:
            self._put(DumpError(f"{self.name}: the gzip stream is damaged or cut short ({exc})"))
        except OSError as exc:
            self._put(DumpError(f"{self.name}: cannot read: {exc.strerror or exc}"))
        except BaseException as exc:  # handed to the parser's thread, which raises it
            self._put(exc)
        finally:
            self._raw.close()

    def _put(self, item: tuple[int, list[bytes]] | BaseException | None) -> None:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def blocks(self) -> Iterator[tuple[int, list[bytes]]]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        self._stopping.set()
        if self._child is not None and self._child.poll() is None:
            self._child.kill()  # the parser failed before the end: the rest is not needed
        # A pipe whose writer stalls keeps the thread in its read: it is a daemon, left to the process's end.
        self._thread.join(timeout=5)
        if self._child is not None:
            self._child.wait()
            for pipe in (self._child.stdout, self._child.stderr):
                if pipe is not None:
                    pipe.close()


def _parse(parser: simdjson.Parser, lines: list[bytes], first: int, name: str, dimension: int) -> VectorBatch:
    """One batch of lines (the first numbered ``first``) as vectors; blank lines are skipped."""
    keys: list[str] = []
    metadata: list[dict[str, Any] | None] = []
    numbers: list[int] = []
    data: NDArray[np.float32] = np.empty((len(lines), dimension), dtype=np.float32)
    row = 0
    with np.errstate(over="ignore"):  # a value beyond float32 becomes inf, refused below
        for offset, line in enumerate(lines):
            number = first + offset
            if not line or (line[0] in _BLANK and not line.strip()):
                continue
            parsed = _fast(parser, line, dimension, data[row])
            if parsed is None:
                parsed = _checked(line, number, name, dimension, data[row])
            key, meta = parsed
            keys.append(key)
            metadata.append(meta)
            numbers.append(number)
            row += 1
    data = data[:row]
    if not np.isfinite(data).all():  # once per batch: the dump format's message names the line
        for i in np.flatnonzero(~np.isfinite(data).all(axis=1)).tolist():
            check_lines(LineBatch([lines[numbers[i] - first]], [numbers[i]], 0, name), dimension)
    return VectorBatch(keys, data, metadata, numbers)


_BLANK = b" \t\r"
_DATA = b'"float32":['


def _fast(parser: simdjson.Parser, line: bytes, dimension: int, out: NDArray[np.float32]) -> Any:
    """(key, metadata) of a well-formed vector line, its values written to ``out``; None when the line needs the
    dump format's own checks.  The parser is reused for the next line, so no simdjson object may outlive the
    call: they are all locals, gone when it returns."""
    try:
        doc = parser.parse(line)
        if not isinstance(doc, simdjson.Object) or not 2 <= len(doc) <= 3:
            return None
        key, data, meta = doc.get("key"), doc.get("data"), doc.get("metadata")
        if not isinstance(key, str) or not key or not isinstance(data, simdjson.Object):
            return None
        if len(doc) != 2 + (meta is not None) or not (meta is None or isinstance(meta, simdjson.Object)):
            return None
        values = data.get("float32")
        if not isinstance(values, simdjson.Array) or len(values) != dimension:
            return None
        buffer = np.frombuffer(values.as_buffer(of_type="d"), dtype=np.float64)
        document: dict[str, Any] | None = meta.as_dict() if meta is not None else None
    except (ValueError, TypeError, RuntimeError, KeyError):
        return None
    # as_buffer flattens a nested list ([1, [2]] reads as two numbers): the data list, found as the line's one
    # '"float32":[' (inside a string its quotes would be escaped), must hold no "[" before its "]".
    start = line.find(_DATA)
    end = line.find(b"]", start)
    if start < 0 or line.find(b"[", start + len(_DATA), end) >= 0 or line.find(_DATA, end) >= 0:
        return None
    if len(buffer) != dimension:
        return None
    out[:] = buffer
    return key, document or None


def _checked(
    line: bytes, number: int, name: str, dimension: int, out: NDArray[np.float32]
) -> tuple[str, dict[str, Any] | None]:
    """A line the fast path passed on: refused with the dump format's message, or read by orjson."""
    check_lines(LineBatch([line], [number], len(line), name), dimension)
    record = orjson.loads(line)
    out[:] = np.asarray(record["data"]["float32"], dtype=np.float32)
    return record["key"], record.get("metadata") or None
