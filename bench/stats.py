"""Timing and medians for the benchmark.

The machine is shared and noisy, so every figure is a median of several runs and every comparison
is a ratio of two things measured in the same run, interleaved so that noise hits both alike.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

now = time.perf_counter
T = TypeVar("T")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 50 values is the 50th smallest, i.e. the largest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return float(ordered[rank - 1])


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = now()
    fn()
    return now() - start


def interleaved(
    contenders: dict[str, Callable[[T], Any]],
    inputs: Sequence[T],
    warmup: int = 1,
    budget: float | None = None,
    min_rounds: int = 5,
    max_rounds: int = 500,
) -> dict[str, list[float]]:
    """Seconds per call of each contender, run in turn on the same input each round, so that noise
    hits all alike; ``inputs`` are cycled through.  The order rotates from round to round (a, b, c;
    b, c, a; c, a, b; ...), so no contender always follows the same one: a BLAS call right after
    faiss pays the thread wake-up that faiss left, and a fixed order charged it to one contender.

    ``warmup`` untimed rounds come first (caches, connections).  Without ``budget`` there are
    ``len(inputs) - warmup`` timed rounds; with it, as many as fit in about ``budget`` seconds
    (judged by the warm-up), between ``min_rounds`` and ``max_rounds``.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}

    names = list(contenders)

    def one_round(r: int, record: bool) -> float:
        item = inputs[r % len(inputs)]
        total = 0.0
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn = contenders[name]
            start = now()
            fn(item)
            seconds = now() - start
            total += seconds
            if record:
                times[name].append(seconds)
        return total

    spent = [one_round(r, False) for r in range(warmup)]
    if budget is None:
        rounds = max(1, len(inputs) - warmup)
    else:
        per_round = min(spent) if spent else budget / min_rounds
        rounds = int(min(max_rounds, max(min_rounds, budget / max(per_round, 1e-9))))
    for r in range(warmup, warmup + rounds):
        one_round(r, True)
    return times
