"""Vector index operations: create, get, list, delete, index mode, metadata configuration."""

from __future__ import annotations

from typing import Any

from s3vectors_emulator.operations.common import Context, bucket_name, index_names, resolve_index
from s3vectors_emulator.paging import DEFAULT_MAX_RESULTS, decode_name_token, encode_token


def create_index(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = ctx.region.create_index(
        bucket_name(ctx, params),
        params["indexName"],
        data_type=params["dataType"],
        dimension=params["dimension"],
        distance_metric=params["distanceMetric"],
        metadata_configuration=params.get("metadataConfiguration"),
        encryption=params.get("encryptionConfiguration"),
        tags=params.get("tags"),
    )
    return {"indexArn": index.arn}


def get_index(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return {"index": resolve_index(ctx, params).describe()}


def delete_index(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.delete_index(*index_names(ctx, params))
    return {}


def list_indexes(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    bucket = ctx.region.bucket(bucket_name(ctx, params))
    indexes, more = ctx.region.list_indexes(
        bucket.name,
        params.get("prefix"),
        decode_name_token(params.get("nextToken"), bucket.uid),
        params.get("maxResults", DEFAULT_MAX_RESULTS),
    )
    result: dict[str, Any] = {"indexes": [i.summary() for i in indexes]}
    if more:
        result["nextToken"] = encode_token(bucket.uid, indexes[-1].name)
    return result


def update_index_mode(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.set_index_mode(*index_names(ctx, params), params["indexMode"])
    return {}


def update_metadata_configuration(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    add = params.get("add")
    delete = params.get("delete")
    index = ctx.region.update_text_configurations(
        *index_names(ctx, params),
        add=add.get("textSearchConfigurations", []) if add is not None else None,
        delete=[k["metadataKey"] for k in delete.get("textSearchConfigurations", [])] if delete is not None else None,
    )
    return {"indexArn": index.arn}
