"""Seeding at start (``--init``, docs/seeding.md, behaviour.md#consistency-seeding), through the real server: a
declarative file, a dump, a directory of them, readiness from 503 to 200, errors in one line, --data-dir."""

from __future__ import annotations

import gzip
import json
import os
import select
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from s3vectors_emulator.config import Config
from s3vectors_emulator.seeding import SeedError, vector_files
from s3vectors_emulator.testing import client_for, running_emulator
from s3vectors_emulator.transfer.dump import (
    BucketEntry,
    IndexEntry,
    Manifest,
    Source,
    VectorWriter,
    encode_vector,
    write_manifest,
)

COMMAND = [sys.executable, "-m", "s3vectors_emulator"]


def _dump(
    directory: Path, data: np.ndarray, bucket: str = "media", index: str = "films", compressed: bool = True
) -> list[str]:
    """A dump of one cosine index holding ``data`` (keys k0, k1, …, metadata {"n": i}); returns the keys."""
    keys = [f"k{i}" for i in range(len(data))]
    with VectorWriter(directory, bucket, index, compressed) as writer:
        writer.write(keys, data, [{"n": i} for i in range(len(data))])
    entry = IndexEntry(
        index,
        data.shape[1],
        "cosine",
        metadata_configuration={"nonFilterableMetadataKeys": ["body"]},
        tags={"kind": "films"},
        vector_count=writer.count,
        file=writer.file,
    )
    bucket_entry = BucketEntry(
        bucket,
        encryption={"sseType": "AES256"},
        policy='{"Version": "2012-10-17", "Statement": []}',
        indexes=[entry],
    )
    write_manifest(directory, Manifest(Source(None, "us-east-1"), [bucket_entry]))
    return keys


def _values(client: Any, keys: list[str], bucket: str = "media", index: str = "films") -> np.ndarray:
    """The stored values of ``keys``, in that order (every vector of the index is listed)."""
    pages = client.get_paginator("list_vectors").paginate(vectorBucketName=bucket, indexName=index, returnData=True)
    by_key = {v["key"]: v["data"]["float32"] for page in pages for v in page["vectors"]}
    assert sorted(by_key) == sorted(keys)
    return np.array([by_key[k] for k in keys], dtype=np.float32)


def _films_seed(path: Path, vectors: Any, *more_indexes: dict[str, Any]) -> None:
    """A declarative seed: bucket media, its index films (2-d, cosine) holding ``vectors``, and ``more_indexes``."""
    films = {"name": "films", "dimension": 2, "distanceMetric": "cosine", "vectors": vectors}
    path.write_text(yaml.safe_dump({"buckets": [{"name": "media", "indexes": [films, *more_indexes]}]}))


def test_declarative_yaml_with_a_vectors_file_and_inline_vectors(tmp_path: Path):
    data = np.random.default_rng(1).standard_normal((30, 4)).astype(np.float32)
    keys = [f"v{i}" for i in range(30)]
    with VectorWriter(tmp_path, "media", "films") as writer:
        writer.write(keys, data)
    seed = {
        "buckets": [
            {
                "name": "media",
                "encryptionConfiguration": {"sseType": "AES256"},
                "tags": {"team": "search"},
                "policy": {"Version": "2012-10-17", "Statement": []},
                "indexes": [
                    {
                        "name": "films",
                        "dimension": 4,
                        "distanceMetric": "cosine",
                        "metadataConfiguration": {"nonFilterableMetadataKeys": ["body"]},
                        "vectors": writer.file,
                    },
                    {
                        "indexName": "tiny",
                        "dataType": "float32",
                        "dimension": 2,
                        "distanceMetric": "euclidean",
                        "vectors": [{"key": "a", "data": {"float32": [1, 2]}, "metadata": {"genre": "drama"}}],
                    },
                ],
            }
        ]
    }
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(seed))
    with running_emulator(Config(port=0, init=str(path))) as url:
        client = client_for(url)
        bucket = client.get_vector_bucket(vectorBucketName="media")["vectorBucket"]
        assert bucket["encryptionConfiguration"] == {"sseType": "AES256"}
        assert client.list_tags_for_resource(resourceArn=bucket["vectorBucketArn"])["tags"] == {"team": "search"}
        assert (
            json.loads(client.get_vector_bucket_policy(vectorBucketName="media")["policy"])
            == seed["buckets"][0]["policy"]
        )
        index = client.get_index(vectorBucketName="media", indexName="films")["index"]
        assert index["metadataConfiguration"] == {"nonFilterableMetadataKeys": ["body"]}
        assert _values(client, keys).tobytes() == data.tobytes()
        tiny = client.get_vectors(vectorBucketName="media", indexName="tiny", keys=["a"], returnMetadata=True)
        assert tiny["vectors"] == [{"key": "a", "metadata": {"genre": "drama"}}]


def test_declarative_json_names_its_account_and_region(tmp_path: Path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"account": "111122223333", "region": "eu-west-1", "buckets": [{"name": "other"}]}))
    with running_emulator(Config(port=0, init=str(path))) as url:
        there = client_for(url, region="eu-west-1", access_key="111122223333")
        assert [b["vectorBucketName"] for b in there.list_vector_buckets()["vectorBuckets"]] == ["other"]
        assert client_for(url).list_vector_buckets()["vectorBuckets"] == []


@pytest.mark.parametrize("reading", ["gzip", "plain, by child processes"])
def test_a_dump_is_seeded_bit_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reading: str):
    # Values whose decimal text is hard to read back: subnormals, float32's extremes, negative zero.
    special = np.array([[1e-45, 3.4028235e38, -0.0, 1.1754942e-38]], dtype=np.float32)
    data = np.concatenate([np.random.default_rng(2).standard_normal((2500, 4)).astype(np.float32), special])
    keys = _dump(tmp_path / "dump", data, compressed=reading == "gzip")
    if reading != "gzip":  # a large plain file's path, on a small one: chunks of a few dozen lines
        monkeypatch.setattr(vector_files, "_PARALLEL_FROM", 0)
        monkeypatch.setattr(vector_files, "_CHUNK", 4096)
        monkeypatch.setattr(vector_files.os, "cpu_count", lambda: 2)
    with running_emulator(Config(port=0, init=str(tmp_path / "dump"))) as url:
        client = client_for(url)
        assert _values(client, keys).tobytes() == data.tobytes()
        got = client.get_vectors(vectorBucketName="media", indexName="films", keys=["k7"], returnMetadata=True)
        assert got["vectors"][0]["metadata"] == {"n": 7}
        index = client.get_index(vectorBucketName="media", indexName="films")["index"]
        assert client.list_tags_for_resource(resourceArn=index["indexArn"])["tags"] == {"kind": "films"}
        assert client.get_vector_bucket_policy(vectorBucketName="media")["policy"] == (
            '{"Version": "2012-10-17", "Statement": []}'
        )


def test_a_directory_is_applied_in_name_order(tmp_path: Path):
    seeds = tmp_path / "init"
    seeds.mkdir()
    data = np.ones((3, 2), dtype=np.float32)
    _dump(seeds / "20-dump", data)
    # First by name: makes media/films with one vector; the dump's media and films are then left as they are.
    _films_seed(seeds / "10-first.yaml", [{"key": "only", "data": {"float32": [1, 0]}}])
    (seeds / "30-last.json").write_text(json.dumps({"buckets": [{"name": "later"}]}))
    (seeds / "README.txt").write_text("not a seed")
    with running_emulator(Config(port=0, init=str(seeds))) as url:
        client = client_for(url)
        names = [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]]
        assert names == ["later", "media"]
        listed = client.list_vectors(vectorBucketName="media", indexName="films")["vectors"]
        assert listed == [{"key": "only"}]
        # The dump's bucket was left as the first file made it: without the dump's policy.
        with pytest.raises(client.exceptions.NotFoundException):
            client.get_vector_bucket_policy(vectorBucketName="media")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("compressed", [False, True])
def test_readiness_goes_from_503_to_200_once_the_seed_is_applied(tmp_path: Path, compressed: bool):
    """The vectors file is a pipe the test writes only after looking: the seed waits on it, deterministically."""
    fifo = tmp_path / ("vectors.jsonl.gz" if compressed else "vectors.jsonl")
    os.mkfifo(fifo)
    _films_seed(tmp_path / "seed.yaml", fifo.name)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [*COMMAND, "--port", str(port), "--init", str(tmp_path / "seed.yaml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status, health = _poll_until_listening(url, proc)
        assert status == 503 and health["ready"] is False and health["status"] == "seeding"
        request = urllib.request.Request(
            f"{url}/ListVectorBuckets", data=b"{}", method="POST", headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 503
        assert refused.value.headers["x-amzn-ErrorType"] == "ServiceUnavailableException"
        assert "applying its seed" in json.loads(refused.value.read())["message"]
        assert proc.stdout is not None
        assert select.select([proc.stdout], [], [], 0)[0] == []  # no listening line while seeding
        line = encode_vector("a", np.array([1, 0], dtype=np.float32), None) + b"\n"
        fifo.write_bytes(gzip.compress(line) if compressed else line)
        assert proc.stdout.readline().startswith(f"S3 Vectors emulator listening on {url}")
        status, health = _get(f"{url}/_emulator/health")
        assert status == 200 and health["ready"] is True and health["status"] == "ok"
        client = client_for(url)
        assert client.list_vectors(vectorBucketName="media", indexName="films")["vectors"] == [{"key": "a"}]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def _poll_until_listening(url: str, proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any]]:
    """The first health answer, once the port accepts connections (the process is importing until then)."""
    done = threading.Event()
    while not done.wait(0.05):
        assert proc.poll() is None, proc.communicate()
        try:
            return _get(f"{url}/_emulator/health")
        except urllib.error.URLError:
            continue
    raise AssertionError("unreachable")


def _fails(*args: str) -> str:
    result = subprocess.run([*COMMAND, "--port", "0", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_invalid_entry_is_one_line_naming_file_entry_and_problem(tmp_path: Path):
    path = tmp_path / "seed.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "buckets": [
                    {"name": "media", "indexes": [{"name": "films", "dimension": 5000, "distanceMetric": "cosine"}]}
                ]
            }
        )
    )
    assert _fails("--init", str(path)) == (
        f"s3vectors-emulator: {path}: entry media/films: 1 validation error detected. Value at '/dimension' failed to "
        "satisfy constraint: Member must be between 1 and 4096, inclusive"
    )


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        # The store's rule, in PutVectors' words.
        ('{"key":"b","data":{"float32":[0,0]}}', "Invalid record for key 'b': "),
        # The dump format's own checks.
        ('{"key":"b"}', 'data must be {"float32": [numbers]}'),
        ('{"key":"b","data":{"float32":[1,[2]]}}', "data.float32 must hold numbers only"),
        ('{"key":"a","data":{"float32":[1,2]}}', "key 'a' appears a second time in this file"),
    ],
)
def test_a_bad_vector_names_its_file_and_line(tmp_path: Path, second: str, problem: str):
    _dump(tmp_path / "dump", np.ones((2, 2), dtype=np.float32))
    vectors = tmp_path / "dump" / "vectors" / "media" / "films.jsonl.gz"
    vectors.unlink()
    plain = vectors.with_suffix("")  # .jsonl, read as well
    plain.write_text('{"key":"a","data":{"float32":[1,0]}}\n' + second + "\n")
    line = _fails("--init", str(tmp_path / "dump"))
    where = f"s3vectors-emulator: {tmp_path / 'dump' / 'manifest.json'}: entry media/films: {plain}:2: "
    assert line.startswith(where) and problem in line, line


def test_a_vectors_file_cut_short_is_refused(tmp_path: Path):
    _dump(tmp_path / "dump", np.random.default_rng(3).standard_normal((2000, 8)).astype(np.float32))
    vectors = tmp_path / "dump" / "vectors" / "media" / "films.jsonl.gz"
    vectors.write_bytes(vectors.read_bytes()[:-5000])
    line = _fails("--init", str(tmp_path / "dump"))
    assert line.startswith(f"s3vectors-emulator: {tmp_path / 'dump' / 'manifest.json'}: entry media/films: {vectors}")
    assert "the gzip stream is damaged or cut short" in line, line


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("buckets: [{name: media, encryption: {sseType: AES256}}]", "bucket #1: unknown member 'encryption'"),
        ("buckets: [{name: Media}]", "entry Media: "),
        ("buckets: [\n  - name: [", "not valid YAML"),
        ("account: 12\nbuckets: []", "account must be 12 digits"),
    ],
)
def test_declarative_mistakes(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "seed.yaml"
    path.write_text(text)
    line = _fails("--init", str(path))
    assert line.startswith(f"s3vectors-emulator: {path}: ") and problem in line, line


def test_a_missing_path_is_refused(tmp_path: Path):
    assert (
        _fails("--init", str(tmp_path / "nothing"))
        == f"s3vectors-emulator: {tmp_path / 'nothing'}: no such file or directory"
    )


def test_the_variable_names_the_seed(tmp_path: Path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"buckets": [{"name": "from-env"}]}))
    proc = subprocess.Popen(
        [*COMMAND, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "S3VECTORS_INIT": str(path)},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        assert [b["vectorBucketName"] for b in client_for(url).list_vector_buckets()["vectorBuckets"]] == ["from-env"]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


@contextmanager
def _serving(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    proc = subprocess.Popen([*COMMAND, "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("S3 Vectors emulator listening on "), proc.communicate()
        yield line.split()[-1], proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)


def test_with_a_data_dir_what_exists_is_left_as_it_is(tmp_path: Path):
    data_dir = str(tmp_path / "data")
    first = tmp_path / "first.yaml"
    _films_seed(first, [{"key": "seeded", "data": {"float32": [1, 0]}}])
    with _serving("--data-dir", data_dir, "--init", str(first)) as (url, _):
        client_for(url).put_vectors(
            vectorBucketName="media", indexName="films", vectors=[{"key": "added", "data": {"float32": [0, 1]}}]
        )
    second = yaml.safe_load(first.read_text())
    second["buckets"].append({"name": "new"})
    (tmp_path / "second.yaml").write_text(yaml.safe_dump(second))
    with _serving("--data-dir", data_dir, "--init", str(tmp_path / "second.yaml")) as (url, proc):
        client = client_for(url)
        assert [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]] == ["media", "new"]
        listed = client.list_vectors(vectorBucketName="media", indexName="films")["vectors"]
        assert sorted(v["key"] for v in listed) == ["added", "seeded"]
        proc.terminate()
        _, errors = proc.communicate(timeout=30)
    assert "bucket media already exists in 123456789012 us-east-1: left as it is" in errors
    assert "index media/films already exists in 123456789012 us-east-1: left as it is" in errors


def test_with_a_data_dir_a_failed_seed_leaves_nothing(tmp_path: Path):
    data_dir = str(tmp_path / "data")
    path = tmp_path / "seed.yaml"
    # The bucket and the first index are valid and made first; the second index fails the whole seed.
    bad = {"name": "bad", "dimension": 2, "distanceMetric": "manhattan"}
    _films_seed(path, [{"key": "a", "data": {"float32": [1, 0]}}], bad)
    assert "entry media/bad: " in _fails("--data-dir", data_dir, "--init", str(path))
    with _serving("--data-dir", data_dir) as (url, _):
        assert client_for(url).list_vector_buckets()["vectorBuckets"] == []


def test_in_process_a_bad_seed_raises_its_line(tmp_path: Path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"buckets": [{"name": "xyz"}, {"name": "xyz"}]}))
    # A bucket named twice in one file: the second is an existing bucket, left as it is (not an error).
    with running_emulator(Config(port=0, init=str(path))) as url:
        assert len(client_for(url).list_vector_buckets()["vectorBuckets"]) == 1
    path.write_text(json.dumps({"buckets": [{"name": "x"}]}))
    with pytest.raises(SeedError, match=r"seed\.json: entry x: .*length between 3 and 63"):
        with running_emulator(Config(port=0, init=str(path))):
            pass
