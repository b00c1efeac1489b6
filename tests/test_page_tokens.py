"""Query snapshots within one byte budget (behaviour.md#decision-snapshot-budget); what page tokens are bound to is
in conformance/test_pagination.py."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import error_of, make_client

from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.operations.common import Context
from s3vectors_emulator.operations.query import query_vectors
from s3vectors_emulator.paging import Snapshots
from s3vectors_emulator.server import EmulatorServer
from s3vectors_emulator.store.store import Store
from s3vectors_emulator.testing import reset

WHERE = {"vectorBucketName": "paged", "indexName": "idx"}


def _refused(call: Any, **params: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    assert error_of(excinfo)[:2] == ("ValidationException", "Invalid nextToken")


def _index(client: Any, vectors: int = 250, metadata_bytes: int = 10) -> None:
    client.create_index(**WHERE, dataType="float32", dimension=2, distanceMetric="euclidean")
    for start in range(0, vectors, 500):
        client.put_vectors(
            **WHERE,
            vectors=[
                {"key": f"k{i:04}", "data": {"float32": [float(i), 1.0]}, "metadata": {"pad": "x" * metadata_bytes}}
                for i in range(start, min(vectors, start + 500))
            ],
        )


@pytest.fixture
def small_budget() -> Iterator[tuple[str, Snapshots]]:
    app = create_app(Config(port=0, snapshot_budget_bytes=3 * 1024 * 1024))
    server = EmulatorServer(app, "127.0.0.1", 0, threads=4)
    server.start()
    try:
        yield server.url, app.extensions["s3vectors_snapshots"]
    finally:
        server.stop()


def test_snapshots_share_one_budget_least_recently_used_dropped(small_budget):
    url, snapshots = small_budget
    reset(url)
    tokens = []
    # Each snapshot holds 1,000 hits with 1 KB of metadata: about 1.2 MB of the 3 MiB budget.
    for account in ("111111111111", "222222222222", "333333333333"):
        for region in ("us-east-1", "ap-south-1"):
            client = make_client(url, region=region, access_key=account)
            client.create_vector_bucket(vectorBucketName="paged")
            _index(client, vectors=1000, metadata_bytes=1000)
            query = {**WHERE, "queryVector": {"float32": [0.0, 1.0]}, "topK": 1000, "returnMetadata": True}
            tokens.append((client, query, client.query_vectors(**query)["nextToken"]))
            assert snapshots.used <= 3 * 1024 * 1024
    oldest, newest = tokens[0], tokens[-1]
    _refused(oldest[0].query_vectors, **oldest[1], nextToken=oldest[2])
    page = newest[0].query_vectors(**newest[1], nextToken=newest[2])
    assert len(page["vectors"]) == 100 and page["vectors"][0]["metadata"] == {"pad": "x" * 1000}


def test_snapshot_memory_stays_within_the_budget(tmp_path):
    budget = 4 * 1024 * 1024
    store = Store()
    snapshots = Snapshots(budget)
    contexts = []
    for region in ("us-east-1", "eu-west-1", "sa-east-1"):
        state = store.region("123456789012", region)
        state.create_bucket("paged", None, None)
        index = state.create_index(
            "paged",
            "idx",
            data_type="float32",
            dimension=8,
            metric="cosine",
            non_filterable_keys=["pad"],
            text_fields=None,
            encryption=None,
            tags=None,
        )
        index.put(
            index.check_records(
                (f"key-{i:06}", [1.0 + i % 7] * 7 + [float(i)], {"pad": "y" * 4000, "i": i}) for i in range(2000)
            )
        )
        contexts.append(Context(region=state, snapshots=snapshots))
    params = {**WHERE, "queryVector": {"float32": [1.0] * 8}, "topK": 2000, "returnMetadata": True}
    query_vectors(contexts[0], params)  # warm caches (key order, norms) outside the measurement
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for round_ in range(40):
            # Rewriting the vectors makes each snapshot the only holder of its metadata.
            state = contexts[round_ % 3]
            index = state.region.index("paged", "idx")
            if round_ % 5 == 0:
                index.put(
                    index.check_records((f"key-{i:06}", [2.0] * 8, {"pad": "z" * 4000}) for i in range(0, 2000, 2))
                )
            assert "nextToken" in query_vectors(state, params)
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert snapshots.used <= budget
    # The index's own rewrites account for the rest: 1,000 × 4 KB of new metadata per region.
    assert grown <= budget + 3 * 1000 * 4200 + 2 * 1024 * 1024
