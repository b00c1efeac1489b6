"""Vector bucket operations: create, get, list, delete, policy and default index mode."""

from __future__ import annotations

from typing import Any

import orjson

from s3vectors_emulator.errors import POLICY_NOT_FOUND, POLICY_NOT_JSON, NotFoundError, ValidationError
from s3vectors_emulator.operations.common import (
    Context,
    bucket_name,
    creation_path,
    encryption_in,
    encryption_out,
    located,
    resolve_bucket,
)
from s3vectors_emulator.paging import DEFAULT_MAX_RESULTS, decode_name_token, encode_token
from s3vectors_emulator.store.store import Bucket


def create_vector_bucket(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    with located(creation_path):
        bucket = ctx.region.create_bucket(
            params["vectorBucketName"], encryption_in(params.get("encryptionConfiguration")), params.get("tags")
        )
    return {"vectorBucketArn": bucket.arn}


def get_vector_bucket(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    bucket = resolve_bucket(ctx, params)
    return {
        "vectorBucket": {
            **_summary(bucket),
            "encryptionConfiguration": encryption_out(bucket.encryption),
            "defaultIndexMode": bucket.settings.default_index_mode,
        }
    }


def _summary(bucket: Bucket) -> dict[str, Any]:
    return {"vectorBucketName": bucket.name, "vectorBucketArn": bucket.arn, "creationTime": bucket.creation_time}


def delete_vector_bucket(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.delete_bucket(bucket_name(ctx, params))
    return {}


def list_vector_buckets(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    owner = ctx.region.uid
    buckets, more = ctx.region.list_buckets(
        params.get("prefix"),
        decode_name_token(params.get("nextToken"), owner),
        params.get("maxResults", DEFAULT_MAX_RESULTS),
    )
    result: dict[str, Any] = {"vectorBuckets": [_summary(b) for b in buckets]}
    if more:
        result["nextToken"] = encode_token(owner, buckets[-1].name)
    return result


def put_vector_bucket_policy(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    policy = params["policy"]
    try:
        document = orjson.loads(policy)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise ValidationError.at("policy", POLICY_NOT_JSON)
    ctx.region.set_policy(bucket_name(ctx, params), policy)
    return {}


def get_vector_bucket_policy(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    policy = resolve_bucket(ctx, params).settings.policy
    if policy is None:
        raise NotFoundError(POLICY_NOT_FOUND)
    return {"policy": policy}


def delete_vector_bucket_policy(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.set_policy(bucket_name(ctx, params), None)
    return {}


def put_vector_bucket_default_index_mode(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.set_default_index_mode(bucket_name(ctx, params), params["defaultIndexMode"])
    return {}
