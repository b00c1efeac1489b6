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
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from s3vectors_emulator.errors import ServiceError
from s3vectors_emulator.store.distances import is_metric
from s3vectors_emulator.store.index import MAX_KEY_BYTES, Record, VectorIndex
from s3vectors_emulator.store.metadata import validate_metadata
from s3vectors_emulator.store.persistence import BucketRow, IndexRow, Persistence, VectorRow, load_json

if TYPE_CHECKING:
    from s3vectors_emulator.store.store import Bucket, Region, Store

log = logging.getLogger("s3vectors_emulator.store")

# Beyond this many lines about one index's vectors, the rest are counted in one line.
_LINES_PER_INDEX = 20
_MODES = ("ENHANCED", "CLASSIC")
_PLAIN = frozenset({str, int, float, bool})


@dataclass
class _LeftOut:
    buckets: list[int] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    vectors: list[tuple[int, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.buckets or self.indexes or self.vectors)


def restore(store: Store, persistence: Persistence) -> None:
    """Rebuild ``store``'s buckets, indexes and matrices from ``persistence``."""
    from s3vectors_emulator.store.store import Bucket

    left = _LeftOut()
    buckets: dict[int, tuple[Region, Bucket]] = {}
    for bucket_id, row in persistence.buckets():
        problem = str(row) if isinstance(row, Exception) else _bucket_problem(row)
        if problem or not isinstance(row, BucketRow):
            log.warning("left out bucket id %d from %s: %s", bucket_id, persistence.path, problem)
            left.buckets.append(bucket_id)
            continue
        region = store.region(row.account, row.region)
        bucket = Bucket(
            name=row.name,
            arn=region.bucket_arn(row.name),
            creation_time=row.creation_time,
            encryption=row.encryption,
            legacy=row.legacy,
            default_index_mode=row.default_index_mode,
            policy=row.policy,
            tags=row.tags,
            uid=row.uid,
            storage_id=bucket_id,
        )
        region.buckets[row.name] = bucket
        buckets[bucket_id] = (region, bucket)

    kept: set[int] = set()
    for index_id, index_row in persistence.indexes():
        owner = buckets.get(index_row.bucket_id) if isinstance(index_row, IndexRow) else None
        if isinstance(index_row, Exception):
            problem = str(index_row)
        elif owner is None:
            problem = f"its bucket (id {index_row.bucket_id}) no longer exists"
        else:
            problem = _index_problem(index_row)
        if problem or owner is None or not isinstance(index_row, IndexRow):
            log.warning("left out index id %d and its vectors from %s: %s", index_id, persistence.path, problem)
            left.indexes.append(index_id)
            continue
        _restore_index(persistence, *owner, index_row, left)
        kept.add(index_id)

    for index_id, count in persistence.orphan_vectors(kept | set(left.indexes)).items():
        log.warning("left out %d vectors of index id %d, which no longer exists", count, index_id)
        left.indexes.append(index_id)
    if left:
        copy = persistence.remove(left.buckets, left.indexes, left.vectors)
        log.warning("removed what was left out from the database; its earlier state is kept in %s", copy)


def _restore_index(persistence: Persistence, region: Region, bucket: Bucket, row: IndexRow, left: _LeftOut) -> None:
    from s3vectors_emulator.store.store import Index, text_fields

    started = time.monotonic()
    metric = row.distance_metric
    assert is_metric(metric)  # _index_problem has left out a row with any other metric
    index = Index(
        bucket=bucket,
        name=row.name,
        arn=region.index_arn(bucket.name, row.name),
        creation_time=row.creation_time,
        data_type=row.data_type,
        dimension=row.dimension,
        distance_metric=row.distance_metric,
        mode=row.mode,
        non_filterable_keys=row.non_filterable,
        text_configurations=row.text_configurations,
        encryption=row.encryption,
        vectors=VectorIndex(
            row.dimension,
            metric,
            frozenset(row.non_filterable or ()),
            text_fields(row.text_configurations),
        ),
        tags=row.tags,
        uid=row.uid,
        persistence=persistence,
        storage_id=row.id,
    )
    lines = 0
    dropped = 0
    for batch in persistence.vectors(row.id):
        records, problems = _check_vectors(index.vectors, batch)
        for key, problem in problems:
            left.vectors.append((row.id, key))
            dropped += 1
            if lines < _LINES_PER_INDEX:
                lines += 1
                log.warning("left out vector %r of index %s: %s", key, index.arn, problem)
        index.vectors.put(records)
    if dropped > lines:
        log.warning("left out %d more vectors of index %s", dropped - lines, index.arn)
    bucket.indexes[row.name] = index
    log.info("restored index %s: %d vectors in %.2f s", index.arn, index.vectors.count, time.monotonic() - started)


def _bucket_problem(row: BucketRow) -> str | None:
    if not isinstance(row.encryption, dict) or not isinstance(row.tags, dict):
        return "its encryption or tags are not JSON objects"
    if row.default_index_mode not in _MODES:
        return f"unknown default index mode {row.default_index_mode!r}"
    if not math.isfinite(row.creation_time):
        return "its creation time is not a number"
    return None


def _index_problem(row: IndexRow) -> str | None:
    if not 1 <= row.dimension <= 4096:
        return f"dimension {row.dimension} is outside 1-4096"
    if not is_metric(row.distance_metric):
        return f"unknown distance metric {row.distance_metric!r}"
    if row.mode not in _MODES:
        return f"unknown index mode {row.mode!r}"
    if not isinstance(row.tags, dict) or not (row.non_filterable is None or isinstance(row.non_filterable, list)):
        return "its tags or metadata configuration are malformed"
    texts = row.text_configurations
    if texts is not None and not (
        isinstance(texts, list) and all(isinstance(t, dict) and isinstance(t.get("metadataKey"), str) for t in texts)
    ):
        return "its text search configurations are malformed"
    if not math.isfinite(row.creation_time):
        return "its creation time is not a number"
    return None


def _check_vectors(index: VectorIndex, batch: list[VectorRow]) -> tuple[list[Record], list[tuple[str, str]]]:
    """The rows any write would have accepted, as records, and a reason for each of the others."""
    width = 4 * index.dimension
    problems: list[tuple[str, str]] = []
    fitting: list[VectorRow] = []
    for row in batch:
        if not isinstance(row.key, str) or not row.key or len(row.key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            problems.append((str(row.key), "its key is not a valid vector key"))
        elif not isinstance(row.data, bytes) or len(row.data) != width:
            size = len(row.data) if isinstance(row.data, bytes) else 0
            problems.append((row.key, f"it has {size // 4} values, the index has dimension {index.dimension}"))
        else:
            fitting.append(row)
    if not fitting:
        return [], problems
    # One matrix for the batch: the checks are a few numpy passes, not one per vector.
    matrix = np.empty((len(fitting), index.dimension), dtype=np.float32)
    for i, row in enumerate(fitting):
        matrix[i] = np.frombuffer(row.data, dtype=np.float32)
    finite = np.asarray(np.isfinite(matrix).all(axis=1)).tolist()
    nonzero = np.asarray(matrix.any(axis=1)).tolist() if index.metric == "cosine" else [True] * len(fitting)
    records: list[Record] = []
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
        records.append((row.key, matrix[i], metadata))
    return records, problems
