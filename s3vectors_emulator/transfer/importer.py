"""import: a dump directory into an endpoint, making missing buckets and indexes and refusing mismatching ones.

Run again after an interruption, it finishes the job: PutVectors replaces a vector by key
(behaviour.md#vectors-overwrite), so batches sent twice change nothing, and buckets and indexes already made
are checked, not made again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from s3vectors_emulator.transfer.catalog import Builder, Selection
from s3vectors_emulator.transfer.client import Endpoint, RateLimit
from s3vectors_emulator.transfer.dump import MANIFEST_NAME, BucketEntry, IndexEntry, read_lines, read_manifest
from s3vectors_emulator.transfer.progress import Progress
from s3vectors_emulator.transfer.vectors import BATCH, MAX_BODY, Putter


def import_dump(
    target: Endpoint,
    directory: Path,
    selection: Selection,
    quiet: bool = False,
    connections: int = 8,
    max_rate: float | None = None,
) -> int:
    """Import the selected part of the dump in ``directory``; returns the number of vectors written."""
    manifest = read_manifest(directory)
    buckets = selection.keep(manifest.buckets)
    progress = Progress("imported", sum(i.vector_count for b in buckets for i in b.indexes), quiet)
    where = str(directory / MANIFEST_NAME)
    try:

        def send(bucket: BucketEntry, index: IndexEntry, putter: Putter) -> None:
            for batch in read_lines(directory, index, BATCH, MAX_BODY):
                putter.put(batch)

        write_buckets(target, buckets, where, progress, Putting(connections, RateLimit(max_rate)), send)
        progress.finish(f"into {target.url} ({target.retries} calls retried)")
    finally:
        progress.close()
    return progress.done


@dataclass(frozen=True)
class Putting:
    """How vectors are written: over how many connections, at what rate."""

    connections: int
    rate: RateLimit


def write_buckets(
    target: Endpoint,
    buckets: list[BucketEntry],
    where: str,
    progress: Progress,
    putting: Putting,
    send: Callable[[BucketEntry, IndexEntry, Putter], None],
) -> None:
    """Check every bucket and index against ``target``, then make the missing ones and have ``send`` hand each
    index's vectors to its Putter; ``where`` names the source in messages."""
    builders = [Builder(target, bucket, where) for bucket in buckets]
    for builder in builders:
        builder.check()
    for bucket, builder in zip(buckets, builders, strict=True):
        builder.make_bucket()
        for index in bucket.indexes:
            builder.make_index(index)
            progress.describe(f"{bucket.name}/{index.name}")
            putter = Putter(
                target, bucket.name, index.name, index.dimension, progress, putting.connections, putting.rate
            )
            try:
                send(bucket, index, putter)
            finally:
                putter.close()
        builder.finish()
