"""QueryVectors: exact, full-text and hybrid search, filters, query modes and paging.

behaviour.md#queries, behaviour.md#search, behaviour.md#modes-query-mode, behaviour.md#paging and
behaviour.md#queries-order-of-checks;
behaviour.md#decision-query-results, behaviour.md#decision-text-search.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import orjson

from s3vectors_emulator.errors import (
    CLASSIC_ON_ENHANCED,
    QUERY_NEEDS_VECTOR_OR_TEXT,
    TEXT_NEEDS_ENHANCED,
    ServiceError,
    ValidationError,
    duplicate_query_text_key,
    invalid_token,
    not_searchable,
)
from s3vectors_emulator.operations.common import Context, located, resolve_index
from s3vectors_emulator.paging import QUERY_PAGE_SIZE, next_query_token, query_page
from s3vectors_emulator.store.configuration import CLASSIC, ENHANCED
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.metadata import unpack_metadata
from s3vectors_emulator.store.records import QueryHit


def query_path(error: ServiceError) -> str:
    """The member a QueryVectors refusal is about (behaviour.md#search-validation)."""
    if error.part == "text":
        return f"queryTexts[{error.position}].metadataKey"
    return "vector" if error.part == "vector" else "filter"


def query_vectors(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    index = resolve_index(ctx, params)
    texts = params.get("queryTexts")
    if params.get("queryVector") is None and texts is None:
        # behaviour.md#queries-vector-or-text: the model no longer requires queryVector.
        raise ValidationError(QUERY_NEEDS_VECTOR_OR_TEXT)
    requested = params.get("queryMode")
    if requested == CLASSIC and index.mode == ENHANCED:
        raise ValidationError(CLASSIC_ON_ENHANCED)  # behaviour.md#modes-query-mode
    with located(query_path):
        pairs = _check_texts(index, texts, requested) if texts is not None else None
    enhanced = (requested or index.mode) == ENHANCED
    return_metadata = params.get("returnMetadata", False)
    token = params.get("nextToken")
    if token is None:
        vector = params.get("queryVector")
        with located(query_path):
            hits = index.search(
                vector["float32"] if vector is not None else None,
                pairs,
                params["topK"],
                params.get("filter"),
                enhanced,
                return_metadata,
            )
        offset, fingerprint = 0, None
    else:
        fingerprint = _fingerprint(index, params)
        hits, offset = query_page(ctx.snapshots, token, fingerprint)
    page = hits[offset : offset + QUERY_PAGE_SIZE]
    shape = _Shape(
        return_distance=params.get("returnDistance", False),
        return_metadata=return_metadata,
        # behaviour.md#search-scores: `scores` only when queryTexts was given; vector-only requests never get it.
        return_scores=bool(params.get("returnScores", False)) and texts is not None,
        hybrid=texts is not None and params.get("queryVector") is not None,
    )
    result: dict[str, Any] = {
        "vectors": [_wire(hit, shape) for hit in page],
        "distanceMetric": index.metric,  # required, so present on text-only answers too
    }
    # The fingerprint (the whole request, serialised and hashed) is made only for a page that has
    # a next one: a one-page answer, the common case, skips it (~60 µs of a small query).
    if offset + QUERY_PAGE_SIZE < len(hits):
        fingerprint = fingerprint or _fingerprint(index, params)
        following = next_query_token(ctx.snapshots, token, fingerprint, hits, offset)
        if following is not None:
            result["nextToken"] = following
    return result


def _check_texts(index: Index, texts: list[dict[str, Any]], requested: str | None) -> list[tuple[str, str]]:
    """behaviour.md#search-validation, behaviour.md#queries-order-of-checks step 2, before any data is read: ENHANCED,
    distinct and searchable keys."""
    if index.mode != ENHANCED or requested == CLASSIC:
        raise ValidationError.at("queryTexts", TEXT_NEEDS_ENHANCED)
    searchable = index.text_fields
    seen: set[str] = set()
    pairs = []
    for position, entry in enumerate(texts):
        key = entry["metadataKey"]
        if key in seen:
            raise duplicate_query_text_key(key, position)
        seen.add(key)
        if key not in searchable:
            raise not_searchable(key, position)
        pairs.append((key, entry["text"]))
    return pairs


def _fingerprint(index: Index, params: dict[str, Any]) -> bytes:
    """behaviour.md#paging-tokens: a token is bound to everything its request asked, except the token itself,
    and to the identity of the index (one deleted and made again under its name is another)."""
    request = {k: v for k, v in params.items() if k not in ("nextToken", "vectorBucketName", "indexName", "indexArn")}
    try:
        body = orjson.dumps([index.arn, index.uid, request], option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # Only a filter too deep to have passed validation gets here (a later page's request):
        # no snapshot can belong to it.
        raise invalid_token() from None
    return hashlib.sha256(body).digest()


class _Shape(NamedTuple):
    return_distance: bool
    return_metadata: bool
    return_scores: bool
    hybrid: bool


def _wire(hit: QueryHit, shape: _Shape) -> dict[str, Any]:
    item: dict[str, Any] = {"key": hit.key}
    # behaviour.md#search-scores: a distance exists only for results that were in the vector list.
    if shape.return_distance and hit.distance is not None:
        item["distance"] = hit.distance
    if shape.return_metadata:
        item["metadata"] = unpack_metadata(hit.metadata)  # kept packed: a snapshot holds bytes
    if shape.return_scores:
        scores: dict[str, Any] = {}
        if hit.bm25:
            scores["bm25Scores"] = [{"metadataKey": key, "score": score} for key, score in hit.bm25]
        if shape.hybrid:
            scores["fused"] = hit.fused
            if hit.distance is not None:
                scores["vectorDistance"] = hit.distance
        item["scores"] = scores
    return item
