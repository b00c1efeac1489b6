"""What every operation needs: the caller's region state and the either-or resolution
of buckets and indexes by name or by ARN (behaviour.md#errors-catalogue)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson

from s3vectors_emulator.errors import ValidationError
from s3vectors_emulator.store.cursors import invalid_token
from s3vectors_emulator.store.store import Bucket, Index, Region

BUCKET_EITHER = "Must specify either vectorBucketName or vectorBucketArn but not both"
INDEX_EITHER = "Must specify either indexArn or both vectorBucketName and indexName"


@dataclass(frozen=True)
class Context:
    region: Region


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


def encode_token(owner: str, last: str, *extra: Any) -> str:
    """An opaque page token: the identity of what is paged (a region's state, a bucket, an
    index, so a token dies with it), the name or key to continue after, and any extra fields.

    The name goes in as its raw UTF-8 bytes after the JSON header, not inside the JSON: escaped
    there, a 1,024-byte key of control characters made a token of 8,228 characters, past
    ListVectors' 2,048, which the emulator then refused on the next call.
    """
    header = orjson.dumps([owner, *extra])  # JSON escapes NUL, so the first NUL ends the header
    return base64.urlsafe_b64encode(header + b"\0" + last.encode("utf-8", "surrogatepass")).decode("ascii")


def decode_token(token: str | None, owner: str, size: int = 1) -> list[Any] | None:
    """[last, *extra] of a page token of ``owner`` (``size`` fields); a token we did not issue for
    it is refused."""
    if token is None:
        return None
    try:
        header, sep, last = base64.urlsafe_b64decode(token.encode("ascii")).partition(b"\0")
        values = orjson.loads(header)
        name = last.decode("utf-8", "surrogatepass")
    except (ValueError, UnicodeError, orjson.JSONDecodeError):
        raise invalid_token() from None
    if not sep or not isinstance(values, list) or len(values) != size or values[0] != owner:
        raise invalid_token()
    return [name, *values[1:]]


def decode_name_token(token: str | None, owner: str) -> str | None:
    """The name a ListVectorBuckets or ListIndexes page continues after."""
    position = decode_token(token, owner)
    if position is None:
        return None
    if not isinstance(position[0], str):
        raise invalid_token()
    return position[0]
