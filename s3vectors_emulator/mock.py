"""In-process mode: every botocore client of S3 Vectors answered in this process, as moto's ``mock_aws`` does
for the services it has (README, In-process mode).

``mock_s3vectors`` is a decorator (of functions, coroutine functions and test classes) and a context manager.
While one is active, each request of an ``s3vectors`` client, made before or after it started, in any region,
with or without ``endpoint_url``, is handed to the same WSGI app the server runs (``app.create_app``: routing,
SigV4 as configured, validation, errors, serialisation), called directly: no socket, no thread.  Requests of
every other service go on as before: to moto when its ``mock_aws`` is active too, in either nesting order, or
to the network.

The seam is one attribute of botocore, ``Endpoint._do_get_response``, replaced while any mock is active and put
back (the very same function object) when the last one stops.  Every request of every client passes through
it, and a class attribute reaches the clients made before the mock started, which an event handler
registered now would not.  For an S3 Vectors request the original method runs on a view of the endpoint whose
``_send`` asks the app, so the parsing, checksums, modeled error fields, retries and ``response-received``
events around it stay botocore's own.  The view emits no ``before-send`` event: that is where moto answers
(its handler would take an S3 Vectors request to an AWS address for its own, and QueryVectors with it).
"""

from __future__ import annotations

import functools
import inspect
import io
import os
import threading
import unittest
from collections.abc import Callable, Iterable
from dataclasses import replace
from email.utils import formatdate
from types import MethodType
from typing import Any, TypeVar, cast, overload
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.endpoint import Endpoint

from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.store.store import Store
from s3vectors_emulator.wsgi_environ import wsgi_environ

SERVICE = "s3vectors"
# The one attribute of botocore the mode replaces (botocore's type stubs leave private members out).
SEAM = "_do_get_response"
# What the app answers through: a WSGI callable (the ``_Wire`` behind ``create_app``'s Flask app).
Wire = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Signed with while no credentials are configured, so that botocore looks no further (its chain ends with
# the instance metadata service, over the network); the access key is not 12 digits, so the account is
# Config.account_id (behaviour.md#decision-credentials).
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
_DEFAULT_PORTS = {"http": 80, "https": 443}

T = TypeVar("T")


class _Activation:
    """One start() of a mock: the app that answers, its store, and what the environment held before the
    credentials it set (empty when it set none)."""

    def __init__(self, wire: Wire, store: Store, owns_store: bool, replaced: dict[str, str | None]) -> None:
        self.wire, self.store, self.owns_store, self.replaced = wire, store, owns_store, replaced


class _Seam:
    """What ``Endpoint._do_get_response`` is while any mock is active: the innermost activation answers.

    The activations live here, in botocore's class attribute, and nowhere else: when the last one stops the
    original function is put back and no state is left.  They are a tuple replaced under ``_LOCK``, so a
    request in another thread reads a consistent one without taking it.
    """

    def __init__(self, original: Callable[..., Any]) -> None:
        self.original = original
        self.active: tuple[_Activation, ...] = ()

    def __get__(self, endpoint: Any, owner: Any = None) -> Any:
        # A method of every endpoint, as the function it stands for.
        return self if endpoint is None else MethodType(self, endpoint)

    def __call__(self, endpoint: Endpoint, request: Any, operation_model: Any, context: Any) -> Any:
        active = self.active
        if active and operation_model.service_model.service_name == SERVICE:
            return self.original(_InProcessEndpoint(endpoint, active[-1].wire), request, operation_model, context)
        return self.original(endpoint, request, operation_model, context)

    @staticmethod
    def push(activation: _Activation) -> None:
        with _LOCK:
            seam = Endpoint.__dict__[SEAM]
            if not isinstance(seam, _Seam):
                seam = _Seam(seam)
                setattr(Endpoint, SEAM, seam)
            seam.active = (*seam.active, activation)

    @staticmethod
    def remove(activation: _Activation) -> None:
        with _LOCK:
            seam = Endpoint.__dict__[SEAM]
            if not isinstance(seam, _Seam):
                return
            seam.active = tuple(a for a in seam.active if a is not activation)
            if not seam.active:
                setattr(Endpoint, SEAM, seam.original)


_LOCK = threading.Lock()


class _InProcessEndpoint:
    """An endpoint as ``Endpoint._do_get_response`` reads it, but answered by the app instead of a socket."""

    __slots__ = ("_endpoint", "_event_emitter", "_wire")

    def __init__(self, endpoint: Endpoint, wire: Wire) -> None:
        self._endpoint = endpoint
        self._event_emitter = _WithoutBeforeSend(getattr(endpoint, "_event_emitter"))  # noqa: B009 (not in the stubs)
        self._wire = wire

    def __getattr__(self, name: str) -> Any:
        return getattr(self._endpoint, name)

    def _send(self, request: AWSPreparedRequest) -> AWSResponse:
        return answer(self._wire, request)


class _WithoutBeforeSend:
    """The client's events, less ``before-send``: another mock's handler (moto's) answers there."""

    __slots__ = ("_events",)

    def __init__(self, events: Any) -> None:
        self._events = events

    def emit(self, event_name: str, **kwargs: Any) -> list[Any]:
        if event_name.startswith("before-send."):
            return []
        result: list[Any] = self._events.emit(event_name, **kwargs)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._events, name)


class _Body(io.BytesIO):
    """An answer's body, as botocore reads a response's (``AWSResponse.content`` joins ``raw.stream()``)."""

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self.read()


def answer(wire: Wire, request: AWSPreparedRequest) -> AWSResponse:
    """The app's answer to one prepared botocore request, as botocore's HTTP session would return it."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = _bytes_of(request.body)
    # botocore encodes header values as bytes before sending (Endpoint.prepare_request): read as the server does.
    headers = [(name, _text_of(value)) for name, value in request.headers.items()]
    present = {name.lower() for name, _ in headers}
    if "host" not in present:
        # What urllib3 would send, and what botocore's signer covered (botocore.auth._host_from_url).
        headers.append(("Host", _host_of(parts)))
    if "content-length" not in present:
        headers.append(("Content-Length", str(len(body))))
    environ = wsgi_environ(request.method, target.encode("latin-1"), headers, io.BytesIO(body))
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, response_headers]
        return written.append

    result = wire(environ, start_response)
    try:
        content = b"".join([*written, *result])
    finally:
        release = getattr(result, "close", None)
        if release is not None:
            release()
    status, response_headers = started
    # The server adds it to every answer: the headers botocore sees are the same in both modes.
    response_headers = [*response_headers, ("Date", formatdate(usegmt=True))]
    return AWSResponse(request.url, int(status[:3]), cast(Any, response_headers), _Body(content))


def _text_of(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _bytes_of(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    read: bytes = body.read()  # a file-like body; botocore rewinds it before a retry
    return read


def _host_of(parts: Any) -> str:
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


class MockS3Vectors:
    """What ``mock_s3vectors`` returns: a context manager and a decorator, active any number of times.

    Each activation (``start``, a ``with`` block, a decorated call) starts from an empty store, unless the
    mock was given one (``store``), which every activation then shares and none closes.  ``config`` holds
    the emulator's settings (``legacy_buckets``, ``credentials`` for SigV4 checks, ``faults``, ``data_dir``,
    ``account_id``, ...), less the request history, which nothing could read without a server: it is never kept.
    """

    def __init__(self, config: Config | None = None, store: Store | None = None) -> None:
        self.config = replace(config or Config(), request_log_size=0)
        self._shared = store
        self._activations: list[_Activation] = []

    @property
    def store(self) -> Store:
        """The store of the innermost activation of this mock."""
        if not self._activations:
            raise RuntimeError("mock_s3vectors is not active: its store exists only while it is")
        return self._activations[-1].store

    def start(self) -> MockS3Vectors:
        app = create_app(self.config, self._shared)
        store: Store = app.extensions["s3vectors_store"]
        replaced: dict[str, str | None] = {}
        if "AWS_ACCESS_KEY_ID" not in os.environ:
            replaced = {name: os.environ.get(name) for name in FAKE_CREDENTIALS}
            os.environ.update(FAKE_CREDENTIALS)
        activation = _Activation(app.wsgi_app, store, self._shared is None, replaced)
        self._activations.append(activation)
        _Seam.push(activation)
        return self

    def stop(self) -> None:
        if not self._activations:
            raise RuntimeError("mock_s3vectors.stop() called while it is not active")
        activation = self._activations.pop()
        _Seam.remove(activation)
        for name, value in activation.replaced.items():
            if os.environ.get(name) != FAKE_CREDENTIALS[name]:
                continue  # set since by someone else (another mock, left out of order): theirs now
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if activation.owns_store:
            activation.store.close()

    def __enter__(self) -> MockS3Vectors:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, target: T) -> T:
        if inspect.isclass(target):
            return self._decorate_class(target)  # type: ignore[return-value]
        if not callable(target):
            raise TypeError(f"mock_s3vectors decorates a function or a class, not {target!r}")
        return self._decorate_function(target)  # type: ignore[return-value]

    def _decorate_function(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return run_async

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return run

    def _decorate_class(self, cls: type) -> type:
        """Each test of the class in an activation of its own, set-up and tear-down included."""
        if issubclass(cls, unittest.TestCase):
            # Cleanups run after tearDown, also when setUp fails.
            set_up = cls.setUp

            @functools.wraps(set_up)
            def setUp(case: unittest.TestCase) -> None:  # noqa: N802 (unittest's name)
                self.start()
                case.addCleanup(self.stop)
                set_up(case)

            cls.setUp = setUp  # type: ignore[method-assign,assignment]
            return cls
        # pytest's classes: setup_method and teardown_method run around every test of the class.
        set_up_method = getattr(cls, "setup_method", None)
        tear_down_method = getattr(cls, "teardown_method", None)

        def setup_method(instance: Any, method: Any = None) -> None:
            self.start()
            try:
                if set_up_method is not None:
                    _call_xunit(set_up_method, instance, method)
            except BaseException:
                self.stop()
                raise

        def teardown_method(instance: Any, method: Any = None) -> None:
            try:
                if tear_down_method is not None:
                    _call_xunit(tear_down_method, instance, method)
            finally:
                self.stop()

        cls.setup_method = setup_method  # type: ignore[attr-defined]
        cls.teardown_method = teardown_method  # type: ignore[attr-defined]
        return cls


def _call_xunit(func: Callable[..., Any], instance: Any, method: Any) -> None:
    """Call a class's own ``setup_method``/``teardown_method`` as pytest would: with ``method`` if it takes it."""
    takes_method = len(inspect.signature(func).parameters) > 1
    if takes_method:
        func(instance, method)
    else:
        func(instance)


@overload
def mock_s3vectors(func: T, /) -> T: ...


@overload
def mock_s3vectors(*, config: Config | None = None, store: Store | None = None) -> MockS3Vectors: ...


def mock_s3vectors(func: Any = None, /, *, config: Config | None = None, store: Store | None = None) -> Any:
    """Answer every botocore S3 Vectors client in this process while active (this module's docstring).

    ``@mock_s3vectors`` or ``@mock_s3vectors(config=...)`` on a function or a test class; ``with
    mock_s3vectors() as mock:`` (``mock.store`` is the activation's store); ``mock_s3vectors().start()`` and
    ``.stop()``.
    """
    mock = MockS3Vectors(config, store)
    return mock if func is None else mock(func)
