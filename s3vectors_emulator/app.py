"""The wire: HTTP requests → operations → HTTP responses (rest-json, behaviour.md#decision-error-shape).

``create_app(config)`` is the Flask application factory.  Routing, parsing,
validation and serialisation are generic, driven by the service model; handlers see
validated dicts only.  Only this module turns a ServiceError into HTTP.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, unquote

import orjson
from flask import Flask, Request, Response, g, request

from s3vectors_emulator import __version__, errors, request_log
from s3vectors_emulator.config import Config
from s3vectors_emulator.errors import InternalServerError, ServiceError, ValidationError
from s3vectors_emulator.faults import FaultRule, Faults
from s3vectors_emulator.operations import HANDLERS
from s3vectors_emulator.operations.common import Context
from s3vectors_emulator.paging import Snapshots
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.auth import identify, verify_signature
from s3vectors_emulator.protocol.serialize import decode_body, encode, error_response
from s3vectors_emulator.protocol.validate import validate
from s3vectors_emulator.request_log import RequestRecord
from s3vectors_emulator.runtime import Runtime
from s3vectors_emulator.store.persistence import Persistence
from s3vectors_emulator.store.store import Store

log = logging.getLogger("s3vectors_emulator")

ADMIN_PREFIX = "_emulator"  # no operation name starts with an underscore
HEALTH_PATH = f"/{ADMIN_PREFIX}/health"
ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
_READ_CHUNK = 1 << 20
# Operations whose handlers get vectors as numpy arrays from validation (one conversion instead of
# a type scan and a second conversion: ~8 ms of a 500 × 1024 PutVectors).  QueryVectors keeps
# lists: its handler serialises its parameters (the page-token fingerprint), and one vector costs
# nothing to convert twice.
_ARRAY_OPERATIONS = frozenset({"PutVectors"})
# Results are encoded as handlers return them (s3vectors_emulator.protocol.serialize).  The walk against
# the output shape that came before only ever changed one member: GetIndex's index.metadataConfiguration,
# None for an index made without one (store Index.describe(), passed on by operations/indexes.py).  Dropped
# here until the handler omits it; tests/test_output_shapes.py fails once it does, to remove this.
_NONE_LEFT_IN = {"GetIndex": "index"}


def create_app(config: Config | None = None, store: Store | None = None) -> Flask:
    config = config or Config()
    model.service_model()  # fail at start, not on the first request, if botocore is too old
    app = Flask("s3vectors_emulator")
    # Every path reaches dispatch(): Werkzeug must not redirect "//X" or "/X/" on its own,
    # since its answers are not in AWS's shape (behaviour.md#decision-error-shape).
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.config["EMULATOR"] = config
    if store is not None:
        state = store
    else:
        persistence = Persistence(config.data_dir) if config.data_dir else None
        state = Store(legacy_buckets=config.legacy_buckets, persistence=persistence)
    app.extensions["s3vectors_store"] = state
    # QueryVectors page snapshots: one byte budget for the whole process (s3vectors_emulator.paging).
    snapshots = app.extensions["s3vectors_snapshots"] = Snapshots(config.snapshot_budget_bytes)
    faults = Faults([FaultRule.parse(spec) for spec in config.faults], seed=config.fault_seed)
    secrets = dict(config.credentials)
    runtime = Runtime()
    started = time.monotonic()

    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    def dispatch(path: str) -> Response:
        request_id = str(uuid.uuid4())
        began = time.perf_counter()
        record = g.record = RequestRecord(
            request_id, time.time(), request.method, request.path, user_agent=request.headers.get("User-Agent")
        )
        try:
            # Routed on the path exactly as sent, which is what a signature covers (never on the
            # decoded, possibly normalised, PATH_INFO that Flask matched).
            segment, rest = route_of(_raw_uri())
            if segment == ADMIN_PREFIX:
                record.operation = f"{request.method} /{ADMIN_PREFIX}/{rest}"
                response = _admin(rest, state, snapshots, faults, secrets, started)
            else:
                # The request's objects are freed when _operation returns, inside the pause.
                large = (request.content_length or 0) >= _PAUSE_FROM_BYTES
                with runtime.blas(), runtime.collector(large):
                    response = _operation(config, state, snapshots, faults, secrets, runtime, segment, rest)
        except ServiceError as error:
            response = _error(error)
        except Exception:  # a bug, never the caller's fault: log it, answer as AWS would
            log.exception("unhandled error in %s %s", request.method, request.path)
            response = _error(InternalServerError(errors.INTERNAL_ERROR))
        response.headers["x-amzn-RequestId"] = request_id
        record.status = response.status_code
        record.error_code = response.headers.get("x-amzn-ErrorType")
        record.duration_ms = (time.perf_counter() - began) * 1000
        if record.error_code and request_log.log.isEnabledFor(logging.DEBUG):
            record.response = orjson.loads(response.get_data())
        if record.path != HEALTH_PATH or record.status != 200:  # container health checks would flood it
            request_log.emit(record)
        return response

    return app


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


def _admin(
    action: str, store: Store, snapshots: Snapshots, faults: Faults, secrets: dict[str, str], started: float
) -> Response:
    if action == "health" and request.method == "GET":
        health = {"status": "ok", "version": __version__, "uptimeSeconds": round(time.monotonic() - started, 3)}
        return _json(200, health)
    body = _read_body(request, 1 << 20)
    if secrets:
        # With --auth, every admin endpoint but health needs a request signed by a known key
        # pair (README, Signatures): reset and faults would otherwise be open to anyone.
        verify_signature(request.method, _raw_uri(), request.headers, body, secrets)
    if action == "reset" and request.method == "POST":
        store.reset()
        snapshots.clear()  # their tokens died with the indexes; this frees their memory
        return _json(200, {"reset": True})
    if action == "faults":
        if request.method == "POST":
            rules = decode_body(body).get("rules", [])
            if not isinstance(rules, list):
                raise ValidationError(errors.FAULT_RULES_NOT_LIST)
            faults.replace([FaultRule.of(rule) for rule in rules])
        elif request.method == "DELETE":
            faults.replace([])
        elif request.method != "GET":
            raise errors.no_admin_endpoint(request.method, f"/{ADMIN_PREFIX}/{action}")
        return _json(200, {"rules": faults.describe()})
    raise errors.no_admin_endpoint(request.method, f"/{ADMIN_PREFIX}/{action}")


def _operation(
    config: Config,
    store: Store,
    snapshots: Snapshots,
    faults: Faults,
    secrets: dict[str, str],
    runtime: Runtime,
    segment: str,
    rest: str,
) -> Response:
    name = model.routes().get((request.method, segment))
    if name is None:
        raise errors.no_operation(f"{request.method} {request.path}")
    op = model.operation(name)
    record: RequestRecord = g.record
    record.operation = name
    with _request_body(request, config.max_body_bytes, runtime) as body:
        if secrets:
            verify_signature(request.method, _raw_uri(), request.headers, bytes(body), secrets)
        # Credentials come before the body, as in AWS: a bad scope is refused whatever the body.
        caller = identify(request.headers, request.args, config.account_id, config.region)
        record.account, record.region = caller.account, caller.region
        faults.check(name)
        params = decode_body(body)
    debug = request_log.log.isEnabledFor(logging.DEBUG)
    if debug:
        record.request = request_log.summarise(params, op.input_shape)
    if rest:
        # The only URI member is a tag operation's percent-encoded ARN (behaviour.md#tags).
        params["resourceArn"] = rest
    tag_keys = request.args.getlist("tagKeys")
    if tag_keys:
        params["tagKeys"] = tag_keys
    params = validate(op.input_shape, params, numbers_as_arrays=name in _ARRAY_OPERATIONS)
    with store.serving():
        context = Context(region=store.region(caller.account, caller.region), snapshots=snapshots)
        result = HANDLERS[name](context, params)
    member = _NONE_LEFT_IN.get(name)
    if member is not None:
        result[member] = {key: value for key, value in result[member].items() if value is not None}
    if debug:
        record.response = request_log.summarise(result, op.output_shape)
    return _json(200, result)


def _raw_uri() -> str:
    """The path and query exactly as sent, which is what the client signed."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if raw:
        return str(raw)
    query = request.query_string.decode("latin-1")
    return quote(request.path, safe="/~:@!$&'()*+,;=") + (f"?{query}" if query else "")


# Bodies from this size on pause the collector (a small request allocates too little to matter).
_PAUSE_FROM_BYTES = 1 << 20
_BUFFERED_FROM_BYTES = 1 << 20


@contextmanager
def _request_body(req: Request, limit: int, runtime: Runtime) -> Iterator[bytes | memoryview]:
    """The body (behaviour.md#decision-request-size: refused past ``limit``); a large one is a view valid inside the
    block."""
    length = req.content_length
    if length is not None and length > limit:
        raise ValidationError(errors.BODY_TOO_LARGE)
    if length is not None and length >= _BUFFERED_FROM_BYTES:
        with runtime.buffers.read(req.stream, length) as view:
            yield view
    else:
        yield _read_body(req, limit)


def _read_body(req: Request, limit: int) -> bytes:
    """The body, refused once it passes ``limit`` bytes without reading the rest
    (behaviour.md#decision-request-size)."""
    too_big = ValidationError(errors.BODY_TOO_LARGE)
    length = req.content_length
    if length is not None and length > limit:
        raise too_big
    stream = req.stream
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _json(status: int, body: Any) -> Response:
    return Response(encode(body), status=status, content_type="application/json")


def _error(error: ServiceError) -> Response:
    status, headers, body = error_response(error)
    response = Response(body, status=status)
    for key, value in headers.items():
        response.headers[key] = value
    return response
