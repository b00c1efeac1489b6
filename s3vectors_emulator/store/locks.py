"""The readers–writer lock each index holds, and the store's request gate (behaviour.md#decision-consistency)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Many readers or one writer, and neither side starves.

    A waiting writer blocks new readers, so readers cannot starve writers.  When a writer finishes, every
    reader that was waiting then goes in before the next writer: with writers always queued (a stream of
    PutVectors), a ListVectors would otherwise wait for ever (it did, in tests/test_persistence_races.py).

    Not reentrant: a thread holding the read side must not take it again.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0
        self._readers_waiting = 0
        # Bumped when a writer leaves with readers waiting; those readers (a ticket older than it) are let in
        # ahead of the next writer, which waits until ``_admitted`` of them have entered.
        self._generation = 0
        self._admitted = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            ticket = self._generation
            self._readers_waiting += 1
            while self._writer or (self._writers_waiting and ticket == self._generation):
                self._cond.wait()
            self._readers_waiting -= 1
            if ticket != self._generation:
                self._admitted -= 1
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers or self._admitted:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                if self._readers_waiting:
                    self._generation += 1
                    self._admitted = self._readers_waiting
                self._cond.notify_all()
