"""The same put, get and list workload against moto's server and the emulator (each in its own
process, the same boto3 client set-up), as a ratio of times moto / emulator.  moto has S3 Vectors
but no QueryVectors, so queries are left out."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from bench.data import gaussian, generator, key_of
from bench.report import Column, Section
from bench.servers import client_for, create_index, emulator_process, free_port, server_process
from bench.stats import median, now

PUTS, BATCH, DIM = 20, 100, 128
GETS, GET_KEYS = 100, 10
PAGES, PAGE = 20, 100
BUCKET = "bench-moto"
# Used instead of this interpreter when present (a venv for moto, should moto[server] ever need a
# botocore older than the emulator's).
MOTO_VENV_PYTHON = Path(__file__).resolve().parent / ".moto-venv" / "bin" / "python"


def _moto_python() -> str | None:
    if MOTO_VENV_PYTHON.exists():
        return str(MOTO_VENV_PYTHON)
    if importlib.util.find_spec("moto") and importlib.util.find_spec("flask_cors"):
        return sys.executable
    return None


def workload(
    client: Any, index: str, payloads: list[list[dict[str, Any]]], gets: int = GETS, pages: int = PAGES
) -> dict[str, float]:
    """Seconds for each phase: one PutVectors per payload, ``gets`` GetVectors of GET_KEYS keys (data
    and metadata), ``pages`` ListVectors pages of PAGE keys (following nextToken, from the start
    again when there is none)."""
    create_index(client, BUCKET, index, DIM)
    times: dict[str, float] = {}
    start = now()
    for vectors in payloads:
        client.put_vectors(vectorBucketName=BUCKET, indexName=index, vectors=vectors)
    times["put"] = now() - start
    total = len(payloads) * BATCH
    start = now()
    for g in range(gets):
        keys = [key_of((g * 37 + j * 101) % total) for j in range(GET_KEYS)]
        got = client.get_vectors(
            vectorBucketName=BUCKET, indexName=index, keys=keys, returnData=True, returnMetadata=True
        )
        if len(got["vectors"]) != GET_KEYS:
            raise RuntimeError(f"GetVectors returned {len(got['vectors'])} of {GET_KEYS} vectors")
    times["get"] = now() - start
    start = now()
    token = None
    listed = 0
    for _ in range(pages):
        extra = {"nextToken": token} if token else {}
        page = client.list_vectors(vectorBucketName=BUCKET, indexName=index, maxResults=PAGE, **extra)
        listed += len(page["vectors"])
        token = page.get("nextToken")
    times["list"] = now() - start
    times["total"] = times["put"] + times["get"] + times["list"]
    times["listed"] = listed
    return times


def run(quick: bool) -> Section:
    rounds = 3 if quick else 5
    section = Section(
        "moto",
        f"put/get/list workload: moto server vs emulator ({PUTS} PutVectors of {BATCH} x {DIM}, {GETS} GetVectors, "
        f"{PAGES} ListVectors pages)",
        [
            Column("phase", "phase"),
            Column("emulator_ms", "emulator ms", "{:,.1f}"),
            Column("moto_ms", "moto ms", "{:,.1f}"),
            Column("ratio", "moto/emulator", "{:.2f}x"),
        ],
    )
    python = _moto_python()
    if python is None:
        section.notes.append("moto[server] is not installed: section skipped (pip install -e '.[bench]')")
        return section
    rng = generator()
    payloads = [
        [
            {"key": key_of(p * BATCH + j), "data": {"float32": row}, "metadata": {"batch": p, "even": j % 2 == 0}}
            for j, row in enumerate(gaussian(rng, BATCH, DIM).tolist())
        ]
        for p in range(PUTS)
    ]
    port = free_port()
    moto_argv = [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    results: dict[str, list[dict[str, float]]] = {"emulator": [], "moto": []}
    with emulator_process() as emulator_url, server_process(moto_argv, port) as moto_url:
        clients = {"emulator": client_for(emulator_url), "moto": client_for(moto_url)}
        for client in clients.values():  # connections, lazy loading
            workload(client, "warm-up", payloads[:2], gets=3, pages=3)
        for r in range(rounds):
            for name, client in clients.items():
                results[name].append(workload(client, f"round-{r}", payloads))
    for phase in ("put", "get", "list", "total"):
        emulator = median([t[phase] for t in results["emulator"]])
        moto = median([t[phase] for t in results["moto"]])
        section.rows.append(
            {
                "phase": phase,
                "emulator_ms": emulator * 1e3,
                "moto_ms": moto * 1e3,
                "ratio": moto / emulator,
                "runs": rounds,
            }
        )
    listed = {name: int(median([t["listed"] for t in results[name]])) for name in results}
    section.notes.append(f"moto from {python}; {rounds} interleaved rounds, each on a fresh index")
    if listed["moto"] != listed["emulator"]:
        section.notes.append(
            f"vectors listed in {PAGES} pages: emulator {listed['emulator']:,}, moto {listed['moto']:,} "
            "(moto ignores maxResults and nextToken, so each of its pages holds the whole index)"
        )
    return section
