"""The last API calls, kept in memory for the console and ``GET /_emulator/requests``.

Each call keeps what the request log line shows (time, account, region, operation, status, error
code, duration, user agent) and its request and response bodies, summarised as the log's debug
lines are (vectors shortened to their first values and count, sensitive members masked).  Memory
is bounded whatever the requests: a body is kept as its JSON text, cut past ``MAX_BODY_BYTES``,
and the history holds at most ``size`` calls and ``MAX_TOTAL_BYTES`` of bodies, the oldest
dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from s3vectors_emulator.request_log import RequestRecord

DEFAULT_SIZE = 1000
MAX_BODY_BYTES = 32 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024


def body_json(value: Any) -> bytes | None:
    """A summarised body as JSON, or as a JSON string of its first bytes when it is too long."""
    if value is None:
        return None
    try:
        text = orjson.dumps(value, default=repr)
    except (TypeError, orjson.JSONEncodeError):
        text = orjson.dumps(repr(value))
    if len(text) <= MAX_BODY_BYTES:
        return text
    preview = text[:MAX_BODY_BYTES].decode(errors="ignore")
    return orjson.dumps({"truncated": f"{preview}... ({len(text)} bytes)"})


@dataclass(frozen=True)
class Call:
    id: str
    time: float
    account: str | None
    region: str | None
    operation: str | None
    status: int
    error_code: str | None
    duration_ms: float
    user_agent: str | None
    request: bytes | None  # JSON text (body_json)
    response: bytes | None

    @property
    def size(self) -> int:
        return len(self.request or b"") + len(self.response or b"") + 512

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "account": self.account,
            "region": self.region,
            "operation": self.operation,
            "status": self.status,
            "errorCode": self.error_code,
            "durationMs": round(self.duration_ms, 3),
            "userAgent": self.user_agent,
            "request": orjson.Fragment(self.request) if self.request is not None else None,
            "response": orjson.Fragment(self.response) if self.response is not None else None,
        }


class RequestHistory:
    """The last ``size`` calls, newest last; ``size`` 0 keeps none."""

    def __init__(self, size: int = DEFAULT_SIZE, max_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._calls: OrderedDict[str, Call] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def add(self, record: RequestRecord, request: Any, response: Any) -> None:
        """Keep a call (``request`` and ``response`` already summarised)."""
        if not self.enabled:
            return
        call = Call(
            record.request_id,
            record.started,
            record.account,
            record.region,
            record.operation,
            record.status,
            record.error_code,
            record.duration_ms,
            record.user_agent,
            body_json(request),
            body_json(response),
        )
        with self._lock:
            self._calls[call.id] = call
            self._bytes += call.size
            while self._calls and (len(self._calls) > self.size or self._bytes > self.max_bytes):
                _, dropped = self._calls.popitem(last=False)
                self._bytes -= dropped.size

    def calls(self, limit: int | None = None, operation: str | None = None, status: str | None = None) -> list[Call]:
        """Newest first; ``status`` is an exact code ("404") or a class ("4xx")."""
        with self._lock:
            calls = list(self._calls.values())
        chosen = []
        for call in reversed(calls):
            if operation and call.operation != operation:
                continue
            if status and not _status_matches(call.status, status):
                continue
            chosen.append(call)
            if limit is not None and len(chosen) >= limit:
                break
        return chosen

    def get(self, call_id: str) -> Call | None:
        with self._lock:
            return self._calls.get(call_id)

    def clear(self) -> int:
        with self._lock:
            count = len(self._calls)
            self._calls.clear()
            self._bytes = 0
            return count


def _status_matches(status: int, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    if len(wanted) == 3 and wanted.endswith("xx") and wanted[0].isdigit():
        return status // 100 == int(wanted[0])
    return wanted.isdigit() and status == int(wanted)
