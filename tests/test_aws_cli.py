"""Interoperability: the AWS CLI (v1, from the `test` extra) against the real server."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from s3vectors_emulator.server import EmulatorServer

pytest.importorskip("awscli", reason="the AWS CLI v1 (pip install awscli, in the `test` extra) is not installed")


@pytest.fixture
def aws(server: EmulatorServer, client: Any, tmp_path: Path) -> Any:
    """Run `aws <args> --endpoint-url <server.url>` with dummy credentials and no user configuration."""
    config = tmp_path / "config"
    credentials = tmp_path / "credentials"
    config.write_text("")
    credentials.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "awscli", *args, "--endpoint-url", server.url, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, _output(result)
    return json.loads(result.stdout)


def _timestamp(value: Any) -> dt.datetime:
    """The CLI prints timestamps as received (epoch seconds) or as ISO 8601, by its configuration."""
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return dt.datetime.fromisoformat(value)


def test_aws_cli_buckets_and_errors(aws: Any) -> None:
    created = _json(aws("s3vectors", "create-vector-bucket", "--vector-bucket-name", "cli-bucket"))
    arn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/cli-bucket"
    assert created == {"vectorBucketArn": arn}

    listed = _json(aws("s3vectors", "list-vector-buckets"))
    assert [b["vectorBucketName"] for b in listed["vectorBuckets"]] == ["cli-bucket"]
    assert listed["vectorBuckets"][0]["vectorBucketArn"] == arn

    bucket = _json(aws("s3vectors", "get-vector-bucket", "--vector-bucket-name", "cli-bucket"))["vectorBucket"]
    assert bucket["vectorBucketName"] == "cli-bucket"
    assert bucket["vectorBucketArn"] == arn
    created_at = _timestamp(bucket["creationTime"])
    assert abs((dt.datetime.now(dt.UTC) - created_at).total_seconds()) < 24 * 3600, bucket["creationTime"]

    failed = aws("s3vectors", "get-index", "--vector-bucket-name", "cli-bucket", "--index-name", "missing")
    assert failed.returncode != 0, _output(failed)
    assert "NotFoundException" in failed.stderr, _output(failed)
    assert "The specified index could not be found" in failed.stderr, _output(failed)
