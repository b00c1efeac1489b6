"""Vector operations: PutVectors, GetVectors, ListVectors, DeleteVectors (behaviour.md#vectors,
behaviour.md#metadata, behaviour.md#listing)."""

from __future__ import annotations

from typing import Any

import numpy as np

from s3vectors_emulator.errors import SEGMENT_INDEX, SEGMENT_PAIR, ServiceError, ValidationError, invalid_token
from s3vectors_emulator.operations.common import Context, located, resolve_index
from s3vectors_emulator.paging import DEFAULT_MAX_RESULTS, decode_token, encode_token
from s3vectors_emulator.store.records import StoredVector


def record_path(error: ServiceError) -> str:
    """``vectors[i]`` for its vector, with ``.key`` or ``.metadata`` for those (behaviour.md#errors-field-list)."""
    suffix = {"key": ".key", "metadata": ".metadata"}.get(error.part or "", "")
    return f"vectors[{error.position}]{suffix}"


def key_path(error: ServiceError) -> str:
    return f"keys[{error.position}]"


def vector_out(vector: StoredVector) -> dict[str, Any]:
    item: dict[str, Any] = {"key": vector.key}
    if vector.vector is not None:
        # float32 values as doubles: 0.1 reads back as 0.10000000149011612 (behaviour.md#vectors-float32).  An
        # array, not a list: the wire writes it without making 1,024 Python floats (protocol/serialize.py).
        item["data"] = {"float32": vector.vector.astype(np.float64)}
    if vector.metadata is not None:
        item["metadata"] = vector.metadata  # {} when none (behaviour.md#vectors-get)
    return item


def put_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    # behaviour.md#vectors-all-or-nothing: every record is checked before any is written.
    with located(record_path):
        records = index.check_records((v["key"], v["data"]["float32"], v.get("metadata")) for v in params["vectors"])
    index.put(records)
    return {}


def get_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    with located(key_path):
        vectors = index.get(params["keys"], params.get("returnData", False), params.get("returnMetadata", False))
    return {"vectors": [vector_out(v) for v in vectors]}


def delete_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    with located(key_path):
        index.delete(params["keys"])  # behaviour.md#decision-deleting-absent: absent keys are not an error
    return {}


def list_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    count = params.get("segmentCount")
    segment = params.get("segmentIndex")
    # behaviour.md#listing-vectors-segments: the two segment members come together, the index below the count.
    if (count is None) != (segment is None):
        raise ValidationError(SEGMENT_PAIR)
    if count is not None and segment >= count:
        raise ValidationError.at("segmentIndex", SEGMENT_INDEX)
    count, segment = count or 1, segment or 0
    index = resolve_index(ctx, params)
    after = _list_position(params.get("nextToken"), index.uid, count, segment)
    items, last = index.list_page(
        params.get("maxResults", DEFAULT_MAX_RESULTS),
        after,
        count,
        segment,
        params.get("returnData", False),
        params.get("returnMetadata", False),
    )
    result: dict[str, Any] = {"vectors": [vector_out(v) for v in items]}
    if last is not None:
        result["nextToken"] = encode_token(index.uid, last, count, segment)
    return result


def _list_position(token: str | None, owner: str, count: int, segment: int) -> str | None:
    """The key a ListVectors page continues after; the token must come from the same segment."""
    position = decode_token(token, owner, size=3)
    if position is None:
        return None
    last, token_count, token_segment = position
    if not isinstance(last, str) or (token_count, token_segment) != (count, segment):
        raise invalid_token()
    return last
