"""The request history behind GET /_emulator/requests: newest first, filters, and bounded memory."""

from __future__ import annotations

import orjson

from s3vectors_emulator.request_history import MAX_BODY_BYTES, RequestHistory
from s3vectors_emulator.request_log import RequestRecord


def _record(i: int, status: int = 200, operation: str = "GetIndex") -> RequestRecord:
    return RequestRecord(f"id-{i}", 1000.0 + i, "POST", "/GetIndex", operation, "123456789012", "us-east-1", status)


def test_newest_first_with_filters_and_a_size_bound() -> None:
    history = RequestHistory(size=3)
    for i, (status, op) in enumerate([(200, "A"), (404, "B"), (200, "B"), (500, "A")]):
        history.add(_record(i, status, op), {"n": i}, None)
    assert [c.id for c in history.calls()] == ["id-3", "id-2", "id-1"]
    assert [c.id for c in history.calls(operation="B")] == ["id-2", "id-1"]
    assert [c.id for c in history.calls(status="4xx")] == ["id-1"]
    assert [c.id for c in history.calls(status="500")] == ["id-3"]
    assert [c.id for c in history.calls(limit=1)] == ["id-3"]
    assert history.get("id-2") is not None and history.get("id-0") is None
    assert orjson.loads(orjson.dumps(history.calls()[0].as_json()))["request"] == {"n": 3}
    assert history.clear() == 3 and history.calls() == []


def test_memory_is_bounded_whatever_the_bodies() -> None:
    history = RequestHistory(size=1000, max_bytes=10 * MAX_BODY_BYTES)
    huge = {"metadata": "x" * (5 * MAX_BODY_BYTES)}
    for i in range(100):
        history.add(_record(i), huge, huge)
    calls = history.calls()
    assert 0 < len(calls) <= 5
    body = orjson.loads(orjson.dumps(calls[0].as_json()))["request"]
    assert body["truncated"].endswith("bytes)") and len(body["truncated"]) < MAX_BODY_BYTES + 100


def test_size_zero_keeps_nothing() -> None:
    history = RequestHistory(size=0)
    history.add(_record(1), None, None)
    assert history.calls() == [] and not history.enabled


def test_a_deeply_nested_body_is_summarised_to_a_bounded_depth() -> None:
    from s3vectors_emulator.request_log import DEEPER, MAX_DEPTH, summarise

    body: dict = {"leaf": 1}
    for _ in range(2000):
        body = {"$and": [body]}
    summary = summarise(body)
    for _ in range(MAX_DEPTH // 2):
        summary = summary["$and"][0]
    assert summary == DEEPER


def test_a_long_list_is_summarised_to_its_first_items_and_length() -> None:
    from s3vectors_emulator.request_log import SHOWN_ITEMS, summarise

    page = {"vectors": [{"key": f"k{i}"} for i in range(SHOWN_ITEMS + 5)]}
    assert summarise(page)["vectors"] == [*page["vectors"][:SHOWN_ITEMS], f"... {SHOWN_ITEMS + 5} items"]
    assert summarise({"vectors": page["vectors"][:SHOWN_ITEMS]}) == {"vectors": page["vectors"][:SHOWN_ITEMS]}
