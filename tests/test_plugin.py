"""The pytest plugin as a user's project meets it: real pytest runs of a throwaway project in ``tmp_path``.

Each run is a new interpreter (``sys.executable -m pytest``), because what is under test is what
pytest loads at start-up from the installed package's ``pytest11`` entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

# What the plugin must not cost a run whose tests never ask for its fixtures.
HEAVY = (
    "numpy",
    "flask",
    "botocore",
    "boto3",
    "werkzeug",
    "orjson",
    "s3vectors_emulator.app",
    "s3vectors_emulator.mock",
)

TRIVIAL_TEST = f"""
import sys


def test_plugin_loaded_nothing_heavy():
    # Loaded, so the check below is about the plugin and not about its absence.
    assert "s3vectors_emulator.pytest_plugin" in sys.modules
    assert not set({HEAVY!r}) & set(sys.modules)
"""

OWN_EMULATOR_TEST = """
import emulator


def test_own_package_and_both_fixtures(s3vectors_client, s3vectors_client_for):
    # The user's top-level ``emulator`` package is theirs, not ours (ours is s3vectors_emulator).
    assert emulator.VALUE == 42
    s3vectors_client.create_vector_bucket(vectorBucketName="my-bucket")
    names = [b["vectorBucketName"] for b in s3vectors_client.list_vector_buckets()["vectorBuckets"]]
    assert names == ["my-bucket"]
    # The factory's default client is the same region and account, and state was reset once only.
    same = s3vectors_client_for()
    assert [b["vectorBucketName"] for b in same.list_vector_buckets()["vectorBuckets"]] == ["my-bucket"]
    assert s3vectors_client_for(region="eu-west-1").list_vector_buckets()["vectorBuckets"] == []
    assert s3vectors_client_for(access_key="111122223333").list_vector_buckets()["vectorBuckets"] == []


def test_state_is_reset_between_tests(s3vectors_client_for, s3vectors_endpoint):
    assert s3vectors_endpoint.startswith("http://127.0.0.1:")
    assert s3vectors_client_for().list_vector_buckets()["vectorBuckets"] == []
"""

IN_PROCESS_TEST = """
import boto3
import pytest
from moto import mock_aws

import s3vectors_emulator
from s3vectors_emulator import mock_s3vectors


def names():
    client = boto3.client("s3vectors", region_name="us-east-1")
    return [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]]


@pytest.mark.parametrize("run", [1, 2])
def test_fixture_starts_empty(s3vectors_mock, run):
    assert names() == []
    boto3.client("s3vectors", region_name="us-east-1").create_vector_bucket(vectorBucketName="from-the-fixture")
    assert [b.name for b in s3vectors_mock.store.region("123456789012", "us-east-1").buckets.values()] == [
        "from-the-fixture"
    ]


@mock_s3vectors
class TestDecoratedClass:
    def setup_method(self, method):
        boto3.client("s3vectors", region_name="us-east-1").create_vector_bucket(vectorBucketName=method.__name__[5:])

    def teardown_method(self):
        assert names() == [self.expected]

    def test_first(self):
        self.expected = "first"
        assert names() == ["first"]

    def test_second(self):
        self.expected = "second"
        assert names() == ["second"]


@mock_aws
@mock_s3vectors
class TestBesideMoto:
    def setup_method(self):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="documents")
        boto3.client("s3vectors", region_name="us-east-1").create_vector_bucket(vectorBucketName="embeddings")

    def test_each_service_answered_by_its_mock(self):
        assert [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]] == [
            "documents"
        ]
        assert names() == ["embeddings"]


def test_lazy_attribute():
    assert s3vectors_emulator.mock_s3vectors is mock_s3vectors
    with pytest.raises(AttributeError):
        s3vectors_emulator.no_such_thing
"""

NEEDS_CLIENT_TEST = """
def test_needs_client(s3vectors_client):
    pass
"""


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a new interpreter, in ``project``, unaffected by how this outer run was started."""
    # An empty pytest.ini makes ``project`` the rootdir, so no ini file above tmp_path applies.
    (project / "pytest.ini").write_text("[pytest]\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unused_plugin_imports_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "test_trivial.py").write_text(TRIVIAL_TEST)
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_fixtures_beside_a_user_package_named_emulator(tmp_path: Path) -> None:
    (tmp_path / "emulator").mkdir()
    (tmp_path / "emulator" / "__init__.py").write_text("VALUE = 42\n")
    (tmp_path / "test_user.py").write_text(textwrap.dedent(OWN_EMULATOR_TEST))
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_in_process_fixture_and_decorated_classes(tmp_path: Path) -> None:
    (tmp_path / "test_in_process.py").write_text(IN_PROCESS_TEST)
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_disabled_with_p_no_s3vectors(tmp_path: Path) -> None:
    (tmp_path / "test_needs_client.py").write_text(NEEDS_CLIENT_TEST)
    result = run_pytest(tmp_path, "-p", "no:s3vectors")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fixture 's3vectors_client' not found" in result.stdout
    assert "1 error" in result.stdout
