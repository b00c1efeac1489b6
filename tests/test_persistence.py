"""--data-dir: everything survives a restart and a SIGKILL; one server per directory."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading

from conftest import make_client

from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import running_emulator

POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})


def _populate(client) -> None:
    client.create_vector_bucket(vectorBucketName="kept", tags={"team": "search"})
    client.put_vector_bucket_policy(vectorBucketName="kept", policy=POLICY)
    client.create_index(
        vectorBucketName="kept",
        indexName="docs",
        dataType="float32",
        dimension=3,
        distanceMetric="cosine",
        tags={"env": "dev"},
        metadataConfiguration={
            "nonFilterableMetadataKeys": ["raw"],
            "textSearchConfigurations": [{"metadataKey": "body", "language": "en"}],
        },
    )
    client.create_index(
        vectorBucketName="kept", indexName="euclid", dataType="float32", dimension=2, distanceMetric="euclidean"
    )
    client.put_vectors(
        vectorBucketName="kept",
        indexName="docs",
        vectors=[
            {
                "key": f"d{i}",
                "data": {"float32": [1.0, float(i), 0.1]},
                "metadata": {"n": i, "raw": "x" * 100, "body": "running dogs" if i % 2 else "sleeping cats"},
            }
            for i in range(50)
        ],
    )
    client.put_vectors(
        vectorBucketName="kept",
        indexName="docs",
        vectors=[{"key": "d3", "data": {"float32": [0.5, 0.5, 0.5]}, "metadata": {"n": 300, "body": "overwritten"}}],
    )
    client.delete_vectors(vectorBucketName="kept", indexName="docs", keys=["d0", "d1"])
    client.put_vectors(
        vectorBucketName="kept", indexName="euclid", vectors=[{"key": "e", "data": {"float32": [0.1, 0.2]}}]
    )
    client.update_metadata_configuration(
        vectorBucketName="kept", indexName="docs", add={"textSearchConfigurations": [{"metadataKey": "title"}]}
    )
    client.tag_resource(
        resourceArn=client.get_index(vectorBucketName="kept", indexName="euclid")["index"]["indexArn"], tags={"k": "v"}
    )
    client.create_vector_bucket(vectorBucketName="gone")
    client.delete_vector_bucket(vectorBucketName="gone")


def _snapshot(client) -> dict:
    docs = {"vectorBucketName": "kept", "indexName": "docs"}
    return {
        "buckets": [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]],
        "bucket": {k: v for k, v in client.get_vector_bucket(vectorBucketName="kept")["vectorBucket"].items()},
        "policy": client.get_vector_bucket_policy(vectorBucketName="kept")["policy"],
        "indexes": [client.get_index(vectorBucketName="kept", indexName=n)["index"] for n in ("docs", "euclid")],
        "tags": [
            client.list_tags_for_resource(resourceArn=i["indexArn"])["tags"]
            for i in client.list_indexes(vectorBucketName="kept")["indexes"]
        ],
        "vectors": client.get_vectors(**docs, keys=[f"d{i}" for i in range(50)], returnData=True, returnMetadata=True)[
            "vectors"
        ],
        "query": client.query_vectors(
            **docs, queryVector={"float32": [1.0, 2.0, 0.1]}, topK=5, returnDistance=True, filter={"n": {"$lt": 10}}
        )["vectors"],
        "text": client.query_vectors(**docs, queryTexts=[{"metadataKey": "body", "text": "run"}], topK=100)["vectors"],
        "euclid": client.query_vectors(
            vectorBucketName="kept", indexName="euclid", queryVector={"float32": [0, 0]}, topK=1, returnDistance=True
        )["vectors"],
    }


def test_everything_survives_a_restart(tmp_path):
    config = Config(port=0, data_dir=str(tmp_path / "data"))
    with running_emulator(config) as url:
        client = make_client(url)
        _populate(client)
        before = _snapshot(client)
    with running_emulator(config) as url:
        after = _snapshot(make_client(url))
    assert after == before
    assert len(after["vectors"]) == 48 and after["buckets"] == ["kept"]
    # d3 was overwritten without "running"; d1 was deleted: the text index was restored as it was.
    assert {v["key"] for v in after["text"]} == {f"d{i}" for i in range(5, 50, 2)}


def test_reset_clears_the_data_dir(tmp_path):
    import urllib.request

    config = Config(port=0, data_dir=str(tmp_path / "data"))
    with running_emulator(config) as url:
        make_client(url).create_vector_bucket(vectorBucketName="temp")
        urllib.request.urlopen(urllib.request.Request(f"{url}/_emulator/reset", method="POST"))
    with running_emulator(config) as url:
        assert make_client(url).list_vector_buckets()["vectorBuckets"] == []


def _start(data_dir, *extra):
    proc = subprocess.Popen(
        [sys.executable, "-m", "s3vectors_emulator", "--port", "0", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"http://\S+", line)
    if match is None:
        proc.wait(timeout=30)
        return proc, None
    return proc, match.group(0)


def test_a_second_server_on_the_same_directory_refuses_to_start(tmp_path):
    first, url = _start(tmp_path)
    try:
        assert url
        second, second_url = _start(tmp_path)
        assert second_url is None and second.returncode == 1
        assert "in use by another emulator" in second.stderr.read()
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0


def test_sigkill_loses_no_acknowledged_write(tmp_path):
    proc, url = _start(tmp_path)
    client = make_client(url)
    client.create_vector_bucket(vectorBucketName="crash")
    client.create_index(
        vectorBucketName="crash", indexName="idx", dataType="float32", dimension=16, distanceMetric="euclidean"
    )
    where = {"vectorBucketName": "crash", "indexName": "idx"}
    acknowledged: dict[str, int | None] = {}  # key → generation (None: deleted)
    in_flight: list[tuple[str, list[str], int]] = []
    stop = threading.Event()

    def stream() -> None:
        generation = 0
        while not stop.is_set():
            generation += 1
            keys = [f"k{(generation * 7 + j) % 300}" for j in range(40)]
            op = "delete" if generation % 4 == 0 else "put"
            in_flight[:] = [(op, keys, generation)]
            try:
                if op == "put":
                    client.put_vectors(
                        **where,
                        vectors=[
                            {"key": k, "data": {"float32": [float(generation)] * 16}, "metadata": {"gen": generation}}
                            for k in keys
                        ],
                    )
                else:
                    client.delete_vectors(**where, keys=keys)
            except Exception:
                return  # the server died mid-request
            for k in keys:
                acknowledged[k] = generation if op == "put" else None
            in_flight.clear()

    worker = threading.Thread(target=stream)
    worker.start()
    while len(acknowledged) < 200 and worker.is_alive():
        worker.join(timeout=0.05)
    assert len(acknowledged) >= 200, "the writer stopped before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    stop.set()
    worker.join(timeout=60)

    proc, url = _start(tmp_path)
    try:
        client = make_client(url)
        keys = [f"k{i}" for i in range(300)]
        found = {}
        for start in range(0, 300, 100):
            for v in client.get_vectors(**where, keys=keys[start : start + 100], returnMetadata=True, returnData=True)[
                "vectors"
            ]:
                assert v["data"]["float32"] == [float(v["metadata"]["gen"])] * 16
                found[v["key"]] = v["metadata"]["gen"]
        pending = in_flight[0] if in_flight else None
        for key, generation in acknowledged.items():
            if pending and key in pending[1]:
                continue
            assert found.get(key) == generation, key
        if pending:
            op, keys, generation = pending
            # Not acknowledged: applied entirely or not at all.
            applied = [found.get(k) == generation if op == "put" else k not in found for k in keys]
            assert all(applied) or not any(applied) or op == "delete"
        assert client.list_vectors(**where, maxResults=1000)["vectors"] is not None
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [sys.executable, "-m", "s3vectors_emulator", "--port", "0", "--data-dir", str(blocker / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "cannot use the data directory" in result.stderr


def test_a_data_dir_deleted_under_the_server_refuses_writes(tmp_path):
    import shutil

    from botocore.exceptions import ClientError

    data_dir = tmp_path / "data"
    proc, url = _start(data_dir)
    try:
        client = make_client(url)
        client.create_vector_bucket(vectorBucketName="before")
        shutil.rmtree(data_dir)
        data_dir.mkdir()  # even re-created, it is not the directory that was opened
        for attempt in range(2):
            try:
                client.create_vector_bucket(vectorBucketName=f"after{attempt}")
            except ClientError as error:
                assert error.response["Error"]["Code"] == "InternalServerException"
                assert str(data_dir) in error.response["Error"]["Message"]
            else:
                raise AssertionError("a write was acknowledged into a deleted data directory")
        # Reads go on from memory.
        assert [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]] == ["before"]
        # The directory is free for a new emulator, which starts empty.
        second, second_url = _start(data_dir)
        assert second_url
        assert make_client(second_url).list_vector_buckets()["vectorBuckets"] == []
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    stderr = proc.stderr.read()
    assert stderr.count("was deleted or replaced") == 1 and "Traceback" not in stderr
