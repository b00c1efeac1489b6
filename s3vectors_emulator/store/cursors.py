"""Snapshots of ranked query results, served page by page (behaviour.md#decision-query-results, behaviour.md#paging).

The whole ranked list (at most topK) is computed on the first call and kept under an
opaque token, so later pages continue the first exactly even if writes land between
pages.  A token is bound to a fingerprint of its request, which names the identity of the
index it pages, so a token outlives neither its request nor its index.

All snapshots of the process share one byte budget, whatever the account or region that made
them: the least recently used are dropped first, and a dropped token is refused like any
unknown one.  A snapshot larger than the whole budget is not kept at all.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from s3vectors_emulator.errors import ValidationError

TTL_SECONDS = 15 * 60
DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024
# What one kept hit costs beside its key and metadata bytes, measured with tracemalloc on
# CPython 3.11: the QueryHit tuple (80), its key str header (49), the distance float (24), the
# metadata bytes header (33) and a list slot (8), rounded up.
HIT_OVERHEAD_BYTES = 200
_SCORE_BYTES = 120  # one (metadata key, BM25) pair: a tuple and a float beside the key it shares


def invalid_token() -> ValidationError:
    """behaviour.md#decision-query-results: a malformed, mismatched, expired or dropped page token."""
    return ValidationError.at("nextToken", "Invalid nextToken", "The provided nextToken is not valid")


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
