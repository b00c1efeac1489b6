"""--data-dir under concurrent writes: deletes and resets race nothing into the database.

After any interleaving, what a restarted emulator serves is exactly what the stopped one served.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from botocore.exceptions import ClientError
from conftest import make_client

from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import reset, running_emulator


def _state(client: Any) -> dict[str, Any]:
    """Every bucket, index and vector key one client's region holds."""
    state: dict[str, Any] = {}
    for bucket in client.list_vector_buckets()["vectorBuckets"]:
        name = bucket["vectorBucketName"]
        for index in client.list_indexes(vectorBucketName=name)["indexes"]:
            where = {"vectorBucketName": name, "indexName": index["indexName"]}
            dimension = client.get_index(**where)["index"]["dimension"]
            keys = sorted(v["key"] for v in client.list_vectors(**where, maxResults=1000)["vectors"])
            state[f"{name}/{index['indexName']}"] = (dimension, keys)
        state.setdefault(name, "bucket")
    return state


def _orphans(data_dir: str) -> tuple[int, int]:
    """(index rows without their bucket, vector rows without their index) left in the database."""
    with sqlite3.connect(f"{data_dir}/s3vectors.sqlite3") as db:
        indexes = db.execute("SELECT count(*) FROM indexes WHERE bucket_id NOT IN (SELECT id FROM buckets)").fetchone()
        vectors = db.execute("SELECT count(*) FROM vectors WHERE index_id NOT IN (SELECT id FROM indexes)").fetchone()
    return indexes[0], vectors[0]


def _hammer(
    url: str, write: Any, stop: threading.Event, threads: int = 6, region: str = "us-east-1"
) -> list[threading.Thread]:
    def loop(worker: int) -> None:
        client = make_client(url, region=region)
        n = 0
        while not stop.is_set():
            n += 1
            try:
                write(client, worker, n)
            except ClientError:
                pass  # NotFound / Conflict while the other side deletes or resets: expected

    started = [threading.Thread(target=loop, args=(w,)) for w in range(threads)]
    for thread in started:
        thread.start()
    return started


def test_delete_index_racing_put_vectors_leaves_nothing_behind(tmp_path):
    data_dir = str(tmp_path / "data")
    config = Config(port=0, data_dir=data_dir)
    where = {"vectorBucketName": "race", "indexName": "idx"}
    with running_emulator(config) as url:
        client = make_client(url)
        client.create_vector_bucket(vectorBucketName="race")

        def put(c: Any, worker: int, n: int) -> None:
            c.put_vectors(
                **where,
                vectors=[{"key": f"w{worker}-{n}-{j}", "data": {"float32": [1.0, 2.0, 3.0, 4.0]}} for j in range(20)],
            )

        for _ in range(15):
            client.create_index(**where, dataType="float32", dimension=4, distanceMetric="cosine")
            stop = threading.Event()
            workers = _hammer(url, put, stop)
            while not client.list_vectors(**where, maxResults=1)["vectors"]:
                pass  # at least one put landed: the delete below races the others
            client.delete_index(**where)
            stop.set()
            for thread in workers:
                thread.join(timeout=60)
        # The same name, another dimension: a deleted index's rows would break or haunt it.
        client.create_index(**where, dataType="float32", dimension=8, distanceMetric="euclidean")
        before = _state(client)
    assert before == {"race/idx": (8, []), "race": "bucket"}
    assert _orphans(data_dir) == (0, 0)
    with running_emulator(config) as url:
        assert _state(make_client(url)) == before


def test_delete_bucket_after_its_index_leaves_no_rows(tmp_path):
    data_dir = str(tmp_path / "data")
    config = Config(port=0, data_dir=data_dir)
    with running_emulator(config) as url:
        client = make_client(url)
        for _ in range(5):
            client.create_vector_bucket(vectorBucketName="bkt")
            client.create_index(
                vectorBucketName="bkt", indexName="idx", dataType="float32", dimension=2, distanceMetric="cosine"
            )
            stop = threading.Event()
            workers = _hammer(
                url,
                lambda c, w, n: c.put_vectors(
                    vectorBucketName="bkt", indexName="idx", vectors=[{"key": f"{w}-{n}", "data": {"float32": [1, 1]}}]
                ),
                stop,
            )
            client.delete_index(vectorBucketName="bkt", indexName="idx")
            client.delete_vector_bucket(vectorBucketName="bkt")
            stop.set()
            for thread in workers:
                thread.join(timeout=60)
        client.create_vector_bucket(vectorBucketName="bkt")
        client.create_index(
            vectorBucketName="bkt", indexName="idx", dataType="float32", dimension=3, distanceMetric="cosine"
        )
        before = _state(client)
    assert before == {"bkt/idx": (3, []), "bkt": "bucket"}
    assert _orphans(data_dir) == (0, 0)
    with running_emulator(config) as url:
        assert _state(make_client(url)) == before


def test_reset_racing_writes_is_atomic(tmp_path):
    data_dir = str(tmp_path / "data")
    config = Config(port=0, data_dir=data_dir)
    regions = ("us-east-1", "eu-west-1")
    with running_emulator(config) as url:

        def write(c: Any, worker: int, n: int) -> None:
            bucket = f"b{worker}-{n % 5}"
            for step in (
                lambda: c.create_vector_bucket(vectorBucketName=bucket),
                lambda: c.create_index(
                    vectorBucketName=bucket, indexName="idx", dataType="float32", dimension=64, distanceMetric="cosine"
                ),
            ):
                try:
                    step()
                except ClientError:
                    pass  # made by an earlier round (Conflict), or its bucket reset away (NotFound)
            # A batch large enough that its validation leaves a window for a reset to land in.
            c.put_vectors(
                vectorBucketName=bucket,
                indexName="idx",
                vectors=[{"key": f"k{n}-{j}", "data": {"float32": [1.0, float(n)] * 32}} for j in range(300)],
            )

        stop = threading.Event()
        workers = []
        for region in regions:
            workers += _hammer(url, write, stop, threads=3, region=region)
        watcher = make_client(url)
        for _ in range(25):
            while not watcher.list_vector_buckets()["vectorBuckets"]:
                pass  # writes are landing: the reset races them
            reset(url)
        stop.set()
        for thread in workers:
            thread.join(timeout=60)
        before = {region: _state(make_client(url, region=region)) for region in regions}
    assert _orphans(data_dir) == (0, 0)
    with running_emulator(config) as url:
        assert {region: _state(make_client(url, region=region)) for region in regions} == before
