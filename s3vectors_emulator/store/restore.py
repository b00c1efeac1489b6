"""Rebuilding the store from its data directory at start-up.

A start never crash-loops: whatever the database holds, what is consistent is served, and each
thing that is not (a row that cannot be decoded, an index whose bucket is gone, a vector of the
wrong length or with values no write accepts, rows of an index that no longer exists) is left
out with one log line.  What was left out is then removed from the database, after a copy of the
database as it was is kept beside it, so that the database holds exactly what is served and a
later resource of the same name cannot collide with a leftover.  A database SQLite cannot read
at all is refused by :class:`~s3vectors_emulator.store.persistence.DataDirDamaged` with one clear line.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from s3vectors_emulator.errors import ServiceError
from s3vectors_emulator.store import arns
from s3vectors_emulator.store.configuration import INDEX_MODES, BucketSettings, IndexSettings
from s3vectors_emulator.store.distances import is_metric
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.journal import BucketCreated, IndexCreated, VectorsPut
from s3vectors_emulator.store.metadata import StoredMetadata, pack_metadata, validate_metadata
from s3vectors_emulator.store.persistence import (
    BucketRow,
    IndexRow,
    Persistence,
    VectorRow,
    decode_encryption,
    decode_text_fields,
    load_json,
)
from s3vectors_emulator.store.records import Record, key_fits
from s3vectors_emulator.store.store import Bucket, Region, Store

log = logging.getLogger("s3vectors_emulator.store")

# Beyond this many lines about one index's vectors, the rest are counted in one line.
_LINES_PER_INDEX = 20
_PLAIN = frozenset({str, int, float, bool})


@dataclass
class _LeftOut:
    buckets: list[int] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    vectors: list[tuple[int, str]] = field(default_factory=list)
    # Log lines, written once the whole database has been read: a database found damaged half
    # way is refused with its one line, not after lines about what seemed restored.
    notes: list[tuple[int, str, tuple[object, ...]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.buckets or self.indexes or self.vectors)

    def note(self, level: int, message: str, *args: object) -> None:
        self.notes.append((level, message, args))


def open_store(directory: str | os.PathLike[str], legacy_buckets: bool = False) -> Store:
    """A store journaled to the data directory ``directory``, holding what it held."""
    persistence = Persistence(directory)
    store = Store(legacy_buckets=legacy_buckets, journal=persistence)
    try:
        restore(store, persistence)
    except BaseException:
        persistence.close()
        raise
    return store


def restore(store: Store, persistence: Persistence) -> None:
    """Replay ``persistence``'s content into ``store`` as the changes that made it: the same
    :meth:`Region.apply` and :meth:`Index.replay` that live writes use, without journaling again."""
    left = _LeftOut()
    buckets: dict[int, tuple[Region, Bucket]] = {}
    for bucket_id, row in persistence.buckets():
        bucket = None
        try:
            if isinstance(row, Exception):
                raise ValueError(str(row))
            bucket = _bucket(row)
        except ValueError as exc:
            left.note(logging.WARNING, "left out bucket id %d from %s: %s", bucket_id, persistence.path, exc)
            left.buckets.append(bucket_id)
            continue
        region = store.region(row.account, row.region)
        region.apply(BucketCreated(bucket))
        buckets[bucket_id] = (region, bucket)

    kept: set[int] = set()
    for index_id, index_row in persistence.indexes():
        try:
            if isinstance(index_row, Exception):
                raise ValueError(str(index_row))
            owner = buckets.get(index_row.bucket_id)
            if owner is None:
                raise ValueError(f"its bucket (id {index_row.bucket_id}) no longer exists")
            region, bucket = owner
            index = _index(index_row, region, bucket)
        except ValueError as exc:
            left.note(
                logging.WARNING, "left out index id %d and its vectors from %s: %s", index_id, persistence.path, exc
            )
            left.indexes.append(index_id)
            continue
        region.apply(IndexCreated(index))
        _replay_vectors(persistence, index, index_row.id, left)
        kept.add(index_id)

    for index_id, count in persistence.orphan_vectors(kept | set(left.indexes)).items():
        left.note(logging.WARNING, "left out %d vectors of index id %d, which no longer exists", count, index_id)
        left.indexes.append(index_id)
    for level, message, args in left.notes:
        log.log(level, message, *args)
    if left:
        copy = persistence.remove(left.buckets, left.indexes, left.vectors)
        log.warning("removed what was left out from the database; its earlier state is kept in %s", copy)


def _bucket(row: BucketRow) -> Bucket:
    """The bucket a row describes; ValueError (the reason) when it describes none."""
    if not isinstance(row.tags, dict):
        raise ValueError("its tags are not a JSON object")
    encryption = decode_encryption(row.encryption)
    if encryption is None:
        raise ValueError("it has no encryption configuration")
    if row.default_index_mode not in INDEX_MODES:
        raise ValueError(f"unknown default index mode {row.default_index_mode!r}")
    if not math.isfinite(row.creation_time):
        raise ValueError("its creation time is not a number")
    return Bucket(
        account=row.account,
        region=row.region,
        name=row.name,
        creation_time=row.creation_time,
        encryption=encryption,
        legacy=row.legacy,
        settings=BucketSettings(row.default_index_mode, row.policy, row.tags),
        uid=row.uid,
    )


def _index(row: IndexRow, region: Region, bucket: Bucket) -> Index:
    """The (empty) index a row describes; ValueError (the reason) when it describes none."""
    if not 1 <= row.dimension <= 4096:
        raise ValueError(f"dimension {row.dimension} is outside 1-4096")
    metric = row.distance_metric
    if not is_metric(metric):
        raise ValueError(f"unknown distance metric {metric!r}")
    if row.mode not in INDEX_MODES:
        raise ValueError(f"unknown index mode {row.mode!r}")
    non_filterable = row.non_filterable
    if not isinstance(row.tags, dict) or not (
        non_filterable is None or (isinstance(non_filterable, list) and all(isinstance(k, str) for k in non_filterable))
    ):
        raise ValueError("its tags or metadata configuration are malformed")
    if not math.isfinite(row.creation_time):
        raise ValueError("its creation time is not a number")
    return Index(
        row.dimension,
        metric,
        non_filterable_keys=non_filterable,
        settings=IndexSettings(row.mode, decode_text_fields(row.text_fields), row.tags),
        name=row.name,
        bucket_name=bucket.name,
        bucket_uid=bucket.uid,
        arn=arns.index_arn(region.region, region.account, bucket.name, row.name),
        creation_time=row.creation_time,
        data_type=row.data_type,
        encryption=decode_encryption(row.encryption),
        bucket_encryption=bucket.encryption,
        uid=row.uid,
        journal=region.journal,
    )


def _replay_vectors(persistence: Persistence, index: Index, index_id: int, left: _LeftOut) -> None:
    started = time.monotonic()
    lines = 0
    dropped = 0
    for batch in persistence.vectors(index_id):
        records, packed, problems = _check_vectors(index, batch)
        for key, problem in problems:
            left.vectors.append((index_id, key))
            dropped += 1
            if lines < _LINES_PER_INDEX:
                lines += 1
                left.note(logging.WARNING, "left out vector %r of index %s: %s", key, index.arn, problem)
        if records:
            index.replay(VectorsPut(index, records, packed))
    if dropped > lines:
        left.note(logging.WARNING, "left out %d more vectors of index %s", dropped - lines, index.arn)
    left.note(
        logging.INFO, "restored index %s: %d vectors in %.2f s", index.arn, index.count, time.monotonic() - started
    )


def _check_vectors(
    index: Index, batch: list[VectorRow]
) -> tuple[list[Record], list[StoredMetadata], list[tuple[str, str]]]:
    """The rows any write would have accepted, as records (with their metadata as the index keeps
    it), and a reason for each of the others."""
    width = 4 * index.dimension
    problems: list[tuple[str, str]] = []
    fitting: list[VectorRow] = []
    for row in batch:
        if not isinstance(row.key, str) or not row.key or not key_fits(row.key):
            problems.append((str(row.key), "its key is not a valid vector key"))
        elif not isinstance(row.data, bytes) or len(row.data) != width:
            size = len(row.data) if isinstance(row.data, bytes) else 0
            problems.append((row.key, f"it has {size // 4} values, the index has dimension {index.dimension}"))
        else:
            fitting.append(row)
    if not fitting:
        return [], [], problems
    # One matrix for the batch: the checks are a few numpy passes, not one per vector.
    matrix = np.empty((len(fitting), index.dimension), dtype=np.float32)
    for i, row in enumerate(fitting):
        matrix[i] = np.frombuffer(row.data, dtype=np.float32)
    finite = np.asarray(np.isfinite(matrix).all(axis=1)).tolist()
    nonzero = np.asarray(matrix.any(axis=1)).tolist() if index.metric == "cosine" else [True] * len(fitting)
    records: list[Record] = []
    packed: list[StoredMetadata] = []
    for i, row in enumerate(fitting):
        if not finite[i]:
            problems.append((row.key, "its values are not all finite"))
            continue
        if not nonzero[i]:
            problems.append((row.key, "a cosine index cannot hold a zero vector"))
            continue
        try:
            metadata = load_json(row.metadata)
            # Flat metadata of plain values is what any write stored; anything else is checked as
            # a write would check it (the full check costs ~7 µs a vector: a third of a restart).
            if not (isinstance(metadata, dict) and all(type(v) in _PLAIN for v in metadata.values())):
                metadata = validate_metadata(
                    metadata, record_key=row.key, record_index=0, non_filterable_keys=index.non_filterable_keys
                )
        except (ValueError, TypeError, ServiceError) as exc:
            problems.append((row.key, f"its metadata is not valid ({getattr(exc, 'message', exc)})"))
            continue
        records.append(Record(row.key, matrix[i], metadata))
        packed.append(pack_metadata(metadata))
    return records, packed, problems
