"""What every benchmark section shares: timing, medians, seeded data, index filling, servers, tables.

The machine is shared and noisy, so every figure is a median of several runs and every comparison
is a ratio of two things measured in the same run, interleaved so that noise hits both alike.
"""

from __future__ import annotations

import http.client
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np
import orjson
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240611
REGION = "us-east-1"

now = time.perf_counter
T = TypeVar("T")


# -- statistics ------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 50 values is the 50th smallest, i.e. the largest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return float(ordered[rank - 1])


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = now()
    fn()
    return now() - start


def interleaved(
    contenders: dict[str, Callable[[T], Any]],
    inputs: Sequence[T],
    warmup: int = 1,
    budget: float | None = None,
    min_rounds: int = 5,
    max_rounds: int = 500,
) -> dict[str, list[float]]:
    """Seconds per call of each contender, run in turn on the same input each round, so that noise
    hits all alike; ``inputs`` are cycled through.  The order rotates from round to round (a, b, c;
    b, c, a; c, a, b; ...), so no contender always follows the same one: a BLAS call right after
    faiss pays the thread wake-up that faiss left, and a fixed order charged it to one contender.

    ``warmup`` untimed rounds come first (caches, connections).  Without ``budget`` there are
    ``len(inputs) - warmup`` timed rounds; with it, as many as fit in about ``budget`` seconds
    (judged by the warm-up), between ``min_rounds`` and ``max_rounds``.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}

    names = list(contenders)

    def one_round(r: int, record: bool) -> float:
        item = inputs[r % len(inputs)]
        total = 0.0
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn = contenders[name]
            start = now()
            fn(item)
            seconds = now() - start
            total += seconds
            if record:
                times[name].append(seconds)
        return total

    spent = [one_round(r, False) for r in range(warmup)]
    if budget is None:
        rounds = max(1, len(inputs) - warmup)
    else:
        per_round = min(spent) if spent else budget / min_rounds
        rounds = int(min(max_rounds, max(min_rounds, budget / max(per_round, 1e-9))))
    for r in range(warmup, warmup + rounds):
        one_round(r, True)
    return times


# -- targets and sections ----------------------------------------------------------------------------


@dataclass
class Target:
    """A goal for one figure: ``value op limit`` (op is "<=" or ">=")."""

    name: str
    value: float | None
    op: str
    limit: float
    unit: str = "x"

    @property
    def met(self) -> bool | None:
        if self.value is None or math.isnan(self.value):
            return None
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    def label(self) -> str:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[self.met]
        return f"{self.op}{self.limit:g}{self.unit} {verdict}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "op": self.op,
            "limit": self.limit,
            "unit": self.unit,
            "met": self.met,
        }


@dataclass
class Column:
    key: str
    header: str
    fmt: str = "{}"  # a format string, or "num": thousands separators, 2-3 significant decimals


@dataclass
class Section:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0

    def add_target(self, row: dict[str, Any], target: Target) -> None:
        """Record ``target`` and show it beside its figure in ``row`` (column "target")."""
        self.targets.append(target)
        row["target"] = target.label()

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "rows": self.rows,
            "notes": self.notes,
            "targets": [t.as_dict() for t in self.targets],
            "seconds": round(self.seconds, 2),
        }


def _cell(column: Column, row: dict[str, Any]) -> str:
    value = row.get(column.key)
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if column.fmt == "num" and isinstance(value, int | float):
        size = abs(value)
        return f"{value:,.0f}" if size >= 100 else f"{value:.2f}" if size >= 1 else f"{value:.3f}"
    try:
        return column.fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def format_table(columns: list[Column], rows: list[dict[str, Any]]) -> str:
    cells = [[c.header for c in columns]] + [[_cell(c, row) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    # Text columns align left, numbers right.
    left = [any(isinstance(row.get(c.key), str) for row in rows) for c in columns]
    lines = []
    for n, line in enumerate(cells):
        lines.append(
            "  ".join(
                text.rjust(w) if n and not lft else text.ljust(w)
                for text, w, lft in zip(line, widths, left, strict=True)
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_section(section: Section) -> None:
    print(f"\n== {section.title} ({section.seconds:.0f} s)")
    if section.rows:
        print(format_table(section.columns, section.rows))
    for note in section.notes:
        print(f"  note: {note}")
    sys.stdout.flush()


# -- data ------------------------------------------------------------------------------------------


def generator(seed: int = SEED) -> np.random.Generator:
    return np.random.default_rng(seed)


def gaussian(rng: np.random.Generator, n: int, d: int) -> NDArray[np.float32]:
    """``n`` standard normal float32 vectors of dimension ``d`` (C-contiguous)."""
    return rng.standard_normal((n, d), dtype=np.float32)


def queries(rng: np.random.Generator, count: int, d: int) -> list[NDArray[np.float32]]:
    return list(gaussian(rng, count, d))


def key_of(i: int) -> str:
    return f"vec-{i:07d}"


def put_matrix(
    index: Any,
    matrix: NDArray[np.float32],
    first_key: int = 0,
    metadata: Callable[[int], dict[str, Any] | None] | None = None,
    batch: int = 500,
) -> float:
    """Put the rows of ``matrix`` into an Index as PutVectors does (check_records, then put,
    ``batch`` records at a time; keys ``key_of(first_key + row)``); returns the seconds spent."""
    spent = 0.0
    for b in range(0, len(matrix), batch):
        entries = [
            (key_of(first_key + j), matrix[j], metadata(first_key + j) if metadata else None)
            for j in range(b, min(b + batch, len(matrix)))
        ]
        start = now()
        index.put(index.check_records(entries))
        spent += now() - start
    return spent


def fill_index(
    index: Any,
    n: int,
    rng: np.random.Generator,
    metadata: Callable[[int], dict[str, Any] | None] | None = None,
    chunk: int = 50_000,
) -> float:
    """Put ``n`` generated vectors into an Index (see :func:`put_matrix`), generating them
    ``chunk`` rows at a time so that only the index holds them all; returns the seconds spent."""
    spent = 0.0
    for begin in range(0, n, chunk):
        block = gaussian(rng, min(chunk, n - begin), index.dimension)
        spent += put_matrix(index, block, begin, metadata)
        del block
    return spent


def estimate_generation_seconds(n: int, d: int) -> float:
    """How long generating (and copying once) ``n`` × ``d`` float32 values would take here."""
    rng = generator(1)
    sample = 1 << 22
    start = now()
    gaussian(rng, sample // d, d).copy()
    return (now() - start) * (n * d / sample)


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


# -- HTTP helpers ----------------------------------------------------------------------------------


def client_for(url: str) -> Any:
    """A boto3 S3 Vectors client with dummy credentials (the project's own factory)."""
    from s3vectors_emulator.testing import client_for as make

    return make(url, region=REGION)


def create_index(client: Any, bucket: str, index: str, dimension: int, metric: str = "cosine") -> None:
    try:
        client.create_vector_bucket(vectorBucketName=bucket)
    except client.exceptions.ConflictException:
        pass
    client.create_index(
        vectorBucketName=bucket, indexName=index, dataType="float32", dimension=dimension, distanceMetric=metric
    )


def http_put(
    url: str,
    bucket: str,
    index: str,
    matrix: NDArray[np.float32],
    first_key: int = 0,
    metadata: Callable[[int], dict[str, Any] | None] | None = None,
    batch: int = 500,
) -> float:
    """Fill an index over HTTP with unsigned PutVectors bodies serialised by orjson (much cheaper
    than boto3, so fills stay short); returns the seconds spent.  Fails loudly on any non-200."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=300)
    start = now()
    try:
        for b in range(0, len(matrix), batch):
            vectors = []
            for j in range(b, min(b + batch, len(matrix))):
                item: dict[str, Any] = {"key": key_of(first_key + j), "data": {"float32": matrix[j]}}
                meta = metadata(first_key + j) if metadata else None
                if meta is not None:
                    item["metadata"] = meta
                vectors.append(item)
            body = orjson.dumps(
                {"vectorBucketName": bucket, "indexName": index, "vectors": vectors},
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
            conn.request("POST", "/PutVectors", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"PutVectors answered {response.status}: {answer[:300]!r}")
    finally:
        conn.close()
    return now() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = now() + timeout
    while now() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server process exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {timeout:.0f} s")


@contextmanager
def server_process(argv: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server in its own process (own GIL) and yield its URL; SIGTERM it afterwards."""
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or os.environ.copy()
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def emulator_process(threads: int = 16) -> Iterator[str]:
    """The emulator as a user runs it (``python -m s3vectors_emulator``), in its own process."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "s3vectors_emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
    ]
    with server_process(argv, port) as url:
        yield url


# -- the machine -----------------------------------------------------------------------------------


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
