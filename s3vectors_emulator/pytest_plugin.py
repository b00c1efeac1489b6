"""The pytest plugin, registered by the package's ``pytest11`` entry point.

Fixtures:

- ``s3vectors_endpoint``: the URL of an emulator started once per session, on a free loopback port.
- ``s3vectors_client``: a boto3 client bound to it; every test that asks for a client starts with no state.
- ``s3vectors_client_for``: ``factory(region="us-east-1", access_key="test")`` giving clients of other
  regions and accounts on the same server (state reset once per test, shared with ``s3vectors_client``).
- ``s3vectors_mock``: the in-process mode for one test (``s3vectors_emulator.mock``): every S3 Vectors client
  answered in this process, from an empty store, with no server; the fixture's value is the active mock.

pytest loads this module in every test run of every project that has the package installed, whether
or not a test uses it, so at import it loads nothing but pytest: the emulator (numpy, Flask, orjson)
and boto3 are imported inside the fixtures, by the first test that asks for one.  ``-p no:s3vectors``
disables the plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def s3vectors_endpoint() -> Iterator[str]:
    """The URL of an emulator that runs for the whole test session (state is not reset by this fixture)."""
    from s3vectors_emulator.testing import running_emulator

    with running_emulator() as url:
        yield url


@pytest.fixture
def _s3vectors_fresh_state(s3vectors_endpoint: str) -> str:
    """Drop all state once per test: one function-scoped fixture, so a test asking for both
    ``s3vectors_client`` and ``s3vectors_client_for`` resets once and its clients see each other's data."""
    from s3vectors_emulator.testing import reset

    reset(s3vectors_endpoint)
    return s3vectors_endpoint


@pytest.fixture
def s3vectors_client(_s3vectors_fresh_state: str) -> Any:
    """A boto3 client (region us-east-1, access key ``test``) bound to the session's emulator, with no state."""
    from s3vectors_emulator.testing import client_for

    return client_for(_s3vectors_fresh_state)


@pytest.fixture
def s3vectors_client_for(_s3vectors_fresh_state: str) -> Callable[..., Any]:
    """``factory(region="us-east-1", access_key="test")``: a boto3 client of that region on the session's
    emulator; an access key of exactly 12 digits is taken as the account id, so it reaches another account."""
    from s3vectors_emulator.testing import client_for

    url = _s3vectors_fresh_state

    def factory(region: str = "us-east-1", access_key: str = "test") -> Any:
        return client_for(url, region=region, access_key=access_key)

    return factory


@pytest.fixture
def s3vectors_mock() -> Iterator[Any]:
    """While the test runs, every botocore S3 Vectors client, whenever made, is answered in this process
    from an empty store (``mock_s3vectors``); moto's ``mock_aws`` keeps every other service."""
    from s3vectors_emulator.mock import mock_s3vectors

    with mock_s3vectors() as mock:
        yield mock
