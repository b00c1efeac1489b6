"""D14 and issue 3 §6: many clients at once; a reader never sees half of a write."""

from __future__ import annotations

import threading

from conftest import make_client

BATCH = 50


def test_readers_never_see_half_a_batch(server, client):
    client.create_vector_bucket(vectorBucketName="conc")
    client.create_index(vectorBucketName="conc", indexName="idx", dataType="float32", dimension=8,
                        distanceMetric="euclidean")
    where = {"vectorBucketName": "conc", "indexName": "idx"}
    keys = [f"k{i:02d}" for i in range(BATCH)]
    stop = threading.Event()
    problems: list[str] = []

    def writer() -> None:
        own = make_client(server.url)
        generation = 0
        while not stop.is_set() and generation < 60:
            generation += 1
            vectors = [{"key": k, "data": {"float32": [float(generation)] * 8}, "metadata": {"gen": generation}}
                       for k in keys]
            own.put_vectors(**where, vectors=vectors)
            if generation % 5 == 0:
                own.delete_vectors(**where, keys=keys)
        stop.set()

    def reader() -> None:
        own = make_client(server.url)
        while not stop.is_set():
            hits = own.query_vectors(**where, queryVector={"float32": [0.0] * 8}, topK=BATCH,
                                     returnMetadata=True, returnDistance=True)["vectors"]
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
    # Every acknowledged write is visible at once (D14): the last generation is what remains.
    final = client.get_vectors(**where, keys=keys, returnMetadata=True)["vectors"]
    assert {v["metadata"]["gen"] for v in final} == {60} or final == []


def test_acknowledged_writes_are_visible_from_other_connections(server, client):
    client.create_vector_bucket(vectorBucketName="vis")
    client.create_index(vectorBucketName="vis", indexName="idx", dataType="float32", dimension=2,
                        distanceMetric="cosine")
    others = [make_client(server.url) for _ in range(3)]
    for i in range(30):
        client.put_vectors(vectorBucketName="vis", indexName="idx",
                           vectors=[{"key": f"v{i}", "data": {"float32": [1.0, float(i)]}}])
        other = others[i % 3]
        assert other.get_vectors(vectorBucketName="vis", indexName="idx", keys=[f"v{i}"])["vectors"] == [
            {"key": f"v{i}"}]
