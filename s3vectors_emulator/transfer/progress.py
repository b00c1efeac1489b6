"""The progress bar on stderr: vectors done, vectors per second and, when the total is known, time left.

tqdm draws it; it stays silent when stderr is not a terminal or with ``--quiet``.  Updates come from many
threads, so they go through one lock.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from tqdm import tqdm


class Progress:
    def __init__(self, verb: str, total: int | None, quiet: bool) -> None:
        self.verb = verb
        self.done = 0
        self.quiet = quiet
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._bar: Any = tqdm(
            total=total,
            unit=" vectors",
            unit_scale=True,
            dynamic_ncols=True,
            file=sys.stderr,
            disable=quiet or not sys.stderr.isatty(),
            leave=False,
        )

    def describe(self, what: str) -> None:
        with self._lock:
            self._bar.set_description_str(what, refresh=False)

    def add(self, count: int) -> None:
        with self._lock:
            self.done += count
            self._bar.update(count)

    def close(self) -> None:
        """End the bar (again is harmless): a failure then says only its own line."""
        self._bar.close()

    def finish(self, summary: str) -> None:
        """End the bar and say what was done in one line (unless quiet)."""
        self._bar.close()
        seconds = time.monotonic() - self._started
        if not self.quiet:
            rate = self.done / seconds if seconds > 0 else 0.0
            print(
                f"{self.verb} {self.done:,} vectors {summary} in {seconds:.1f} s ({rate:,.0f} vectors/s)",
                file=sys.stderr,
            )
