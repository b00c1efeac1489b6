"""Benchmarks of the emulator: ``python -m bench.run [--quick] [--only SECTION] [--out FILE]``."""
