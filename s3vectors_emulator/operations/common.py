"""What every operation needs: the caller's region state, the either-or resolution of buckets and
indexes by name or by ARN (behaviour.md#api-name-or-arn), and the translation of the store's
typed values and refusals into the API's members and fieldList paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from s3vectors_emulator.errors import (
    BUCKET_EITHER,
    INDEX_EITHER,
    ServiceError,
    ValidationError,
)
from s3vectors_emulator.paging import Snapshots
from s3vectors_emulator.store.configuration import Encryption
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.store import Bucket, Region


@dataclass(frozen=True)
class Context:
    region: Region
    snapshots: Snapshots  # QueryVectors page snapshots, shared by every region (s3vectors_emulator.paging)


def bucket_name(ctx: Context, params: dict[str, Any]) -> str:
    name = params.get("vectorBucketName")
    arn = params.get("vectorBucketArn")
    if name is not None and arn is None:
        return name
    if arn is not None and name is None:
        return ctx.region.bucket_name_from_arn(arn)
    raise ValidationError(BUCKET_EITHER)


def resolve_bucket(ctx: Context, params: dict[str, Any]) -> Bucket:
    return ctx.region.bucket(bucket_name(ctx, params))


def index_names(ctx: Context, params: dict[str, Any]) -> tuple[str, str]:
    arn = params.get("indexArn")
    bucket = params.get("vectorBucketName")
    name = params.get("indexName")
    if arn is not None:
        if bucket is not None or name is not None:
            raise ValidationError(INDEX_EITHER)
        return ctx.region.index_names_from_arn(arn)
    if bucket is None or name is None:
        raise ValidationError(INDEX_EITHER)
    return bucket, name


def resolve_index(ctx: Context, params: dict[str, Any]) -> Index:
    return ctx.region.index(*index_names(ctx, params))


@contextmanager
def located(path: Callable[[ServiceError], str]) -> Iterator[None]:
    """Give a refusal of one input value (an error with a ``part``) the fieldList of the request
    member it is about: the store names parts and positions, only the operations know paths."""
    try:
        yield
    except ServiceError as error:
        if error.part is None:
            raise
        raise error.located(path(error)) from None


def encryption_in(config: dict[str, Any] | None) -> Encryption | None:
    """An encryptionConfiguration member as a value; the store checks its pairing rules."""
    if config is None:
        return None
    return Encryption(config.get("sseType") or "AES256", config.get("kmsKeyArn"))


def creation_path(error: ServiceError) -> str:
    """The member a CreateVectorBucket or CreateIndex refusal is about (behaviour.md#indexes-encryption)."""
    assert error.part == "encryption"
    return "EncryptionConfiguration"


def encryption_out(encryption: Encryption) -> dict[str, Any]:
    out: dict[str, Any] = {"sseType": encryption.sse_type}
    if encryption.kms_key_arn:
        out["kmsKeyArn"] = encryption.kms_key_arn
    return out
