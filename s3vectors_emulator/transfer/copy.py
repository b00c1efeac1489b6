"""copy: buckets and indexes from one endpoint to another, without a file in between."""

from __future__ import annotations

from s3vectors_emulator.transfer.catalog import Selection, describe
from s3vectors_emulator.transfer.client import Endpoint, RateLimit
from s3vectors_emulator.transfer.dump import BucketEntry, IndexEntry, LineBatch
from s3vectors_emulator.transfer.importer import Putting, write_buckets
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
    on as the shortest decimals of their float32s, as in a dump: each reads back as the same float32."""
    buckets, _, _ = describe(source, selection)
    progress = Progress("copied", None, quiet)
    where = f"{source.url} ({source.region})"
    try:

        def send(bucket: BucketEntry, index: IndexEntry, putter: Putter) -> None:
            origin = f"{where} {bucket.name}/{index.name}"

            def handle(lines: list[bytes]) -> None:
                for batch in batches(lines, origin):
                    putter.put(batch)

            read_index(source, bucket.name, index.name, handle, segments)

        write_buckets(target, buckets, where, progress, Putting(connections, RateLimit(max_rate)), send)
        progress.finish(f"from {source.url} to {target.url} ({target.retries} calls retried)")
    finally:
        progress.close()
    return progress.done


def batches(page: list[bytes], origin: str) -> list[LineBatch]:
    """A ListVectors page's lines as PutVectors batches of at most 500 vectors and MAX_BODY bytes."""
    found: list[LineBatch] = []
    lines: list[bytes] = []
    size = 0
    for line in page:
        if lines and (len(lines) == BATCH or size + len(line) + 1 > MAX_BODY):
            found.append(LineBatch(lines, [], size, origin))
            lines, size = [], 0
        lines.append(line)
        size += len(line) + 1
    if lines:
        found.append(LineBatch(lines, [], size, origin))
    return found
