"""The web console's JSON endpoints, under ``/_emulator/api/``, and its files, under ``/_emulator/ui``.

One source of truth: what the console shows of buckets and indexes comes from the same operation
handlers the API answers with (GetVectorBucket, GetIndex, ListTagsForResource, ...), and its
queries go through the same validation and QueryVectors handler, so the console never shows what
the API would not, and its errors are AWS's own.  What no operation gives (vector counts, memory,
paging by a filter, the map) is read from the store directly.  Nothing here changes state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import orjson

from s3vectors_emulator import __version__
from s3vectors_emulator.config import Config
from s3vectors_emulator.errors import (
    NotFoundError,
    ServiceError,
    console_bad_parameter,
    no_admin_endpoint,
    no_vector,
)
from s3vectors_emulator.operations import HANDLERS
from s3vectors_emulator.operations.common import Context, located
from s3vectors_emulator.operations.query import query_path
from s3vectors_emulator.paging import Snapshots
from s3vectors_emulator.projection import project
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.serialize import EXTRA_STATUS
from s3vectors_emulator.protocol.validate import validate
from s3vectors_emulator.request_history import RequestHistory
from s3vectors_emulator.store.configuration import ENHANCED
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.store import Store

MAP_SAMPLE = 5000
PAGE_LIMIT = 200  # the most vectors one page of the console's table shows
HEAD_VALUES = 8  # the first values of a vector the table shows
_BRIEF_CHARS = 120
_BRIEF_ITEMS = 10

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


def json_reply(value: Any, status: int = 200) -> Reply:
    return Reply(status, orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY))


def error_reply(error: ServiceError) -> Reply:
    """A refusal as the console shows it: AWS's code, message and fieldList, with the API's status."""
    status = model.error_status(error.code) or EXTRA_STATUS.get(error.code, 400)
    detail: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.field_list:
        detail["fieldList"] = error.field_list
    return json_reply({"error": detail}, status)


def static_file(name: str) -> Reply | None:
    """A file of the console (``index.html`` for the bare path), or None if there is none."""
    parts = (name or "index.html").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    suffix = parts[-1][parts[-1].rfind(".") :] if "." in parts[-1] else ""
    target = (resources.files("s3vectors_emulator") / "console").joinpath(*parts)
    if suffix not in _TYPES or not target.is_file():
        return None
    return Reply(200, target.read_bytes(), _TYPES[suffix])


class ConsoleApi:
    """The console's reads, each through the operations where an operation answers it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        snapshots: Snapshots,
        history: RequestHistory,
        started: float,
    ) -> None:
        self.config, self.store, self.snapshots, self.history = config, store, snapshots, history
        self.started = started
        self.endpoint = ""  # the address the console was reached at, for its "copy as" code
        self._get: dict[str, Callable[[Mapping[str, str]], Any]] = {
            "overview": self.overview,
            "buckets": self.buckets,
            "indexes": self.indexes,
            "vectors": self.vectors,
            "vector": self.vector,
        }
        self._post: dict[str, Callable[[dict[str, Any]], Any]] = {"query": self.query, "map": self.map}

    def handle(self, method: str, action: str, args: Mapping[str, str], body: bytes, endpoint: str) -> Reply:
        self.endpoint = endpoint
        try:
            with self.store.serving():
                if method == "GET" and action in self._get:
                    return json_reply(self._get[action](args))
                if method == "POST" and action in self._post:
                    return json_reply(self._post[action](_object(body)))
            raise no_admin_endpoint(method, f"/_emulator/api/{action}")
        except ServiceError as error:
            return error_reply(error)

    # -- helpers -----------------------------------------------------------------------------------

    def _context(self, args: Mapping[str, Any]) -> Context:
        account = str(args.get("account") or self.config.account_id)
        region = str(args.get("region") or self.config.region)
        return Context(region=self.store.region(account, region), snapshots=self.snapshots)

    def _call(self, ctx: Context, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """An operation exactly as the API runs it: the model's validation, then its handler."""
        checked = validate(model.operation(operation).input_shape, params)
        return HANDLERS[operation](ctx, checked)

    def _all(self, ctx: Context, operation: str, member: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            page = self._call(ctx, operation, {**params, **({"nextToken": token} if token else {})})
            items += page[member]
            token = page.get("nextToken")
            if not token:
                return items

    def _index(self, ctx: Context, args: Mapping[str, Any]) -> Index:
        return ctx.region.index(_required(args, "bucket"), _required(args, "index"))

    # -- GET ------------------------------------------------------------------------------------------

    def overview(self, args: Mapping[str, str]) -> dict[str, Any]:
        regions = []
        for region in sorted(self.store.regions(), key=lambda r: (r.account, r.region)):
            with region.lock:
                buckets = list(region.buckets.values())
            indexes = [index for bucket in buckets for index in list(bucket.indexes.values())]
            if buckets:
                regions.append(
                    {
                        "account": region.account,
                        "region": region.region,
                        "buckets": len(buckets),
                        "indexes": len(indexes),
                        "vectors": sum(index.count for index in indexes),
                    }
                )
        return {
            "version": __version__,
            "uptimeSeconds": round(time.monotonic() - self.started, 3),
            "dataDir": self.config.data_dir,
            "auth": bool(self.config.credentials),
            "requestLogSize": self.history.size,
            "endpoint": self.endpoint,
            "account": self.config.account_id,
            "region": self.config.region,
            "regions": regions,
            # The request log's operation filter: the model's operations, not a list kept in the page.
            "operations": sorted(model.service_model().operation_names),
        }

    def buckets(self, args: Mapping[str, str]) -> dict[str, Any]:
        ctx = self._context(args)
        out = []
        for summary in self._all(ctx, "ListVectorBuckets", "vectorBuckets", {}):
            name = summary["vectorBucketName"]
            try:
                bucket = self._call(ctx, "GetVectorBucket", {"vectorBucketName": name})["vectorBucket"]
                tags = self._call(ctx, "ListTagsForResource", {"resourceArn": bucket["vectorBucketArn"]})["tags"]
                indexes = list(ctx.region.bucket(name).indexes.values())
            except NotFoundError:
                continue  # deleted since it was listed
            try:
                policy = self._call(ctx, "GetVectorBucketPolicy", {"vectorBucketName": name})["policy"]
            except NotFoundError:
                policy = None
            out.append(
                {
                    "name": name,
                    "arn": bucket["vectorBucketArn"],
                    "creationTime": bucket["creationTime"],
                    "encryption": bucket.get("encryptionConfiguration"),
                    "defaultIndexMode": bucket.get("defaultIndexMode"),
                    "tags": tags,
                    "policy": policy,
                    "indexCount": len(indexes),
                    "vectorCount": sum(index.count for index in indexes),
                }
            )
        return {"buckets": out}

    def indexes(self, args: Mapping[str, str]) -> dict[str, Any]:
        ctx = self._context(args)
        bucket = _required(args, "bucket")
        out = []
        for summary in self._all(ctx, "ListIndexes", "indexes", {"vectorBucketName": bucket}):
            name = summary["indexName"]
            try:
                described = self._call(ctx, "GetIndex", {"vectorBucketName": bucket, "indexName": name})["index"]
                tags = self._call(ctx, "ListTagsForResource", {"resourceArn": described["indexArn"]})["tags"]
                index = ctx.region.index(bucket, name)
            except NotFoundError:
                continue
            metadata = described.get("metadataConfiguration") or {}
            out.append(
                {
                    "name": name,
                    "bucket": bucket,
                    "arn": described["indexArn"],
                    "creationTime": described["creationTime"],
                    "dataType": described["dataType"],
                    "dimension": described["dimension"],
                    "distanceMetric": described["distanceMetric"],
                    "nonFilterableMetadataKeys": metadata.get("nonFilterableMetadataKeys"),
                    "textSearchConfigurations": metadata.get("textSearchConfigurations"),
                    "indexMode": described.get("indexMode"),
                    "encryption": described.get("encryptionConfiguration"),
                    "tags": tags,
                    "vectorCount": index.count,
                    "memoryBytes": index.memory_bytes(),
                }
            )
        return {"indexes": out}

    def vectors(self, args: Mapping[str, str]) -> dict[str, Any]:
        ctx = self._context(args)
        index = self._index(ctx, args)
        limit = _int(args, "limit", 50, 1, PAGE_LIMIT)
        filter_doc = None
        if args.get("filter"):
            try:
                filter_doc = orjson.loads(args["filter"])
            except orjson.JSONDecodeError:
                raise console_bad_parameter("filter", "is not JSON") from None
        with located(query_path):
            items, last, matched = index.browse(
                limit,
                args.get("nextToken") or None,
                args.get("prefix") or "",
                filter_doc,
                enhanced=index.mode == ENHANCED,
            )
        return {
            "vectors": [
                {
                    "key": item.key,
                    "metadata": item.metadata,
                    "head": item.vector[:HEAD_VALUES].tolist() if item.vector is not None else [],
                    "dimension": index.dimension,
                }
                for item in items
            ],
            "nextToken": last,
            "total": index.count,
            "matched": matched,
        }

    def vector(self, args: Mapping[str, str]) -> dict[str, Any]:
        ctx = self._context(args)
        key = _required(args, "key")
        params: dict[str, Any] = {
            "vectorBucketName": _required(args, "bucket"),
            "indexName": _required(args, "index"),
            "keys": [key],
            "returnData": True,
            "returnMetadata": True,
        }
        found = self._call(ctx, "GetVectors", params)["vectors"]
        if not found:
            raise no_vector(key)
        data = found[0]["data"]["float32"]
        return {
            "key": found[0]["key"],
            "data": data,
            "metadata": found[0].get("metadata", {}),
            "norm": math.sqrt(sum(v * v for v in data)),
        }

    # -- POST -----------------------------------------------------------------------------------------

    def query(self, body: dict[str, Any]) -> dict[str, Any]:
        request = body.get("request")
        if not isinstance(request, dict):
            raise console_bad_parameter("request", "must be a QueryVectors request object")
        return {"response": self._call(self._context(body), "QueryVectors", request)}

    def map(self, body: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context(body)
        index = self._index(ctx, body)
        keys, matrix, metadata = index.sample(MAP_SAMPLE)
        projection = project(matrix, normalise=index.metric == "cosine")
        query = None
        if body.get("queryVector") is not None:
            values = index.check_query_vector(body["queryVector"])
            query = dict(zip(("x", "y"), projection.project(values), strict=True))
        return {
            "points": [
                {"key": key, "x": x, "y": y, "metadata": _brief(meta)}
                for key, (x, y), meta in zip(keys, np.round(projection.points, 6).tolist(), metadata, strict=True)
            ],
            "explained": list(projection.explained),
            "sampled": len(keys),
            "total": index.count,
            "query": query,
        }


def _brief(metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata small enough for 5,000 points of a map: long strings and arrays cut."""
    brief: dict[str, Any] = {}
    for key, value in metadata.items():
        if isinstance(value, str) and len(value) > _BRIEF_CHARS:
            value = value[:_BRIEF_CHARS] + "…"
        elif isinstance(value, list) and len(value) > _BRIEF_ITEMS:
            value = [*value[:_BRIEF_ITEMS], f"… {len(value)} values"]
        brief[key] = value
    return brief


def _object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise console_bad_parameter("body", "is not JSON") from None
    if not isinstance(value, dict):
        raise console_bad_parameter("body", "must be a JSON object")
    return value


def _required(args: Mapping[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise console_bad_parameter(name, "is required")
    return value


def _int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise console_bad_parameter(name, "must be an integer") from None
    if not low <= value <= high:
        raise console_bad_parameter(name, f"must be between {low} and {high}")
    return value
