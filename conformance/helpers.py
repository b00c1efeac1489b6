"""Shared pieces of the conformance suite: the target, clean-up by prefix, and small assertion helpers.

Nothing here talks to ``/_emulator/reset``: every test works in buckets of its own, named with this run's
prefix, and the clean-up only ever touches buckets that carry that prefix.
"""

from __future__ import annotations

import secrets
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import boto3
import botocore.session
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

# Every operation of the installed service model (behaviour.md#decision-api-surface): the report says
# which of them the run exercised.
OPERATIONS = tuple(botocore.session.get_session().get_service_model("s3vectors").operation_names)
# Requests sent per operation, and vectors sent in PutVectors: the report shows them (and what a run costs on AWS).
CALLS: Counter[str] = Counter()
# What a clean-up could not delete, for the terminal summary and the report.
LEFTOVERS: list[str] = []


def _record_operation(model: Any = None, params: Any = None, **_: Any) -> None:
    if model is not None:
        CALLS[model.name] += 1
        if model.name == "PutVectors" and isinstance(params, dict):
            CALLS["vectors put"] += len(params.get("vectors") or [])


@dataclass
class Target:
    """Where the suite sends its requests: ``emulator``, ``aws`` or an ``http(s)://`` endpoint."""

    kind: str  # "emulator", "aws" or "endpoint"
    label: str  # what --target said
    url: str | None  # None for real AWS (the SDK's own endpoint)
    region: str
    prefix: str  # every bucket this run creates starts with it
    # What must be active while its clients are used: the in-process mode's mock, when not the session's.
    answering: Callable[[], AbstractContextManager[Any]] = nullcontext
    _clients: dict[tuple, Any] = field(default_factory=dict)

    @property
    def is_aws(self) -> bool:
        return self.kind == "aws"

    @property
    def is_emulator(self) -> bool:
        return self.kind == "emulator"

    def client(self, validate: bool = True) -> Any:
        """A boto3 client; ``validate=False`` sends what botocore would refuse, so the server's checks are reached."""
        key = (validate,)
        if key not in self._clients:
            self._clients[key] = make_client(self, validate=validate)
        return self._clients[key]


def make_client(target: Target, validate: bool = True, region: str | None = None) -> Any:
    config = BotoConfig(
        parameter_validation=validate,
        # Real AWS may throttle (429) or reset a connection; a local endpoint never should.
        retries={"max_attempts": 3 if target.is_aws else 1, "mode": "standard"},
        read_timeout=120,
    )
    if target.is_aws:
        client = boto3.session.Session().client("s3vectors", region_name=region, config=config)
    else:
        client = boto3.client(
            "s3vectors",
            endpoint_url=target.url,
            region_name=region or target.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=config,
        )
    client.meta.events.register("before-parameter-build.s3vectors", _record_operation)
    return client


class Buckets:
    """Creates uniquely named buckets under the run's prefix and deletes them (indexes first) afterwards."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.client = target.client()
        self.created: list[str] = []

    def name(self, hint: str = "") -> str:
        """A fresh name under the prefix, remembered for deletion even if the test creates the bucket itself."""
        name = f"{self.target.prefix}{hint}{secrets.token_hex(4)}"
        self.created.append(name)
        return name

    def exact(self, name: str) -> str:
        """Remember ``name`` (which must carry the prefix) for deletion."""
        assert name.startswith(self.target.prefix)
        self.created.append(name)
        return name

    def create(self, hint: str = "", **kwargs: Any) -> str:
        name = self.name(hint)
        self.client.create_vector_bucket(vectorBucketName=name, **kwargs)
        return name

    def index(
        self, bucket: str, name: str = "idx", dimension: int = 4, metric: str = "cosine", **kwargs: Any
    ) -> dict[str, str]:
        """Create an index; return the ``vectorBucketName``/``indexName`` pair to splat into calls."""
        self.client.create_index(
            vectorBucketName=bucket,
            indexName=name,
            dataType="float32",
            dimension=dimension,
            distanceMetric=metric,
            **kwargs,
        )
        return {"vectorBucketName": bucket, "indexName": name}

    def delete_all(self) -> None:
        purge(self.target.client(validate=False), self.target.prefix, self.created)
        self.created.clear()


def purge(client: Any, prefix: str, names: Iterable[str] | None = None) -> list[str]:
    """Delete the indexes, then the buckets, whose names start with ``prefix``; return what could not be deleted.

    Pass a client without parameter validation, so that indexes with names botocore refuses can be deleted too.

    ``names`` limits it to those buckets; without it, every bucket listed under the prefix is deleted.
    """
    if not prefix.startswith("s3v-conf-"):
        raise ValueError(f"refusing to purge outside a conformance run prefix: {prefix!r}")
    if names is None:
        names = []
        token: dict[str, str] = {}
        while True:
            page = client.list_vector_buckets(prefix=prefix, **token)
            names.extend(b["vectorBucketName"] for b in page.get("vectorBuckets", []))
            if not page.get("nextToken"):
                break
            token = {"nextToken": page["nextToken"]}
    left = []
    for name in names:
        if not name.startswith(prefix):  # never touch a bucket of another run or another user
            continue
        try:
            token = {}
            while True:
                page = client.list_indexes(vectorBucketName=name, **token)
                for index in page.get("indexes", []):
                    _ignore_missing(client.delete_index, vectorBucketName=name, indexName=index["indexName"])
                if not page.get("nextToken"):
                    break
                token = {"nextToken": page["nextToken"]}
            _ignore_missing(client.delete_vector_bucket, vectorBucketName=name)
        except ClientError as exc:
            # A name the service refuses (too long, say) was never created: nothing to delete.
            if exc.response["Error"]["Code"] not in {"NotFoundException", "ValidationException"}:
                left.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - clean-up must go on with the other buckets
            left.append(f"{name}: {exc}")
    if left:
        LEFTOVERS.extend(left)
        print("conformance clean-up could not delete: " + "; ".join(left), file=sys.stderr)
    return left


def _ignore_missing(fn: Callable[..., Any], **kwargs: Any) -> None:
    try:
        fn(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NotFoundException":
            raise


class Err(NamedTuple):
    code: str
    message: str
    status: int
    fields: Any


def error_of(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Err:
    """Call ``fn(*args, **kwargs)``, which must fail with a ClientError; return code, message, status, fieldList."""
    with pytest.raises(ClientError) as exc:
        fn(*args, **kwargs)
    response = exc.value.response
    return Err(
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
        response.get("fieldList"),
    )


def coral_length(path: str, length: int, low: int, high: int, count: int = 1) -> str:
    """The Coral length template (behaviour.md#errors-catalogue)."""
    errors = "1 validation error" if count == 1 else f"{count} validation errors"
    return (
        f"{errors} detected. Value with length {length} at '{path}' failed to satisfy constraint: "
        f"Member must have length between {low} and {high}, inclusive"
    )


def coral_range(path: str, low: int, high: int) -> str:
    """The Coral range template (behaviour.md#errors-catalogue)."""
    return (
        f"1 validation error detected. Value at '{path}' failed to satisfy constraint: "
        f"Member must be between {low} and {high}, inclusive"
    )


def unit(dimension: int, at: int = 0, value: float = 1.0) -> dict[str, list[float]]:
    """A vector of ``dimension`` zeros with ``value`` at position ``at``."""
    data = [0.0] * dimension
    data[at] = value
    return {"float32": data}


def put_all(client: Any, where: dict[str, str], vectors: list[dict[str, Any]]) -> None:
    """PutVectors in batches of 500 (behaviour.md#limits)."""
    for start in range(0, len(vectors), 500):
        client.put_vectors(**where, vectors=vectors[start : start + 500])


def list_all(client: Any, where: dict[str, str], **kwargs: Any) -> list[list[str]]:
    """Every page of ListVectors, as lists of keys."""
    pages, token = [], {}
    while True:
        page = client.list_vectors(**where, **(kwargs | token))
        pages.append([v["key"] for v in page["vectors"]])
        if not page.get("nextToken"):
            return pages
        token = {"nextToken": page["nextToken"]}
