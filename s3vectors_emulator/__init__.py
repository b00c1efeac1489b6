"""A local emulator of Amazon S3 Vectors."""

__version__ = "0.1.0"
