"""Four clients querying in parallel (threads, each its own boto3 client) against one, on a
100k × 128 index, k = 10.  The emulator runs in its own process, as a user runs it, so the
clients' threads do not share its GIL; 1-client and 4-client runs alternate."""

from __future__ import annotations

import threading
from typing import Any

from bench.data import gaussian, generator
from bench.report import Column, Section, Target
from bench.servers import client_for, create_index, emulator_process, http_put
from bench.stats import median, now

N, DIM, K = 100_000, 128, 10
BUCKET, INDEX = "bench-parallel", "parallel-100k"
CLIENTS = 4
TARGET = 1.6


def _throughput(clients: list[Any], inputs: list[list[float]], seconds: float) -> float:
    """Queries per second that ``clients`` (one thread each) complete in about ``seconds``."""
    counts = [0] * len(clients)
    stop = threading.Event()
    barrier = threading.Barrier(len(clients) + 1)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        client, j = clients[i], i * 997
        barrier.wait()
        try:
            while not stop.is_set():
                client.query_vectors(
                    vectorBucketName=BUCKET, indexName=INDEX, queryVector={"float32": inputs[j % len(inputs)]}, topK=K
                )
                counts[i] += 1
                j += 1
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    barrier.wait()
    start = now()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = now() - start  # includes the calls in flight at the stop, which are counted
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def run(quick: bool) -> Section:
    rounds, seconds = (3, 1.5) if quick else (5, 4.0)
    section = Section(
        "parallel",
        f"{CLIENTS} clients querying in parallel vs 1 ({N:,} x {DIM}, cosine, k={K}, emulator in its own process)",
        [
            Column("clients", "clients"),
            Column("qps", "queries/s", "{:,.0f}"),
            Column("ms_per_query", "ms/query/client", "{:.2f}"),
            Column("ratio", "vs 1 client", "{:.2f}x"),
            Column("target", "target"),
        ],
    )
    rng = generator()
    with emulator_process() as url:
        setup = client_for(url)
        create_index(setup, BUCKET, INDEX, DIM)
        fill = http_put(url, BUCKET, INDEX, gaussian(rng, N, DIM))
        section.notes.append(f"filling over HTTP: {fill:.1f} s ({N / fill:,.0f} vectors/s)")
        clients = [client_for(url) for _ in range(CLIENTS)]
        inputs = [q.tolist() for q in gaussian(rng, 256, DIM)]
        for client in clients:  # connections and lazy loading before timing
            client.query_vectors(vectorBucketName=BUCKET, indexName=INDEX, queryVector={"float32": inputs[0]}, topK=K)
        one, many = [], []
        for _ in range(rounds):
            one.append(_throughput(clients[:1], inputs, seconds))
            many.append(_throughput(clients, inputs, seconds))
    single, parallel = median(one), median(many)
    section.rows.append({"clients": 1, "qps": single, "ms_per_query": 1e3 / single, "ratio": 1.0, "runs": rounds})
    row: dict[str, Any] = {
        "clients": CLIENTS,
        "qps": parallel,
        "ms_per_query": CLIENTS * 1e3 / parallel,
        "ratio": parallel / single,
        "runs": rounds,
    }
    section.add_target(row, Target(f"{CLIENTS} clients vs 1", parallel / single, ">=", TARGET))
    section.rows.append(row)
    section.notes.append(f"{rounds} alternating rounds of {seconds:g} s each; the clients' threads share one GIL")
    return section
