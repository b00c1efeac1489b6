"""A start never crash-loops: whatever the data directory's database holds, the emulator serves
what is consistent (one log line per thing left out) or refuses with one clear line."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import make_client
from test_persistence import _start

from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import running_emulator


def _fill(data_dir: Path, vectors: int = 200, dimension: int = 4) -> None:
    with running_emulator(Config(port=0, data_dir=str(data_dir))) as url:
        client = make_client(url)
        client.create_vector_bucket(vectorBucketName="good")
        client.create_index(
            vectorBucketName="good", indexName="idx", dataType="float32", dimension=dimension, distanceMetric="cosine"
        )
        for start in range(0, vectors, 500):
            client.put_vectors(
                vectorBucketName="good",
                indexName="idx",
                vectors=[
                    {"key": f"k{i}", "data": {"float32": [1.0 + i] * dimension}, "metadata": {"n": i, "t": "x" * 50}}
                    for i in range(start, min(vectors, start + 500))
                ],
            )


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    return code, proc.stderr.read()


def _count(url: str) -> int:
    client = make_client(url)
    return len(client.list_vectors(vectorBucketName="good", indexName="idx", maxResults=1000)["vectors"])


def test_inconsistent_rows_are_left_out_with_a_line_each(tmp_path):
    _fill(tmp_path)
    db = sqlite3.connect(tmp_path / "s3vectors.sqlite3")
    with db:
        (index_id,) = db.execute("SELECT id FROM indexes").fetchone()
        # A vector of the wrong length, one with NaN, one with metadata that is not JSON.
        db.execute("INSERT INTO vectors VALUES (?, 'short', ?, NULL)", (index_id, b"\0" * 8))
        db.execute("INSERT INTO vectors VALUES (?, 'nan', ?, NULL)", (index_id, b"\xff\xff\xff\x7f" * 4))
        db.execute("INSERT INTO vectors VALUES (?, 'badmeta', ?, '{not json')", (index_id, b"\0\0\x80\x3f" * 4))
        one = b"\0\0\x80\x3f" * 4
        db.execute("INSERT INTO vectors VALUES (?, 'nested', ?, '{\"a\": {\"b\": 1}}')", (index_id, one))
        # Valid, though beyond what a 64-bit integer holds: kept.
        db.execute(
            "INSERT INTO vectors VALUES (?, 'big', ?, '{\"n\": 1000000000000000000000000000000}')",
            (index_id, b"\0\0\x80\x3f" * 4),
        )
        # An index whose bucket is gone, with vectors; and vectors of an index id that never existed.
        db.execute(
            "INSERT INTO indexes (uid, bucket_id, name, creation_time, data_type, dimension, distance_metric, "
            "mode, tags) VALUES ('u', 999, 'lost', 0, 'float32', 8, 'cosine', 'ENHANCED', '{}')"
        )
        (lost_id,) = db.execute("SELECT id FROM indexes WHERE name = 'lost'").fetchone()
        db.execute("INSERT INTO vectors VALUES (?, 'x', ?, NULL)", (lost_id, b"\0\0\x80\x3f" * 8))
        db.execute("INSERT INTO vectors VALUES (424242, 'y', ?, NULL)", (b"\0\0\x80\x3f" * 4,))
        # A bucket whose tags are not JSON.
        db.execute(
            "INSERT INTO buckets (uid, account, region, name, creation_time, encryption, legacy, "
            "default_index_mode, tags) VALUES ('v', '123456789012', 'us-east-1', 'broken', 0, "
            "'{\"sse_type\": \"AES256\"}', 0, 'ENHANCED', 'nope')"
        )
    db.close()

    proc, url = _start(tmp_path)
    assert url, proc.stderr.read()
    client = make_client(url)
    assert _count(url) == 201
    assert [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]] == ["good"]
    # What was left out no longer stands in the way of a resource of the same name.
    client.create_vector_bucket(vectorBucketName="broken")
    code, stderr = _stop(proc)
    assert code == 0 and "Traceback" not in stderr
    left_out = [line for line in stderr.splitlines() if "s3vectors_emulator.store: left out" in line]
    assert len(left_out) == 7, stderr
    for needle in ("'short'", "'nan'", "'badmeta'", "'nested'", "index id", "424242", "bucket id"):
        assert any(needle in line for line in left_out), needle
    assert list(tmp_path.glob("s3vectors.sqlite3.left-out-*")), "the earlier database was not kept"

    proc, url = _start(tmp_path)
    assert url and _count(url) == 201
    code, stderr = _stop(proc)
    assert code == 0 and "left out" not in stderr


def test_random_bytes_in_the_database_never_give_a_traceback(tmp_path):
    rng = random.Random(7)
    for attempt in range(4):
        data_dir = tmp_path / f"d{attempt}"
        _fill(data_dir, vectors=3000, dimension=64)
        path = data_dir / "s3vectors.sqlite3"
        size = path.stat().st_size
        assert size > 3 * 65536
        with open(path, "r+b") as handle:
            handle.seek(rng.randrange(4096, size - 65536))
            handle.write(rng.randbytes(65536))
        (data_dir / "s3vectors.sqlite3-wal").unlink(missing_ok=True)
        proc, url = _start(data_dir)
        if url is None:
            stderr = proc.stderr.read()
            lines = stderr.strip().splitlines()
            assert proc.returncode != 0 and "Traceback" not in stderr
            assert len(lines) == 1 and str(path) in lines[0] and "move it away" in lines[0], stderr
        else:
            _count(url)  # serves what it could read
            code, stderr = _stop(proc)
            assert code == 0 and "Traceback" not in stderr


def test_a_file_that_is_not_a_database_is_one_clear_line(tmp_path):
    (tmp_path / "s3vectors.sqlite3").write_bytes(b"this is not SQLite" * 1000)
    result = subprocess.run(
        [sys.executable, "-m", "s3vectors_emulator", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "s3vectors.sqlite3" in result.stderr


def test_a_data_directory_of_the_first_schema_is_upgraded(tmp_path):
    db = sqlite3.connect(tmp_path / "s3vectors.sqlite3")
    db.executescript("""
    CREATE TABLE buckets (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        creation_time REAL NOT NULL, encryption TEXT NOT NULL, legacy INTEGER NOT NULL,
        default_index_mode TEXT NOT NULL, policy TEXT, tags TEXT NOT NULL, PRIMARY KEY (account, region, name));
    CREATE TABLE indexes (id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
        bucket TEXT NOT NULL, name TEXT NOT NULL, creation_time REAL NOT NULL, data_type TEXT NOT NULL,
        dimension INTEGER NOT NULL, distance_metric TEXT NOT NULL, mode TEXT NOT NULL, non_filterable TEXT,
        text_configurations TEXT, encryption TEXT, tags TEXT NOT NULL, UNIQUE (account, region, bucket, name));
    CREATE TABLE vectors (index_id INTEGER NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, metadata TEXT,
        PRIMARY KEY (index_id, key)) WITHOUT ROWID;
    INSERT INTO buckets VALUES ('123456789012', 'us-east-1', 'old', 1.5, '{"sseType": "AES256"}', 0, 'ENHANCED',
        NULL, '{"a": "b"}');
    INSERT INTO indexes VALUES (3, '123456789012', 'us-east-1', 'old', 'idx', 2.5, 'float32', 2, 'euclidean',
        'ENHANCED', NULL, NULL, NULL, '{}');
    INSERT INTO indexes VALUES (4, '123456789012', 'us-east-1', 'gone', 'orphan', 2.5, 'float32', 2, 'euclidean',
        'ENHANCED', NULL, NULL, NULL, '{}');
    """)
    db.execute("INSERT INTO vectors VALUES (3, 'v', ?, ?)", (b"\0\0\x80\x3f\0\0\0\x40", json.dumps({"m": 1})))
    db.commit()
    db.close()
    with running_emulator(Config(port=0, data_dir=str(tmp_path))) as url:
        client = make_client(url)
        bucket = client.get_vector_bucket(vectorBucketName="old")["vectorBucket"]
        assert bucket["creationTime"].timestamp() == 1.5
        got = client.get_vectors(
            vectorBucketName="old", indexName="idx", keys=["v"], returnData=True, returnMetadata=True
        )["vectors"]
        assert got == [{"key": "v", "data": {"float32": [1.0, 2.0]}, "metadata": {"m": 1}}]
        client.delete_index(vectorBucketName="old", indexName="idx")
        client.create_index(
            vectorBucketName="old", indexName="new", dataType="float32", dimension=2, distanceMetric="cosine"
        )
    with sqlite3.connect(tmp_path / "s3vectors.sqlite3") as db:
        # Ids are never handed out again, not even those of rows the upgrade left out.
        assert db.execute("SELECT id FROM indexes").fetchall() == [(5,)]


def test_a_data_directory_of_schema_1_is_upgraded(tmp_path):
    # Schema 1 kept encryption and text search configurations as the API's JSON.
    from s3vectors_emulator.store.persistence import SCHEMA

    db = sqlite3.connect(tmp_path / "s3vectors.sqlite3")
    db.executescript(SCHEMA)
    db.execute(
        "INSERT INTO buckets (uid, account, region, name, creation_time, encryption, legacy, default_index_mode, "
        "policy, tags) VALUES ('b1', '123456789012', 'us-east-1', 'kms', 1.5, ?, 0, 'ENHANCED', NULL, '{}')",
        (json.dumps({"sseType": "aws:kms", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"}),),
    )
    db.execute(
        "INSERT INTO indexes (uid, bucket_id, name, creation_time, data_type, dimension, distance_metric, mode, "
        "non_filterable, text_configurations, encryption, tags) VALUES ('i1', 1, 'docs', 2.5, 'float32', 2, "
        "'cosine', 'ENHANCED', '[\"raw\"]', ?, NULL, '{\"team\": \"a\"}')",
        (json.dumps([{"metadataKey": "body", "language": "en"}, {"metadataKey": "title"}]),),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with running_emulator(Config(port=0, data_dir=str(tmp_path))) as url:
        client = make_client(url)
        bucket = client.get_vector_bucket(vectorBucketName="kms")["vectorBucket"]
        assert bucket["encryptionConfiguration"] == {
            "sseType": "aws:kms",
            "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
        }
        index = client.get_index(vectorBucketName="kms", indexName="docs")["index"]
        assert index["encryptionConfiguration"] == bucket["encryptionConfiguration"]
        assert index["metadataConfiguration"] == {
            "nonFilterableMetadataKeys": ["raw"],
            "textSearchConfigurations": [
                {"metadataKey": "body", "language": "en", "status": "ACTIVE"},
                {"metadataKey": "title", "status": "ACTIVE"},
            ],
        }
    with sqlite3.connect(tmp_path / "s3vectors.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
