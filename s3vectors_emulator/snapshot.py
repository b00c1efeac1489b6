"""Whole-emulator snapshots: ``GET /_emulator/snapshot`` (behaviour.md#consistency-snapshots, docs/seeding.md).

Every account and region as one ``.tar.gz`` of dumps (docs/data-format.md), one folder per account and region::

    <account>/<region>/vectors/<bucket>/<index>.jsonl.gz
    <account>/<region>/manifest.json

made as it is sent: the tar stream is written here (headers by :mod:`tarfile`), so no more than one index's
vectors file exists at a time, in a temporary directory, and the archive is never held whole.  Each index is
copied under its read lock (:meth:`Index.contents`), so each index is as it was at one moment; writes to other
indexes may land while the snapshot is made.  The manifest of a folder follows its vectors files in the
archive: its counts are those of the copies.  ``--init`` takes the archive back (s3vectors_emulator.seeding).
"""

from __future__ import annotations

import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from isal import isal_zlib

from s3vectors_emulator.config import Config
from s3vectors_emulator.operations.entries import bucket_entry, index_entry
from s3vectors_emulator.store.metadata import unpack_metadata
from s3vectors_emulator.store.store import Region, Store
from s3vectors_emulator.transfer.dump import MANIFEST_NAME, Manifest, Source, VectorWriter, encode_vector

_PIECE = 1 << 20  # bytes read from a vectors file at a time
_LINES = 1000  # vectors encoded at a time
# The vectors files are gzip-compressed already: the archive's own gzip layer takes the fastest level there is.
_ARCHIVE_LEVEL = 0


def snapshot_archive(store: Store, endpoint: str, config: Config) -> Iterator[bytes]:
    """The archive's bytes, piece by piece (``endpoint``: this server's URL, for the manifests).  The server's
    default account and region always have a folder, so the snapshot of an empty emulator is a seed of nothing."""
    gzip = isal_zlib.compressobj(_ARCHIVE_LEVEL, isal_zlib.DEFLATED, 31)  # wbits 31: a gzip stream
    default = store.region(config.account_id, config.region)
    regions = sorted(store.regions(), key=lambda r: (r.account, r.region))
    with tempfile.TemporaryDirectory(prefix="s3vectors-snapshot-") as scratch:
        for region in regions:
            if region.buckets or region is default:
                for piece in _region(region, Path(scratch), endpoint):
                    out = gzip.compress(piece)
                    if out:
                        yield out
        yield gzip.compress(b"\0" * (2 * tarfile.BLOCKSIZE)) + gzip.flush()  # the tar's end-of-archive blocks


def _region(region: Region, scratch: Path, endpoint: str) -> Iterator[bytes]:
    folder = f"{region.account}/{region.region}"
    with region.lock:
        buckets = sorted(region.buckets.values(), key=lambda b: b.name)
        indexes = {b.name: sorted(b.indexes.values(), key=lambda i: i.name) for b in buckets}
    entries = []
    for bucket in buckets:
        entry = bucket_entry(bucket)
        for index in indexes[bucket.name]:
            keys, data, packed = index.contents()
            with VectorWriter(scratch, bucket.name, index.name) as writer:
                for start in range(0, len(keys), _LINES):
                    writer.write_lines(
                        [
                            encode_vector(keys[i], data[i], unpack_metadata(packed[i]) or None)
                            for i in range(start, min(start + _LINES, len(keys)))
                        ]
                    )
            del data
            entry.indexes.append(index_entry(index, writer.count, writer.file))
            path = scratch / writer.file
            yield from _member(f"{folder}/{writer.file}", path)
            path.unlink()
        entries.append(entry)
    manifest = Manifest(Source(endpoint, region.region, region.account), entries)
    body = orjson.dumps(manifest.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
    yield from _member(f"{folder}/{MANIFEST_NAME}", body)


def _member(name: str, source: Path | bytes) -> Iterator[bytes]:
    """One file of the tar stream: its header, its bytes, and the padding to the next 512-byte block."""
    info = tarfile.TarInfo(name)
    info.size = source.stat().st_size if isinstance(source, Path) else len(source)
    info.mtime = int(time.time())
    info.mode = 0o644
    yield info.tobuf(format=tarfile.PAX_FORMAT)
    if isinstance(source, Path):
        with open(source, "rb") as handle:
            while piece := handle.read(_PIECE):
                yield piece
    else:
        yield source
    if info.size % tarfile.BLOCKSIZE:
        yield b"\0" * (tarfile.BLOCKSIZE - info.size % tarfile.BLOCKSIZE)
