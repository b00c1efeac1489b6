"""Buckets and indexes as the dump format's entries (docs/data-format.md): the members CreateVectorBucket and
CreateIndex take to make them again, with what those calls cannot set (policy, modes).  For snapshots
(behaviour.md#consistency-snapshots)."""

from __future__ import annotations

from typing import Any

from s3vectors_emulator.operations.common import encryption_out
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.store import Bucket
from s3vectors_emulator.transfer.dump import BucketEntry, IndexEntry


def bucket_entry(bucket: Bucket) -> BucketEntry:
    settings = bucket.settings
    return BucketEntry(
        bucket.name,
        encryption=encryption_out(bucket.encryption),
        tags=dict(settings.tags) or None,
        policy=settings.policy,
        default_index_mode=settings.default_index_mode,
    )


def index_entry(index: Index, vector_count: int, file: str) -> IndexEntry:
    metadata: dict[str, Any] = {}
    if index.non_filterable_list is not None:
        metadata["nonFilterableMetadataKeys"] = list(index.non_filterable_list)
    if index.settings.text_fields is not None:
        # behaviour.md#text-config-create: as CreateIndex takes them (status is output only).
        fields = index.settings.text_fields
        metadata["textSearchConfigurations"] = [
            {"metadataKey": f.key, **({"language": f.language} if f.language else {})} for f in fields
        ]
    return IndexEntry(
        index.name,
        index.dimension,
        index.metric,
        data_type=index.data_type,
        metadata_configuration=metadata or None,
        # Its own configuration only: without one it takes its bucket's again.
        encryption=encryption_out(index.encryption) if index.encryption is not None else None,
        tags=dict(index.settings.tags) or None,
        index_mode=index.mode,
        vector_count=vector_count,
        file=file,
    )
