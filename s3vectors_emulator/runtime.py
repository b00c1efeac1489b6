"""Process-wide tuning the server applies around requests: garbage-collector pauses during large
requests, BLAS threads while requests overlap, and reusable receive buffers.

One ``Runtime`` per application (``create_app`` makes it), so no module holds mutable state.  The
effects on the garbage collector and on BLAS are process-wide by nature: an application embedding the
emulator in its own process shares them (README, Performance).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from threadpoolctl import ThreadpoolController

# Receive buffers are filled in 256 KB reads: small enough to come from reused heap memory.
_BUFFERED_READ = 1 << 18


class CollectorPause:
    """Pauses the cyclic garbage collector while any large request is decoded and handled.

    A 500 × 1024 PutVectors body decodes into ~2,000 containers holding 512k floats, and the
    collector's young-generation passes walk those lists again and again as they are built:
    ~7 ms of a ~55 ms request, measured.  JSON makes no reference cycles, so collecting then
    finds nothing.  The pause is process-wide, so it is counted across threads and the collector
    is enabled again (if it was enabled) only when the last large request is done.

    Under a steady stream of overlapping large requests that moment never came, and every small
    request's reference cycles stayed (~0.8 KB each, issue #10).  So a pause that ends while others
    still hold it runs the collection the enabled collector would have run by then, by its own
    rules: the young generation, 0.3 ms of CPU (median, measured under three overlapping
    500 × 1024 PutVectors: the other requests' decode lists are a few hundred containers, and
    floats are not tracked), the middle one every ~11th time (0.6 ms), the old one as rarely as
    CPython would.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._was_enabled = False
        # Size of the old generation after the last full collection run here (None: not yet seen).
        self._long_lived: int | None = None

    @contextmanager
    def __call__(self, active: bool) -> Iterator[None]:
        if not active:
            yield
            return
        with self._lock:
            if self._active == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                collect = self._was_enabled and self._active > 0
                if self._was_enabled and self._active == 0:
                    gc.enable()
            if collect:
                # Outside the lock: a collection runs finalizers, which may be any code at all.
                self._collect_as_due()

    def _collect_as_due(self) -> None:
        """The one collection CPython's collector would pick now (``gc_collect_generations``)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if thresholds[0] == 0:
            return  # gc.set_threshold(0): automatic collection is off
        if counts[1] <= thresholds[1]:
            gc.collect(0)  # the young generation's count grew unchecked during the pause
            return
        if counts[2] > thresholds[2]:
            # As CPython: a full pass (23–52 ms over the server's 50–85k objects, measured) only
            # once the objects that reached the old generation since the last one are a quarter
            # of those it kept.  Counting them (~0.6 ms) is done only here, once per ~11 pauses.
            size = len(gc.get_objects(2))
            baseline = size if self._long_lived is None else min(self._long_lived, size)
            self._long_lived = baseline
            if size - baseline >= baseline // 4 and size > baseline:
                gc.collect(2)
                self._long_lived = len(gc.get_objects(2))
                return
        gc.collect(1)


class BlasWhileConcurrent:
    """One BLAS thread per query while requests overlap; the library's own count otherwise.

    OpenBLAS gives every matrix-vector product all cores (2 here).  Alone, a query is then twice
    as fast (100k × 1024: 11 ms, against 22 ms on one thread).  But with queries in parallel each
    one's threads fight the others' for the same cores: 4 clients got 0.7× the throughput of one.
    So while two or more requests are in flight the process runs BLAS on one thread, and the
    queries themselves share the cores.  The setting is process-wide (OpenBLAS has no per-thread
    count), hence counted across threads; threadpoolctl (a dependency for this) finds and sets it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._limiter: Any = None
        self._controller: Any = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            self._active += 1
            if self._active == 2 and self._limiter is None:
                if self._controller is None:
                    # Created late, once numpy (and so its BLAS) is loaded: it scans loaded libraries.
                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                # Restored only once no request is left: under steady parallel load the count
                # dips to one between requests, and flipping back there would let the next query
                # start on all cores just as the others arrive.
                if self._active == 0 and self._limiter is not None:
                    self._limiter.restore_original_limits()
                    self._limiter = None


class BodyBuffers:
    """Reusable receive buffers for large bodies whose length is known.

    Memory this process has not touched lately costs a page fault per 4 KB on first write (about
    0.6 ms per MB on the benchmark machine): reading a 10 MB PutVectors body in 1 MB chunks,
    joining them into bytes and parsing those touched 20 MB of fresh memory per request (~15 ms
    of its ~75).  A body read into a buffer kept warm across requests, and parsed from there, touches
    none.  At most ``keep`` buffers are kept: a few maximum-size bodies (behaviour.md#decision-request-size: 20 MB).
    """

    def __init__(self, keep: int = 2) -> None:
        self._lock = threading.Lock()
        self._free: list[bytearray] = []
        self._keep = keep

    @contextmanager
    def read(self, stream: Any, length: int) -> Iterator[memoryview]:
        """The body as a view into a pooled buffer, valid inside the ``with`` block only."""
        with self._lock:
            fitting = [b for b in self._free if len(b) >= length]
            buffer = min(fitting, key=len) if fitting else bytearray(length)
            if fitting:
                self._free.remove(buffer)
        view = memoryview(buffer)
        try:
            got = 0
            while got < length:
                # 256 KB reads: small enough to come from reused heap memory, few enough calls.
                chunk = stream.read(min(_BUFFERED_READ, length - got))
                if not chunk:
                    break
                view[got : got + len(chunk)] = chunk
                got += len(chunk)
            with view[:got] as body:
                yield body
        finally:
            view.release()
            with self._lock:
                self._free.append(buffer)
                if len(self._free) > self._keep:
                    self._free.remove(min(self._free, key=len))


@dataclass
class Runtime:
    collector: CollectorPause = field(default_factory=CollectorPause)
    blas: BlasWhileConcurrent = field(default_factory=BlasWhileConcurrent)
    buffers: BodyBuffers = field(default_factory=BodyBuffers)
