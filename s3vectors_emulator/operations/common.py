"""What every operation needs: the caller's region state and the either-or resolution
of buckets and indexes by name or by ARN (behaviour.md#errors-catalogue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from s3vectors_emulator.errors import BUCKET_EITHER, INDEX_EITHER, ValidationError
from s3vectors_emulator.paging import Snapshots
from s3vectors_emulator.store.store import Bucket, Index, Region


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
