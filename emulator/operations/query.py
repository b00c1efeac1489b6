"""QueryVectors: exact search, filters, query modes and paging (Part I §5, Part II §3–§4, D6)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from emulator.errors import ValidationError
from emulator.operations.common import Context, resolve_index
from emulator.store.cursors import invalid_token
from emulator.store.index import QueryHit
from emulator.store.store import CLASSIC, ENHANCED

PAGE_SIZE = 100  # Part II §4: at most 100 results per response
NEITHER = "At least one of queryVector or queryTexts must be specified"
CLASSIC_ON_ENHANCED = "Query mode CLASSIC cannot be used on a vector index in ENHANCED index mode"
TEXT_NOT_AVAILABLE = "Full-text search with queryTexts is not supported by this version of the emulator"


def query_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    if params.get("queryVector") is None and params.get("queryTexts") is None:
        raise ValidationError(NEITHER)  # Part II §5.2: the model no longer requires queryVector
    requested = params.get("queryMode")
    if requested == CLASSIC and index.mode == ENHANCED:
        raise ValidationError(CLASSIC_ON_ENHANCED)  # Part II §3
    if params.get("queryTexts") is not None:
        raise ValidationError.at("queryTexts", TEXT_NOT_AVAILABLE)
    enhanced = (requested or index.mode) == ENHANCED
    return_metadata = params.get("returnMetadata", False)
    fingerprint = _fingerprint(index.arn, params)
    token = params.get("nextToken")
    if token is None:
        hits = index.vectors.query_hits(
            params["queryVector"]["float32"], params["topK"], params.get("filter"), enhanced, return_metadata
        )
        offset = 0
    else:
        hits, offset = _resume(ctx, token, fingerprint)
    page = hits[offset : offset + PAGE_SIZE]
    result: dict[str, Any] = {
        "vectors": [_wire(hit, params.get("returnDistance", False), return_metadata) for hit in page],
        "distanceMetric": index.distance_metric,
    }
    following = offset + PAGE_SIZE
    if following < len(hits):  # D6: a token only while more results remain
        cursor = token.rsplit(".", 1)[0] if token else ctx.region.cursors.open(fingerprint, hits)
        result["nextToken"] = f"{cursor}.{following}"
    return result


def _resume(ctx: Context, token: str, fingerprint: bytes) -> tuple[list[QueryHit], int]:
    cursor, _, offset_text = token.rpartition(".")
    if not cursor or not offset_text.isdigit():
        raise invalid_token()
    hits = ctx.region.cursors.fetch(cursor, fingerprint)
    offset = int(offset_text)
    if offset <= 0 or offset >= len(hits) or offset % PAGE_SIZE:
        raise invalid_token()
    return hits, offset


def _fingerprint(index_arn: str, params: dict[str, Any]) -> bytes:
    """D6: a token is bound to everything its request asked, except the token itself."""
    request = {k: v for k, v in params.items() if k not in ("nextToken", "vectorBucketName", "indexName", "indexArn")}
    body = orjson.dumps([index_arn, request], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).digest()


def _wire(hit: QueryHit, return_distance: bool, return_metadata: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"key": hit.key}
    if return_distance:
        item["distance"] = hit.distance
    if return_metadata:
        item["metadata"] = hit.metadata if hit.metadata is not None else {}
    return item
