"""Index: put/get/delete/list/query without HTTP, checked against the rules of docs/behaviour.md and against a
brute force written independently here (pure Python, float64, per-vector filter evaluation)."""

from __future__ import annotations

import math
import threading
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import checked, got, listed, make_index, wire_field_list

from s3vectors_emulator.errors import ValidationError
from s3vectors_emulator.store import distances
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.metadata import unpack_metadata
from s3vectors_emulator.store.records import check_keys


def vec(key: str, data: list[float], metadata: Any = None) -> dict[str, Any]:
    record: dict[str, Any] = {"key": key, "data": {"float32": data}}
    if metadata is not None:
        record["metadata"] = metadata
    return record


def make(dim: int, metric: str, records: list[dict], non_filterable: frozenset[str] = frozenset()) -> Index:
    index = make_index(dim, metric, non_filterable)  # type: ignore[arg-type]
    index.put(checked(index, records))
    return index


def pairs(
    index: Index, vector: Any, top_k: int, filter_doc: Any = None, enhanced: bool = True
) -> list[tuple[str, float | None]]:
    """A vector search's hits as ``(key, distance)``, in rank order."""
    return [(hit.key, hit.distance) for hit in index.search(vector, None, top_k, filter_doc, enhanced)]


def put_refusal(index: Index, records: list[dict]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        checked(index, records)
    return info.value


def query_refusal(index: Index, vector: list[float], filter_doc: Any = None, enhanced: bool = True) -> Any:
    with pytest.raises(ValidationError) as info:
        index.search(vector, None, 5, filter_doc, enhanced)
    return info.value.message, wire_field_list(info.value)


# ---------------------------------------------------------------------------------------------
# PutVectors validation
# ---------------------------------------------------------------------------------------------


def test_key_utf8_byte_limit() -> None:
    index = make_index(2, "euclidean")
    checked(index, [vec("😀" * 256, [1, 2])])  # 1,024 bytes: accepted
    error = put_refusal(index, [vec("ok", [1, 2]), vec("中" * 342, [1, 2])])  # 1,026 bytes
    assert error.message == "Record key length exceeds the maximum allowed"
    assert wire_field_list(error) == [
        {"path": "vectors[1].key", "message": "Record key length exceeds the maximum allowed"}
    ]


def test_check_key_on_get_and_delete() -> None:
    index = make(2, "euclidean", [vec("a", [1, 2])])
    for call in (lambda: got(index, ["a", "😀" * 257]), lambda: index.delete(["😀" * 512])):
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.message == "Record key length exceeds the maximum allowed"
    check_keys(["😀" * 256])
    assert index.count == 1


def test_dimension_mismatch() -> None:
    error = put_refusal(make_index(3, "cosine"), [vec("k1", [1, 2])])
    assert error.message == "Invalid record for key 'k1': vector must have length 3, but has length 2"
    assert wire_field_list(error) == [{"path": "vectors[0]", "message": "vector must have length 3, but has length 2"}]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), 1e39, -1e39, 10**400])
def test_nan_and_inf_after_float32_conversion(bad: float) -> None:
    error = put_refusal(make_index(2, "euclidean"), [vec("ok", [1, 1]), vec("x", [1, bad])])
    assert error.message == "Invalid record for key 'x': vector contains NaNs or Infs"
    assert wire_field_list(error) == [{"path": "vectors[1]", "message": "vector contains NaNs or Infs"}]


def test_float32_extremes_are_stored() -> None:
    index = make(2, "euclidean", [vec("max", [3.4028235e38, 1.5e-45]), vec("tenth", [0.1, 0])])
    values = {item["key"]: item["data"]["float32"] for item in got(index, ["max", "tenth"], with_data=True)}
    assert values["max"] == [float(np.finfo(np.float32).max), float(np.float32(1.5e-45))]
    assert values["tenth"] == [0.10000000149011612, 0.0]  # behaviour.md#metadata: float32 values come back


def test_cosine_zero_norm() -> None:
    index = make_index(4, "cosine")
    error = put_refusal(index, [vec("zero", [0, 0, 0, 0])])
    assert error.message == "Invalid record for key 'zero': cosine distance does not support vectors with zero norm"
    assert wire_field_list(error) == [
        {"path": "vectors[0]", "message": "cosine distance does not support vectors with zero norm"}
    ]
    # Components that round to 0 in float32 make a zero vector (behaviour.md#metadata).
    assert "zero norm" in put_refusal(index, [vec("tiny", [1e-46] * 4)]).message
    checked(index, [vec("subnormal", [1.5e-45, 0, 0, 0])])


def test_zero_vector_on_euclidean_is_accepted() -> None:
    index = make(2, "euclidean", [vec("zero", [0, 0])])
    assert pairs(index, [3, 4], 1) == [("zero", 25.0)]


def test_check_order_within_a_record_and_first_failing_record() -> None:
    index = make_index(2, "cosine")
    # Dimension before NaN, NaN before zero norm, vector checks before metadata.
    assert "must have length" in put_refusal(index, [vec("a", [float("nan")] * 3)]).message
    assert "NaNs" in put_refusal(index, [vec("a", [0, float("nan")])]).message
    assert "zero norm" in put_refusal(index, [vec("a", [0, 0], {"x": None})]).message
    assert "Record key length" in put_refusal(index, [vec("中" * 342, [1])]).message
    error = put_refusal(index, [vec("a", [1, 0]), vec("b", [1, 0], {"x": []}), vec("c", [1])])
    assert error.message == "Invalid record for key 'b': Empty arrays are not allowed in metadata"
    assert wire_field_list(error) == [
        {"path": "vectors[1].metadata", "message": "Empty arrays are not allowed in metadata"}
    ]


def test_metadata_limits_use_the_index_non_filterable_keys() -> None:
    index = make_index(1, "euclidean", frozenset({"bulk"}))
    checked(index, [vec("a", [1], {"bulk": "x" * 40944})])
    assert "40960 bytes" in put_refusal(index, [vec("a", [1], {"bulk": "x" * 40945})]).message
    assert "2048 bytes" in put_refusal(make_index(1, "euclidean"), [vec("a", [1], {"bulk": "x" * 40944})]).message


def test_not_numbers_is_a_validation_error() -> None:
    error = put_refusal(make_index(2, "euclidean"), [vec("a", ["x", 1])])
    assert error.message == "Invalid record for key 'a': vector must contain only numbers"


def test_a_failed_request_changes_nothing() -> None:
    index = make(1, "euclidean", [vec("a", [1])])
    put_refusal(index, [vec("b", [2]), vec("c", [float("nan")])])
    assert index.keys() == ["a"]


# ---------------------------------------------------------------------------------------------
# Writes and reads
# ---------------------------------------------------------------------------------------------


def test_duplicate_keys_last_wins() -> None:
    index = make_index(1, "euclidean")
    records = checked(index, [vec("a", [1], {"v": 1}), vec("b", [5]), vec("a", [2], {"v": 2})])
    assert [r[0] for r in records] == ["b", "a"]
    index.put(records)
    assert got(index, ["a"], True, True) == [{"key": "a", "data": {"float32": [2.0]}, "metadata": {"v": 2}}]
    assert index.count == 2


def test_every_duplicate_is_validated() -> None:
    error = put_refusal(make_index(1, "euclidean"), [vec("a", [1], {"x": None}), vec("a", [2])])
    assert wire_field_list(error) == [{"path": "vectors[0].metadata", "message": error.message.split(": ", 1)[1]}]


def test_overwrite_replaces_vector_and_metadata_entirely() -> None:
    index = make(2, "cosine", [vec("a", [1, 0], {"old": 1, "tag": "x"})])
    index.put(checked(index, [vec("a", [0, 1], {"tag": "y"})]))
    assert got(index, ["a"], True, True) == [{"key": "a", "data": {"float32": [0.0, 1.0]}, "metadata": {"tag": "y"}}]
    assert pairs(index, [1, 0], 5, {"old": {"$exists": True}}) == []
    assert pairs(index, [1, 0], 5, {"tag": "x"}) == []
    assert pairs(index, [0, 1], 5, {"tag": "y"}) == [("a", 0.0)]
    index.put(checked(index, [vec("a", [0, 1])]))
    assert got(index, ["a"], False, True) == [{"key": "a", "metadata": {}}]


def test_get_order_absent_duplicates_and_shape() -> None:
    index = make(2, "euclidean", [vec("a", [1, 2], {"m": ["x"]}), vec("b", [3, 4]), vec("c", [5, 6])])
    assert got(index, ["c", "zz", "a", "c"]) == [{"key": "c"}, {"key": "a"}]
    assert got(index, ["b"], with_metadata=True) == [{"key": "b", "metadata": {}}]
    assert got(index, ["a"], with_data=True) == [{"key": "a", "data": {"float32": [1.0, 2.0]}}]
    assert got(index, ["nope"]) == []
    # Handed-out metadata is a copy.
    got(index, ["a"], with_metadata=True)[0]["metadata"]["m"].append("y")
    assert got(index, ["a", "gone"], with_metadata=True) == [{"key": "a", "metadata": {"m": ["x"]}}]


def test_delete_moves_the_last_row_and_keeps_everything_aligned() -> None:
    records = [vec(f"k{i}", [float(i), 1.0], {"i": i, "tag": [f"t{i}"]}) for i in range(40)]
    index = make(2, "euclidean", records)
    index.delete(["k0", "absent", "k17", "k17", "k39"])
    index.delete(["absent-only"])
    alive = [i for i in range(40) if i not in (0, 17, 39)]
    assert index.count == len(alive)
    assert index.keys() == sorted(f"k{i}" for i in alive)
    for i in alive:
        item = got(index, [f"k{i}"], True, True)[0]
        assert item["data"]["float32"] == [float(i), 1.0]
        assert item["metadata"] == {"i": i, "tag": [f"t{i}"]}
        assert pairs(index, [float(i), 1.0], 1, {"tag": f"t{i}"}) == [(f"k{i}", 0.0)]
    assert pairs(index, [0, 1], 100, {"i": 17}) == []
    index.delete([f"k{i}" for i in alive])
    assert index.count == 0
    assert pairs(index, [0, 1], 10) == []
    index.put(checked(index, [vec("again", [1, 1])]))
    assert pairs(index, [1, 1], 10) == [("again", 0.0)]


# ---------------------------------------------------------------------------------------------
# ListVectors
# ---------------------------------------------------------------------------------------------

LIST_KEYS = ["b", "a", "é", "z", "😀", "\uffff", "A", "ab", "a b", "0", "中文", "aa"] + [f"k{i:03d}" for i in range(60)]


def list_all(index: Index, page: int, count: int = 1, segment: int = 0) -> list[str]:
    keys: list[str] = []
    after = None
    while True:
        items, after = listed(index, page, after, count, segment)
        keys += [item["key"] for item in items]
        assert len(items) <= page
        if after is None:
            return keys
        assert items and items[-1]["key"] == after


@pytest.mark.parametrize("page", [1, 3, 7, 1000])
def test_list_is_in_utf8_byte_order(page: int) -> None:
    index = make(1, "euclidean", [vec(k, [1]) for k in LIST_KEYS])
    assert list_all(index, page) == sorted(LIST_KEYS, key=lambda k: k.encode("utf-8"))


@pytest.mark.parametrize("count", [2, 3, 16])
def test_segments_are_disjoint_and_cover_the_index(count: int) -> None:
    index = make(1, "euclidean", [vec(k, [1]) for k in LIST_KEYS])
    seen: list[str] = []
    for segment in range(count):
        part = list_all(index, 4, count, segment)
        assert part == sorted(part)
        seen += part
    assert sorted(seen) == sorted(LIST_KEYS)


def test_list_page_shape_and_no_token_when_nothing_remains() -> None:
    index = make(2, "euclidean", [vec("a", [1, 2], {"x": 1}), vec("b", [3, 4])])
    items, after = listed(index, 2, None, with_data=True, with_metadata=True)
    assert items == [
        {"key": "a", "data": {"float32": [1.0, 2.0]}, "metadata": {"x": 1}},
        {"key": "b", "data": {"float32": [3.0, 4.0]}, "metadata": {}},
    ]
    assert after is None
    assert listed(index, 1, None) == ([{"key": "a"}], "a")
    assert listed(index, 5, "b") == ([], None)
    assert listed(make_index(1, "cosine"), 10, None) == ([], None)


def test_listing_across_writes_never_repeats_or_skips_unchanged_vectors() -> None:
    index = make(1, "euclidean", [vec(f"k{i:03d}", [i]) for i in range(100)])
    stable = {f"k{i:03d}" for i in range(100) if i % 3}
    seen: list[str] = []
    after = None
    step = 0
    while True:
        items, after = listed(index, 7, after)
        seen += [item["key"] for item in items]
        # Between pages: delete or overwrite some vectors, add others.
        index.delete([f"k{step * 3:03d}"])
        index.put(checked(index, [vec(f"k{(step * 3 + 3) % 100:03d}", [0]), vec(f"n{step}", [1])]))
        step += 1
        if after is None:
            break
    assert len(seen) == len(set(seen))
    assert stable <= set(seen)


# ---------------------------------------------------------------------------------------------
# QueryVectors
# ---------------------------------------------------------------------------------------------


def test_cosine_distances_from_the_reference() -> None:
    index = make(
        4,
        "cosine",
        [
            vec("same", [1, 0, 0, 0]),
            vec("scaled", [5, 0, 0, 0]),
            vec("ortho", [0, 1, 0, 0]),
            vec("opp", [-1, 0, 0, 0]),
        ],
    )
    assert pairs(index, [1, 0, 0, 0], 10) == [("same", 0.0), ("scaled", 0.0), ("ortho", 1.0), ("opp", 2.0)]
    ns3 = pairs(make(3, "cosine", [vec("x", [1, 1, 2])]), [1, 1, 1], 1)[0][1]
    assert ns3 == pytest.approx(1 - 4 / math.sqrt(18), abs=1e-7)  # ≈ 0.05719


def test_euclidean_distance_is_squared() -> None:
    index = make(3, "euclidean", [vec("a", [1, 1, 1]), vec("b", [1, 1, 2]), vec("c", [2, 2, 2])])
    assert pairs(index, [1, 1, 1], 3) == [("a", 0.0), ("b", 1.0), ("c", 3.0)]
    small = make(8, "euclidean", [vec("p", [0.1] + [0] * 7)])
    ((_, distance),) = pairs(small, [0.19] + [0] * 7, 1)
    assert distance == pytest.approx(0.0081, rel=1e-6)


def test_identical_directions_are_exactly_zero_in_high_dimension() -> None:
    rng = np.random.default_rng(1)
    data = rng.normal(size=(50, 4096)).astype(np.float32)
    records = [vec(f"v{i}", row.tolist()) for i, row in enumerate(data)]
    index = make(4096, "cosine", records)
    for i in (0, 17, 49):
        assert pairs(index, data[i].tolist(), 1) == [(f"v{i}", 0.0)]
        ((key, distance),) = pairs(index, (data[i] * 3).tolist(), 1)
        assert key == f"v{i}" and distance <= 1e-6


def test_ties_are_broken_by_key() -> None:
    keys = ["b", "a", "é", "c", "A"]
    index = make(2, "euclidean", [vec(k, [1, 0]) for k in keys] + [vec("far", [5, 5])])
    assert [k for k, _ in pairs(index, [1, 0], 3)] == ["A", "a", "b"]
    assert [k for k, _ in pairs(index, [1, 0], 10)] == ["A", "a", "b", "c", "é", "far"]


def test_top_k_larger_than_matches_returns_all_matches() -> None:
    index = make(1, "euclidean", [vec(str(i), [i], {"even": i % 2 == 0}) for i in range(10)])
    assert [k for k, _ in pairs(index, [0], 10000, {"even": True})] == ["0", "2", "4", "6", "8"]
    assert pairs(index, [0], 5, {"even": "yes"}) == []


@pytest.mark.parametrize(
    ("vector", "detail"),
    [
        ([1, 2], "Invalid input: vector must have length 3, but has length 2"),
        ([1, 2, 3, 4], "Invalid input: vector must have length 3, but has length 4"),
        ([1, float("nan"), 0], "Invalid input: vector contains NaNs or Infs"),
        ([1, 1e39, 0], "Invalid input: vector contains NaNs or Infs"),
        ([0, 0, 0], "Invalid input: cosine distance does not support vectors with zero norm"),
        ([1e-46, 0, 0], "Invalid input: cosine distance does not support vectors with zero norm"),
    ],
)
def test_query_vector_errors(vector: list[float], detail: str) -> None:
    assert query_refusal(make_index(3, "cosine"), vector) == (
        "Query vector contains invalid values or is invalid for this index",
        [{"path": "vector", "message": detail}],
    )


def test_filter_errors_come_even_on_an_empty_index() -> None:
    index = make_index(2, "euclidean", frozenset({"bulk"}))
    assert query_refusal(index, [1, 2], {})[0] == "Invalid filter"
    assert query_refusal(index, [1, 2], {"bulk": "x"})[0] == "Invalid use of non-filterable metadata in filter"
    assert query_refusal(index, [1, 2], {"s": {"$startsWith": "a"}}, enhanced=False)[0] == "Invalid filter"
    too_many = {"g": {"$in": list(range(101))}}
    assert query_refusal(index, [1, 2], too_many) == (
        "Filter exceeds the maximum of 100 constraints",
        [{"path": "filter", "message": "Filter exceeds the maximum of 100 constraints"}],
    )
    assert pairs(index, [1, 2], 5, too_many, enhanced=False) == []
    assert pairs(index, [1, 2], 5, {"s": {"$startsWith": "a"}}) == []


def test_search_hits_carry_metadata() -> None:
    index = make(1, "euclidean", [vec("a", [0], {"x": [1, 2]}), vec("b", [1])])
    hits = index.search([0], None, 5, None, True, with_metadata=True)
    # Packed (unpack_metadata), so a snapshot of 10,000 hits stays compact.
    assert [(h.key, h.distance, unpack_metadata(h.metadata)) for h in hits] == [
        ("a", 0.0, {"x": [1, 2]}),
        ("b", 1.0, {}),
    ]


def test_huge_components_overflowing_float32_products() -> None:
    big = float(np.finfo(np.float32).max)
    records = [vec(f"v{i}", [big, big * (i % 7) / 7, -big / (i + 1)] + [1.0] * 13) for i in range(200)]
    for metric in ("cosine", "euclidean"):
        with mock.patch.object(distances, "_SCREEN_MIN_ELEMENTS", 0):
            index = make(16, metric, records)
            query = [big, 0.0, -big] + [1.0] * 13
            got = pairs(index, query, 5)
        expected = brute_force({r["key"]: (r["data"]["float32"], {}) for r in records}, query, metric, 5, None)
        assert [k for k, _ in got] == [k for k, _ in expected]
        assert [d for _, d in got] == pytest.approx([d for _, d in expected], rel=1e-12, abs=1e-12)


def test_screened_query_matches_brute_force_on_a_larger_index() -> None:
    # Big enough for the float32 screen to run (m·d ≥ 2^15), with duplicated rows to force ties.
    rng = np.random.default_rng(5)
    data = rng.normal(size=(1500, 32)).astype(np.float32)
    data[100:110] = data[7]
    data[200:205] = data[7] * 2
    stored = {f"k{i:05d}": (data[i].tolist(), {"g": int(i % 4)}) for i in range(len(data))}
    for metric in ("cosine", "euclidean"):
        index = make(32, metric, [vec(k, v, m) for k, (v, m) in stored.items()])
        for query, flt in ((data[7], None), (rng.normal(size=32), None), (data[7], {"g": {"$in": [1, 3]}})):
            q = np.asarray(query, dtype=np.float32).tolist()
            got = pairs(index, q, 20, flt)
            expected = brute_force(stored, q, metric, 20, flt)
            assert [k for k, _ in got] == [k for k, _ in expected]
            assert [d for _, d in got] == pytest.approx([d for _, d in expected], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_screen_survives_catastrophic_cancellation(metric: str) -> None:
    # Nearly parallel vectors far from the origin: the true distances (~1e-4 squared L2, ~1e-9
    # cosine) are far below the float32 error of x·q, so only the error bound of the screen
    # keeps the right rows for the float64 pass.
    rng = np.random.default_rng(11)
    base = rng.uniform(100, 200, size=64)
    data = (base + rng.normal(scale=1e-3, size=(1024, 64))).astype(np.float32)
    stored = {f"k{i:04d}": (data[i].tolist(), {}) for i in range(len(data))}
    index = make(64, metric, [vec(k, v) for k, (v, _) in stored.items()])
    query = (base + rng.normal(scale=1e-3, size=64)).astype(np.float32).tolist()
    got = pairs(index, query, 10)
    expected = brute_force(stored, query, metric, 10, None)
    assert [k for k, _ in got] == [k for k, _ in expected]
    assert [d for _, d in got] == pytest.approx([d for _, d in expected], rel=1e-6, abs=1e-15)


def test_concurrent_readers_see_whole_writes() -> None:
    index = make_index(4, "euclidean")
    batch = 50
    failures: list[str] = []
    done = threading.Event()

    def writer() -> None:
        for round_ in range(40):
            records = [vec(f"r{round_}-{i}", [round_, i, 0, 1], {"round": round_}) for i in range(batch)]
            index.put(checked(index, records))
            if round_ >= 2:
                index.delete([f"r{round_ - 2}-{i}" for i in range(batch)])
        done.set()

    def reader() -> None:
        while not done.is_set():
            hits = pairs(index, [0, 0, 0, 0], 10000)
            if len(hits) % batch:
                failures.append(f"query saw {len(hits)} vectors")
            rounds = {k.split("-")[0] for k, _ in hits}
            for r in rounds:
                n = len(pairs(index, [0, 0, 0, 0], 10000, {"round": int(r[1:])}))
                if n not in (0, batch):
                    failures.append(f"round {r} had {n} vectors")
            items, _ = listed(index, 1000, None)
            if len(items) % batch:
                failures.append(f"list saw {len(items)} vectors")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert index.count == 2 * batch


# ---------------------------------------------------------------------------------------------
# Property: query equals an independent brute force
# ---------------------------------------------------------------------------------------------


def _elements(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return float(a) == float(b)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def ref_condition(meta: dict, key: str, op: str, operand: Any) -> bool:
    present = key in meta
    elements = _elements(meta[key]) if present else []
    if op == "$exists":
        return present == operand
    if op == "$eq":
        return any(_same(e, operand) for e in elements)
    if op == "$ne":
        return not any(_same(e, operand) for e in elements)
    if op == "$in":
        return any(_same(e, x) for e in elements for x in operand)
    if op == "$nin":
        return not any(_same(e, x) for e in elements for x in operand)
    if op == "$startsWith":
        return any(isinstance(e, str) and e.startswith(operand) for e in elements)
    compare = {"$gt": float.__gt__, "$gte": float.__ge__, "$lt": float.__lt__, "$lte": float.__le__}[op]
    return any(_is_num(e) and compare(float(e), float(operand)) for e in elements)


def ref_match(meta: dict, doc: dict) -> bool:
    ((key, value),) = doc.items()
    if key == "$and":
        return all(ref_match(meta, child) for child in value)
    if key == "$or":
        return any(ref_match(meta, child) for child in value)
    conditions = value if isinstance(value, dict) else {"$eq": value}
    return all(ref_condition(meta, key, op, operand) for op, operand in conditions.items())


def ref_distance(x: list[float], q: list[float], metric: str) -> float:
    x = [float(np.float32(v)) for v in x]
    q = [float(np.float32(v)) for v in q]
    if metric == "euclidean":
        return math.fsum((a - b) ** 2 for a, b in zip(x, q, strict=True))
    dot = math.fsum(a * b for a, b in zip(x, q, strict=True))
    xx = math.fsum(a * a for a in x)
    qq = math.fsum(b * b for b in q)
    return min(2.0, max(0.0, 1.0 - dot / math.sqrt(xx * qq)))


def brute_force(
    stored: dict[str, tuple[list[float], dict]], q: list[float], metric: str, top_k: int, flt: dict | None
) -> list[tuple[str, float]]:
    scored = [
        (ref_distance(data, q, metric), key)
        for key, (data, meta) in stored.items()
        if flt is None or ref_match(meta, flt)
    ]
    scored.sort()
    return [(key, distance) for distance, key in scored[:top_k]]


FIELDS = ["s", "n", "a.b", ""]
SCALARS = st.one_of(
    st.sampled_from(["x", "xy", "X", "y", ""]),
    st.sampled_from([0, 1, 2, 2.0, -1.5, 3]),
    st.booleans(),
)
META_VALUE = st.one_of(
    SCALARS,
    st.lists(st.sampled_from(["x", "xy", "y"]), min_size=1, max_size=3),
    st.lists(st.sampled_from([0, 1, 2.0, 3]), min_size=1, max_size=3),
)
METADATA = st.dictionaries(st.sampled_from(FIELDS), META_VALUE, max_size=3)
RANGE = st.sampled_from([-1, 0, 1, 1.5, 2, 3])
CONDITION = st.one_of(
    st.tuples(st.sampled_from(["$eq", "$ne"]), SCALARS),
    st.tuples(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), RANGE),
    st.tuples(st.sampled_from(["$in", "$nin"]), st.lists(SCALARS, min_size=1, max_size=3)),
    st.tuples(st.just("$exists"), st.booleans()),
    st.tuples(st.just("$startsWith"), st.sampled_from(["", "x", "X", "xy"])),
)
FIELD_FILTER = st.one_of(
    st.builds(lambda k, v: {k: v}, st.sampled_from(FIELDS), SCALARS),
    st.builds(
        lambda k, conds: {k: dict(conds)},
        st.sampled_from(FIELDS),
        st.lists(CONDITION, min_size=1, max_size=2, unique_by=lambda c: c[0]),
    ),
)
FILTERS = st.recursive(
    FIELD_FILTER,
    lambda inner: st.builds(
        lambda op, kids: {op: kids}, st.sampled_from(["$and", "$or"]), st.lists(inner, min_size=1, max_size=3)
    ),
    max_leaves=6,
)
KEYS = st.text(alphabet="abAé😀", min_size=1, max_size=3)


@st.composite
def scenarios(draw: st.DrawFn, exact_values: bool) -> dict[str, Any]:
    dim = draw(st.integers(1, 4))
    metric = draw(st.sampled_from(["cosine", "euclidean"]))
    if exact_values:
        # Small integers: every float64 operation is exact, so distances (and so ties) agree bit
        # for bit with the brute force and the full ranked list must be identical.
        component = st.integers(-3, 3)
    else:
        component = st.floats(-1e3, 1e3, allow_nan=False, width=32)
    vector = st.lists(component, min_size=dim, max_size=dim)
    if metric == "cosine":
        vector = vector.filter(lambda v: any(v))
    writes = draw(st.lists(st.tuples(KEYS, vector, METADATA), min_size=0, max_size=25))
    deletes = draw(st.lists(KEYS, max_size=6))
    return {
        "dim": dim,
        "metric": metric,
        "writes": writes,
        "deletes": deletes,
        "split": draw(st.integers(0, 25)),
        "query": draw(vector),
        "top_k": draw(st.integers(1, 30)),
        "filter": draw(st.none() | FILTERS),
        "screen": draw(st.booleans()),
    }


def run_scenario(s: dict[str, Any]) -> tuple[list[tuple[str, float]], dict[str, tuple[list[float], dict]]]:
    """Build the index through two puts with deletes between (overwrites and move-last deletes
    both happen), query it, and return the result with the brute force's view of the index."""
    index = make_index(s["dim"], s["metric"])
    stored: dict[str, tuple[list[float], dict]] = {}
    first, second = s["writes"][: s["split"]], s["writes"][s["split"] :]
    for batch, deletes in ((first, s["deletes"]), (second, [])):
        index.put(checked(index, [vec(k, list(v), m) for k, v, m in batch]))
        for k, v, m in batch:
            stored[k] = (list(v), m)
        index.delete(deletes)
        for k in deletes:
            stored.pop(k, None)
    assert index.count == len(stored)
    # screen=True forces the float32 screening pass even on these tiny indexes.
    threshold = 0 if s["screen"] else distances._SCREEN_MIN_ELEMENTS
    with mock.patch.object(distances, "_SCREEN_MIN_ELEMENTS", threshold):
        got = pairs(index, s["query"], s["top_k"], s["filter"], enhanced=True)
    return got, stored


@settings(max_examples=300, deadline=None)
@given(scenarios(exact_values=True))
def test_query_equals_brute_force_exactly(s: dict[str, Any]) -> None:
    got, stored = run_scenario(s)
    assert got == brute_force(stored, s["query"], s["metric"], s["top_k"], s["filter"])


@settings(max_examples=200, deadline=None)
@given(scenarios(exact_values=False))
def test_query_is_a_correct_top_k_on_arbitrary_floats(s: dict[str, Any]) -> None:
    got, stored = run_scenario(s)
    ranked = brute_force(stored, s["query"], s["metric"], len(stored), s["filter"])
    distance_of = dict(ranked)
    tol = 1e-9
    assert len(got) == min(s["top_k"], len(ranked))
    # Every result matches the filter and has the right distance; the order is ascending with
    # ties by key; nothing left out is closer than the last result (up to float64 noise).
    for key, distance in got:
        assert key in distance_of
        assert distance == pytest.approx(distance_of[key], rel=tol, abs=tol)
    assert got == sorted(got, key=lambda kd: (kd[1], kd[0]))
    returned = {key for key, _ in got}
    if got:
        worst = got[-1][1]
        assert all(d >= worst - tol * (1 + abs(worst)) for k, d in ranked if k not in returned)
