"""Vector operations: PutVectors, GetVectors, ListVectors, DeleteVectors (behaviour.md#metadata,
behaviour.md#errors-catalogue, behaviour.md#listing)."""

from __future__ import annotations

from typing import Any

from s3vectors_emulator.errors import SEGMENT_INDEX, SEGMENT_PAIR, ValidationError, invalid_token
from s3vectors_emulator.operations.common import Context, resolve_index
from s3vectors_emulator.paging import DEFAULT_MAX_RESULTS, decode_token, encode_token


def put_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    # behaviour.md#errors-catalogue: all or nothing — every record is checked before any is written.
    records = index.vectors.validate_put(params["vectors"])
    index.put_vectors(records)
    return {}


def get_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    vectors = index.vectors.get(params["keys"], params.get("returnData", False), params.get("returnMetadata", False))
    return {"vectors": vectors}


def delete_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    index.delete_vectors(params["keys"])  # behaviour.md#decision-deleting-absent: absent keys are not an error
    return {}


def list_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    count = params.get("segmentCount")
    segment = params.get("segmentIndex")
    # behaviour.md#decision-duplicates-and-order / behaviour.md#listing: the two segment members come together, the
    # index below the count.
    if (count is None) != (segment is None):
        raise ValidationError(SEGMENT_PAIR)
    if count is not None and segment >= count:
        raise ValidationError.at("segmentIndex", SEGMENT_INDEX)
    count, segment = count or 1, segment or 0
    index = resolve_index(ctx, params)
    after = _list_position(params.get("nextToken"), index.uid, count, segment)
    items, last = index.vectors.list_page(
        params.get("maxResults", DEFAULT_MAX_RESULTS),
        after,
        count,
        segment,
        params.get("returnData", False),
        params.get("returnMetadata", False),
    )
    result: dict[str, Any] = {"vectors": items}
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
