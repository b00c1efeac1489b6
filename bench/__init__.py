"""Benchmarks of the emulator: ``python -m bench.run [--quick] [--only SECTION] [--out FILE]``."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: results go under it, servers run in it
