"""The production HTTP server around the WSGI app: start, stop, signals.

One I/O thread (an asyncio selector loop) reads every request whole, head and body, without holding a
worker; only a complete request goes to one of ``threads`` workers, which runs the app and sends the
answer.  So slow or stalled clients cost a socket and the bytes they sent, never a worker: with
cheroot, which reads in its workers, 16 clients sending their headers a byte a second blocked
everyone (docs/decisions.md, "HTTP server", has the figures).  Heads are parsed by httptools
(llhttp, node's C parser: ~3 µs a request where h11 took ~84 µs); bodies are framed here.

Limits, each answered in AWS's error shape (behaviour.md#decision-error-shape) and never read past: a head over 16 KiB,
a body over
``max_body_bytes`` (behaviour.md#decision-request-size: refused from its declared length at once, or as soon as a
chunked body
passes it), a head not complete ``request_timeout`` seconds after its first byte, a body or an answer
that makes no progress for ``request_timeout`` seconds (408).  An idle keep-alive connection stays
open ``idle_timeout`` seconds (SDKs reuse pooled connections after long pauses).
"""

from __future__ import annotations

import asyncio
import errno
import http
import io
import json
import logging
import select
import signal
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from types import FrameType
from typing import Any

import httptools

from s3vectors_emulator import errors
from s3vectors_emulator.config import Config
from s3vectors_emulator.wsgi_environ import wsgi_environ

log = logging.getLogger("s3vectors_emulator.server")

HEAD_LIMIT = 16 * 1024  # the request line and headers together
_RECV = 256 * 1024  # the app reads large bodies in 256 KiB pieces: handed over as received, uncopied
_COALESCE = 16 * 1024  # smaller pieces (a slow sender's) are joined, so each costs no object of its own
_SMALL_ANSWER = 64 * 1024  # head and body of an answer up to this size go out as one buffer
_LINGER = 2.0  # after refusing a request, its remaining bytes are read and dropped this long at most
_SWEEP = 0.25  # how often deadlines are checked
_GRACE = 5.0  # how long stop() lets requests in progress finish
_CHUNK_LINE = 4096  # a chunk-size line with its extensions

# Connection states.
_IDLE, _HEAD, _BODY, _CHUNKED, _BUSY, _WRITING, _DRAIN, _CLOSED = range(8)


class _Refusal(Exception):
    """A request answered by the server itself with an AWS-shaped error, then the connection closed."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _too_big() -> _Refusal:
    return _Refusal(400, "ValidationException", errors.BODY_TOO_LARGE)  # behaviour.md#decision-request-size


def _error_answer(status: int, error: str, message: str) -> bytes:
    """A complete answer in AWS's rest-json error shape (behaviour.md#decision-error-shape), closing the connection."""
    body = json.dumps({"message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
        f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n"
        f"x-amzn-ErrorType: {error}\r\nx-amzn-RequestId: {uuid.uuid4()}\r\n"
        f"Date: {_date()}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


_dates: list[Any] = [0, ""]


def _date() -> str:
    now = int(time.time())
    if _dates[0] != now:  # formatting a date costs ~5 µs: once a second is enough
        _dates[:] = [now, formatdate(now, usegmt=True)]
    return str(_dates[1])


class _Head:
    """httptools callbacks: the target and the header fields of one request head."""

    __slots__ = ("target", "headers", "complete")

    def __init__(self) -> None:
        self.target = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.complete = False

    def on_url(self, url: bytes) -> None:
        self.target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value.strip(b" \t")))

    def on_headers_complete(self) -> None:
        self.complete = True


class _Request:
    __slots__ = ("method", "target", "version", "headers", "keep_alive", "body", "length")

    def __init__(self, method: str, target: bytes, version: str, headers: list[tuple[bytes, bytes]], keep: bool):
        self.method, self.target, self.version, self.headers, self.keep_alive = method, target, version, headers, keep
        self.body: list[bytes | bytearray] = []
        self.length = 0


class _Body(io.RawIOBase):
    """``wsgi.input``: the body as it was received, in pieces of up to 256 KiB.

    ``read(n)`` returns whole pieces when they fit, so the app's 256 KiB reads of a large body
    (s3vectors_emulator/runtime.py BodyBuffers) get the very bytes objects the sockets returned: no copy is
    added to a 10 MB PutVectors over streaming it from the socket as cheroot did.
    """

    def __init__(self, parts: list[bytes | bytearray]) -> None:
        super().__init__()
        self._parts: deque[bytes | bytearray | memoryview] = deque(parts)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        parts = self._parts
        taken: list[bytes | bytearray | memoryview] = []
        total = 0
        while parts and total + len(parts[0]) <= size:
            piece = parts.popleft()
            taken.append(piece)
            total += len(piece)
        if not taken:
            if not parts or size == 0:
                return b""
            view = memoryview(parts[0])
            parts[0] = view[size:]
            return bytes(view[:size])
        if len(taken) == 1:
            return taken[0] if type(taken[0]) is bytes else bytes(taken[0])
        return b"".join(taken)

    def readall(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)


class _Chunked:
    """Decodes a chunked body as it arrives (RFC 9112, section 7.1), refusing it once it passes ``limit``."""

    def __init__(self, limit: int, out: Callable[[bytes], None]) -> None:
        self._limit = limit
        self._out = out
        self._raw = bytearray()
        self._left = -1  # bytes left in the current chunk; -1: a size line is next
        self._trailers = False
        self.total = 0

    def feed(self, data: bytes) -> bytes | None:
        """Takes ``data``; the bytes after the body once it is complete, None while it is not."""
        raw = self._raw
        raw += data
        while True:
            if self._trailers:
                end = raw.find(b"\r\n")
                if end < 0:
                    if len(raw) > HEAD_LIMIT:
                        raise _Refusal(400, "BadRequestException", errors.TRAILERS_TOO_LARGE)
                    return None
                del raw[: end + 2]
                if end == 0:
                    rest = bytes(raw)
                    raw.clear()
                    return rest
                continue
            if self._left < 0:
                end = raw.find(b"\r\n")
                if end < 0:
                    if len(raw) > _CHUNK_LINE:
                        raise _Refusal(400, "BadRequestException", errors.MALFORMED_CHUNK_SIZE)
                    return None
                digits = bytes(raw[:end]).split(b";", 1)[0].strip(b" \t")
                del raw[: end + 2]
                if not digits or len(digits) > 16 or digits.strip(b"0123456789abcdefABCDEF"):
                    raise _Refusal(400, "BadRequestException", errors.MALFORMED_CHUNK_SIZE)
                size = int(digits, 16)
                if size == 0:
                    self._trailers = True
                    continue
                if self.total + size > self._limit:
                    raise _too_big()
                self._left = size
            take = min(self._left, len(raw))
            if take:
                self._out(bytes(raw[:take]))
                del raw[:take]
                self._left -= take
                self.total += take
            if self._left:
                return None
            if len(raw) < 2:
                return None
            if raw[:2] != b"\r\n":
                raise _Refusal(400, "BadRequestException", errors.MALFORMED_CHUNKED_BODY)
            del raw[:2]
            self._left = -1


class _Connection:
    """One client connection, driven by the I/O thread except while a worker answers it (``_BUSY``)."""

    def __init__(self, core: _Core, sock: socket.socket, peer: Any) -> None:
        self.core = core
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.remote = peer if isinstance(peer, tuple) else ("", 0)
        self.buffer = bytearray()  # a head being received, or bytes that came after the last request
        self.state = _IDLE
        self.deadline: float | None = core.loop.time() + core.idle_timeout
        self.started = 0.0
        self.request: _Request | None = None
        self.remaining = 0
        self.chunked: _Chunked | None = None
        self.pending: list[memoryview] = []
        self.close_after = False
        self.orphaned = False  # closed while a worker answered: the worker's answer closes the socket
        core.loop.add_reader(self.fd, self.on_readable)

    # -- receiving ---------------------------------------------------------------------------

    def on_readable(self) -> None:
        state = self.state
        if state == _BODY:
            size = min(_RECV, self.remaining)
        elif state in (_IDLE, _HEAD):
            size = max(1, HEAD_LIMIT + 1 - len(self.buffer))  # never read past the head limit
        else:
            size = _RECV
        try:
            data = self.sock.recv(size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()  # the client is gone (or half-closed before a complete request)
            return
        try:
            if state == _BODY:
                self.add_body(data)
                self.remaining -= len(data)
                self.deadline = self.core.loop.time() + self.core.request_timeout
                if not self.remaining:
                    self.dispatch()
            elif state == _CHUNKED:
                self.deadline = self.core.loop.time() + self.core.request_timeout
                self.feed_chunked(data)
            elif state == _DRAIN:
                pass
            else:
                self.buffer += data
                self.scan_head()
        except _Refusal as refusal:
            self.refuse(refusal)

    def scan_head(self) -> None:
        buffer = self.buffer
        if self.state == _IDLE:
            # RFC 9112, section 2.2: empty lines before a request line are ignored.
            while buffer[:1] in (b"\r", b"\n") and buffer:
                del buffer[:1]
            if not buffer:
                return
            self.state = _HEAD
            self.started = self.core.loop.time()
            self.deadline = self.started + self.core.request_timeout
        end = buffer.find(b"\r\n\r\n")
        end = end + 4 if end >= 0 else -1
        bare = buffer.find(b"\n\n")  # bare LF line ends: llhttp decides whether they are acceptable
        if bare >= 0 and (end < 0 or bare + 2 < end):
            end = bare + 2
        if end < 0 or end > HEAD_LIMIT:
            if end > HEAD_LIMIT or len(buffer) > HEAD_LIMIT:
                raise _Refusal(400, "BadRequestException", errors.head_too_large(HEAD_LIMIT))
            return
        head = bytes(buffer[:end])
        del buffer[:end]
        self.start_request(head)

    def start_request(self, head: bytes) -> None:
        collector = _Head()
        parser = httptools.HttpRequestParser(collector)
        try:
            parser.feed_data(head)
        except httptools.HttpParserUpgrade:
            pass  # an Upgrade header (h2c, websocket) is ignored: the answer is plain HTTP/1.1
        except httptools.HttpParserError as exc:
            reason = str(exc) or exc.__class__.__name__
            raise _Refusal(400, "BadRequestException", errors.malformed_request(reason)) from None
        if not collector.complete:
            raise _Refusal(400, "BadRequestException", errors.MALFORMED_HEAD)
        version = parser.get_http_version()
        if version not in ("1.0", "1.1"):
            raise _Refusal(505, "HttpVersionNotSupported", errors.http_version_unsupported(version))
        method = parser.get_method().decode("latin-1")
        if method == "CONNECT":
            raise _Refusal(400, "BadRequestException", errors.CONNECT_UNSUPPORTED)
        request = _Request(method, collector.target, version, collector.headers, parser.should_keep_alive())
        length: int | None = None
        chunked = expect = False
        for name, value in collector.headers:
            key = name.lower()
            if key == b"content-length":
                length = int(value)  # llhttp has checked it: digits, and one value only
            elif key == b"transfer-encoding":
                codings = [c.strip().lower() for c in value.split(b",") if c.strip()]
                if codings != [b"chunked"]:
                    raise _Refusal(501, "NotImplemented", errors.ONLY_CHUNKED)
                chunked = True
            elif key == b"expect":
                expect = value.lower() == b"100-continue"
        if length is not None and length > self.core.max_body_bytes:
            raise _too_big()  # behaviour.md#decision-request-size: from the declared length, before a byte of the body
        self.request = request
        if not (chunked or length):
            self.dispatch()
            return
        if expect and not self.buffer:
            self.send_now(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.deadline = self.core.loop.time() + self.core.request_timeout
        leftover = bytes(self.buffer)
        self.buffer.clear()
        if chunked:
            self.state = _CHUNKED
            self.chunked = _Chunked(self.core.max_body_bytes, self.add_body)
            if leftover:
                self.feed_chunked(leftover)
            return
        assert length is not None
        self.state = _BODY
        self.remaining = length
        if leftover:
            piece, rest = leftover[:length], leftover[length:]
            self.add_body(piece)
            self.remaining -= len(piece)
            self.buffer += rest
        if not self.remaining:
            self.dispatch()

    def feed_chunked(self, data: bytes) -> None:
        assert self.chunked is not None
        rest = self.chunked.feed(data)
        if rest is not None:
            self.chunked = None
            self.buffer += rest
            self.dispatch()

    def add_body(self, data: bytes) -> None:
        assert self.request is not None
        parts = self.request.body
        self.request.length += len(data)
        if len(data) >= _COALESCE:
            parts.append(data)
        elif parts and type(parts[-1]) is bytearray and len(parts[-1]) < _RECV:
            parts[-1] += data
        else:
            parts.append(bytearray(data))

    def dispatch(self) -> None:
        """The request is complete: a worker answers it; nothing more is read until then."""
        self.state = _BUSY
        self.deadline = None
        self.core.loop.remove_reader(self.fd)
        self.core.jobs.put(self)

    # -- answering ------------------------------------------------------------------------------

    def answer(self) -> None:
        """In a worker: run the app and send its answer (the I/O thread finishes what does not fit)."""
        request = self.request
        assert request is not None
        try:
            head, body, close = self.core.call_app(request, self.remote)
        except _Refusal as refusal:
            head, body, close = _error_answer(refusal.status, refusal.error, refusal.message), b"", True
        if not isinstance(body, bytes):
            failed = not self.stream(head, body)
            try:
                self.core.loop.call_soon_threadsafe(self.answered, [], close or failed, failed)
            except RuntimeError:  # the server has stopped
                self.sock.close()
            return
        pending: list[memoryview] = []
        failed = False
        try:
            data = [head + body] if len(body) <= _SMALL_ANSWER else [head, body]
            sent = self.sock.sendmsg(data) if len(data) > 1 else self.sock.send(data[0])
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            failed = True
        if not failed:
            for piece in data:
                if sent >= len(piece):
                    sent -= len(piece)
                else:
                    pending.append(memoryview(piece)[sent:])
                    sent = 0
        try:
            self.core.loop.call_soon_threadsafe(self.answered, pending, close, failed)
        except RuntimeError:  # the server has stopped
            self.sock.close()

    def stream(self, head: bytes, pieces: Iterator[bytes]) -> bool:
        """In a worker: send a streamed answer (a snapshot) in chunked transfer coding as the app makes
        it, waiting for the socket as the client reads; False when it could not be sent to the end.

        The worker is held for the whole answer: a streamed body is made while it is sent, so it cannot
        be handed to the I/O thread.  A client that reads nothing for ``request_timeout`` is dropped.
        """
        try:
            self.send_all(head)
            for piece in pieces:
                if piece:
                    self.send_all(b"%x\r\n%b\r\n" % (len(piece), piece))
            self.send_all(b"0\r\n\r\n")
            return True
        except TimeoutError:
            log.warning(
                "%s: the client stopped reading its answer for %.0f s: closed", self.peer, self.core.request_timeout
            )
            return False
        except OSError:  # the client went away
            return False
        except Exception:  # the body failed half way: the client sees it cut, without the last chunk
            log.exception("streamed answer failed")
            return False
        finally:
            release = getattr(pieces, "close", None)
            if release is not None:
                release()

    def send_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except (BlockingIOError, InterruptedError):
                _, writable, _ = select.select([], [self.sock], [], self.core.request_timeout)
                if not writable:
                    raise TimeoutError("the client stopped reading") from None
                continue
            view = view[sent:]

    def answered(self, pending: list[memoryview], close: bool, failed: bool) -> None:
        if self.state == _CLOSED:
            if self.orphaned:
                self.sock.close()
            return
        if failed:
            self.close()
            return
        if pending:
            self.state = _WRITING
            self.pending = pending
            self.close_after = close
            self.deadline = self.core.loop.time() + self.core.request_timeout
            self.core.loop.add_writer(self.fd, self.on_writable)
            return
        self.finish(close)

    def on_writable(self) -> None:
        try:
            sent = self.sock.sendmsg(self.pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        self.deadline = self.core.loop.time() + self.core.request_timeout
        while sent and self.pending:
            piece = self.pending[0]
            if sent >= len(piece):
                sent -= len(piece)
                self.pending.pop(0)
            else:
                self.pending[0] = piece[sent:]
                sent = 0
        if not self.pending:
            self.core.loop.remove_writer(self.fd)
            self.finish(self.close_after)

    def finish(self, close: bool) -> None:
        if close or self.core.closing:
            self.close()
            return
        self.state = _IDLE
        self.request = None
        self.deadline = self.core.loop.time() + self.core.idle_timeout
        self.core.loop.add_reader(self.fd, self.on_readable)
        if self.buffer:  # a pipelined request came with the last one
            try:
                self.scan_head()
            except _Refusal as refusal:
                self.refuse(refusal)

    def send_now(self, data: bytes) -> None:
        try:
            self.sock.send(data)
        except OSError:
            pass

    def refuse(self, refusal: _Refusal) -> None:
        """Answer with an AWS-shaped error, then read and drop what the client still sends, briefly,
        so that closing does not reset the connection before the client has read the answer."""
        if self.state in (_BUSY, _CLOSED):
            return
        self.core.loop.remove_writer(self.fd)
        self.send_now(_error_answer(refusal.status, refusal.error, refusal.message))
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close()
            return
        self.state = _DRAIN
        self.request = None
        self.chunked = None
        self.buffer.clear()
        self.deadline = self.core.loop.time() + min(_LINGER, self.core.request_timeout)
        self.core.loop.add_reader(self.fd, self.on_readable)

    def expire(self, now: float) -> None:
        state = self.state
        if state in (_IDLE, _DRAIN):
            self.close()
        elif state == _HEAD:
            log.warning("%s: request head incomplete after %.0f s: answered 408", self.peer, now - self.started)
            self.refuse(_Refusal(408, "RequestTimeoutException", errors.HEAD_TIMEOUT))
        elif state in (_BODY, _CHUNKED):
            got = self.request.length if self.request else 0
            log.warning(
                "%s: request body stalled for %.0f s after %d bytes: answered 408",
                self.peer,
                self.core.request_timeout,
                got,
            )
            self.refuse(_Refusal(408, "RequestTimeoutException", errors.BODY_TIMEOUT))
        elif state == _WRITING:
            log.warning(
                "%s: the client stopped reading its answer for %.0f s: closed", self.peer, self.core.request_timeout
            )
            self.close()

    def close(self) -> None:
        if self.state == _CLOSED:
            return
        busy = self.state == _BUSY
        self.state = _CLOSED
        self.deadline = None
        self.core.connections.discard(self)
        if busy:
            self.orphaned = True
            # A worker may be sending on this socket: closing it could hand its descriptor to a new
            # connection under the worker; shutting it down makes the worker's send fail instead.
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.core.loop.remove_reader(self.fd)
        self.core.loop.remove_writer(self.fd)
        self.sock.close()


class _Slot:
    """Where one idle worker waits for its next request."""

    __slots__ = ("ready", "job")

    def __init__(self) -> None:
        self.ready = threading.Lock()
        self.ready.acquire()  # held until a job is handed over
        self.job: _Connection | None = None


class _Jobs:
    """Requests handed to workers, each to the worker that went idle last.

    A FIFO queue woke the worker idle longest, so back-to-back requests went round all the threads,
    each on a thread whose stack, caches and BLAS buffers had gone cold: a 50,000 × 1024 query's
    server time was ~1 ms slower at the median and ~4 ms at p90 with 16 workers than with one,
    measured (bench e2e).  The last worker to finish is woken first, so a sequential client is served
    by one warm thread; requests that find every worker busy wait in order of arrival.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Slot] = []  # a stack: the last to go idle is woken first
        self._waiting: deque[_Connection | None] = deque()

    def put(self, job: _Connection | None) -> None:
        with self._lock:
            if not self._idle:
                self._waiting.append(job)
                return
            slot = self._idle.pop()
        slot.job = job
        slot.ready.release()

    def take(self, slot: _Slot) -> _Connection | None:
        """The next job for the worker waiting at ``slot`` (None: stop)."""
        with self._lock:
            if self._waiting:
                return self._waiting.popleft()
            self._idle.append(slot)
        slot.ready.acquire()
        return slot.job


class _Core:
    """The I/O loop, the workers and the app."""

    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        threads: int,
        idle_timeout: float,
        request_timeout: float,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.listener = sock
        self.threads = threads
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.max_body_bytes = max_body_bytes
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(self._on_loop_error)
        self.jobs = _Jobs()
        self.connections: set[_Connection] = set()
        self.closing = False
        self.grace_until = 0.0
        address = sock.getsockname()
        self.server_name, self.server_port = str(address[0]), str(address[1])
        self.workers: list[threading.Thread] = []

    def run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        loop.add_reader(self.listener.fileno(), self.accept)
        loop.call_later(_SWEEP, self.sweep)
        try:
            loop.run_forever()
        finally:
            for conn in list(self.connections):
                conn.close()
            loop.close()

    def work(self) -> None:
        slot = _Slot()
        while (conn := self.jobs.take(slot)) is not None:
            conn.answer()

    def accept(self) -> None:
        for _ in range(64):
            try:
                sock, peer = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors: stop accepting for a moment rather than spin on it.
                    log.warning("cannot accept connections: %s", exc.strerror)
                    self.loop.remove_reader(self.listener.fileno())
                    self.loop.call_later(0.1, self._resume_accepting)
                return
            sock.setblocking(False)
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections.add(_Connection(self, sock, peer))

    def _resume_accepting(self) -> None:
        if not self.closing:
            self.loop.add_reader(self.listener.fileno(), self.accept)

    def sweep(self) -> None:
        now = self.loop.time()
        for conn in list(self.connections):
            if conn.deadline is not None and conn.deadline <= now:
                conn.expire(now)
        if self.closing:
            if not any(c.state in (_BUSY, _WRITING) for c in self.connections) or now >= self.grace_until:
                self.loop.stop()
                return
            self.loop.call_later(0.02, self.sweep)
            return
        self.loop.call_later(_SWEEP, self.sweep)

    def shutdown(self) -> None:
        """In the I/O thread: stop accepting, close idle connections, let answers in progress finish."""
        self.closing = True
        self.grace_until = self.loop.time() + _GRACE
        self.loop.remove_reader(self.listener.fileno())
        self.listener.close()
        for conn in list(self.connections):
            if conn.state in (_IDLE, _HEAD, _BODY, _CHUNKED, _DRAIN):
                conn.close()
        if not any(c.state in (_BUSY, _WRITING) for c in self.connections):
            self.loop.stop()
        else:
            self.loop.call_later(0.02, self.sweep)

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        log.error("I/O loop: %s", context.get("message"), exc_info=context.get("exception"))

    # -- the app, in a worker ------------------------------------------------------------------

    def call_app(self, request: _Request, remote: tuple[Any, ...]) -> tuple[bytes, bytes | Iterator[bytes], bool]:
        environ = self.environ(request, remote)
        answer: list[Any] = []
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if answer and not exc_info:
                raise RuntimeError("start_response called a second time without exc_info")
            answer[:] = [status, headers]
            return written.append

        streamed: Iterator[bytes] | None = None
        try:
            result = self.app(environ, start_response)
            if isinstance(result, list | tuple) or request.method == "HEAD":
                try:
                    chunks: Iterable[bytes] = [chunk for chunk in result if chunk]
                finally:
                    release = getattr(result, "close", None)
                    if release is not None:
                        release()
            else:
                # A body the app makes as it goes (a snapshot): sent as chunks, never held whole.
                streamed, chunks = iter(result), ()
        except Exception:  # the app answers its own errors: this is a bug below it
            log.exception("unhandled error in %s %s", request.method, environ.get("PATH_INFO"))
            return _error_answer(500, "InternalServerException", errors.INTERNAL_ERROR), b"", True
        pieces = written + list(chunks)
        body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        status, headers = answer
        close = not request.keep_alive or self.closing
        if streamed is not None and (written or request.version == "1.0"):
            # Neither comes from this emulator's app; chunked coding needs HTTP/1.1.
            release = getattr(result, "close", None)
            if release is not None:
                release()
            return _error_answer(500, "InternalServerException", errors.INTERNAL_ERROR), b"", True
        lines = [f"HTTP/1.1 {status}\r\n"]
        has_length = False
        for key, value in headers:
            lower = key.lower()
            if lower == "content-length":
                has_length = True
            elif lower == "connection":
                close = close or value.lower() == "close"
                continue
            elif lower in ("transfer-encoding", "keep-alive"):
                continue
            lines.append(f"{key}: {value}\r\n")
        code = int(status[:3])
        no_body = request.method == "HEAD" or code in (204, 304) or code < 200
        if streamed is not None:
            lines.append("Transfer-Encoding: chunked\r\n")
        elif not has_length and not (code in (204, 304) or code < 200):
            lines.append(f"Content-Length: {len(body)}\r\n")
        lines.append(f"Date: {_date()}\r\n")
        if close:
            lines.append("Connection: close\r\n")
        elif request.version == "1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        if streamed is not None:
            return head, streamed, close
        return head, b"" if no_body else body, close

    def environ(self, request: _Request, remote: tuple[Any, ...]) -> dict[str, Any]:
        target = request.target
        if b"#" in target:
            raise _Refusal(400, "BadRequestException", errors.URI_FRAGMENT)
        if target.startswith(b"//") or b"://" in target.partition(b"?")[0]:
            raise _Refusal(400, "BadRequestException", errors.URI_ABSOLUTE)
        if not target.startswith(b"/"):
            raise _Refusal(400, "BadRequestException", errors.URI_NOT_ABSOLUTE_PATH)
        return wsgi_environ(
            request.method,
            target,
            ((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers),
            _Body(request.body),
            version=request.version,
            server=(self.server_name, self.server_port),
            remote=(str(remote[0]), str(remote[1])),
        )


def _listen(host: str, port: int) -> socket.socket:
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, address = found[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _config_of(app: Any) -> Config:
    """The Config of an app made by ``create_app``; the defaults for any other WSGI app."""
    config = getattr(app, "config", None)
    found = config.get("EMULATOR") if isinstance(config, dict) else None
    return found if isinstance(found, Config) else Config()


class EmulatorServer:
    """The server bound to (host, port); port 0 picks a free port.

    ``idle_timeout``, ``request_timeout`` and ``max_body_bytes`` default to the app's Config (an app
    made by ``create_app``), else to Config's defaults.
    """

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        threads: int,
        *,
        idle_timeout: float | None = None,
        request_timeout: float | None = None,
        max_body_bytes: int | None = None,
    ) -> None:
        config = _config_of(app)
        sock = _listen(host, port)  # binds now (OSError to the caller), so the real port is known
        self._core = _Core(
            app,
            sock,
            threads,
            config.idle_timeout if idle_timeout is None else idle_timeout,
            config.request_timeout if request_timeout is None else request_timeout,
            config.max_body_bytes if max_body_bytes is None else max_body_bytes,
        )
        self._address = sock.getsockname()
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def host(self) -> str:
        return str(self._address[0])

    @property
    def port(self) -> int:
        return int(self._address[1])

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Serve in background threads (tests, the pytest plugin)."""
        core = self._core
        for i in range(core.threads):
            worker = threading.Thread(target=core.work, name=f"s3vectors-worker-{i}", daemon=True)
            worker.start()
            core.workers.append(worker)
        self._thread = threading.Thread(target=core.run, name="s3vectors-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, let requests in progress finish (5 s at most), close every connection."""
        if self._stopped:
            return
        self._stopped = True
        core = self._core
        if self._thread is None:
            core.listener.close()
            core.loop.close()
            return
        core.loop.call_soon_threadsafe(core.shutdown)
        self._thread.join(timeout=_GRACE + 5)
        for _ in core.workers:
            core.jobs.put(None)
        for worker in core.workers:
            worker.join(timeout=0.1)  # idle workers end at once; a stuck one is a daemon thread

    def serve_until_signalled(self, stopping: threading.Event) -> None:
        """Serve until ``stopping`` is set (by :func:`stop_on_signals`), then stop cleanly (started if it is not)."""
        if self._thread is None:
            self.start()
        while not stopping.wait(0.5):
            pass
        self.stop()


def stop_on_signals() -> threading.Event:
    """An event that SIGINT or SIGTERM sets; installed before the server announces itself,
    so a signal right after the start-up line still ends in a clean exit."""
    stopping = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    return stopping
