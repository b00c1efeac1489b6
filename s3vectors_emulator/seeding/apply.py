"""Applying seeds to the store, through the same validation and handlers as the API (behaviour.md#consistency-seeding).

Buckets and indexes are made by the operations' own handlers (CreateVectorBucket, PutVectorBucketPolicy,
CreateIndex, …) after validation against the service model, so a seed is refused for what the API would refuse,
in its words.  Vectors skip the JSON of PutVectors (s3vectors_emulator.seeding.vector_files decodes them) but are
checked by the store's record checks, as PutVectors checks them, and written in large batches.

Every seed's buckets and indexes are made first, then the vectors are loaded: a mistake in a configuration
stops the start at once, before seconds go into vectors.  Everything is written in one journal batch: with
``--data-dir`` a seed that fails anywhere leaves nothing in the database (the process then exits), and one that
succeeds is durable before the emulator is ready.  What already exists (from the data directory, or from an
earlier file of the same seed) is left as it is, with a log line.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from s3vectors_emulator.errors import ServiceError
from s3vectors_emulator.operations import HANDLERS
from s3vectors_emulator.operations.common import Context
from s3vectors_emulator.paging import Snapshots
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.auth import is_region_name
from s3vectors_emulator.protocol.validate import validate
from s3vectors_emulator.seeding.plan import IndexSeed, RegionSeed, SeedError
from s3vectors_emulator.seeding.vector_files import read_batches
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.store import Store
from s3vectors_emulator.transfer.dump import DumpError, resolve

log = logging.getLogger("s3vectors_emulator.seeding")

# PutVectors' own limit: inline vectors of a declarative file go through its handler in requests of this size.
_PUT_BATCH = 500


@dataclass
class Applied:
    buckets: int = 0
    indexes: int = 0
    vectors: int = 0
    kept: int = 0  # buckets and indexes that existed already, left as they were


@dataclass
class _Pending:
    """An index this seed made, whose vectors are still to load."""

    where: str
    context: Context
    index: Index
    seed: IndexSeed


def apply_seeds(
    store: Store,
    snapshots: Snapshots,
    seeds: list[RegionSeed],
    account: str,
    region: str,
    stopping: threading.Event,
) -> Applied:
    """Apply ``seeds`` in order (``account`` and ``region``: where a seed that names none goes); raises SeedError
    with one line, also once ``stopping`` is set (checked between batches of vectors), and then the caller must
    discard the store (see the module's docstring)."""
    applied = Applied()
    try:
        with store.journal.batch():
            pending: list[_Pending] = []
            for seed in seeds:
                pending += _control_plane(store, snapshots, seed, account, region, applied)
            for job in pending:
                applied.vectors += _load_vectors(job, stopping)
    except ServiceError as exc:  # the journal's own refusal (the data directory was deleted under it)
        raise SeedError(_one_line(exc.message)) from None
    return applied


def _control_plane(
    store: Store, snapshots: Snapshots, seed: RegionSeed, account: str, region: str, applied: Applied
) -> list[_Pending]:
    account = seed.account or account
    region = seed.region or region
    if not is_region_name(region):
        raise SeedError(f"{seed.origin}: region must be an AWS region name such as us-east-1, got {region[:64]!r}")
    context = Context(region=store.region(account, region), snapshots=snapshots)
    state = context.region
    pending: list[_Pending] = []
    for bucket_seed in seed.buckets:
        bucket = bucket_seed.entry
        where = f"{seed.origin}: entry {bucket.name}"
        if bucket.name in state.buckets:
            log.info("%s: bucket %s already exists in %s %s: left as it is", seed.origin, bucket.name, account, region)
            applied.kept += 1
        else:
            _call(context, "CreateVectorBucket", bucket.create_members(), where)
            named = {"vectorBucketName": bucket.name}
            if bucket.policy is not None:
                _call(context, "PutVectorBucketPolicy", named | {"policy": bucket.policy}, where)
            if bucket.default_index_mode is not None:
                mode = {"defaultIndexMode": bucket.default_index_mode}
                _call(context, "PutVectorBucketDefaultIndexMode", named | mode, where)
            applied.buckets += 1
        existing = state.bucket(bucket.name).indexes
        for index_seed in bucket_seed.indexes:
            entry = index_seed.entry
            where = f"{seed.origin}: entry {bucket.name}/{entry.name}"
            if entry.name in existing:
                log.info(
                    "%s: index %s/%s already exists in %s %s: left as it is, without this seed's vectors",
                    seed.origin,
                    bucket.name,
                    entry.name,
                    account,
                    region,
                )
                applied.kept += 1
                continue
            named = {"vectorBucketName": bucket.name, "indexName": entry.name}
            create = {"vectorBucketName": bucket.name, **entry.create_members()}
            texts = None
            metadata = create.get("metadataConfiguration")
            if entry.index_mode is not None and isinstance(metadata, dict) and metadata.get("textSearchConfigurations"):
                # An ENHANCED index with text search in a bucket whose default is CLASSIC was made ENHANCED
                # after its creation, and searchable then (behaviour.md#text-config-create): the same order here.
                texts = metadata["textSearchConfigurations"]
                create["metadataConfiguration"] = {k: v for k, v in metadata.items() if k != "textSearchConfigurations"}
            _call(context, "CreateIndex", create, where)
            if entry.index_mode is not None:
                _call(context, "UpdateIndexMode", named | {"indexMode": entry.index_mode}, where)
            if texts is not None:
                add = {"add": {"textSearchConfigurations": texts}}
                _call(context, "UpdateMetadataConfiguration", named | add, where)
            applied.indexes += 1
            if index_seed.vectors is not None:
                pending.append(_Pending(where, context, state.index(bucket.name, entry.name), index_seed))
    return pending


def _call(context: Context, operation: str, params: dict[str, Any], where: str) -> dict[str, Any]:
    """One operation as the API runs it: validated against the model, then its handler."""
    try:
        return HANDLERS[operation](context, validate(model.operation(operation).input_shape, params))
    except ServiceError as exc:
        raise SeedError(f"{where}: {_one_line(exc.message)}") from None


def _load_vectors(job: _Pending, stopping: threading.Event) -> int:
    index, source = job.index, job.seed.vectors
    if isinstance(source, list):
        named = {"vectorBucketName": index.bucket_name, "indexName": index.name}
        for start in range(0, len(source), _PUT_BATCH):
            where = f"{job.where}: vectors #{start + 1}-{min(len(source), start + _PUT_BATCH)}"
            _call(job.context, "PutVectors", named | {"vectors": source[start : start + _PUT_BATCH]}, where)
        return len(index)
    assert source is not None
    began = time.perf_counter()
    try:
        for batch in read_batches(source, index.dimension):
            try:
                # behaviour.md#vectors-all-or-nothing: the same record checks as PutVectors, batch by batch.
                records = index.check_records(zip(batch.keys, batch.data, batch.metadata, strict=True))
            except ServiceError as exc:  # its position is the record's in the batch: named by its line
                line = batch.lines[exc.position] if exc.position is not None else batch.lines[0]
                raise SeedError(f"{job.where}: {resolve(source.path)}:{line}: {_one_line(exc.message)}") from None
            index.put(records)
            if stopping.is_set():
                raise SeedError(f"{job.where}: stopped by a signal while loading vectors; nothing of the seed was kept")
    except DumpError as exc:
        raise SeedError(f"{job.where}: {exc}") from None
    log.info("%s: %d vectors loaded in %.2f s", job.where, len(index), time.perf_counter() - began)
    return len(index)


def _one_line(text: str) -> str:
    return " ".join(text.split())
