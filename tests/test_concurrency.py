"""behaviour.md#decision-consistency (issue #3): many clients at once; a reader never sees half of a write."""

from __future__ import annotations

import threading

from conftest import make_client

BATCH = 50


def test_readers_never_see_half_a_batch(server, client):
    client.create_vector_bucket(vectorBucketName="conc")
    client.create_index(
        vectorBucketName="conc", indexName="idx", dataType="float32", dimension=8, distanceMetric="euclidean"
    )
    where = {"vectorBucketName": "conc", "indexName": "idx"}
    keys = [f"k{i:02d}" for i in range(BATCH)]
    stop = threading.Event()
    problems: list[str] = []

    def writer() -> None:
        own = make_client(server.url)
        generation = 0
        while not stop.is_set() and generation < 60:
            generation += 1
            vectors = [
                {"key": k, "data": {"float32": [float(generation)] * 8}, "metadata": {"gen": generation}} for k in keys
            ]
            own.put_vectors(**where, vectors=vectors)
            if generation % 5 == 0:
                own.delete_vectors(**where, keys=keys)
        stop.set()

    def reader() -> None:
        own = make_client(server.url)
        while not stop.is_set():
            hits = own.query_vectors(
                **where, queryVector={"float32": [0.0] * 8}, topK=BATCH, returnMetadata=True, returnDistance=True
            )["vectors"]
            generations = {h["metadata"]["gen"] for h in hits}
            if len(hits) not in (0, BATCH) or len(generations) > 1:
                problems.append(f"query saw {len(hits)} hits of generations {sorted(generations)}")
            listed = own.list_vectors(**where, returnMetadata=True)["vectors"]
            generations = {v["metadata"]["gen"] for v in listed}
            if len(listed) not in (0, BATCH) or len(generations) > 1:
                problems.append(f"list saw {len(listed)} vectors of generations {sorted(generations)}")
            got = own.get_vectors(**where, keys=keys, returnMetadata=True, returnData=True)["vectors"]
            if any(v["data"]["float32"][0] != v["metadata"]["gen"] for v in got):
                problems.append("get saw a vector and metadata of different writes")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert problems == []
    # Every acknowledged write is visible at once (behaviour.md#decision-consistency): the last generation is what
    # remains.
    final = client.get_vectors(**where, keys=keys, returnMetadata=True)["vectors"]
    assert {v["metadata"]["gen"] for v in final} == {60} or final == []


def test_acknowledged_writes_are_visible_from_other_connections(server, client):
    client.create_vector_bucket(vectorBucketName="vis")
    client.create_index(
        vectorBucketName="vis", indexName="idx", dataType="float32", dimension=2, distanceMetric="cosine"
    )
    others = [make_client(server.url) for _ in range(3)]
    for i in range(30):
        client.put_vectors(
            vectorBucketName="vis", indexName="idx", vectors=[{"key": f"v{i}", "data": {"float32": [1.0, float(i)]}}]
        )
        other = others[i % 3]
        assert other.get_vectors(vectorBucketName="vis", indexName="idx", keys=[f"v{i}"])["vectors"] == [
            {"key": f"v{i}"}
        ]


SECONDS = float(__import__("os").environ.get("CONCURRENCY_SECONDS", "10"))
DIM = 8


def _vector(key: str, generation: int) -> list[float]:
    seed = sum(key.encode()) % 97
    return [float((seed + generation * (i + 1)) % 13 + 1) for i in range(DIM)]


def _sq_distance(a: list[float], b: list[float]) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def test_eight_clients_mixing_every_operation(server, client):
    """Issue #6: 8 threads put, delete, get, list and query the same index for a bounded time.

    Each thread owns its keys, so it knows exactly what it acknowledged (behaviour.md#decision-consistency: it must
    read its own
    writes at once); every result from any thread must be some committed version of a vector.
    """
    import random
    import time

    client.create_vector_bucket(vectorBucketName="mix")
    client.create_index(
        vectorBucketName="mix", indexName="idx", dataType="float32", dimension=DIM, distanceMetric="euclidean"
    )
    where = {"vectorBucketName": "mix", "indexName": "idx"}
    written: dict[str, set[int]] = {}  # every generation ever written per key (committed or in flight)
    written_lock = threading.Lock()
    models: list[dict[str, int]] = [{} for _ in range(8)]
    problems: list[str] = []
    deadline = time.monotonic() + SECONDS

    def consistent(key: str, generation: int) -> bool:
        with written_lock:
            return generation in written.get(key, set())

    def worker(me: int) -> None:
        rng = random.Random(me)
        own = make_client(server.url)
        model = models[me]
        generation = 0
        try:
            while time.monotonic() < deadline and not problems:
                action = rng.choice(["put", "put", "delete", "get", "list", "query"])
                if action == "put":
                    generation += 1
                    keys = [f"t{me}-k{rng.randrange(40)}" for _ in range(10)]
                    with written_lock:
                        for k in keys:
                            written.setdefault(k, set()).add(generation)
                    own.put_vectors(
                        **where,
                        vectors=[
                            {
                                "key": k,
                                "data": {"float32": _vector(k, generation)},
                                "metadata": {"gen": generation, "owner": me},
                            }
                            for k in keys
                        ],
                    )
                    model.update(dict.fromkeys(keys, generation))
                elif action == "delete":
                    keys = [f"t{me}-k{rng.randrange(40)}" for _ in range(5)]
                    own.delete_vectors(**where, keys=keys)
                    for k in keys:
                        model.pop(k, None)
                elif action == "get":
                    keys = [f"t{me}-k{i}" for i in range(40)]
                    got = own.get_vectors(**where, keys=keys, returnMetadata=True, returnData=True)["vectors"]
                    seen = {v["key"]: v["metadata"]["gen"] for v in got}
                    if seen != model:
                        problems.append(f"thread {me} did not read its own writes")
                    for v in got:
                        if v["data"]["float32"] != _vector(v["key"], v["metadata"]["gen"]):
                            problems.append(f"{v['key']}: data and metadata of different writes")
                elif action == "list":
                    pages = own.get_paginator("list_vectors").paginate(
                        **where, returnMetadata=True, PaginationConfig={"PageSize": 100}
                    )
                    listed = [v for page in pages for v in page["vectors"]]
                    if len({v["key"] for v in listed}) != len(listed):
                        problems.append("a listing repeated a key")
                    for v in listed:
                        if not consistent(v["key"], v["metadata"]["gen"]):
                            problems.append(f"list returned an uncommitted version of {v['key']}")
                else:
                    query = [float(rng.randrange(1, 14)) for _ in range(DIM)]
                    hits = own.query_vectors(
                        **where,
                        queryVector={"float32": query},
                        topK=30,
                        returnDistance=True,
                        returnMetadata=True,
                        filter={"owner": {"$in": [me, (me + 1) % 8]}},
                    )
                    for h in hits["vectors"]:
                        gen = h["metadata"]["gen"]
                        if not consistent(h["key"], gen):
                            problems.append(f"query returned an uncommitted version of {h['key']}")
                        elif abs(h["distance"] - _sq_distance(query, _vector(h["key"], gen))) > 1e-3:
                            problems.append(f"{h['key']}: distance of another version")
                    distances = [h["distance"] for h in hits["vectors"]]
                    if distances != sorted(distances):
                        problems.append("query results out of order")
        except Exception as exc:  # a 5xx or a dead connection is the failure this test looks for
            problems.append(f"thread {me}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 120)
    assert not any(t.is_alive() for t in threads)
    assert problems == []
    # No acknowledged write was lost: the index holds exactly what the threads acknowledged.
    expected = {k: g for model in models for k, g in model.items()}
    pages = client.get_paginator("list_vectors").paginate(**where, returnMetadata=True)
    final = {v["key"]: v["metadata"]["gen"] for page in pages for v in page["vectors"]}
    assert final == expected
