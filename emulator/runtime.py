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
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._was_enabled = False

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
                if self._active == 0 and self._was_enabled:
                    gc.enable()



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
    0.6 ms per MB on the reference machine): reading a 10 MB PutVectors body in 1 MB chunks,
    joining them into bytes and parsing those touched 20 MB of fresh memory per request (~15 ms
    of its ~75).  A body read into a buffer kept warm across requests, and parsed from there, touches
    none.  At most ``keep`` buffers are kept: a few maximum-size bodies (D11: 20 MB).
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
