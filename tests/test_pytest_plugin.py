"""The pytest plugin and context manager, as a user of the installed package meets them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from s3vectors_emulator.testing import client_for, running_emulator

USER_TEST = """
def test_round_trip(s3vectors_client):
    s3vectors_client.create_vector_bucket(vectorBucketName="my-bucket")
    names = [b["vectorBucketName"] for b in s3vectors_client.list_vector_buckets()["vectorBuckets"]]
    assert names == ["my-bucket"]


def test_state_is_reset_between_tests(s3vectors_client, s3vectors_endpoint):
    assert s3vectors_endpoint.startswith("http://127.0.0.1:")
    assert s3vectors_client.list_vector_buckets()["vectorBuckets"] == []
"""


def test_plugin_in_a_new_project(tmp_path):
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_context_manager():
    with running_emulator() as url:
        client = client_for(url)
        client.create_vector_bucket(vectorBucketName="ctx-bucket")
        assert client.get_vector_bucket(vectorBucketName="ctx-bucket")["vectorBucket"]["vectorBucketName"] == (
            "ctx-bucket"
        )
