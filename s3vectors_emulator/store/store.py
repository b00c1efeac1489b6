"""State and rules of the control plane: accounts and regions → buckets → indexes.

Knows nothing of HTTP.  Each (account, region) pair is its own world (behaviour.md#decision-accounts-regions).  A
region's
lock guards its bucket and index maps; each index guards its own vectors.
"""

from __future__ import annotations

import bisect
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from s3vectors_emulator.errors import (
    BUCKET_EXISTS,
    BUCKET_NOT_EMPTY,
    BUCKET_NOT_FOUND,
    CLASSIC_REFUSED,
    INDEX_EXISTS,
    INDEX_NOT_FOUND,
    KMS_KEY_WITHOUT_KMS,
    KMS_WITHOUT_KEY,
    TEXT_NEEDS_ENHANCED,
    UPDATE_ADD_AND_DELETE,
    UPDATE_NEITHER,
    ConflictError,
    NotFoundError,
    ValidationError,
    bucket_quota,
    duplicate_text_configuration,
    index_quota,
    no_text_configuration,
    text_configuration_exists,
    too_many_text_configurations,
)
from s3vectors_emulator.store.distances import Metric
from s3vectors_emulator.store.index import Record, VectorIndex
from s3vectors_emulator.store.locks import ReadWriteLock
from s3vectors_emulator.store.names import check_bucket_name, check_index_name
from s3vectors_emulator.store.persistence import BucketRow, IndexRow, Persistence
from s3vectors_emulator.store.tags import check_tags

log = logging.getLogger("s3vectors_emulator.store")

ENHANCED = "ENHANCED"
CLASSIC = "CLASSIC"
MAX_TEXT_CONFIGURATIONS = 10
# behaviour.md#limits: 10,000 buckets per account and region, 10,000 indexes per bucket.
MAX_BUCKETS = 10_000
MAX_INDEXES = 10_000


def check_encryption(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """behaviour.md#errors-catalogue: the sseType / kmsKeyArn pairing rules, measured on CreateIndex."""
    if config is None:
        return None
    sse = config.get("sseType")
    key = config.get("kmsKeyArn")
    if key is not None and sse != "aws:kms":
        raise ValidationError.at("EncryptionConfiguration", KMS_KEY_WITHOUT_KMS)
    if sse == "aws:kms" and key is None:
        raise ValidationError.at("EncryptionConfiguration", KMS_WITHOUT_KEY)
    return {"sseType": sse or "AES256", **({"kmsKeyArn": key} if key else {})}


def check_text_configurations(configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One configuration per key (behaviour.md#text-config-create); status is output-only and ignored."""
    seen: set[str] = set()
    result = []
    for config in configs:
        key = config["metadataKey"]
        if key in seen:
            raise duplicate_text_configuration(key)
        seen.add(key)
        entry = {"metadataKey": key}
        if config.get("language"):
            entry["language"] = config["language"]
        result.append(entry)
    return result


def new_uid() -> str:
    """An identity no other bucket, index or region state ever has: page tokens are bound to it."""
    return secrets.token_hex(8)


def text_fields(configs: list[dict[str, Any]] | None) -> dict[str, str | None]:
    """Searchable key → analyzer language (None = standard), for the index's text search."""
    return {c["metadataKey"]: c.get("language") for c in configs or []}


@dataclass
class Index:
    bucket: Bucket
    name: str
    arn: str
    creation_time: float
    data_type: str
    dimension: int
    distance_metric: str
    mode: str
    non_filterable_keys: list[str] | None
    text_configurations: list[dict[str, Any]] | None
    encryption: dict[str, Any] | None
    vectors: VectorIndex
    tags: dict[str, str] = field(default_factory=dict)
    uid: str = field(default_factory=new_uid)
    # The data directory's database and this index's row id in it (None: memory only).
    persistence: Persistence | None = None
    storage_id: int = 0

    def put_vectors(self, records: list[Record]) -> None:
        """Apply a validated PutVectors; durable before it is visible when there is a data dir."""
        durable = None
        if self.persistence is not None:
            persistence, storage_id = self.persistence, self.storage_id

            def durable(latest: list[Record]) -> None:
                persistence.put_vectors(storage_id, latest)

        self.vectors.put(records, durable)

    def delete_vectors(self, keys: list[str]) -> None:
        durable = None
        if self.persistence is not None:
            persistence, storage_id = self.persistence, self.storage_id

            def durable(present: list[str]) -> None:
                persistence.delete_vectors(storage_id, present)

        self.vectors.delete(keys, durable)

    def describe(self) -> dict[str, Any]:
        metadata: dict[str, Any] | None = None
        if self.non_filterable_keys is not None or self.text_configurations is not None:
            metadata = {}
            if self.non_filterable_keys is not None:
                metadata["nonFilterableMetadataKeys"] = list(self.non_filterable_keys)
            if self.text_configurations is not None:
                # behaviour.md#decision-text-search: configurations are ACTIVE at once; the write path is consistent.
                metadata["textSearchConfigurations"] = [
                    {**config, "status": "ACTIVE"} for config in self.text_configurations
                ]
        return {
            "vectorBucketName": self.bucket.name,
            "indexName": self.name,
            "indexArn": self.arn,
            "creationTime": self.creation_time,
            "dataType": self.data_type,
            "dimension": self.dimension,
            "distanceMetric": self.distance_metric,
            "metadataConfiguration": metadata,
            # The index's own configuration, else the bucket's, which its vectors use.
            "encryptionConfiguration": self.encryption or self.bucket.encryption,
            "indexMode": self.mode,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "vectorBucketName": self.bucket.name,
            "indexName": self.name,
            "indexArn": self.arn,
            "creationTime": self.creation_time,
        }

    @property
    def searchable_keys(self) -> dict[str, str | None]:
        return text_fields(self.text_configurations)


@dataclass
class Bucket:
    name: str
    arn: str
    creation_time: float
    encryption: dict[str, Any]
    legacy: bool
    default_index_mode: str
    policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    uid: str = field(default_factory=new_uid)
    storage_id: int = 0  # its row id in the data directory's database (0: memory only)

    def describe(self) -> dict[str, Any]:
        return {
            "vectorBucketName": self.name,
            "vectorBucketArn": self.arn,
            "creationTime": self.creation_time,
            "encryptionConfiguration": self.encryption,
            "defaultIndexMode": self.default_index_mode,
        }

    def summary(self) -> dict[str, Any]:
        return {"vectorBucketName": self.name, "vectorBucketArn": self.arn, "creationTime": self.creation_time}


def _page(names: list[str], prefix: str | None, after: str | None, limit: int) -> tuple[list[str], bool]:
    """Names in ascending order (behaviour.md#decision-duplicates-and-order) after ``after`` that start with
    ``prefix``."""
    ordered = sorted(names)
    start = bisect.bisect_right(ordered, after) if after is not None else 0
    if prefix:
        start = max(start, bisect.bisect_left(ordered, prefix))
    chosen: list[str] = []
    for name in ordered[start:]:
        if prefix and not name.startswith(prefix):
            break
        if len(chosen) == limit:
            return chosen, True
        chosen.append(name)
    return chosen, False


class Region:
    """The buckets of one account in one region."""

    def __init__(
        self,
        account: str,
        region: str,
        legacy_buckets: bool,
        persistence: Persistence | None = None,
    ) -> None:
        self.account = account
        self.region = region
        self.legacy_buckets = legacy_buckets
        self.persistence = persistence
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.RLock()
        self.uid = new_uid()

    # The data directory: each change is written there, under the region lock, before memory
    # changes (ARCHITECTURE: validate, make durable, apply, acknowledge).
    def _save_bucket(self, bucket: Bucket, **changes: Any) -> None:
        if self.persistence is not None:
            state = {"default_index_mode": bucket.default_index_mode, "policy": bucket.policy, "tags": bucket.tags}
            self.persistence.update_bucket(bucket.storage_id, **(state | changes))

    def _save_index(self, index: Index, **changes: Any) -> None:
        if self.persistence is not None:
            state = {"mode": index.mode, "text_configurations": index.text_configurations, "tags": index.tags}
            self.persistence.update_index(index.storage_id, **(state | changes))

    # ARNs (behaviour.md#names)
    def bucket_arn(self, name: str) -> str:
        return f"arn:aws:s3vectors:{self.region}:{self.account}:bucket/{name}"

    def index_arn(self, bucket: str, index: str) -> str:
        return f"{self.bucket_arn(bucket)}/index/{index}"

    def _split_arn(self, arn: str) -> tuple[str, str] | None:
        """(region, resource path) of an s3vectors ARN of this account and region, else None."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "s3vectors":
            return None
        if parts[3] != self.region or parts[4] != self.account:
            return None
        return parts[3], parts[5]

    def bucket_name_from_arn(self, arn: str) -> str:
        split = self._split_arn(arn)
        if split is None or not split[1].startswith("bucket/") or "/" in split[1][7:]:
            raise NotFoundError(BUCKET_NOT_FOUND)
        return split[1][7:]

    def index_names_from_arn(self, arn: str) -> tuple[str, str]:
        split = self._split_arn(arn)
        pieces = split[1].split("/") if split else []
        if len(pieces) != 4 or pieces[0] != "bucket" or pieces[2] != "index":
            raise NotFoundError(INDEX_NOT_FOUND)
        return pieces[1], pieces[3]

    # Buckets
    def create_bucket(self, name: str, encryption: dict[str, Any] | None, tags: dict[str, str] | None) -> Bucket:
        check_bucket_name(name)
        encryption = check_encryption(encryption) or {"sseType": "AES256"}
        tag_set = check_tags({}, tags or {})
        with self.lock:
            if name in self.buckets:
                raise ConflictError(BUCKET_EXISTS)
            if len(self.buckets) >= MAX_BUCKETS:
                raise bucket_quota(MAX_BUCKETS)
            bucket = Bucket(
                name=name,
                arn=self.bucket_arn(name),
                creation_time=time.time(),
                encryption=encryption,
                legacy=self.legacy_buckets,
                # behaviour.md#decision-post-cutoff-buckets: buckets count as made after 2026-09-30 unless marked
                # legacy.
                default_index_mode=CLASSIC if self.legacy_buckets else ENHANCED,
                tags=tag_set,
            )
            if self.persistence is not None:
                bucket.storage_id = self.persistence.create_bucket(
                    BucketRow(
                        0,
                        bucket.uid,
                        self.account,
                        self.region,
                        name,
                        bucket.creation_time,
                        encryption,
                        bucket.legacy,
                        bucket.default_index_mode,
                        None,
                        tag_set,
                    )
                )
            self.buckets[name] = bucket
            return bucket

    def bucket(self, name: str) -> Bucket:
        bucket = self.buckets.get(name)
        if bucket is None:
            raise NotFoundError(BUCKET_NOT_FOUND)
        return bucket

    def delete_bucket(self, name: str) -> None:
        with self.lock:
            bucket = self.bucket(name)
            if bucket.indexes:
                raise ConflictError(BUCKET_NOT_EMPTY)
            if self.persistence is not None:
                self.persistence.delete_bucket(bucket.storage_id)
            del self.buckets[name]

    def list_buckets(self, prefix: str | None, after: str | None, limit: int) -> tuple[list[Bucket], bool]:
        with self.lock:
            names, more = _page(list(self.buckets), prefix, after, limit)
            return [self.buckets[n] for n in names], more

    def set_default_index_mode(self, name: str, mode: str) -> None:
        with self.lock:
            bucket = self.bucket(name)
            if mode == CLASSIC and not bucket.legacy:
                raise ValidationError(CLASSIC_REFUSED)  # behaviour.md#decision-post-cutoff-buckets, behaviour.md#modes
            self._save_bucket(bucket, default_index_mode=mode)
            bucket.default_index_mode = mode

    def set_policy(self, name: str, policy: str | None) -> None:
        """Put (a string) or delete (None) a bucket's policy."""
        with self.lock:
            bucket = self.bucket(name)
            self._save_bucket(bucket, policy=policy)
            bucket.policy = policy

    # Indexes
    def create_index(
        self,
        bucket_name: str,
        name: str,
        *,
        data_type: str,
        dimension: int,
        distance_metric: Metric,  # the model's DistanceMetric enum, checked by validation
        metadata_configuration: dict[str, Any] | None,
        encryption: dict[str, Any] | None,
        tags: dict[str, str] | None,
    ) -> Index:
        check_index_name(name)
        encryption = check_encryption(encryption)
        tag_set = check_tags({}, tags or {})
        metadata_configuration = metadata_configuration or {}
        non_filterable = metadata_configuration.get("nonFilterableMetadataKeys")
        configurations = metadata_configuration.get("textSearchConfigurations")
        text = check_text_configurations(configurations) if configurations is not None else None
        with self.lock:
            bucket = self.bucket(bucket_name)
            if name in bucket.indexes:
                raise ConflictError(INDEX_EXISTS)
            if len(bucket.indexes) >= MAX_INDEXES:
                raise index_quota(MAX_INDEXES)
            mode = bucket.default_index_mode
            if text and mode != ENHANCED:
                raise ValidationError(TEXT_NEEDS_ENHANCED)  # behaviour.md#text-config-create
            index = Index(
                bucket=bucket,
                name=name,
                arn=self.index_arn(bucket_name, name),
                creation_time=time.time(),
                data_type=data_type,
                dimension=dimension,
                distance_metric=distance_metric,
                mode=mode,
                non_filterable_keys=non_filterable,
                text_configurations=text,
                encryption=encryption,
                vectors=VectorIndex(
                    dimension,
                    distance_metric,
                    frozenset(non_filterable or ()),
                    text_fields(text),
                ),
                tags=tag_set,
                persistence=self.persistence,
            )
            if self.persistence is not None:
                index.storage_id = self.persistence.create_index(
                    IndexRow(
                        0,
                        index.uid,
                        bucket.storage_id,
                        name,
                        index.creation_time,
                        data_type,
                        dimension,
                        distance_metric,
                        mode,
                        non_filterable,
                        text,
                        encryption,
                        tag_set,
                    )
                )
            bucket.indexes[name] = index
            return index

    def index(self, bucket_name: str, name: str) -> Index:
        bucket = self.buckets.get(bucket_name)
        # behaviour.md#errors-catalogue: a missing bucket reads as a missing index here.
        index = bucket.indexes.get(name) if bucket else None
        if index is None:
            raise NotFoundError(INDEX_NOT_FOUND)
        return index

    def delete_index(self, bucket_name: str, name: str) -> None:
        with self.lock:
            index = self.index(bucket_name, name)  # behaviour.md#decision-deleting-absent: a missing index is NotFound
            persistence, storage_id = self.persistence, index.storage_id
            # Under the index's write lock: a PutVectors that found the index lands before (and is
            # deleted with it) or fails as NotFound after; none writes rows that outlive it.
            index.vectors.retire((lambda: persistence.delete_index(storage_id)) if persistence is not None else None)
            del self.buckets[bucket_name].indexes[name]

    def list_indexes(
        self, bucket_name: str, prefix: str | None, after: str | None, limit: int
    ) -> tuple[list[Index], bool]:
        with self.lock:
            bucket = self.bucket(bucket_name)
            names, more = _page(list(bucket.indexes), prefix, after, limit)
            return [bucket.indexes[n] for n in names], more

    def set_index_mode(self, bucket_name: str, name: str, mode: str) -> None:
        with self.lock:
            index = self.index(bucket_name, name)
            if mode == CLASSIC:
                if not index.bucket.legacy:
                    # behaviour.md#decision-post-cutoff-buckets, behaviour.md#modes
                    raise ValidationError(CLASSIC_REFUSED)
                if index.text_configurations:
                    raise ValidationError(TEXT_NEEDS_ENHANCED)  # behaviour.md#search-scores
            self._save_index(index, mode=mode)
            index.mode = mode

    def update_text_configurations(
        self, bucket_name: str, name: str, add: list[dict[str, Any]] | None, delete: list[str] | None
    ) -> Index:
        """behaviour.md#text-config-update: add or delete text search configurations, never both."""
        if add is not None and delete is not None:
            raise ValidationError(UPDATE_ADD_AND_DELETE)
        if add is None and delete is None:
            raise ValidationError(UPDATE_NEITHER)
        with self.lock:
            index = self.index(bucket_name, name)
            if index.mode != ENHANCED:
                raise ValidationError(TEXT_NEEDS_ENHANCED)
            current = list(index.text_configurations or [])
            present = {c["metadataKey"] for c in current}
            if add is not None:
                for config in check_text_configurations(add):
                    if config["metadataKey"] in present:
                        raise text_configuration_exists(config["metadataKey"])
                    current.append(config)
                if len(current) > MAX_TEXT_CONFIGURATIONS:
                    raise too_many_text_configurations(MAX_TEXT_CONFIGURATIONS)
            else:
                for key in delete or []:
                    if key not in present:
                        raise no_text_configuration(key)
                current = [c for c in current if c["metadataKey"] not in set(delete or [])]
            self._save_index(index, text_configurations=current)
            # behaviour.md#decision-text-search: an added key is built from the stored vectors before the configuration
            # is published, so it is ACTIVE (and searchable) as soon as GetIndex shows it.
            index.vectors.set_text_fields(text_fields(current))
            index.text_configurations = current
            return index

    # Tags, by ARN (behaviour.md#tags)
    def tagged(self, arn: str) -> Bucket | Index:
        with self.lock:
            if "/index/" in arn:
                return self.index(*self.index_names_from_arn(arn))
            return self.bucket(self.bucket_name_from_arn(arn))

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with self.lock:
            resource = self.tagged(arn)
            self._retag(resource, check_tags(resource.tags, tags))

    def untag(self, arn: str, keys: list[str]) -> None:
        with self.lock:
            resource = self.tagged(arn)
            self._retag(resource, {k: v for k, v in resource.tags.items() if k not in set(keys)})

    def _retag(self, resource: Bucket | Index, tags: dict[str, str]) -> None:
        if isinstance(resource, Index):
            self._save_index(resource, tags=tags)
        else:
            self._save_bucket(resource, tags=tags)
        resource.tags = tags


class Store:
    """All state of one emulator: (account, region) → Region.

    With a data directory, every change is also written to its database, and the store is
    rebuilt from it on start.  Every request runs inside :meth:`serving`; a reset excludes them
    all, so each request happens wholly before a reset (and is erased by it) or wholly after.
    """

    def __init__(
        self,
        legacy_buckets: bool = False,
        persistence: Persistence | None = None,
    ) -> None:
        self.legacy_buckets = legacy_buckets
        self.persistence = persistence
        self._regions: dict[tuple[str, str], Region] = {}
        self._lock = threading.Lock()
        self._gate = ReadWriteLock()
        if persistence is not None:
            from s3vectors_emulator.store.restore import restore  # it builds this module's objects

            restore(self, persistence)

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Held by every request for its whole duration; :meth:`reset` waits for all of them."""
        with self._gate.read():
            yield

    def region(self, account: str, region: str) -> Region:
        key = (account, region)
        found = self._regions.get(key)
        if found is not None:
            return found
        with self._lock:
            return self._regions.setdefault(key, Region(account, region, self.legacy_buckets, self.persistence))

    def regions(self) -> list[Region]:
        with self._lock:
            return list(self._regions.values())

    def close(self) -> None:
        """Release the data directory (its database and lock), if any."""
        if self.persistence is not None:
            self.persistence.close()

    def reset(self) -> None:
        with self._gate.write(), self._lock:
            if self.persistence is not None:
                self.persistence.reset()
            self._regions.clear()
