"""export, import and copy (s3vectors_emulator/transfer/) through real HTTP servers: two emulators, the command
line as a user runs it, credentials from the standard chain (the environment)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from s3vectors_emulator.cli import main
from s3vectors_emulator.config import Config
from s3vectors_emulator.testing import running_emulator
from s3vectors_emulator.transfer.client import Endpoint, TransferError
from s3vectors_emulator.transfer.vectors import read_index

KEY, SECRET = "AKIDTRANSFER", "transfer-secret"
POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3vectors:*"}]}'
KMS = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The standard chain finds exactly these: nothing from the machine's own files or instance metadata."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@pytest.fixture
def two() -> Iterator[tuple[str, str]]:
    with running_emulator(Config(port=0)) as source, running_emulator(Config(port=0)) as target:
        yield source, target


def _client(url: str, region: str = "us-east-1") -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=BotoConfig(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``s3vectors-emulator ARGS`` in this process: its exit status and its stderr."""
    status = main(list(args))
    return status, capsys.readouterr().err


def _bucket_with_index(client: Any, bucket: str, index: str, dimension: int, metric: str) -> None:
    client.create_vector_bucket(vectorBucketName=bucket)
    client.create_index(
        vectorBucketName=bucket, indexName=index, dataType="float32", dimension=dimension, distanceMetric=metric
    )


def _fill(client: Any, bucket: str, index: str, matrix: np.ndarray[Any, Any], metadata: bool = True) -> None:
    for start in range(0, len(matrix), 500):
        client.put_vectors(
            vectorBucketName=bucket,
            indexName=index,
            vectors=[
                {
                    "key": f"key-{i:05}",
                    "data": {"float32": matrix[i].tolist()},
                    **(
                        {"metadata": {"n": i, "text": f"word{i % 7} shared", "tags": ["a", str(i)]}} if metadata else {}
                    ),
                }
                for i in range(start, min(start + 500, len(matrix)))
            ],
        )


def _everything(client: Any) -> dict[str, Any]:
    """All a client can read of an endpoint: configurations, tags, policies, vectors with data and metadata."""
    state: dict[str, Any] = {}
    for summary in client.list_vector_buckets()["vectorBuckets"]:
        name = summary["vectorBucketName"]
        bucket = client.get_vector_bucket(vectorBucketName=name)["vectorBucket"]
        try:
            policy = client.get_vector_bucket_policy(vectorBucketName=name).get("policy")
        except client.exceptions.NotFoundException:
            policy = None
        indexes = {}
        for item in client.list_indexes(vectorBucketName=name)["indexes"]:
            index = client.get_index(vectorBucketName=name, indexName=item["indexName"])["index"]
            vectors = {}
            for page in client.get_paginator("list_vectors").paginate(
                vectorBucketName=name, indexName=item["indexName"], returnData=True, returnMetadata=True
            ):
                for v in page["vectors"]:
                    vectors[v["key"]] = (np.asarray(v["data"]["float32"], dtype=np.float32).tobytes(), v["metadata"])
            indexes[item["indexName"]] = {
                "config": {k: v for k, v in index.items() if k not in ("creationTime", "indexArn")},
                "tags": client.list_tags_for_resource(resourceArn=index["indexArn"])["tags"],
                "vectors": vectors,
            }
        state[name] = {
            "encryption": bucket.get("encryptionConfiguration"),
            "mode": bucket.get("defaultIndexMode"),
            "tags": client.list_tags_for_resource(resourceArn=bucket["vectorBucketArn"])["tags"],
            "policy": policy,
            "indexes": indexes,
        }
    return state


def _populate(client: Any, n: int = 1200) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(14)
    matrix = rng.standard_normal((n, 8)).astype(np.float32)
    matrix[0] = [1e-45, 3.4028235e38, -0.0, 1.1754942e-38, 0.1, 16777217.0, -2.5, 1.0]
    client.create_vector_bucket(
        vectorBucketName="docs",
        encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": KMS},
        tags={"team": "search", "env": "test"},
    )
    client.put_vector_bucket_policy(vectorBucketName="docs", policy=POLICY)
    client.create_index(
        vectorBucketName="docs",
        indexName="pages",
        dataType="float32",
        dimension=8,
        distanceMetric="euclidean",
        metadataConfiguration={
            "nonFilterableMetadataKeys": ["text"],
            "textSearchConfigurations": [{"metadataKey": "text", "language": "fr"}],
        },
        tags={"kind": "pages"},
    )
    _fill(client, "docs", "pages", matrix)
    client.create_index(
        vectorBucketName="docs",
        indexName="empty",
        dataType="float32",
        dimension=3,
        distanceMetric="cosine",
        encryptionConfiguration={"sseType": "AES256"},
    )
    _bucket_with_index(client, "plain", "bare", 8, "cosine")
    _fill(client, "plain", "bare", matrix[:10], metadata=False)
    return matrix


def test_export_then_import_preserves_everything_with_auth_on_both_sides(capsys, tmp_path: Path):
    auth = Config(port=0, credentials=((KEY, SECRET),))
    with running_emulator(auth) as source, running_emulator(auth) as target:
        _populate(_client(source))
        status, err = _run(capsys, "export", "--endpoint-url", source, "--gzip", str(tmp_path / "dump"))
        assert status == 0, err
        assert err.strip().splitlines()[-1].startswith("exported 1,210 vectors of 3 indexes in 2 bucket(s)")
        status, err = _run(capsys, "import", "--endpoint-url", target, str(tmp_path / "dump"))
        assert status == 0, err
        assert "imported 1,210 vectors into " + target in err
        assert _everything(_client(target)) == _everything(_client(source))
    manifest = json.loads((tmp_path / "dump/manifest.json").read_text())
    assert manifest["source"] == {"endpoint": source, "region": "us-east-1", "account": "123456789012"}
    assert (tmp_path / "dump/vectors/docs/pages.jsonl.gz").read_bytes()[:2] == b"\x1f\x8b"


def test_index_modes_round_trip(capsys, tmp_path: Path):
    """behaviour.md#modes-inheritance: CreateIndex takes no mode, yet each index comes back with its own."""
    legacy = Config(port=0, legacy_buckets=True)
    with running_emulator(legacy) as source, running_emulator(legacy) as target:
        client = _client(source)
        client.create_vector_bucket(vectorBucketName="modes")
        for name in ("old-style", "new-style"):
            client.create_index(
                vectorBucketName="modes", indexName=name, dataType="float32", dimension=2, distanceMetric="cosine"
            )
        client.update_index_mode(vectorBucketName="modes", indexName="new-style", indexMode="ENHANCED")
        assert _run(capsys, "copy", "--from-endpoint-url", source, "--to-endpoint-url", target)[0] == 0
        assert _everything(_client(target)) == _everything(client)
        with running_emulator(Config(port=0)) as modern:
            status, err = _run(capsys, "copy", "--from-endpoint-url", source, "--to-endpoint-url", modern)
    assert status == 1
    assert err.startswith(
        "s3vectors-emulator copy: cannot give index modes/old-style the CLASSIC index mode it has in " + source
    ) and err.rstrip().endswith("an emulator makes such buckets with --legacy-buckets")


def test_copy_of_one_index(capsys, two):
    source, target = two
    matrix = _populate(_client(source))
    status, err = _run(
        capsys,
        "copy",
        "--from-endpoint-url",
        source,
        "--to-endpoint-url",
        target,
        "--bucket",
        "docs",
        "--index",
        "pages",
    )
    assert status == 0, err
    state = _everything(_client(target))
    assert list(state) == ["docs"] and list(state["docs"]["indexes"]) == ["pages"]
    assert state["docs"]["indexes"]["pages"] == _everything(_client(source))["docs"]["indexes"]["pages"]
    assert state["docs"]["indexes"]["pages"]["vectors"]["key-00000"][0] == matrix[0].tobytes()


def _faults(url: str, rules: list[dict[str, Any]]) -> None:
    body = json.dumps({"rules": rules}).encode()
    request = AWSRequest("POST", url + "/_emulator/faults", data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(KEY, SECRET), "s3vectors", "us-east-1").add_auth(request)
    with urllib.request.urlopen(
        urllib.request.Request(url + "/_emulator/faults", data=body, headers=dict(request.headers.items()))
    ) as response:
        assert response.status == 200


def test_import_retries_through_throttling_and_outages(capsys, two, tmp_path: Path):
    source, target = two
    _populate(_client(source))
    assert _run(capsys, "export", "--endpoint-url", source, str(tmp_path))[0] == 0
    _faults(
        target,
        [
            {"operation": "PutVectors", "error": "429", "count": 3},
            {"operation": "CreateIndex", "error": "503", "count": 2},
            {"operation": "GetIndex", "error": "500", "count": 1},
        ],
    )
    status, err = _run(capsys, "import", "--endpoint-url", target, str(tmp_path))
    assert status == 0, err
    assert "(6 calls retried)" in err
    assert _everything(_client(target)) == _everything(_client(source))


def _count(client: Any, bucket: str, index: str) -> int:
    pages = client.get_paginator("list_vectors").paginate(vectorBucketName=bucket, indexName=index)
    return sum(len(page["vectors"]) for page in pages)


def test_interrupted_import_is_finished_by_a_second_run(capsys, two, tmp_path: Path):
    source, target = two
    client = _client(source)
    _bucket_with_index(client, "big", "many", 4, "cosine")
    _fill(client, "big", "many", np.random.default_rng(1).standard_normal((5000, 4)).astype(np.float32))
    assert _run(capsys, "export", "--endpoint-url", source, str(tmp_path))[0] == 0
    command = [sys.executable, "-m", "s3vectors_emulator", "import", "--endpoint-url", target, "--quiet"]
    # 1,000 vectors a second: the first batches land, the last are still to come when it is stopped.
    slow = subprocess.Popen(
        [*command, "--max-rate", "1000", "--connections", "1", str(tmp_path)], stderr=subprocess.PIPE, text=True
    )
    destination = _client(target)
    try:
        while True:
            try:
                if _count(destination, "big", "many") > 0:
                    break
            except destination.exceptions.NotFoundException:
                pass
            assert slow.poll() is None, slow.stderr.read() if slow.stderr else ""
            time.sleep(0.05)
    finally:
        slow.send_signal(signal.SIGINT)
        _, err = slow.communicate(timeout=60)
    assert slow.returncode == 130
    assert err.strip() == "s3vectors-emulator import: interrupted; run the same command again to finish it"
    assert 0 < _count(destination, "big", "many") < 5000
    status, err = _run(capsys, "import", "--endpoint-url", target, str(tmp_path))
    assert status == 0, err
    assert _everything(destination) == _everything(client)


def test_existing_index_with_another_configuration_is_refused(capsys, two, tmp_path: Path):
    source, target = two
    destination = _exported(capsys, source, target, tmp_path)
    destination.create_vector_bucket(
        vectorBucketName="docs", encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": KMS}
    )
    destination.create_index(
        vectorBucketName="docs", indexName="pages", dataType="float32", dimension=16, distanceMetric="euclidean"
    )
    status, err = _run(capsys, "import", "--endpoint-url", target, str(tmp_path))
    assert status == 1
    assert err == (
        f"s3vectors-emulator import: index docs/pages on {target} already exists with another dimension (16) than "
        f"in {tmp_path / 'manifest.json'} (8); delete it or import elsewhere\n"
    )
    assert _count(destination, "docs", "pages") == 0


def test_mismatch_is_refused_before_anything_is_written(capsys, two, tmp_path: Path):
    source, target = two
    destination = _exported(capsys, source, target, tmp_path)
    # The dump's second bucket: the first ("docs") must not be made either.
    destination.create_vector_bucket(
        vectorBucketName="plain", encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": KMS}
    )
    status, err = _run(capsys, "import", "--endpoint-url", target, str(tmp_path))
    assert status == 1
    assert err.startswith(f"s3vectors-emulator import: bucket plain on {target} already exists with another encryption")
    assert [b["vectorBucketName"] for b in destination.list_vector_buckets()["vectorBuckets"]] == ["plain"]


def _exported(capsys: pytest.CaptureFixture[str], source: str, target: str, directory: Path) -> Any:
    """Populate ``source``, export it into ``directory``; a client of ``target``."""
    _populate(_client(source))
    assert _run(capsys, "export", "--endpoint-url", source, str(directory))[0] == 0
    return _client(target)


def _rewrite_line(path: Path, number: int, line: bytes) -> None:
    lines = gzip.decompress(path.read_bytes()).split(b"\n") if path.suffix == ".gz" else path.read_bytes().split(b"\n")
    lines[number - 1] = line
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"key":"x","data":{"float32":[1,2', "not valid JSON"),
        (b'{"key":"x","data":{"float32":[1,2,3,4,5,6,7]}}', "data.float32 holds 7 values, the index's dimension is 8"),
        # Good as a line, refused by the endpoint (behaviour.md#vectors-zero-norm): its fieldList names the vector.
        (b'{"key":"zero","data":{"float32":[0,0,0,0,0,0,0,0]}}', "vector 'zero' refused by "),
    ],
)
def test_bad_line_is_refused_with_its_file_and_line(capsys, two, tmp_path: Path, line: bytes, message: str):
    source, target = two
    client = _client(source)
    _bucket_with_index(client, "docs", "cos", 8, "cosine")
    _fill(client, "docs", "cos", np.random.default_rng(2).standard_normal((1000, 8)).astype(np.float32))
    assert _run(capsys, "export", "--endpoint-url", source, str(tmp_path))[0] == 0
    path = tmp_path / "vectors/docs/cos.jsonl"
    _rewrite_line(path, 700, line)
    status, err = _run(capsys, "import", "--endpoint-url", target, "--connections", "1", str(tmp_path))
    assert status == 1
    assert err.startswith(f"s3vectors-emulator import: {path}:700: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    # The first batch (lines 1-500) was whole; nothing of the second (501-1000) was written.
    assert _count(_client(target), "docs", "cos") == 500


def test_dump_of_a_newer_version_is_refused(capsys, two, tmp_path: Path):
    _, target = two
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "s3vectors-dump", "version": 2, "buckets": []}))
    status, err = _run(capsys, "import", "--endpoint-url", target, str(tmp_path))
    assert status == 1
    assert "dump format version 2 is newer than this s3vectors-emulator reads (1)" in err


def test_export_refuses_to_overwrite_a_dump(capsys, two, tmp_path: Path):
    source, _ = two
    assert _run(capsys, "export", "--endpoint-url", source, str(tmp_path))[0] == 0
    status, err = _run(capsys, "export", "--endpoint-url", source, str(tmp_path))
    assert (status, err) == (
        1,
        f"s3vectors-emulator export: {tmp_path} already holds a dump; pass --force to overwrite it\n",
    )
    assert _run(capsys, "export", "--endpoint-url", source, "--force", str(tmp_path))[0] == 0


def test_unsigned_without_credentials(capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No credentials anywhere: requests to an endpoint URL go unsigned (behaviour.md#auth-default), so the
    emulator answers from its own --region, which the manifest records."""
    with running_emulator(Config(port=0, region="eu-west-1")) as source, running_emulator(Config(port=0)) as target:
        _populate(_client(source, "eu-west-1"))
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
            monkeypatch.delenv(name)
        assert _run(capsys, "export", "--endpoint-url", source, "--quiet", str(tmp_path)) == (0, "")
        assert json.loads((tmp_path / "manifest.json").read_text())["source"]["region"] == "eu-west-1"
        assert _run(capsys, "import", "--endpoint-url", target, "--quiet", str(tmp_path)) == (0, "")
        assert _everything(_client(target)) == _everything(_client(source, "eu-west-1"))


def test_aws_without_credentials_or_region_says_what_to_do(capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("AWS_REGION")
    status, err = _run(capsys, "export", str(tmp_path))
    assert status == 1 and err.startswith("s3vectors-emulator export: no region: pass --region")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    status, err = _run(capsys, "import", "--region", "us-east-1", str(tmp_path))
    assert status == 1 and err.startswith("s3vectors-emulator import: no AWS credentials found")
    status, err = _run(capsys, "export", "--profile", "nobody", str(tmp_path))
    assert (status, err) == (
        1,
        "s3vectors-emulator export: the profile 'nobody' is not in the AWS config or credentials files\n",
    )


def test_unreachable_endpoint_is_one_line(capsys, tmp_path: Path):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"  # bound, never listening: refused at once
        status, err = _run(capsys, "export", "--endpoint-url", url, str(tmp_path))
    assert (status, err) == (
        1,
        f"s3vectors-emulator export: ListVectorBuckets: cannot reach {url}: [Errno 111] Connection refused\n",
    )


@pytest.mark.parametrize("processes", [0, 3])
@pytest.mark.parametrize("to_file", [False, True])
def test_an_index_is_read_whole_in_forked_processes_or_in_this_one(two, tmp_path: Path, processes: int, to_file: bool):
    source, _ = two
    matrix = _populate(_client(source))
    handed: list[bytes] = []
    path = tmp_path / "lines.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        file = (fd, str(path)) if to_file else None
        read_index(Endpoint(source), "docs", "pages", handed.extend, segments=5, processes=processes, file=file)
    finally:
        os.close(fd)
    lines = path.read_bytes().splitlines() if to_file else handed
    assert len(handed) == len(matrix) and (not to_file or set(handed) == {b""})
    vectors = {v["key"]: v for v in map(orjson.loads, lines)}
    assert len(lines) == len(vectors) == len(matrix)
    got = np.array([vectors[f"key-{i:05}"]["data"]["float32"] for i in range(len(matrix))], dtype=np.float32)
    assert got.tobytes() == matrix.tobytes()
    assert vectors["key-00007"]["metadata"] == {"n": 7, "text": "word0 shared", "tags": ["a", "7"]}
    with pytest.raises(TransferError, match=r"^ListVectors: NotFoundException: The specified index could not be"):
        read_index(Endpoint(source), "docs", "missing", handed.append, segments=5, processes=processes)
