"""Every page token and query snapshot: one module owns how paging works.

Listings (ListVectorBuckets, ListIndexes, ListVectors) continue after a name or key, so their tokens
carry it, bound to the identity of what they page (a region's state, a bucket, an index), so a token
dies with it (behaviour.md#listing-tokens).  QueryVectors pages slices of a snapshot of the whole ranked
list, taken on the first call and kept under an opaque id, so later pages continue the first exactly
even if writes land between pages; its token is bound to a fingerprint of its request, which names
the index's identity (behaviour.md#paging-tokens).

All snapshots of the process share one byte budget, whatever the account or region that made them:
the least recently used are dropped first, and a dropped token is refused like any unknown one.  A
snapshot larger than the whole budget is not kept at all (behaviour.md#paging-expiry).
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from s3vectors_emulator.errors import invalid_token

DEFAULT_MAX_RESULTS = 500  # ListVectorBuckets, ListIndexes and ListVectors without maxResults
QUERY_PAGE_SIZE = 100  # behaviour.md#paging-page-size: at most 100 results per QueryVectors response


# -- listings ---------------------------------------------------------------------------------


def encode_token(owner: str, last: str, *extra: Any) -> str:
    """An opaque page token: the identity of what is paged (a region's state, a bucket, an
    index, so a token dies with it), the name or key to continue after, and any extra fields.

    The name goes in as its raw UTF-8 bytes after the JSON header, not inside the JSON: escaped
    there, a 1,024-byte key of control characters made a token of 8,228 characters, past
    ListVectors' 2,048, which the emulator then refused on the next call.
    """
    header = orjson.dumps([owner, *extra])  # JSON escapes NUL, so the first NUL ends the header
    return base64.urlsafe_b64encode(header + b"\0" + last.encode("utf-8", "surrogatepass")).decode("ascii")


def decode_token(token: str | None, owner: str, size: int = 1) -> list[Any] | None:
    """[last, *extra] of a page token of ``owner`` (``size`` fields); a token we did not issue for
    it is refused."""
    if token is None:
        return None
    try:
        header, sep, last = base64.urlsafe_b64decode(token.encode("ascii")).partition(b"\0")
        values = orjson.loads(header)
        name = last.decode("utf-8", "surrogatepass")
    except (ValueError, UnicodeError, orjson.JSONDecodeError):
        raise invalid_token() from None
    if not sep or not isinstance(values, list) or len(values) != size or values[0] != owner:
        raise invalid_token()
    return [name, *values[1:]]


def decode_name_token(token: str | None, owner: str) -> str | None:
    """The name a ListVectorBuckets or ListIndexes page continues after."""
    position = decode_token(token, owner)
    if position is None:
        return None
    if not isinstance(position[0], str):
        raise invalid_token()
    return position[0]


# -- query snapshots --------------------------------------------------------------------------

TTL_SECONDS = 15 * 60
DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024
# What one kept hit costs beside its key and metadata bytes, measured with tracemalloc on
# CPython 3.11: the QueryHit tuple (80), its key str header (49), the distance float (24), the
# metadata bytes header (33) and a list slot (8), rounded up.
HIT_OVERHEAD_BYTES = 200
_SCORE_BYTES = 120  # one (metadata key, BM25) pair: a tuple and a float beside the key it shares


def hits_size(hits: Sequence[Any]) -> int:
    """An upper estimate of the memory a list of query hits holds (key, distance, metadata)."""
    total = 0
    for hit in hits:
        metadata = hit.metadata
        size = len(metadata) if isinstance(metadata, bytes) else (4 * len(repr(metadata)) if metadata else 0)
        total += HIT_OVERHEAD_BYTES + 4 * len(hit.key) + size + _SCORE_BYTES * len(hit.bm25)
    return total


@dataclass
class _Snapshot:
    fingerprint: bytes
    results: list[Any]
    expires: float
    size: int


class Snapshots:
    """Least recently used snapshots within ``budget`` bytes, each living at most ``ttl`` seconds."""

    def __init__(self, budget: int = DEFAULT_BUDGET_BYTES, ttl: float = TTL_SECONDS) -> None:
        self._budget = budget
        self._ttl = ttl
        self._snapshots: OrderedDict[str, _Snapshot] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._used

    def open(self, fingerprint: bytes, results: list[Any]) -> str:
        """A token for ``results``; when they cannot be kept, a token that will be refused."""
        token = secrets.token_urlsafe(24)
        size = hits_size(results) + len(fingerprint) + 200
        if size > self._budget:
            return token
        now = time.monotonic()
        with self._lock:
            self._snapshots[token] = _Snapshot(fingerprint, results, now + self._ttl, size)
            self._used += size
            # The least recently used come first: expired ones there go now, others when fetched.
            while self._snapshots:
                oldest, snapshot = next(iter(self._snapshots.items()))
                if snapshot.expires >= now:
                    break
                self._drop(oldest)
            while self._used > self._budget:
                self._drop(next(iter(self._snapshots)))
        return token

    def _drop(self, token: str) -> None:
        self._used -= self._snapshots.pop(token).size

    def fetch(self, token: str, fingerprint: bytes) -> list[Any]:
        """The snapshot behind ``token``; malformed, unknown, expired or mismatched → refused."""
        with self._lock:
            snapshot = self._snapshots.get(token)
            if snapshot is None or snapshot.fingerprint != fingerprint:
                raise invalid_token()
            if snapshot.expires < time.monotonic():
                self._drop(token)
                raise invalid_token()
            self._snapshots.move_to_end(token)
            return snapshot.results

    def clear(self) -> None:
        with self._lock:
            self._snapshots.clear()
            self._used = 0


def query_page(snapshots: Snapshots, token: str, fingerprint: bytes) -> tuple[list[Any], int]:
    """The snapshot and offset a QueryVectors token (``<snapshot id>.<offset>``) continues from."""
    cursor, _, offset_text = token.rpartition(".")
    if not cursor or not offset_text.isdigit():
        raise invalid_token()
    hits = snapshots.fetch(cursor, fingerprint)
    offset = int(offset_text)
    if offset <= 0 or offset >= len(hits) or offset % QUERY_PAGE_SIZE:
        raise invalid_token()
    return hits, offset


def next_query_token(
    snapshots: Snapshots, token: str | None, fingerprint: bytes, hits: list[Any], offset: int
) -> str | None:
    """The token for the page after the one at ``offset``; None when no results remain
    (behaviour.md#decision-query-results).  The first page opens the snapshot, later pages reuse it."""
    following = offset + QUERY_PAGE_SIZE
    if following >= len(hits):
        return None
    cursor = token.rsplit(".", 1)[0] if token else snapshots.open(fingerprint, hits)
    return f"{cursor}.{following}"
