"""The wire: HTTP requests → operations → HTTP responses (rest-json, behaviour.md#decision-error-shape).

``create_app(config)`` is the application factory: a Flask app whose WSGI callable is this module's
own ``_Wire``.  Routing, parsing, validation and serialisation are generic, driven by the service
model; handlers see validated dicts only.  Only this module turns a ServiceError into HTTP.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from http.cookies import CookieError, SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

import orjson
from blinker import Namespace
from flask import Flask
from werkzeug.datastructures import EnvironHeaders, MultiDict
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wsgi import get_content_length, get_input_stream

from s3vectors_emulator import __version__, errors, request_log
from s3vectors_emulator.config import Config
from s3vectors_emulator.console_api import ConsoleApi, static_file
from s3vectors_emulator.errors import InternalServerError, ServiceError, ServiceUnavailableError, ValidationError
from s3vectors_emulator.faults import FaultRule, Faults
from s3vectors_emulator.operations import HANDLERS
from s3vectors_emulator.operations.common import Context
from s3vectors_emulator.paging import Snapshots
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.auth import Caller, identify, verify_signature
from s3vectors_emulator.protocol.serialize import decode_body, encode, error_response
from s3vectors_emulator.protocol.validate import validate
from s3vectors_emulator.protocol.vector_bodies import VectorBodyReader
from s3vectors_emulator.request_history import RequestHistory
from s3vectors_emulator.request_log import RequestRecord
from s3vectors_emulator.runtime import Runtime
from s3vectors_emulator.snapshot import snapshot_archive
from s3vectors_emulator.store.restore import open_store
from s3vectors_emulator.store.store import Store

log = logging.getLogger("s3vectors_emulator")

ADMIN_PREFIX = "_emulator"  # no operation name starts with an underscore
HEALTH_PATH = f"/{ADMIN_PREFIX}/health"
_READ_CHUNK = 1 << 20
# Operations whose handlers get vectors as numpy arrays from validation (one conversion instead of
# a type scan and a second conversion: ~8 ms of a 500 × 1024 PutVectors).  QueryVectors keeps
# lists: its handler serialises its parameters (the page-token fingerprint), and one vector costs
# nothing to convert twice.
_ARRAY_OPERATIONS = frozenset({"PutVectors"})
# Results are encoded as handlers return them (s3vectors_emulator.protocol.serialize); the test suites
# check them against the output shapes instead (tests/test_output_shapes.py).
# Sent after every answer with ``operation`` (its name, an admin endpoint's "METHOD /path", or None when
# unrouted) and ``answer`` (status, body, error code).  Nothing in the emulator listens; the test suites
# check answers against the service model with it (s3vectors_emulator.protocol.output_check).
answered = Namespace().signal("s3vectors-emulator.answered")


def create_app(config: Config | None = None, store: Store | None = None) -> Flask:
    config = config or Config()
    model.service_model()  # fail at start, not on the first request, if botocore is too old
    app = Flask("s3vectors_emulator")
    app.config["EMULATOR"] = config
    if store is not None:
        state = store
    elif config.data_dir:
        state = open_store(config.data_dir, legacy_buckets=config.legacy_buckets)
    else:
        state = Store(legacy_buckets=config.legacy_buckets)
    app.extensions["s3vectors_store"] = state
    # QueryVectors page snapshots: one byte budget for the whole process (s3vectors_emulator.paging).
    snapshots = app.extensions["s3vectors_snapshots"] = Snapshots(config.snapshot_budget_bytes)
    faults = Faults([FaultRule.parse(spec) for spec in config.faults], seed=config.fault_seed)
    app.extensions["s3vectors_requests"] = RequestHistory(config.request_log_size)
    # With --auth the console needs a token, printed at start (s3vectors_emulator.cli); given, or made here.
    token = config.console_token or (secrets.token_urlsafe(24) if config.credentials else None)
    app.extensions["s3vectors_console_token"] = token
    # behaviour.md#consistency-seeding: with --init, set once the seed is applied (s3vectors_emulator.seeding);
    # until then every request but the health check is answered 503.
    ready = app.extensions["s3vectors_ready"] = threading.Event()
    if not config.init:
        ready.set()
    # Flask stays the container (config, extensions, test_client), but requests skip its URL map,
    # request and app contexts and response objects: they were ~30% of the server's time for a small
    # QueryVectors, measured (bench e2e).  Every path reaches _Wire, so nothing answers outside AWS's
    # shape (behaviour.md#decision-error-shape), whatever the method or path.
    app.wsgi_app = _Wire(app, config, state, snapshots, faults)  # type: ignore[method-assign]
    return app


class _Answer(NamedTuple):
    status: int
    body: bytes
    error_code: str | None = None  # x-amzn-ErrorType
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    # A body streamed piece by piece instead of ``body`` (a snapshot): sent without Content-Length.
    stream: Iterator[bytes] | None = None


# As Werkzeug spelled them before this module answered on its own.
_STATUS_LINES = {code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()}


class Request:
    """What the wire reads of a request, taken from the WSGI environ as Werkzeug's Request takes it.

    Werkzeug's Request also works out the server address and root path and links itself into the environ
    on every request: ~20 µs of a small QueryVectors, measured.  It is still made for what is rare, a query
    string's arguments (tag operations, presigned requests).
    """

    __slots__ = ("environ", "method", "path", "headers", "query_string", "content_length")

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()
        # PATH_INFO holds the path's bytes as latin-1: decoded as UTF-8 (bad bytes replaced), as Werkzeug does.
        path = (environ.get("PATH_INFO") or "").encode("latin-1").decode(errors="replace")
        self.path = "/" + path.lstrip("/")
        self.headers = EnvironHeaders(environ)
        self.query_string: bytes = environ.get("QUERY_STRING", "").encode("latin-1")
        self.content_length = get_content_length(environ)

    @property
    def stream(self) -> Any:
        return get_input_stream(self.environ)

    @property
    def args(self) -> MultiDict[str, str]:
        return WerkzeugRequest(self.environ).args


class _Wire:
    """The WSGI callable: every request, admin or operation, from its environ to its answer."""

    def __init__(self, app: Flask, config: Config, store: Store, snapshots: Snapshots, faults: Faults) -> None:
        self.app, self.config, self.store, self.snapshots, self.faults = app, config, store, snapshots, faults
        self.secrets = dict(config.credentials)
        self.runtime = Runtime()
        self.started = time.monotonic()
        self.history = app.extensions["s3vectors_requests"]
        self.console = ConsoleApi(config, store, snapshots, self.history, self.started)
        # With --auth the console is opened with this token (printed at start) instead of a signature.
        self.console_token: str | None = app.extensions["s3vectors_console_token"]
        self.ready: threading.Event = app.extensions["s3vectors_ready"]
        self.vector_bodies = {name: VectorBodyReader(model.operation(name).input_shape) for name in _ARRAY_OPERATIONS}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = Request(environ)
        request_id = str(uuid.uuid4())
        began = time.perf_counter()
        record = RequestRecord(request_id, time.time(), req.method, req.path, user_agent=req.headers.get("User-Agent"))
        try:
            # Routed on the path exactly as sent, which is what a signature covers (never on the
            # decoded, possibly normalised, PATH_INFO).
            segment, rest = route_of(_raw_uri(req))
            if not self.ready.is_set() and (segment, rest) != (ADMIN_PREFIX, "health"):
                # behaviour.md#consistency-seeding: nobody sees a half-applied seed.
                raise ServiceUnavailableError(errors.SEEDING)
            if segment == ADMIN_PREFIX:
                record.operation = f"{req.method} /{ADMIN_PREFIX}/{rest}"
                answer = self.admin(req, rest)
            elif segment == "" and req.method == "GET" and "text/html" in (req.headers.get("Accept") or ""):
                # A browser at the root is shown the console; API clients keep AWS's 404.
                answer = _Answer(302, b"", content_type="text/plain", headers=(("Location", CONSOLE_PATH),))
            else:
                # The request's objects are freed when operation() returns, inside the pause.
                large = (req.content_length or 0) >= _PAUSE_FROM_BYTES
                with self.runtime.blas(), self.runtime.collector(large):
                    answer = self.operation(req, record, segment, rest)
        except ServiceError as error:
            answer = _error(error)
        except Exception:  # a bug, never the caller's fault: log it, answer as AWS would
            log.exception("unhandled error in %s %s", req.method, req.path)
            answer = _error(InternalServerError(errors.INTERNAL_ERROR))
        record.status = answer.status
        record.error_code = answer.error_code
        record.duration_ms = (time.perf_counter() - began) * 1000
        if record.error_code and request_log.log.isEnabledFor(logging.DEBUG):
            record.response = orjson.loads(answer.body)
        if record.path != HEALTH_PATH or record.status not in (200, 503):  # container health checks would flood it
            request_log.emit(record)
        if self.history.enabled and not record.path.startswith(f"/{ADMIN_PREFIX}/"):
            response = record.response
            if response is None and answer.error_code:
                response = orjson.loads(answer.body)
            self.history.add(record, record.request, response)
        if answered.receivers:
            answered.send(self.app, operation=record.operation, answer=answer)
        headers = [("Content-Type", answer.content_type), *answer.headers]
        if answer.stream is None:
            headers.append(("Content-Length", str(len(answer.body))))
        if answer.error_code:
            headers.append(("x-amzn-ErrorType", answer.error_code))
        headers.append(("x-amzn-RequestId", request_id))
        start_response(_STATUS_LINES.get(answer.status) or f"{answer.status} UNKNOWN", headers)
        if answer.stream is not None:
            return answer.stream
        return [] if req.method == "HEAD" else [answer.body]

    def admin(self, req: Request, action: str) -> _Answer:
        if action == "health" and req.method == "GET":
            uptime = round(time.monotonic() - self.started, 3)
            ready = self.ready.is_set()
            # behaviour.md#consistency-seeding: 503 while the seed is applied, so health checks wait for it.
            health = {"status": "ok" if ready else "seeding", "ready": ready, "version": __version__}
            return _Answer(200 if ready else 503, encode(health | {"uptimeSeconds": uptime}))
        if action == "ui" or action.startswith("ui/"):
            return self.console_file(req, action[3:])
        body = _read_body(req, 1 << 20)
        if self.secrets and not self._has_console_token(req):
            # With --auth, every admin endpoint but health needs a request signed by a known key
            # pair, or the console's token (README, Signatures): they would otherwise be open to anyone.
            verify_signature(req.method, _raw_uri(req), req.headers, body, self.secrets)
        if action.startswith("api/"):
            reply = self.console.handle(req.method, action[4:], _arguments(req), body, self.endpoint(req))
            return _Answer(reply.status, reply.body, content_type=reply.content_type)
        if action == "requests" or action.startswith("requests/"):
            return self.requests(req, action[9:])
        if action == "snapshot" and req.method == "GET":
            # behaviour.md#consistency-snapshots: every account and region, streamed as it is written.
            name = f"s3vectors-snapshot-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.tar.gz"
            return _Answer(
                200,
                b"",
                content_type="application/gzip",
                headers=(("Content-Disposition", f'attachment; filename="{name}"'),),
                stream=snapshot_archive(self.store, self.endpoint(req), self.config),
            )
        if action == "reset" and req.method == "POST":
            self.store.reset()
            self.snapshots.clear()  # their tokens died with the indexes; this frees their memory
            return _json({"reset": True})
        if action == "faults":
            if req.method == "POST":
                rules = decode_body(body).get("rules", [])
                if not isinstance(rules, list):
                    raise ValidationError(errors.FAULT_RULES_NOT_LIST)
                self.faults.replace([FaultRule.of(rule) for rule in rules])
            elif req.method == "DELETE":
                self.faults.replace([])
            elif req.method != "GET":
                raise errors.no_admin_endpoint(req.method, f"/{ADMIN_PREFIX}/{action}")
            return _json({"rules": self.faults.describe()})
        raise errors.no_admin_endpoint(req.method, f"/{ADMIN_PREFIX}/{action}")

    def endpoint(self, req: Request) -> str:
        """This server's URL as the client reached it."""
        return f"http://{req.headers.get('Host') or f'{self.config.host}:{self.config.port}'}"

    def _has_console_token(self, req: Request) -> bool:
        token = self.console_token
        if not token:
            return False
        offered = _cookie(req, CONSOLE_COOKIE) or req.headers.get("X-Emulator-Token")
        return offered is not None and hmac.compare_digest(offered, token)

    def console_file(self, req: Request, name: str) -> _Answer:
        """The console's page and files (``/_emulator/ui``); with --auth, only with its token."""
        if req.method not in ("GET", "HEAD"):
            raise errors.no_admin_endpoint(req.method, f"/{ADMIN_PREFIX}/ui/{name}".rstrip("/"))
        if self.console_token:
            offered = _arguments(req).get("token")
            if offered is not None and hmac.compare_digest(offered, self.console_token):
                # The token moves into a cookie the page's own requests carry, and out of the address bar.
                cookie = f"{CONSOLE_COOKIE}={offered}; Path=/{ADMIN_PREFIX}; HttpOnly; SameSite=Strict"
                return _Answer(
                    303, b"", content_type="text/plain", headers=(("Location", CONSOLE_PATH), ("Set-Cookie", cookie))
                )
            if not self._has_console_token(req):
                page = _CONSOLE_LOCKED.encode()
                return _Answer(401, page, errors.UNAUTHORIZED_CONSOLE, content_type="text/html; charset=utf-8")
        reply = static_file(name)
        if reply is None:
            raise errors.no_admin_endpoint(req.method, f"/{ADMIN_PREFIX}/ui/{name}")
        return _Answer(reply.status, reply.body, content_type=reply.content_type, headers=_NO_CACHE)

    def requests(self, req: Request, call_id: str) -> _Answer:
        """``GET /_emulator/requests`` (``limit``, ``operation``, ``status``), one call, or ``DELETE`` them all."""
        if call_id:
            call = self.history.get(call_id) if req.method == "GET" else None
            if call is None:
                raise (
                    errors.no_request(call_id)
                    if req.method == "GET"
                    else errors.no_admin_endpoint(req.method, f"/{ADMIN_PREFIX}/requests/{call_id}")
                )
            return _Answer(200, orjson.dumps(call.as_json()))
        if req.method == "DELETE":
            return _json({"cleared": self.history.clear()})
        if req.method != "GET":
            raise errors.no_admin_endpoint(req.method, f"/{ADMIN_PREFIX}/requests")
        args = _arguments(req)
        limit = args.get("limit")
        if limit is not None and not (limit.isdigit() and int(limit) > 0):
            raise errors.console_bad_parameter("limit", "must be a positive integer")
        status = args.get("status")
        if status and not re.fullmatch(r"[1-5](\d\d|xx)", status.lower()):
            raise errors.console_bad_parameter("status", "must be an HTTP status (404) or a class (4xx)")
        calls = self.history.calls(int(limit) if limit else None, args.get("operation") or None, status or None)
        return _Answer(200, orjson.dumps({"requests": [call.as_json() for call in calls]}))

    def operation(self, req: Request, record: RequestRecord, segment: str, rest: str) -> _Answer:
        config = self.config
        name = model.routes().get((req.method, segment))
        if name is None:
            raise errors.no_operation(f"{req.method} {req.path}")
        op = model.operation(name)
        record.operation = name
        # Parsed only when sent: only tag operations (tagKeys) and presigned requests have one.
        query = req.args if req.query_string else _NO_QUERY
        length = _declared_length(req, config.max_body_bytes)
        if length is not None and length >= _BUFFERED_FROM_BYTES:
            # A view into a reused buffer, valid inside the block only: decoded there.
            with self.runtime.buffers.read(req.stream, length) as view:
                caller, params = self.decode(req, record, name, query, view)
        else:
            caller, params = self.decode(req, record, name, query, _read_body(req, config.max_body_bytes))
        # Summarised for the debug log line and the request history (vectors cut, secrets masked).
        debug = request_log.log.isEnabledFor(logging.DEBUG) or self.history.enabled
        if debug:
            record.request = request_log.summarise(params, op.input_shape)
        if rest:
            # The only URI member is a tag operation's percent-encoded ARN (behaviour.md#tags).
            params["resourceArn"] = rest
        tag_keys = query.getlist("tagKeys")
        if tag_keys:
            params["tagKeys"] = tag_keys
        params = validate(op.input_shape, params, numbers_as_arrays=name in _ARRAY_OPERATIONS)
        store = self.store
        with store.serving():
            context = Context(region=store.region(caller.account, caller.region), snapshots=self.snapshots)
            result = HANDLERS[name](context, params)
        if debug:
            record.response = request_log.summarise(result, op.output_shape)
        return _json(result)

    def decode(
        self, req: Request, record: RequestRecord, name: str, query: MultiDict[str, str], body: bytes | memoryview
    ) -> tuple[Caller, dict[str, Any]]:
        config = self.config
        if self.secrets:
            verify_signature(req.method, _raw_uri(req), req.headers, bytes(body), self.secrets)
        # Credentials come before the body, as in AWS: a bad scope is refused whatever the body.
        caller = identify(req.headers, query, config.account_id, config.region)
        record.account, record.region = caller.account, caller.region
        self.faults.check(name)
        reader = self.vector_bodies.get(name)
        params = reader.read(body) if reader is not None else None
        return caller, decode_body(body) if params is None else params


_NO_QUERY: MultiDict[str, str] = MultiDict()
CONSOLE_PATH = f"/{ADMIN_PREFIX}/ui"
CONSOLE_COOKIE = "s3vectors_console"
_NO_CACHE = (("Cache-Control", "no-cache"),)
_CONSOLE_LOCKED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>S3 Vectors emulator</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>This emulator checks signatures</h1>
<p>Its console is not open to everyone: open it with the address the emulator printed when it started
(<code>/_emulator/ui?token=...</code>), which lets this browser in.</p></body></html>
"""


def _arguments(req: Request) -> dict[str, str]:
    """The query string's arguments, the first value of each."""
    return {key: values[0] for key, values in req.args.lists()} if req.query_string else {}


def _cookie(req: Request, name: str) -> str | None:
    header = req.headers.get("Cookie")
    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def route_of(raw_uri: str) -> tuple[str, str]:
    """(first path segment, the rest decoded) of a request-target, as it was sent.

    A path with an empty, ``.`` or ``..`` segment (a duplicate or trailing slash, a dot segment,
    also percent-encoded) is refused: a signature is computed over the normalised path, so such
    a path could be signed as one operation and routed to another.  Segments are decoded one by
    one, so an encoded slash stays inside its segment (a tag operation's ARN).
    """
    target = raw_uri.split("?", 1)[0]
    if "://" in target:  # absolute-form request-target
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    if target in ("", "/"):
        return "", ""
    if not target.startswith("/"):
        raise errors.no_operation(target)
    segments = [unquote(raw) for raw in target[1:].split("/")]
    if any(segment in ("", ".", "..") for segment in segments):
        raise errors.bad_path_segments(target)
    return segments[0], "/".join(segments[1:])


def _raw_uri(req: Request) -> str:
    """The path and query exactly as sent, which is what the client signed."""
    raw = req.environ.get("REQUEST_URI") or req.environ.get("RAW_URI")
    if raw:
        return str(raw)
    query = req.query_string.decode("latin-1")
    return quote(req.path, safe="/~:@!$&'()*+,;=") + (f"?{query}" if query else "")


# Bodies from this size on pause the collector (a small request allocates too little to matter).
_PAUSE_FROM_BYTES = 1 << 20
_BUFFERED_FROM_BYTES = 1 << 20


def _declared_length(req: Request, limit: int) -> int | None:
    """The body's declared length, refused past ``limit`` before any of it is read
    (behaviour.md#decision-request-size)."""
    length = req.content_length
    if length is not None and length > limit:
        raise ValidationError(errors.BODY_TOO_LARGE)
    return length


def _read_body(req: Request, limit: int) -> bytes:
    """The body, refused once it passes ``limit`` bytes without reading the rest
    (behaviour.md#decision-request-size)."""
    _declared_length(req, limit)
    stream = req.stream
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise ValidationError(errors.BODY_TOO_LARGE)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _json(body: Any) -> _Answer:
    return _Answer(200, encode(body))


def _error(error: ServiceError) -> _Answer:
    status, headers, body = error_response(error)
    return _Answer(status, body, headers["x-amzn-ErrorType"])
