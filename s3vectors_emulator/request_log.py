"""One line per request on stderr: what the caller's SDK sent and how it was answered.

The line holds the time, account, region, operation (or the admin path), HTTP status, error code,
duration and request id.  At debug level the request and response bodies follow, summarised so a
line stays readable: a list of numbers (a vector) shows its first values and its length, members
the service model marks sensitive (query texts) are masked, and a body is cut at a few KB.
"""

from __future__ import annotations

import array
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from botocore.model import ListShape, Shape, StructureShape

log = logging.getLogger("s3vectors_emulator.requests")

SHOWN_VALUES = 4  # a vector shows this many of its values, then its length
# A longer list (of vectors, keys, hits) shows this many items, then its length: a ListVectors page of 1,000
# took ~20 ms to summarise in full, a fifth of the page's time, for a text the history cuts at 32 KiB anyway.
SHOWN_ITEMS = 100
MAX_BODY_CHARS = 4096
MASK = "***"
MAX_DEPTH = 24  # nesting levels a summary shows
DEEPER = "..."


@dataclass
class RequestRecord:
    """What is known of a request once it is answered."""

    request_id: str
    started: float  # time.time() when it arrived
    method: str
    path: str
    operation: str | None = None
    account: str | None = None
    region: str | None = None
    status: int = 0
    error_code: str | None = None
    duration_ms: float = 0.0
    user_agent: str | None = None
    request: Any = None  # the decoded body (debug level only)
    response: Any = None

    def line(self) -> str:
        when = dt.datetime.fromtimestamp(self.started, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        what = self.operation or f"{self.method} {self.path}"
        return (
            f"{when} {self.account or '-'} {self.region or '-'} {what} {self.status} "
            f"{self.error_code or '-'} {self.duration_ms:.1f}ms {self.request_id}"
        )


def summarise(value: Any, shape: Shape | None = None, depth: int = 0) -> Any:
    """``value`` with vectors shortened and sensitive members masked, following ``shape`` if known.

    Past ``MAX_DEPTH`` levels (a deeply nested filter) the rest is one marker: a summary stays
    small, and the walk cannot run out of stack whatever the body.
    """
    if shape is not None and (shape.serialization.get("sensitive") or shape.metadata.get("sensitive")):
        return MASK
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        return DEEPER
    if isinstance(value, dict):
        members = shape.members if isinstance(shape, StructureShape) else {}
        return {key: summarise(item, members.get(key), depth + 1) for key, item in value.items()}
    # Vector data in an answer (operations/vectors.py vector_out) or a request (protocol/vector_bodies.py).
    if isinstance(value, np.ndarray | array.array):
        return _shortened(value[:SHOWN_VALUES].tolist(), len(value))
    if isinstance(value, list):
        member = shape.member if isinstance(shape, ListShape) else None
        # A vector: judged by its first values only, so a 4,096-value list costs no more than a short one.
        head = value[: SHOWN_VALUES + 1]
        if len(value) > SHOWN_VALUES and all(isinstance(v, int | float) and not isinstance(v, bool) for v in head):
            return _shortened(value[:SHOWN_VALUES], len(value))
        items = [summarise(item, member, depth + 1) for item in value[:SHOWN_ITEMS]]
        return [*items, f"... {len(value)} items"] if len(value) > SHOWN_ITEMS else items
    return value


def _shortened(head: list[Any], length: int) -> list[Any]:
    return [*head, f"... {length} values"] if length > SHOWN_VALUES else head


def body_text(value: Any) -> str:
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = repr(value)
    return text if len(text) <= MAX_BODY_CHARS else text[:MAX_BODY_CHARS] + f"... ({len(text)} characters)"


def emit(record: RequestRecord) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    if log.isEnabledFor(logging.DEBUG) and (record.request is not None or record.response is not None):
        log.debug("%s request=%s response=%s", record.line(), body_text(record.request), body_text(record.response))
    else:
        log.info("%s", record.line())
