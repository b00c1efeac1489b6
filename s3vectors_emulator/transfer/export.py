"""export: one index, one bucket or every bucket of an endpoint into a dump directory (docs/data-format.md)."""

from __future__ import annotations

from pathlib import Path

from s3vectors_emulator.transfer.catalog import Selection, describe
from s3vectors_emulator.transfer.client import Endpoint, TransferError
from s3vectors_emulator.transfer.dump import (
    MANIFEST_NAME,
    Manifest,
    Source,
    VectorWriter,
    write_manifest,
)
from s3vectors_emulator.transfer.progress import Progress
from s3vectors_emulator.transfer.vectors import SEGMENTS, read_index


def export_dump(
    source: Endpoint,
    directory: Path,
    selection: Selection,
    quiet: bool = False,
    segments: int = SEGMENTS,
    compressed: bool = False,
    force: bool = False,
) -> Manifest:
    """Write the selected buckets and indexes of ``source`` into ``directory``; the manifest is written last,
    so a directory without one holds no finished dump."""
    if (directory / MANIFEST_NAME).exists() and not force:
        raise TransferError(f"{directory} already holds a dump; pass --force to overwrite it")
    buckets, account, region = describe(source, selection)
    progress = Progress("exported", None, quiet)
    try:
        for bucket in buckets:
            for index in bucket.indexes:
                progress.describe(f"{bucket.name}/{index.name}")
                with VectorWriter(directory, bucket.name, index.name, compressed) as writer:
                    shared = writer.shared()

                    def handle(lines: list[bytes], writer: VectorWriter = writer, shared: object = shared) -> None:
                        if shared is None:
                            writer.write_lines(lines)
                        else:
                            writer.added(len(lines))  # the readers wrote them (vectors.py read_index)
                        progress.add(len(lines))

                    read_index(source, bucket.name, index.name, handle, segments, file=shared)
                index.vector_count = writer.count
                index.file = writer.file
        manifest = Manifest(Source(None if source.aws else source.url, region, account), buckets)
        write_manifest(directory, manifest)
        count = sum(len(b.indexes) for b in buckets)
        progress.finish(f"of {count} index{'es' if count != 1 else ''} in {len(buckets)} bucket(s) to {directory}")
    finally:
        progress.close()
    return manifest
