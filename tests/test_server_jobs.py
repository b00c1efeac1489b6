"""How the server hands requests to its workers (s3vectors_emulator.server._Jobs)."""

from __future__ import annotations

import threading
from typing import Any

from s3vectors_emulator.server import _Jobs, _Slot


def _worker(jobs: _Jobs, name: str, seen: list[tuple[str, Any]]) -> threading.Thread:
    """A worker as the server runs one (``_Core.work``), noting which requests it answered."""

    def run() -> None:
        slot = _Slot()
        while True:
            job = jobs.take(slot)
            if job is None:
                return
            seen.append((name, job))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_idle(jobs: _Jobs, count: int) -> None:
    for _ in range(2000):
        with jobs._lock:
            if len(jobs._idle) == count:
                return
        threading.Event().wait(0.001)
    raise AssertionError(f"{count} workers never went idle")


def test_the_worker_idle_last_gets_the_next_request():
    jobs: _Jobs = _Jobs()
    seen: list[tuple[str, Any]] = []
    first = _worker(jobs, "first", seen)
    _wait_idle(jobs, 1)
    second = _worker(jobs, "second", seen)
    _wait_idle(jobs, 2)
    for job in ("a", "b", "c"):
        jobs.put(job)  # type: ignore[arg-type]
        _wait_idle(jobs, 2)  # each is answered before the next arrives, as from one sequential client
    assert seen == [("second", "a"), ("second", "b"), ("second", "c")]
    jobs.put(None)
    jobs.put(None)
    first.join(timeout=5)
    second.join(timeout=5)
    assert not first.is_alive() and not second.is_alive()


def test_requests_that_find_every_worker_busy_wait_in_order_of_arrival():
    jobs: _Jobs = _Jobs()
    for job in ("a", "b", "c", None):
        jobs.put(job)  # type: ignore[arg-type]
    seen: list[tuple[str, Any]] = []
    worker = _worker(jobs, "late", seen)
    worker.join(timeout=5)
    assert seen == [("late", "a"), ("late", "b"), ("late", "c")]
