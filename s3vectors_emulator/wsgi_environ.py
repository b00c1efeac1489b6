"""The WSGI environ of one request: what the HTTP server (``server.py``) and the in-process mode (``mock.py``)
hand the app, built by one function so that both route, sign and read a request alike."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

_QUOTED_SLASH = re.compile(b"(?i)%2F")


def wsgi_environ(
    method: str,
    target: bytes,
    headers: Iterable[tuple[str, str]],
    body: Any,
    *,
    version: str = "1.1",
    server: tuple[str, str] = ("127.0.0.1", "0"),
    remote: tuple[str, str] = ("127.0.0.1", "0"),
) -> dict[str, Any]:
    """The environ of a request for ``target`` (the path and query as sent) whose body ``body`` holds
    whole: header values of one name are joined with ", ", as HTTP allows."""
    path, _, query = target.partition(b"?")
    # As cheroot did: percent-decoded, except an encoded slash, which stays inside its segment.
    path = b"%2F".join(unquote_to_bytes(atom) for atom in _QUOTED_SLASH.split(path))
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path.decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "REQUEST_URI": target.decode("latin-1"),  # what a signature covers (s3vectors_emulator/app.py)
        "SERVER_NAME": server[0],
        "SERVER_PORT": server[1],
        "SERVER_PROTOCOL": f"HTTP/{version}",
        "SERVER_SOFTWARE": "s3vectors-emulator",
        "REMOTE_ADDR": remote[0],
        "REMOTE_PORT": remote[1],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.input_terminated": True,  # the whole body is here: the app may read it to the end
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, text in headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]}, {text}" if key in environ else text
    return environ
