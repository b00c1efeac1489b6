"""A local emulator of Amazon S3 Vectors."""

# The one version number: pyproject.toml reads it (dynamic version), and so do --version,
# GET /_emulator/health and the package metadata.
__version__ = "0.1.0"
