"""Run the emulator inside a test process (the pytest fixtures are in ``s3vectors_emulator.pytest_plugin``).

Outside pytest::

    from s3vectors_emulator.config import Config
    from s3vectors_emulator.testing import client_for, running_emulator

    with running_emulator(Config(port=0)) as url:
        client = client_for(url, region="us-east-1", access_key="test")

Nothing here needs pytest.  Importing this module is cheap (a few standard modules and the settings
dataclass): the app, the server and boto3 are imported by the functions that use them, so a conftest
that imports this module costs a test run nothing until a server is started or a client is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from s3vectors_emulator.config import Config


@contextmanager
def running_emulator(config: Config | None = None) -> Iterator[str]:
    """Serve the emulator on a free port in background threads, seeded from ``config.init`` if given; yield its
    URL; stop it after."""
    # Imported here: the app pulls in numpy, Flask, orjson and botocore's service model.
    from s3vectors_emulator.app import create_app
    from s3vectors_emulator.seeding import seed_app
    from s3vectors_emulator.server import EmulatorServer

    config = config or Config(port=0)
    app = create_app(config)
    server = EmulatorServer(app, config.host, config.port, config.threads)
    server.start()
    try:
        seed_app(app)  # Config.init, if any; SeedError (one line) when it cannot be applied
        yield server.url
    finally:
        server.stop()
        app.extensions["s3vectors_store"].close()


def reset(url: str) -> None:
    """Drop all state of the emulator at ``url`` (POST /_emulator/reset)."""
    import http.client  # here, not at the top: pytest itself never loads it, and it is not free

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("POST", "/_emulator/reset")
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"resetting the emulator at {url} answered {response.status}")
    finally:
        conn.close()


def client_for(url: str, region: str = "us-east-1", access_key: str = "test", **config: Any) -> Any:
    """A boto3 S3 Vectors client bound to ``url`` with dummy credentials (``config``: botocore Config)."""
    # Imported here: boto3 and botocore cost ~0.2 s and tens of MB, paid only by a caller that wants a client.
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=BotoConfig(**config) if config else None,
    )
