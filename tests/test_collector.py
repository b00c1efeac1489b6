"""The collector pause of large requests must not outlive them (issue #10).

``CollectorPause`` disables the cyclic collector while any large request is in flight.  Under a
steady stream of overlapping large requests some pause is always held, so without care the
collector never runs again and every small request's reference cycles leak.
"""

from __future__ import annotations

import gc
import queue
import threading
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from s3vectors_emulator.runtime import CollectorPause


class _Holder:
    """A thread that enters and leaves the pause when told, as a large request would."""

    def __init__(self, pause: CollectorPause) -> None:
        self._pause = pause
        self._commands: queue.Queue[str] = queue.Queue()
        self._done: queue.Queue[BaseException | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with ExitStack() as held:
            while True:
                command = self._commands.get()
                try:
                    if command == "enter":
                        held.enter_context(self._pause(True))
                    elif command == "leave":
                        held.close()
                    else:
                        self._done.put(None)
                        return
                    self._done.put(None)
                except BaseException as exc:  # reported to the test thread
                    self._done.put(exc)

    def do(self, command: str) -> None:
        self._commands.put(command)
        failure = self._done.get(timeout=10)
        if failure is not None:
            raise failure

    def stop(self) -> None:
        self.do("stop")
        self._thread.join(10)


class _Node:
    """A container in a reference cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


def _cyclic_garbage(count: int) -> list[weakref.ref[_Node]]:
    return [weakref.ref(_Node()) for _ in range(count)]


@contextmanager
def _collector(enabled: bool) -> Iterator[None]:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


def _staggered(pause: CollectorPause, rounds: int, per_gap: int) -> tuple[int, int, bool]:
    """Two holders take turns so that one always holds the pause; cyclic garbage is made in each
    gap.  Returns, seen while one holder still holds the pause (so that no automatic collection
    can have run): how many objects made before the last pause ended are still alive, how many
    were made, and whether the collector was enabled."""
    first, second = _Holder(pause), _Holder(pause)
    try:
        first.do("enter")
        early: list[Any] = []
        late: list[Any] = []
        for _ in range(rounds):
            second.do("enter")
            early += late
            first.do("leave")  # a pause ends while the other still holds it
            late = _cyclic_garbage(per_gap)
            first.do("enter")
            early += late
            second.do("leave")
            late = _cyclic_garbage(per_gap)
        enabled_while_held = gc.isenabled()
        alive = sum(ref() is not None for ref in early)
        first.do("leave")
        return alive, len(early), enabled_while_held
    finally:
        first.stop()
        second.stop()


def test_cyclic_garbage_is_collected_while_overlapping_pauses_are_always_held() -> None:
    pause = CollectorPause()
    with _collector(enabled=True):
        leaked, made, enabled_while_held = _staggered(pause, rounds=50, per_gap=100)
        assert not enabled_while_held  # the pause itself still holds (the decode stays cheap)
        assert gc.isenabled()  # and it is lifted once no large request is left
    # Garbage made before a pause ended is gone by the time it ended, although another pause was
    # held all along (the last gap's garbage is left for the collector, enabled again now).
    assert made == 99 * 100
    assert leaked == 0, f"{leaked} of {made} cyclic objects outlived the pauses"


def test_a_collector_the_user_disabled_is_left_alone() -> None:
    pause = CollectorPause()
    with _collector(enabled=False):
        alive, made, enabled_while_held = _staggered(pause, rounds=5, per_gap=20)
        assert not enabled_while_held
        assert not gc.isenabled()
        # The user turned the collector off: the pause collects nothing on its behalf either.
        assert alive == made == 9 * 20
        gc.collect()  # the test's own garbage, freed before the collector is enabled again


@pytest.mark.parametrize("active", [False, True])
def test_a_single_pause_still_restores_the_collector(active: bool) -> None:
    pause = CollectorPause()
    with _collector(enabled=True):
        with pause(active):
            assert gc.isenabled() is not active
        assert gc.isenabled()


def test_garbage_that_reached_the_old_generation_is_collected_too() -> None:
    """Cycles alive across two collections move to the old generation; once dropped, only a full
    collection frees them, which CPython runs once that generation has grown by a quarter.  Under
    pauses that never all end, the same must happen, or such garbage would pile up."""
    pause = CollectorPause()
    thresholds = gc.get_threshold()
    first, second = _Holder(pause), _Holder(pause)

    def pause_ends(count: int) -> None:
        for _ in range(count):
            second.do("enter")
            first.do("leave")
            first.do("enter")
            second.do("leave")

    refs: list[weakref.ref[_Node]] = []
    try:
        with _collector(enabled=True):
            gc.set_threshold(thresholds[0], 1, 1)  # older generations due after few young passes
            first.do("enter")
            pause_ends(10)  # the pause has seen the old generation's size
            batch = len(gc.get_objects(2)) // 10 + 100
            for _ in range(10):
                kept = [_Node() for _ in range(batch)]
                refs += [weakref.ref(node) for node in kept]
                pause_ends(4)  # survivors of two collections: now in the old generation
                del kept  # cyclic garbage there now
            alive = sum(ref() is not None for ref in refs)
            assert not gc.isenabled()  # a pause was held all along
            first.do("leave")
    finally:
        gc.set_threshold(*thresholds)
        first.stop()
        second.stop()
    # At most the garbage of the batches since the last full collection is left (about a quarter
    # of the old generation's size); without one, all of it.
    assert alive <= len(refs) // 2, f"{alive} of {len(refs)} old cyclic objects outlived the pauses"
