"""Vector index operations: create, get, list, delete, index mode, metadata configuration."""

from __future__ import annotations

from typing import Any

from s3vectors_emulator.operations.common import (
    Context,
    bucket_name,
    creation_path,
    encryption_in,
    encryption_out,
    index_names,
    located,
    resolve_index,
)
from s3vectors_emulator.paging import DEFAULT_MAX_RESULTS, decode_name_token, encode_token
from s3vectors_emulator.store.configuration import TextField
from s3vectors_emulator.store.index import Index


def text_fields_in(configurations: list[dict[str, Any]]) -> list[TextField]:
    # status is output-only and ignored on input (behaviour.md#text-config-create).
    return [TextField(c["metadataKey"], c.get("language") or None) for c in configurations]


def create_index(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    metadata = params.get("metadataConfiguration") or {}
    texts = metadata.get("textSearchConfigurations")
    with located(creation_path):
        index = ctx.region.create_index(
            bucket_name(ctx, params),
            params["indexName"],
            data_type=params["dataType"],
            dimension=params["dimension"],
            metric=params["distanceMetric"],  # the model's DistanceMetric enum, checked by validation
            non_filterable_keys=metadata.get("nonFilterableMetadataKeys"),
            text_fields=text_fields_in(texts) if texts is not None else None,
            encryption=encryption_in(params.get("encryptionConfiguration")),
            tags=params.get("tags"),
        )
    return {"indexArn": index.arn}


def _summary(index: Index) -> dict[str, Any]:
    return {
        "vectorBucketName": index.bucket_name,
        "indexName": index.name,
        "indexArn": index.arn,
        "creationTime": index.creation_time,
    }


def get_index(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    described: dict[str, Any] = {
        **_summary(index),
        "dataType": index.data_type,
        "dimension": index.dimension,
        "distanceMetric": index.metric,
        # The index's own configuration, else the bucket's, which its vectors use.
        "encryptionConfiguration": encryption_out(index.effective_encryption),
        "indexMode": index.mode,
    }
    non_filterable = index.non_filterable_list
    text_fields = index.settings.text_fields
    if non_filterable is not None or text_fields is not None:
        metadata: dict[str, Any] = {}
        described["metadataConfiguration"] = metadata
        if non_filterable is not None:
            metadata["nonFilterableMetadataKeys"] = list(non_filterable)
        if text_fields is not None:
            # behaviour.md#decision-text-search: configurations are ACTIVE at once; the write path is consistent.
            metadata["textSearchConfigurations"] = [
                {"metadataKey": f.key, **({"language": f.language} if f.language else {}), "status": "ACTIVE"}
                for f in text_fields
            ]
    return {"index": described}


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
    result: dict[str, Any] = {"indexes": [_summary(i) for i in indexes]}
    if more:
        result["nextToken"] = encode_token(bucket.uid, indexes[-1].name)
    return result


def update_index_mode(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.set_index_mode(*index_names(ctx, params), params["indexMode"])
    return {}


def update_metadata_configuration(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    add = params.get("add")
    delete = params.get("delete")
    index = ctx.region.update_text_fields(
        *index_names(ctx, params),
        add=text_fields_in(add.get("textSearchConfigurations", [])) if add is not None else None,
        delete=[k["metadataKey"] for k in delete.get("textSearchConfigurations", [])] if delete is not None else None,
    )
    return {"indexArn": index.arn}
