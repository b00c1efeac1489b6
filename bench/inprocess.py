"""Small calls in the in-process mode (``mock_s3vectors``) against the same calls through the HTTP server on
loopback and through moto's ``mock_aws``, all in this process, in one run.

The HTTP server runs twice: ``running_emulator`` in this process, as the pytest plugin's fixtures run it
(its threads share the client's GIL), and ``python -m s3vectors_emulator`` in a process of its own (the
client and the server each on a core); the target is judged against the faster of the two.  moto is
``mock_aws`` (no server), which has no QueryVectors.  Each contender gets its own boto3 client, made as its
users make one (the in-process and moto clients without ``endpoint_url``).  Both mocks patch the whole
process, so the contenders take turns in blocks of calls, rotating from round to round, with the mocks
entered and left outside the timed calls (sharing a store, and moto's state kept, across turns).

Targets (issue #15): in-process ≤ 0.7 × the HTTP server's time, and ≤ 1.0 × moto's on the calls moto has.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import boto3

from bench.data import gaussian, generator, key_of
from bench.report import Column, Section, Target
from bench.servers import REGION, client_for, create_index, emulator_process
from bench.stats import median, now
from s3vectors_emulator.config import Config
from s3vectors_emulator.store.store import Store
from s3vectors_emulator.testing import running_emulator

BUCKET, INDEX = "bench-inprocess", "small"
N, D, K = 1_000, 128, 10
BLOCK = 10  # calls per turn
TARGET_VS_HTTP, TARGET_VS_MOTO = 0.7, 1.0
CONTENDERS = ("inprocess", "http", "http_process", "moto")


def _calls(rng: Any) -> dict[str, Callable[[Any], Any]]:
    put = [{"key": "put-one", "data": {"float32": gaussian(rng, 1, D)[0].tolist()}}]
    query = {"float32": gaussian(rng, 1, D)[0].tolist()}
    keys = [key_of(1), key_of(2)]
    return {
        "GetVectorBucket": lambda c: c.get_vector_bucket(vectorBucketName=BUCKET),
        "GetVectors (2 keys)": lambda c: c.get_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=keys),
        f"PutVectors (1 x {D})": lambda c: c.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=put),
        f"QueryVectors (top {K}, {N:,} x {D})": lambda c: c.query_vectors(
            vectorBucketName=BUCKET, indexName=INDEX, queryVector=query, topK=K
        ),
    }


def _fill(client: Any, rng: Any) -> None:
    create_index(client, BUCKET, INDEX, D)
    matrix = gaussian(rng, N, D)
    for start in range(0, N, 250):
        vectors = [{"key": key_of(i), "data": {"float32": matrix[i].tolist()}} for i in range(start, start + 250)]
        client.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=vectors)


def _moto() -> tuple[Callable[[], None], Callable[[], None]] | None:
    """moto's mock_aws as start/stop that keep its state between turns, or None when moto is missing."""
    if importlib.util.find_spec("moto") is None:
        return None
    from moto import mock_aws

    mock = mock_aws()
    first = [True]

    def start() -> None:
        mock.start(reset=first[0])
        first[0] = False

    def stop() -> None:
        mock.stop(remove_data=False)

    return start, stop


@contextlib.contextmanager
def _turn(start: Callable[[], Any], stop: Callable[[], None]) -> Iterator[None]:
    start()
    try:
        yield
    finally:
        stop()


def run(quick: bool) -> Section:
    rounds = 30 if quick else 100
    section = Section(
        "inprocess",
        f"small calls in-process (mock_s3vectors) vs the HTTP server on loopback and moto's mock_aws "
        f"({rounds} rounds of {BLOCK} calls each)",
        [
            Column("call", "call"),
            Column("inprocess_ms", "in-process ms", "{:.3f}"),
            Column("http_ms", "HTTP ms", "{:.3f}"),
            Column("http_process_ms", "HTTP (own process) ms", "{:.3f}"),
            Column("moto_ms", "moto ms", "{:.3f}"),
            Column("vs_http", "in-process/HTTP", "{:.2f}x"),
            Column("vs_moto", "in-process/moto", "{:.2f}x"),
            Column("target", "target"),
        ],
    )
    from s3vectors_emulator import mock_s3vectors

    rng = generator()
    calls = _calls(rng)
    moto = _moto()
    if moto is None:
        section.notes.append("moto is not installed: no moto column (pip install -e '.[bench]')")
    shared = Store()
    inprocess = mock_s3vectors(store=shared)
    with running_emulator(Config(port=0)) as url, emulator_process() as process_url:
        turns: dict[str, Callable[[], AbstractContextManager[Any]]] = {
            "inprocess": lambda: _turn(inprocess.start, inprocess.stop),
            "http": contextlib.nullcontext,
            "http_process": contextlib.nullcontext,
        }
        clients = {"http": client_for(url), "http_process": client_for(process_url)}
        with turns["inprocess"]():
            clients["inprocess"] = boto3.client("s3vectors", region_name=REGION)
        if moto is not None:
            turns["moto"] = lambda: _turn(*moto)
            with turns["moto"]():
                clients["moto"] = boto3.client("s3vectors", region_name=REGION)
        for name, client in clients.items():
            with turns[name]():
                _fill(client, generator())
        times: dict[tuple[str, str], list[float]] = {}
        names = list(clients)
        for call, fn in calls.items():
            for r in range(rounds + 1):  # the first round warms up
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    if name == "moto" and call.startswith("QueryVectors"):
                        continue  # moto has no QueryVectors
                    client = clients[name]
                    with turns[name]():
                        for _ in range(BLOCK):
                            began = now()
                            fn(client)
                            if r:
                                times.setdefault((call, name), []).append(now() - began)
    shared.close()
    for call in calls:
        row: dict[str, Any] = {"call": call, "runs": rounds * BLOCK}
        for name in CONTENDERS:
            row[f"{name}_ms"] = median(times[call, name]) * 1e3 if (call, name) in times else None
        row["vs_http"] = row["inprocess_ms"] / min(row["http_ms"], row["http_process_ms"])
        labels = [Target(f"{call}: in-process / HTTP server", row["vs_http"], "<=", TARGET_VS_HTTP)]
        if row["moto_ms"] is not None:
            row["vs_moto"] = row["inprocess_ms"] / row["moto_ms"]
            labels.append(Target(f"{call}: in-process / moto mock_aws", row["vs_moto"], "<=", TARGET_VS_MOTO))
        for target in labels:
            section.add_target(row, target)
        row["target"] = ", ".join(t.label() for t in labels)
        section.rows.append(row)
    section.notes.append(
        "in-process/HTTP divides by the faster HTTP column; HTTP: running_emulator in this process (as the pytest "
        "plugin runs it), and the emulator in its own process; in-process and moto clients made without "
        "endpoint_url, as their users make them"
    )
    return section
