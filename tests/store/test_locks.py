"""The index's readers-writer lock: neither side starves the other."""

from __future__ import annotations

import threading
from collections.abc import Callable

from s3vectors_emulator.store.locks import ReadWriteLock


def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        threading.Event().wait(0.001)


def _take(lock: ReadWriteLock, side: str, name: str, order: list[str]) -> threading.Thread:
    def run() -> None:
        with lock.read() if side == "read" else lock.write():
            order.append(name)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_readers_waiting_when_a_writer_leaves_go_before_the_next_writer() -> None:
    lock, order = ReadWriteLock(), []
    with lock.write():
        reader = _take(lock, "read", "reader", order)
        _until(lambda: lock._readers_waiting == 1)
        writer = _take(lock, "write", "next writer", order)
        _until(lambda: lock._writers_waiting == 1)
    reader.join(10)
    writer.join(10)
    assert order == ["reader", "next writer"]


def test_a_waiting_writer_goes_before_readers_that_come_after_it() -> None:
    lock, order = ReadWriteLock(), []
    with lock.read():
        writer = _take(lock, "write", "writer", order)
        _until(lambda: lock._writers_waiting == 1)
        late = _take(lock, "read", "late reader", order)
        _until(lambda: lock._readers_waiting == 1)
    writer.join(10)
    late.join(10)
    assert order == ["writer", "late reader"]
