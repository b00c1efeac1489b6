"""copy: buckets and indexes from one endpoint to another, without a file in between."""

from __future__ import annotations

from typing import Any

import orjson

from s3vectors_emulator.transfer.catalog import Builder, Selection, describe
from s3vectors_emulator.transfer.client import Endpoint, RateLimit
from s3vectors_emulator.transfer.dump import LineBatch
from s3vectors_emulator.transfer.progress import Progress
from s3vectors_emulator.transfer.vectors import BATCH, MAX_BODY, SEGMENTS, Putter, read_index


def copy_between(
    source: Endpoint,
    target: Endpoint,
    selection: Selection,
    quiet: bool = False,
    segments: int = SEGMENTS,
    connections: int = 8,
    max_rate: float | None = None,
) -> int:
    """Copy the selected buckets and indexes with their vectors; returns the number of vectors written.  Values go
    on as the source wrote them: the decimal of each float32's double reads back as the same float32."""
    buckets, _ = describe(source, selection)
    progress = Progress("copied", None, quiet)
    rate = RateLimit(max_rate)
    where = f"{source.url} ({source.region})"
    try:
        builders = [Builder(target, bucket, where) for bucket in buckets]
        for builder in builders:
            builder.check()
        for bucket, builder in zip(buckets, builders, strict=True):
            builder.make_bucket()
            for index in bucket.indexes:
                builder.make_index(index)
                progress.describe(f"{bucket.name}/{index.name}")
                putter = Putter(target, bucket.name, index.name, index.dimension, progress, connections, rate)
                origin = f"{where} {bucket.name}/{index.name}"

                def handle(page: list[dict[str, Any]], putter: Putter = putter, origin: str = origin) -> None:
                    for batch in batches(page, origin):
                        putter.put(batch)

                try:
                    read_index(source, bucket.name, index.name, handle, segments)
                finally:
                    putter.close()
            builder.finish()
        progress.finish(f"from {source.url} to {target.url} ({target.retries} calls retried)")
    finally:
        progress.close()
    return progress.done


def batches(page: list[dict[str, Any]], origin: str) -> list[LineBatch]:
    """A ListVectors page as PutVectors batches of at most 500 vectors and MAX_BODY bytes."""
    found: list[LineBatch] = []
    lines: list[bytes] = []
    size = 0
    for vector in page:
        if not vector.get("metadata"):
            vector.pop("metadata", None)
        line = orjson.dumps(vector)
        if lines and (len(lines) == BATCH or size + len(line) + 1 > MAX_BODY):
            found.append(LineBatch(lines, [], size, origin))
            lines, size = [], 0
        lines.append(line)
        size += len(line) + 1
    if lines:
        found.append(LineBatch(lines, [], size, origin))
    return found
