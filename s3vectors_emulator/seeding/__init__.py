"""Seeding at start (``--init PATH``, ``S3VECTORS_INIT``; docs/seeding.md, behaviour.md#consistency-seeding).

``seed_app(app)`` applies what the app's ``Config.init`` names and then marks the app ready: until then the wire
answers every request but ``GET /_emulator/health`` with a 503.  The server is listening meanwhile, so the health
check can tell "still seeding" from "not started"; the command line prints its listening line only once the seed
is applied (s3vectors_emulator.cli).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from s3vectors_emulator.seeding.plan import SeedError, read_seeds

if TYPE_CHECKING:
    from s3vectors_emulator.seeding.apply import Applied

__all__ = ["SeedError", "seed_app"]

log = logging.getLogger("s3vectors_emulator.seeding")


def seed_app(app: Any, stopping: threading.Event | None = None) -> Applied | None:
    """Apply the app's ``--init`` seed, then mark it ready; SeedError (one line) when the seed cannot be applied,
    or when ``stopping`` is set before it is (a signal), and the app stays unready: the caller stops it and
    discards its store."""
    # Imported here: the seed's child processes (gunzip, parse_worker) import this package, not the store.
    from s3vectors_emulator.seeding.apply import apply_seeds

    config = app.config["EMULATOR"]
    applied = None
    if config.init:
        began = time.perf_counter()
        with read_seeds(config.init) as seeds:
            applied = apply_seeds(
                app.extensions["s3vectors_store"],
                app.extensions["s3vectors_snapshots"],
                seeds,
                config.account_id,
                config.region,
                stopping or threading.Event(),
            )
        log.info(
            "seeded from %s in %.2f s: %d bucket(s), %d index(es), %d vector(s) created; %d left as they were",
            config.init,
            time.perf_counter() - began,
            applied.buckets,
            applied.indexes,
            applied.vectors,
            applied.kept,
        )
    app.extensions["s3vectors_ready"].set()
    return applied
