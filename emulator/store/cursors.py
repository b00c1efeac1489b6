"""Snapshots of ranked query results, served page by page (D6, Part II §4).

The whole ranked list (at most topK) is computed on the first call and kept under an
opaque token, so later pages continue the first exactly even if writes land between
pages.  A token is bound to a fingerprint of its request.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from emulator.errors import ValidationError

TTL_SECONDS = 15 * 60
MAX_CURSORS = 1024


def invalid_token() -> ValidationError:
    """D6: a malformed, mismatched or expired page token."""
    return ValidationError.at("nextToken", "Invalid nextToken", "The provided nextToken is not valid")


@dataclass
class _Cursor:
    fingerprint: bytes
    results: list[Any]
    expires: float


class CursorCache:
    """Least recently used snapshots, each living at most TTL_SECONDS."""

    def __init__(self, ttl: float = TTL_SECONDS, capacity: int = MAX_CURSORS) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, fingerprint: bytes, results: list[Any]) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._cursors[token] = _Cursor(fingerprint, results, time.monotonic() + self._ttl)
            while len(self._cursors) > self._capacity:
                self._cursors.popitem(last=False)
        return token

    def fetch(self, token: str, fingerprint: bytes) -> list[Any]:
        """The snapshot behind ``token``; malformed, unknown, expired or mismatched → refused."""
        with self._lock:
            cursor = self._cursors.get(token)
            if cursor is None or cursor.expires < time.monotonic() or cursor.fingerprint != fingerprint:
                raise invalid_token()
            self._cursors.move_to_end(token)
            return cursor.results

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()
