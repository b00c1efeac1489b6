"""Buckets and indexes, the configuration side of a transfer: read them from an endpoint as manifest entries,
and make them on another one, refusing an existing index or bucket whose configuration differs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from s3vectors_emulator.transfer.client import Endpoint, ServiceError, TransferError
from s3vectors_emulator.transfer.dump import BucketEntry, IndexEntry

DEFAULT_ENCRYPTION = {"sseType": "AES256"}  # what a bucket made without one shows (behaviour.md#buckets-encryption)


@dataclass(frozen=True)
class Selection:
    """What a transfer covers: one index, one bucket, or (both None) every bucket of the account and region."""

    bucket: str | None = None
    index: str | None = None

    def keep(self, buckets: list[BucketEntry]) -> list[BucketEntry]:
        """The entries of a manifest this selection covers; a named bucket or index that is not there is an error."""
        if self.bucket is None:
            return buckets
        chosen = [b for b in buckets if b.name == self.bucket]
        if not chosen:
            raise TransferError(f"the dump holds no bucket {self.bucket!r}")
        if self.index is not None:
            indexes = [i for i in chosen[0].indexes if i.name == self.index]
            if not indexes:
                raise TransferError(f"the dump holds no index {self.index!r} in bucket {self.bucket!r}")
            chosen = [BucketEntry(**{**vars(chosen[0]), "indexes": indexes})]
        return chosen


def describe(endpoint: Endpoint, selection: Selection) -> tuple[list[BucketEntry], str | None, str]:
    """The selected buckets and indexes of ``endpoint`` with their whole configuration (vectors not counted),
    and the account and region their ARNs name (unsigned, the emulator answers from its own --region)."""
    if selection.bucket is not None:
        names = [selection.bucket]
    else:
        names = [b["vectorBucketName"] for b in endpoint.pages("ListVectorBuckets", {}, "vectorBuckets")]
    account: str | None = None
    region = endpoint.region
    buckets = []
    for name in names:
        bucket = endpoint.call("GetVectorBucket", {"vectorBucketName": name})["vectorBucket"]
        parts = bucket["vectorBucketArn"].split(":")
        region, account = parts[3] or region, parts[4] or None
        policy = (found(endpoint, "GetVectorBucketPolicy", {"vectorBucketName": name}) or {}).get("policy")
        if selection.index is not None:
            index_names = [selection.index]
        else:
            listed = endpoint.pages("ListIndexes", {"vectorBucketName": name}, "indexes")
            index_names = [i["indexName"] for i in listed]
        indexes = [_describe_index(endpoint, name, index) for index in index_names]
        buckets.append(
            BucketEntry(
                name=name,
                encryption=bucket.get("encryptionConfiguration"),
                tags=_tags(endpoint, bucket["vectorBucketArn"]),
                policy=policy,
                default_index_mode=bucket.get("defaultIndexMode"),
                indexes=indexes,
            )
        )
    return buckets, account, region


def found(endpoint: Endpoint, operation: str, body: dict[str, Any]) -> Any:
    """The answer, or None for a 404: no such bucket, index or policy (behaviour.md#buckets-lifecycle,
    behaviour.md#buckets-policy)."""
    try:
        return endpoint.call(operation, body)
    except ServiceError as exc:
        if exc.code != "NotFoundException":
            raise
        return None


def _describe_index(endpoint: Endpoint, bucket: str, name: str) -> IndexEntry:
    index = endpoint.call("GetIndex", {"vectorBucketName": bucket, "indexName": name})["index"]
    return IndexEntry(
        name=name,
        dimension=index["dimension"],
        distance_metric=index["distanceMetric"],
        data_type=index["dataType"],
        metadata_configuration=_creatable(index.get("metadataConfiguration")),
        encryption=index.get("encryptionConfiguration"),
        tags=_tags(endpoint, index["indexArn"]),
        index_mode=index.get("indexMode"),
    )


def _tags(endpoint: Endpoint, arn: str) -> dict[str, str] | None:
    return endpoint.call("ListTagsForResource", resource=arn).get("tags") or None


def _creatable(configuration: dict[str, Any] | None) -> dict[str, Any] | None:
    """GetIndex's metadataConfiguration as CreateIndex takes it: a text configuration's status is GetIndex's
    report of its build, not configuration (behaviour.md#text-config-status)."""
    if configuration is None:
        return None
    result = dict(configuration)
    if "textSearchConfigurations" in result:
        result["textSearchConfigurations"] = [
            {k: v for k, v in entry.items() if k != "status"} for entry in result["textSearchConfigurations"]
        ]
    return result


class Builder:
    """Makes one bucket of a manifest and its indexes on ``endpoint``, or checks the ones already there.

    CreateIndex takes no mode: a new index inherits its bucket's default (behaviour.md#modes-inheritance), so the
    default is switched to each index's mode before it is made, and set to the manifest's at the end."""

    def __init__(self, endpoint: Endpoint, bucket: BucketEntry, dump: str) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.dump = dump  # how the source is named in messages: a dump directory, or an endpoint
        self._there = f"{bucket.name} on {endpoint.url}"
        self._mode: str | None = None

    def check(self) -> None:
        """Refuse, before anything is written, the bucket or one of its indexes if it is already there with
        another configuration."""
        existing = self._found("GetVectorBucket", {"vectorBucketName": self.bucket.name})
        if existing is None:
            return
        self._check_bucket(existing["vectorBucket"])
        for index in self.bucket.indexes:
            self._found_index(index)

    def make_bucket(self) -> None:
        """Create the bucket with its policy, or check the existing one and give it the policy if it has none."""
        entry = self.bucket
        try:
            self.endpoint.call("CreateVectorBucket", entry.create_members())
        except ServiceError as exc:
            if exc.code != "ConflictException":
                raise
        existing = self.endpoint.call("GetVectorBucket", {"vectorBucketName": entry.name})["vectorBucket"]
        self._mode = existing.get("defaultIndexMode")
        if self._check_bucket(existing) is None and entry.policy is not None:
            self.endpoint.call("PutVectorBucketPolicy", {"vectorBucketName": entry.name, "policy": entry.policy})

    def make_index(self, index: IndexEntry) -> None:
        """Create the index, or check that the existing one has the manifest's configuration."""
        if self._found_index(index):
            return
        if index.index_mode is not None:
            self._set_mode(index.index_mode, f"index {self.bucket.name}/{index.name}")
        self.endpoint.call("CreateIndex", {"vectorBucketName": self.bucket.name, **index.create_members()})

    def _check_bucket(self, existing: dict[str, Any]) -> str | None:
        """Compare an existing bucket's encryption and policy with the manifest's; returns its policy."""
        theirs = existing.get("encryptionConfiguration") or DEFAULT_ENCRYPTION
        ours = self.bucket.encryption or DEFAULT_ENCRYPTION
        if theirs != ours:
            raise self._differs(f"bucket {self._there}", "encryption", theirs, ours)
        found = self._found("GetVectorBucketPolicy", {"vectorBucketName": self.bucket.name})
        policy = found.get("policy") if found else None
        if policy is not None and self.bucket.policy is not None and policy != self.bucket.policy:
            raise self._differs(f"bucket {self._there}", "policy", policy, self.bucket.policy)
        return policy

    def _found_index(self, index: IndexEntry) -> bool:
        """Whether the index exists; refused if it does with another configuration."""
        found = self._found("GetIndex", {"vectorBucketName": self.bucket.name, "indexName": index.name})
        if found is not None:
            self._compare(f"index {self.bucket.name}/{index.name} on {self.endpoint.url}", found["index"], index)
        return found is not None

    def _found(self, operation: str, body: dict[str, Any]) -> Any:
        return found(self.endpoint, operation, body)

    def finish(self) -> None:
        """Give the bucket the manifest's default index mode."""
        if self.bucket.default_index_mode is not None:
            self._set_mode(self.bucket.default_index_mode, f"bucket {self.bucket.name}")

    def _set_mode(self, mode: str, what: str) -> None:
        if mode == self._mode:
            return
        try:
            self.endpoint.call(
                "PutVectorBucketDefaultIndexMode", {"vectorBucketName": self.bucket.name, "defaultIndexMode": mode}
            )
        except ServiceError as exc:
            hint = "; an emulator makes such buckets with --legacy-buckets" if mode == "CLASSIC" else ""
            raise TransferError(
                f"cannot give {what} the {mode} index mode it has in {self.dump}: {exc}{hint}"
            ) from None
        self._mode = mode

    def _compare(self, where: str, existing: dict[str, Any], index: IndexEntry) -> None:
        bucket_encryption = self.bucket.encryption or DEFAULT_ENCRYPTION
        pairs = [
            ("dataType", existing["dataType"], index.data_type),
            ("dimension", existing["dimension"], index.dimension),
            ("distanceMetric", existing["distanceMetric"], index.distance_metric),
            (
                "metadataConfiguration",
                _comparable(_creatable(existing.get("metadataConfiguration"))),
                _comparable(index.metadata_configuration),
            ),
            (
                "encryptionConfiguration",
                existing.get("encryptionConfiguration") or bucket_encryption,
                index.encryption or bucket_encryption,
            ),
        ]
        if index.index_mode is not None:
            pairs.append(("indexMode", existing.get("indexMode"), index.index_mode))
        for member, theirs, ours in pairs:
            if theirs != ours:
                raise self._differs(where, member, theirs, ours)

    def _differs(self, where: str, member: str, theirs: Any, ours: Any) -> TransferError:
        return TransferError(
            f"{where} already exists with another {member} ({_shown(theirs)}) than in {self.dump} ({_shown(ours)}); "
            "delete it or import elsewhere"
        )


def _comparable(configuration: dict[str, Any] | None) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """A metadata configuration as sets: order is no part of it, and none equals empty
    (behaviour.md#indexes-metadata-configuration)."""
    configuration = configuration or {}
    keys = tuple(sorted(configuration.get("nonFilterableMetadataKeys") or ()))
    text = tuple(
        sorted((t["metadataKey"], t.get("language") or "") for t in configuration.get("textSearchConfigurations") or ())
    )
    return keys, text


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        keys, text = value
        return f"non-filterable keys {list(keys)}, text search {[k + (':' + lang if lang else '') for k, lang in text]}"
    return str(value)
