"""export and import (s3vectors_emulator/transfer/) against boto3 loops, on 1024-dimensional vectors with a little
metadata, each emulator in its own process and each command run as a user runs it (its own process).

- export: ``s3vectors-emulator export`` of the whole index (16 ListVectors segments, plain .jsonl) against a boto3
  ``list_vectors`` loop with data and metadata, 1,000 a page;
- import: ``s3vectors-emulator import`` of that dump into a fresh emulator against a boto3 ``put_vectors`` loop
  of 500-vector batches.

Both are compared as vectors per second, measured in this run, each boto3 loop half before its command and half
after it.  boto3 costs the same per call whatever the index holds (about 2 s per 500-vector put here), so its
loops run over a part of the index (PARTIAL_*), not all of it, which would take some ten minutes: the ratio is
of rates.  Targets (issue #14): at least 10× each.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.data import gaussian, generator, key_of
from bench.report import Column, Section, Target
from bench.servers import client_for, create_index, emulator_process, http_put
from bench.stats import now

DIM = 1024
# The quick run too: the targets are for 100,000, and on 20,000 the command's start-up (~0.5 s) weighed a quarter
# of the export.
VECTORS = 100_000
# boto3's loops: how many calls each makes (at most the whole index).
PARTIAL_PUTS, PARTIAL_PAGES = 20, 20
BUCKET, INDEX = "bench-transfer", "vectors-1024"
TARGET = 10.0


def _metadata(i: int) -> dict[str, Any]:
    return {"n": i, "genre": ("drama", "comedy", "news")[i % 3]}


def _command(*args: str) -> float:
    start = now()
    subprocess.run([sys.executable, "-m", "s3vectors_emulator", *args, "--quiet"], check=True)
    return now() - start


def _boto_list(url: str, pages: int) -> tuple[int, float]:
    client = client_for(url)
    start = now()
    count, token = 0, None
    for _ in range(pages):
        extra = {"nextToken": token} if token else {}
        answer = client.list_vectors(
            vectorBucketName=BUCKET, indexName=INDEX, maxResults=1000, returnData=True, returnMetadata=True, **extra
        )
        count += len(answer["vectors"])
        token = answer.get("nextToken")
        if not token:
            break
    return count, now() - start


def _boto_put(url: str, matrix: np.ndarray[Any, Any], calls: int) -> tuple[int, float]:
    client = client_for(url)
    start = now()
    count = 0
    for call in range(min(calls, len(matrix) // 500)):
        block = matrix[call * 500 : (call + 1) * 500]
        vectors = [
            {"key": key_of(call * 500 + j), "data": {"float32": row}, "metadata": _metadata(call * 500 + j)}
            for j, row in enumerate(block.tolist())
        ]
        client.put_vectors(vectorBucketName="bench-boto", indexName=INDEX, vectors=vectors)
        count += len(vectors)
    return count, now() - start


def run(quick: bool) -> Section:
    n = VECTORS
    matrix = gaussian(generator(), n, DIM)
    section = Section(
        "transfer",
        f"export and import of {n:,} x {DIM} vectors against boto3 loops (vectors/s)",
        [
            Column("what", "what"),
            Column("vectors", "vectors", "num"),
            Column("seconds", "seconds", "{:.2f}"),
            Column("rate", "vectors/s", "num"),
            Column("target", "target"),
        ],
    )
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as tmp, emulator_process() as source:
        create_index(client_for(source), BUCKET, INDEX, DIM)
        http_put(source, BUCKET, INDEX, matrix, metadata=_metadata)
        # Each boto3 loop is run half before its command and half after, so that a machine speeding up or slowing
        # down during the run (shared cores) weighs on both sides of the ratio alike.
        before = _boto_list(source, PARTIAL_PAGES // 2)
        dump = Path(tmp) / "dump"
        export_s = _command("export", "--endpoint-url", source, "--bucket", BUCKET, str(dump))
        after = _boto_list(source, PARTIAL_PAGES - PARTIAL_PAGES // 2)
        listed, boto_list_s = before[0] + after[0], before[1] + after[1]
        with emulator_process() as target:
            create_index(client_for(target), "bench-boto", INDEX, DIM)
            before = _boto_put(target, matrix, PARTIAL_PUTS // 2)
            import_s = _command("import", "--endpoint-url", target, str(dump))
            after = _boto_put(target, matrix, PARTIAL_PUTS - PARTIAL_PUTS // 2)
            put, boto_put_s = before[0] + after[0], before[1] + after[1]
            check = client_for(target).get_vectors(
                vectorBucketName=BUCKET, indexName=INDEX, keys=[key_of(0), key_of(n - 1)], returnData=True
            )["vectors"]
            got = {v["key"]: np.asarray(v["data"]["float32"], dtype=np.float32) for v in check}
            if not (np.array_equal(got[key_of(0)], matrix[0]) and np.array_equal(got[key_of(n - 1)], matrix[-1])):
                raise RuntimeError("the imported vectors differ from the exported ones")
        size = sum(p.stat().st_size for p in dump.rglob("*") if p.is_file())
    rows: list[dict[str, Any]] = [
        {"what": "boto3 list_vectors loop (data, metadata, 1,000 a page)", "vectors": listed, "seconds": boto_list_s},
        {"what": "s3vectors-emulator export (16 segments, plain .jsonl)", "vectors": n, "seconds": export_s},
        {"what": "boto3 put_vectors loop (500 a call)", "vectors": put, "seconds": boto_put_s},
        {"what": "s3vectors-emulator import (8 connections)", "vectors": n, "seconds": import_s},
    ]
    for row in rows:
        row["rate"] = row["vectors"] / row["seconds"]
    export_x = rows[1]["rate"] / rows[0]["rate"]
    import_x = rows[3]["rate"] / rows[2]["rate"]
    export_row = {"what": "export / boto3 list loop", "rate": export_x}
    import_row = {"what": "import / boto3 put loop", "rate": import_x}
    section.add_target(export_row, Target("export vs boto3 list_vectors loop", export_x, ">=", TARGET))
    section.add_target(import_row, Target("import vs boto3 put_vectors loop", import_x, ">=", TARGET))
    section.rows += [*rows, export_row, import_row]
    section.notes.append(
        f"boto3's loops run {PARTIAL_PAGES} pages and {PARTIAL_PUTS} calls at most (their cost per call does not "
        f"grow with the index); the dump took {size / 2**20:,.0f} MiB"
    )
    return section
