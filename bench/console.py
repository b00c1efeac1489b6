"""The console on a large index: opening it (its first page of vectors, filtered or not) and its map.

The index is filled through the store (as PutVectors fills it), then the console's own endpoints are
called over HTTP on the real server, as the page calls them.  Full: 1M × 1024 (the console's targets:
an index of a million vectors opens in under a second, and a map samples 5,000 of them and projects
them in under a second); quick: 100k × 1024, so the figures say how the endpoints scale, not the target.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from bench.data import fill_index, generator, store_index
from bench.report import Column, Section, Target
from bench.stats import median, timed

DIM = 1024
BUCKET, INDEX = "bench-console", "big"
ROUNDS = 5


def _get(url: str, path: str, **params: str) -> Any:
    with urllib.request.urlopen(f"{url}{path}?{urllib.parse.urlencode(params)}", timeout=120) as answer:
        return json.loads(answer.read())


def _post(url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def run(quick: bool) -> Section:
    from s3vectors_emulator.app import create_app
    from s3vectors_emulator.config import Config
    from s3vectors_emulator.server import EmulatorServer

    n = 100_000 if quick else 1_000_000
    config = Config(port=0)
    app = create_app(config)
    store = app.extensions["s3vectors_store"]
    region = store.region(config.account_id, config.region)
    index = store_index(region, BUCKET, INDEX, DIM)
    fill_index(index, n, generator(), metadata=lambda i: {"genre": ("a", "b", "c", "d")[i % 4], "year": i % 50})
    server = EmulatorServer(app, config.host, config.port, 4)
    server.start()
    where = {"bucket": BUCKET, "index": INDEX}
    calls = {
        "open the index (its indexes, then a page of 50)": lambda: (
            _get(server.url, "/_emulator/api/indexes", bucket=BUCKET),
            _get(server.url, "/_emulator/api/vectors", **where, limit="50"),
        ),
        "a page filtered by metadata, with its match count": lambda: _get(
            server.url, "/_emulator/api/vectors", **where, limit="50", filter='{"genre": {"$in": ["a", "c"]}}'
        ),
        "a page by key prefix": lambda: _get(server.url, "/_emulator/api/vectors", **where, prefix="vec-00999"),
        "the map (5,000 sampled, PCA)": lambda: _post(server.url, "/_emulator/api/map", where),
    }
    section = Section(
        "console",
        f"Console endpoints over HTTP on an index of {n:,} × {DIM}",
        [Column("call", "call"), Column("ms", "median ms", "num"), Column("target", "target")],
    )
    try:
        for name, call in calls.items():
            call()  # the first map call also pays numpy's first SVD
            ms = median([timed(call) for _ in range(ROUNDS)]) * 1000
            row = {"call": name, "ms": ms}
            if not quick and (name.startswith("open") or name.startswith("the map")):
                section.add_target(row, Target(name, ms, "<=", 1000, " ms"))
            section.rows.append(row)
    finally:
        server.stop()
        store.close()
    if quick:
        section.notes.append("quick: 100k vectors; the under-a-second targets are for 1M (make bench)")
    return section
