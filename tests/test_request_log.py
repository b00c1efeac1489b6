"""Request logs on stderr: one line per request; bodies at debug level; nothing with --quiet."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError
from conftest import make_client

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<account>\S+) (?P<region>\S+) (?P<operation>.+) "
    r"(?P<status>\d{3}) (?P<error>\S+) (?P<ms>\d+\.\d)ms (?P<id>[0-9a-f-]{36})(?: (?P<rest>.*))?$"
)


def _run(*options: str) -> tuple[str, list[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "s3vectors_emulator", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"http://\S+", proc.stdout.readline()).group(0)
        client = make_client(url, region="eu-west-1")
        client.create_vector_bucket(vectorBucketName="logged")
        client.create_index(
            vectorBucketName="logged",
            indexName="idx",
            dataType="float32",
            dimension=8,
            distanceMetric="cosine",
            metadataConfiguration={"textSearchConfigurations": [{"metadataKey": "body"}]},
        )
        client.put_vectors(
            vectorBucketName="logged",
            indexName="idx",
            vectors=[{"key": "a", "data": {"float32": [0.5] * 8}, "metadata": {"body": "x"}}],
        )
        client.query_vectors(
            vectorBucketName="logged",
            indexName="idx",
            topK=1,
            queryTexts=[{"metadataKey": "body", "text": "a private phrase"}],
        )
        client.get_vectors(vectorBucketName="logged", indexName="idx", keys=["a"], returnData=True)
        with pytest.raises(ClientError):
            client.get_index(vectorBucketName="logged", indexName="missing")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    return stdout, [m.groupdict() for m in map(LINE.match, stderr.splitlines()) if m], stderr


def test_one_line_per_request_and_a_start_summary():
    stdout, lines, stderr = _run()
    assert stdout == ""  # only the listening line, read above, goes to stdout
    assert [(line["operation"], line["status"], line["error"]) for line in lines] == [
        ("CreateVectorBucket", "200", "-"),
        ("CreateIndex", "200", "-"),
        ("PutVectors", "200", "-"),
        ("QueryVectors", "200", "-"),
        ("GetVectors", "200", "-"),
        ("GetIndex", "404", "NotFoundException"),
    ]
    assert {(line["account"], line["region"]) for line in lines} == {("123456789012", "eu-west-1")}
    assert all(line["rest"] is None for line in lines)
    assert "memory only" in stderr and "signatures not checked" in stderr and "us-east-1" in stderr


def test_debug_shows_bodies_shortened_and_masked():
    _, lines, _ = _run("--log-level", "debug")
    by_operation = {line["operation"]: line["rest"] for line in lines}
    assert '"float32":[0.5,0.5,0.5,0.5,"... 8 values"]' in by_operation["PutVectors"]
    assert '"float32":[0.5,0.5,0.5,0.5,"... 8 values"]' in by_operation["GetVectors"]  # the answer's
    assert "a private phrase" not in by_operation["QueryVectors"] and '"***"' in by_operation["QueryVectors"]
    assert "The specified index could not be found" in by_operation["GetIndex"]


def test_quiet_logs_no_request():
    _, lines, stderr = _run("--quiet")
    assert lines == [] and "Traceback" not in stderr
