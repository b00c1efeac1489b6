"""What the benchmark ran on: CPU, memory, BLAS and library versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np


def _meminfo(field: str) -> int:
    """A /proc/meminfo figure in bytes (0 when unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def available_bytes() -> int:
    return _meminfo("MemAvailable")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    return _meminfo("MemTotal")


def _blas() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        text = f"{blas.get('name')} {blas.get('version')}"
        extra = blas.get("openblas configuration")
        return f"{text} ({extra})" if extra else text
    except Exception as exc:  # older numpy, or a build without the dicts
        return f"unknown ({exc.__class__.__name__})"


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(_ram_bytes() / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "faiss": _version("faiss-cpu"),
        "botocore": _version("botocore"),
        "moto": _version("moto"),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
