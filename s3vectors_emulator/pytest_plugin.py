"""The pytest plugin, registered by the package's ``pytest11`` entry point.

Request ``s3vectors_client`` in a test: a boto3 client bound to an emulator that starts once
per session, with all state dropped before each test.  ``s3vectors_endpoint`` is its URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from s3vectors_emulator.testing import client_for, reset, running_emulator


@pytest.fixture(scope="session")
def s3vectors_endpoint() -> Iterator[str]:
    """The URL of an emulator that runs for the whole test session."""
    with running_emulator() as url:
        yield url


@pytest.fixture
def s3vectors_client(s3vectors_endpoint: str) -> Any:
    """A boto3 client bound to the session's emulator; every test starts with no state."""
    reset(s3vectors_endpoint)
    return client_for(s3vectors_endpoint)
