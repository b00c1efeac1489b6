"""State and rules of the control plane: accounts and regions → buckets → indexes.

Knows nothing of HTTP or of the API's member names.  Each (account, region) pair is its own world
(behaviour.md#decision-accounts-regions).  A region's lock guards its bucket and index maps; each
index guards its own vectors.  Every write builds a change, has the journal make it durable, then
applies it (:mod:`s3vectors_emulator.store.journal`); restore applies the journal's content
through the same :meth:`Region.apply`.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from s3vectors_emulator.errors import (
    BUCKET_EXISTS,
    BUCKET_NOT_EMPTY,
    BUCKET_NOT_FOUND,
    CLASSIC_REFUSED,
    INDEX_EXISTS,
    INDEX_NOT_FOUND,
    TEXT_NEEDS_ENHANCED,
    UPDATE_ADD_AND_DELETE,
    UPDATE_NEITHER,
    ConflictError,
    NotFoundError,
    ValidationError,
    bucket_quota,
    index_quota,
    no_text_configuration,
    text_configuration_exists,
    too_many_text_configurations,
)
from s3vectors_emulator.store import arns
from s3vectors_emulator.store.configuration import (
    CLASSIC,
    ENHANCED,
    MAX_TEXT_FIELDS,
    BucketSettings,
    Encryption,
    IndexSettings,
    TextField,
    check_encryption,
    check_text_fields,
)
from s3vectors_emulator.store.distances import Metric
from s3vectors_emulator.store.index import Index, new_uid
from s3vectors_emulator.store.journal import (
    BucketChanged,
    BucketCreated,
    BucketDeleted,
    Change,
    IndexChanged,
    IndexCreated,
    Journal,
)
from s3vectors_emulator.store.locks import ReadWriteLock
from s3vectors_emulator.store.names import check_bucket_name, check_index_name
from s3vectors_emulator.store.tags import check_tags

# behaviour.md#buckets-quota, behaviour.md#indexes-quota: 10,000 buckets per account and region,
# 10,000 indexes per bucket.
MAX_BUCKETS = 10_000
MAX_INDEXES = 10_000


@dataclass
class Bucket:
    account: str
    region: str
    name: str
    creation_time: float
    encryption: Encryption
    legacy: bool  # made before the CLASSIC cut-off (behaviour.md#decision-post-cutoff-buckets)
    settings: BucketSettings
    indexes: dict[str, Index] = field(default_factory=dict)
    uid: str = field(default_factory=new_uid)

    @property
    def arn(self) -> str:
        return arns.bucket_arn(self.region, self.account, self.name)


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

    def __init__(self, account: str, region: str, legacy_buckets: bool, journal: Journal) -> None:
        self.account = account
        self.region = region
        self.legacy_buckets = legacy_buckets
        self.journal = journal
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.RLock()
        self.uid = new_uid()

    def _commit(self, change: Change) -> None:
        """behaviour.md#consistency-durability: durable (the journal) before visible (apply)."""
        self.journal.write(change)
        self.apply(change)

    def apply(self, change: Change) -> None:
        """Make a durable control-plane change visible: live writes and restore both come here."""
        if isinstance(change, BucketCreated):
            self.buckets[change.bucket.name] = change.bucket
        elif isinstance(change, BucketChanged):
            change.bucket.settings = change.settings
        elif isinstance(change, BucketDeleted):
            del self.buckets[change.bucket.name]
        elif isinstance(change, IndexCreated):
            self.buckets[change.index.bucket_name].indexes[change.index.name] = change.index
        elif isinstance(change, IndexChanged):
            change.index.apply_settings(change.settings)
        else:
            raise TypeError(f"not a control-plane change: {change!r}")

    # ARNs of this account and region (behaviour.md#buckets-arn, behaviour.md#indexes-arn)
    def bucket_name_from_arn(self, arn: str) -> str:
        name = arns.bucket_of(arn, self.region, self.account)
        if name is None:
            raise NotFoundError(BUCKET_NOT_FOUND)
        return name

    def index_names_from_arn(self, arn: str) -> tuple[str, str]:
        names = arns.index_of(arn, self.region, self.account)
        if names is None:
            raise NotFoundError(INDEX_NOT_FOUND)
        return names

    # Buckets
    def create_bucket(self, name: str, encryption: Encryption | None, tags: dict[str, str] | None) -> Bucket:
        check_bucket_name(name)
        encryption = check_encryption(encryption or Encryption())
        tag_set = check_tags({}, tags or {})
        with self.lock:
            if name in self.buckets:
                raise ConflictError(BUCKET_EXISTS)
            if len(self.buckets) >= MAX_BUCKETS:
                raise bucket_quota(MAX_BUCKETS)
            bucket = Bucket(
                account=self.account,
                region=self.region,
                name=name,
                creation_time=time.time(),
                encryption=encryption,
                legacy=self.legacy_buckets,
                # behaviour.md#decision-post-cutoff-buckets: buckets count as made after 2026-09-30 unless marked
                # legacy.
                settings=BucketSettings(CLASSIC if self.legacy_buckets else ENHANCED, None, tag_set),
            )
            self._commit(BucketCreated(bucket))
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
            self._commit(BucketDeleted(bucket))

    def list_buckets(self, prefix: str | None, after: str | None, limit: int) -> tuple[list[Bucket], bool]:
        with self.lock:
            names, more = _page(list(self.buckets), prefix, after, limit)
            return [self.buckets[n] for n in names], more

    def set_default_index_mode(self, name: str, mode: str) -> None:
        with self.lock:
            bucket = self.bucket(name)
            if mode == CLASSIC and not bucket.legacy:
                raise ValidationError(
                    CLASSIC_REFUSED
                )  # behaviour.md#decision-post-cutoff-buckets, behaviour.md#modes-cutoff
            self._commit(BucketChanged(bucket, replace(bucket.settings, default_index_mode=mode)))

    def set_policy(self, name: str, policy: str | None) -> None:
        """Put (a string) or delete (None) a bucket's policy."""
        with self.lock:
            bucket = self.bucket(name)
            self._commit(BucketChanged(bucket, replace(bucket.settings, policy=policy)))

    # Indexes
    def create_index(
        self,
        bucket_name: str,
        name: str,
        *,
        data_type: str,
        dimension: int,
        metric: Metric,
        non_filterable_keys: Sequence[str] | None,
        text_fields: Sequence[TextField] | None,
        encryption: Encryption | None,
        tags: dict[str, str] | None,
    ) -> Index:
        check_index_name(name)
        if encryption is not None:
            check_encryption(encryption)
        tag_set = check_tags({}, tags or {})
        checked = check_text_fields(text_fields) if text_fields is not None else None
        with self.lock:
            bucket = self.bucket(bucket_name)
            if name in bucket.indexes:
                raise ConflictError(INDEX_EXISTS)
            if len(bucket.indexes) >= MAX_INDEXES:
                raise index_quota(MAX_INDEXES)
            mode = bucket.settings.default_index_mode
            if checked and mode != ENHANCED:
                raise ValidationError(TEXT_NEEDS_ENHANCED)  # behaviour.md#text-config-create
            index = Index(
                dimension,
                metric,
                non_filterable_keys=non_filterable_keys,
                settings=IndexSettings(mode, checked, tag_set),
                name=name,
                bucket_name=bucket_name,
                bucket_uid=bucket.uid,
                arn=arns.index_arn(self.region, self.account, bucket_name, name),
                creation_time=time.time(),
                data_type=data_type,
                encryption=encryption,
                bucket_encryption=bucket.encryption,
                journal=self.journal,
            )
            self._commit(IndexCreated(index))
            return index

    def index(self, bucket_name: str, name: str) -> Index:
        bucket = self.buckets.get(bucket_name)
        # behaviour.md#errors-catalogue: a missing bucket reads as a missing index here (NotFoundException).
        index = bucket.indexes.get(name) if bucket else None
        if index is None:
            raise NotFoundError(INDEX_NOT_FOUND)
        return index

    def delete_index(self, bucket_name: str, name: str) -> None:
        with self.lock:
            index = self.index(bucket_name, name)  # behaviour.md#decision-deleting-absent: a missing index is NotFound
            # The index journals its own deletion, under its write lock: a PutVectors that found
            # the index lands before (and is deleted with it) or fails as NotFound after; none
            # writes rows that outlive it.
            index.retire()
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
                if not self.bucket(bucket_name).legacy:
                    # behaviour.md#decision-post-cutoff-buckets, behaviour.md#modes-cutoff
                    raise ValidationError(CLASSIC_REFUSED)
                if index.settings.text_fields:
                    raise ValidationError(TEXT_NEEDS_ENHANCED)  # behaviour.md#search-scores
            self._commit(IndexChanged(index, replace(index.settings, mode=mode)))

    def update_text_fields(
        self, bucket_name: str, name: str, add: Sequence[TextField] | None, delete: Sequence[str] | None
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
            current = list(index.settings.text_fields or ())
            present = {f.key for f in current}
            if add is not None:
                for text_field in check_text_fields(add):
                    if text_field.key in present:
                        raise text_configuration_exists(text_field.key)
                    current.append(text_field)
                if len(current) > MAX_TEXT_FIELDS:
                    raise too_many_text_configurations(MAX_TEXT_FIELDS)
            else:
                gone = set(delete or ())
                for key in delete or ():
                    if key not in present:
                        raise no_text_configuration(key)
                current = [f for f in current if f.key not in gone]
            # behaviour.md#decision-text-search: an added key is built from the stored vectors before the configuration
            # is published, so it is ACTIVE (and searchable) as soon as GetIndex shows it.
            self._commit(IndexChanged(index, replace(index.settings, text_fields=tuple(current))))
            return index

    # Tags, by ARN (behaviour.md#tags-operations)
    def tagged(self, arn: str) -> Bucket | Index:
        with self.lock:
            if "/index/" in arn:
                return self.index(*self.index_names_from_arn(arn))
            return self.bucket(self.bucket_name_from_arn(arn))

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with self.lock:
            resource = self.tagged(arn)
            self._retag(resource, check_tags(resource.settings.tags, tags))

    def untag(self, arn: str, keys: list[str]) -> None:
        with self.lock:
            resource = self.tagged(arn)
            gone = set(keys)
            self._retag(resource, {k: v for k, v in resource.settings.tags.items() if k not in gone})

    def _retag(self, resource: Bucket | Index, tags: dict[str, str]) -> None:
        if isinstance(resource, Index):
            self._commit(IndexChanged(resource, replace(resource.settings, tags=tags)))
        else:
            self._commit(BucketChanged(resource, replace(resource.settings, tags=tags)))


class Store:
    """All state of one emulator: (account, region) → Region.

    Every change goes through ``journal``, injected here (memory only by default; the data
    directory's database with ``--data-dir``, whose content is then replayed into this store).
    Every request runs inside :meth:`serving`; a reset excludes them all, so each request
    happens wholly before a reset (and is erased by it) or wholly after.
    """

    def __init__(self, legacy_buckets: bool = False, journal: Journal | None = None) -> None:
        self.legacy_buckets = legacy_buckets
        self.journal = journal or Journal()
        self._regions: dict[tuple[str, str], Region] = {}
        self._lock = threading.Lock()
        self._gate = ReadWriteLock()

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
            return self._regions.setdefault(key, Region(account, region, self.legacy_buckets, self.journal))

    def regions(self) -> list[Region]:
        with self._lock:
            return list(self._regions.values())

    def close(self) -> None:
        """Release the journal (the data directory's database and lock, if any)."""
        self.journal.close()

    def reset(self) -> None:
        with self._gate.write(), self._lock:
            self.journal.reset()
            self._regions.clear()
