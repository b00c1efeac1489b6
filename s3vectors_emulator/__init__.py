"""A local emulator of Amazon S3 Vectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from s3vectors_emulator.mock import mock_s3vectors

__all__ = ["__version__", "mock_s3vectors"]

# The one version number: pyproject.toml reads it (dynamic version), and so do --version,
# GET /_emulator/health and the package metadata.
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Imported on first use: the in-process mode loads the app (numpy, Flask) and botocore, which
    # ``import s3vectors_emulator`` (the pytest plugin, --version) must not pay for.
    if name == "mock_s3vectors":
        from s3vectors_emulator.mock import mock_s3vectors

        return mock_s3vectors
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
