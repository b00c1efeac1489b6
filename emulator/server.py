"""The production WSGI server around the app: start, stop, signals.

cheroot (CherryPy's server) was chosen on measurement over waitress: see
docs/decisions.md.  It hands the request body to the app as a stream, so an oversize
body is refused without being read (D11), where waitress buffers it first.
"""

from __future__ import annotations

import json
import signal
import threading
import uuid
from types import FrameType
from typing import Any

from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi


class _AwsShapedRequest(cheroot_server.HTTPRequest):
    """cheroot's own answers (a malformed request line, a bad header) in AWS's error shape.

    They come before the application sees the request, so without this they would be
    plain-text bodies that no SDK can parse (D2).
    """

    def simple_response(self, status: Any, msg: Any = "") -> None:
        status = str(status)
        code = status[:3]
        if not code.startswith(("4", "5")):
            super().simple_response(status, msg)
            return
        name = {"408": "RequestTimeoutException", "413": "ValidationException", "503": "ServiceUnavailableException"}
        error = name.get(code, "InternalServerException" if code.startswith("5") else "BadRequestException")
        text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg or status[4:])
        if code == "413":
            text = "Request body exceeds max allowed size"  # D11
        body = json.dumps({"message": text}).encode()
        head = [
            f"{self.server.protocol} {status}",
            f"Content-Length: {len(body)}",
            "Content-Type: application/json",
            f"x-amzn-ErrorType: {error}",
            f"x-amzn-RequestId: {uuid.uuid4()}",
            "Connection: close",
        ]
        self.close_connection = True
        try:
            self.conn.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        except OSError as ex:
            if ex.args and ex.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise


class _AwsShapedConnection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _AwsShapedRequest


class EmulatorServer:
    """A cheroot server bound to (host, port); port 0 picks a free port."""

    def __init__(self, app: Any, host: str, port: int, threads: int) -> None:
        self._server = wsgi.Server((host, port), app, numthreads=threads, request_queue_size=64)
        self._server.ConnectionClass = _AwsShapedConnection
        self._server.prepare()  # binds now, so the real port is known before serving
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.bind_addr[0])

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Serve in a background thread (tests, the pytest plugin)."""
        self._thread = threading.Thread(target=self._server.serve, name="s3vectors-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def serve_until_signalled(self, stopping: threading.Event) -> None:
        """Serve until ``stopping`` is set (by :func:`stop_on_signals`), then stop cleanly."""
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
