"""Conformance suite: the same tests against the emulator, real AWS, or any endpoint (docs/conformance.md)."""
