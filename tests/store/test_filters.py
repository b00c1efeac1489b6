"""The filter language: grammar and operand rules (behaviour.md#filters), $startsWith and the 100-constraint
limit (behaviour.md#modes), and the matching semantics table (behaviour.md#decision-filter-semantics, a decision rather
than a measured AWS fact where behaviour.md marks it so)."""

from __future__ import annotations

from typing import Any

import pytest
from support import wire_field_list

from s3vectors_emulator.errors import ValidationError
from s3vectors_emulator.store.columns import MetadataColumns
from s3vectors_emulator.store.filters import compile_filter, count_constraints, parse_filter

INVALID = ("Invalid filter", [{"path": "filter", "message": "Invalid filter"}])
NON_FILTERABLE = (
    "Invalid use of non-filterable metadata in filter",
    [{"path": "filter", "message": "Invalid use of non-filterable metadata in filter"}],
)
TOO_MANY = (
    "Filter exceeds the maximum of 100 constraints",
    [{"path": "filter", "message": "Filter exceeds the maximum of 100 constraints"}],
)


def refusal(doc: Any, *, enhanced: bool = True, non_filterable: frozenset[str] = frozenset()) -> tuple:
    with pytest.raises(ValidationError) as info:
        parse_filter(doc, enhanced=enhanced, non_filterable_keys=non_filterable)
    assert info.value.code == "ValidationException"
    return info.value.message, wire_field_list(info.value)


# ---------------------------------------------------------------------------------------------
# Grammar
# ---------------------------------------------------------------------------------------------

ACCEPTED = [
    {"genre": "documentary"},
    {"genre": {"$eq": "documentary"}},
    {"n": 1},
    {"n": 1.5},
    {"b": True},
    {"": "x"},  # the empty field name is accepted
    {"a.b": 2},
    {"price": {"$gte": 10, "$lte": 50}},
    {"s": {"$eq": "a", "$ne": "b"}},
    {"n": {"$gt": -1.5}},
    {"n": {"$lt": 0}},
    {"s": {"$in": ["a", 1, True]}},  # mixed types allowed
    {"s": {"$nin": ["a"]}},
    {"s": {"$exists": True}},
    {"s": {"$exists": False}},
    {"s": {"$ne": False}},
    {"s": {"$startsWith": "/marketing/"}},
    {"s": {"$startsWith": ""}},
    {"s": {"$eq": "NaN"}},  # JS sends NaN as a string: accepted, matches a string only
    {"$and": [{"s": "a"}, {"n": 1}]},
    {"$or": [{"$and": [{"s": "a"}, {"n": 1}]}]},
    {"$or": [{"s": "a"}]},
    {"$and": [{"$or": [{"$and": [{"x": {"$exists": True}}]}]}]},
]

REFUSED = [
    {},
    {"s": "a", "b": True},
    {"s": {"$eq": "a"}, "n": {"$eq": 1}},
    {"$and": [{"s": "a", "n": 1}]},
    {"$and": [{"s": "a"}], "s": "a"},
    {"$and": [{"s": "a"}], "$or": [{"s": "a"}]},
    {"s": {}},
    {"s": {"x": 1}},
    {"s": {"$eq": "a", "x": 1}},
    {"s": {"$and": [{"s": "a"}]}},
    {"s": {"$or": [{"s": "a"}]}},
    {"$and": [{}]},
    {"$and": ["x"]},
    {"$and": []},
    {"$or": []},
    {"$and": {"s": "a"}},
    {"$or": "x"},
    {"$not": {"s": "a"}},
    {"$nor": [{"s": "a"}]},
    {"s": {"$regex": "a"}},
    {"s": {"$all": ["a"]}},
    {"s": {"$elemMatch": {"$eq": 1}}},
    {"s": {"$eg": "a"}},
    {"$schema": "x"},
    {"$eq": "a"},
    {"s": {"$exists": True, "$eg": 1}},
    # $eq / $ne operands
    {"s": {"$eq": None}},
    {"s": {"$eq": ["a"]}},
    {"s": {"$eq": []}},
    {"s": {"$eq": {}}},
    {"s": {"$ne": None}},
    {"s": {"$ne": ["a"]}},
    # range operands
    {"n": {"$gt": "1"}},
    {"n": {"$gte": True}},
    {"n": {"$lt": None}},
    {"n": {"$lte": [1]}},
    {"n": {"$gt": {}}},
    {"n": {"$gt": float("nan")}},
    {"n": {"$lt": float("inf")}},
    {"n": {"$gte": float("-inf")}},
    {"n": {"$lte": 10**400}},  # beyond float range: Infinity
    # $in / $nin operands
    {"s": {"$in": [None]}},
    {"s": {"$in": [{}]}},
    {"s": {"$in": [["a"]]}},
    {"s": {"$in": "a"}},
    {"s": {"$in": []}},
    {"s": {"$nin": []}},
    {"s": {"$nin": [None]}},
    # $exists operands
    {"s": {"$exists": "yes"}},
    {"s": {"$exists": "true"}},
    {"s": {"$exists": 1}},
    {"s": {"$exists": None}},
    # $startsWith operands
    {"s": {"$startsWith": 1}},
    {"s": {"$startsWith": ["a"]}},
    {"s": {"$startsWith": None}},
    # shorthand values
    {"s": None},
    {"s": ["a"]},
    {"s": []},
    # not an object at all
    [],
    "x",
    None,
    1,
]


@pytest.mark.parametrize("doc", ACCEPTED, ids=repr)
def test_accepted(doc: Any) -> None:
    parse_filter(doc, enhanced=True)


@pytest.mark.parametrize("doc", REFUSED, ids=repr)
def test_refused_with_invalid_filter(doc: Any) -> None:
    assert refusal(doc) == INVALID


def test_starts_with_needs_enhanced_behaviour() -> None:
    # behaviour.md#modes: on CLASSIC without queryMode=ENHANCED, $startsWith is a validation error; the
    # wording is unknown and the emulator answers `Invalid filter` (a decision).
    doc = {"s": {"$startsWith": "a"}}
    parse_filter(doc, enhanced=True)
    assert refusal(doc, enhanced=False) == INVALID
    assert refusal({"$or": [{"n": 1}, doc]}, enhanced=False) == INVALID


@pytest.mark.parametrize(
    "doc",
    [
        {"bulk": "x"},
        {"bulk": {"$exists": False}},
        {"$and": [{"s": "a"}, {"bulk": {"$ne": 1}}]},
        {"$or": [{"$and": [{"s": "a"}, {"$or": [{"n": 1}, {"bulk": {"$in": ["a"]}}]}]}]},
    ],
    ids=repr,
)
def test_non_filterable_key_anywhere(doc: Any) -> None:
    assert refusal(doc, non_filterable=frozenset({"bulk"})) == NON_FILTERABLE


def test_structure_errors_come_before_non_filterable_use() -> None:
    assert refusal({"$and": [{"bulk": "x"}, {}]}, non_filterable=frozenset({"bulk"})) == INVALID


def test_dotted_keys_are_literal_for_non_filterable() -> None:
    parse_filter({"bulk.x": 1}, enhanced=True, non_filterable_keys=frozenset({"bulk"}))


# ---------------------------------------------------------------------------------------------
# Constraint counting
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "count"),
    [
        ({"category": "electronics"}, 1),  # documented example
        ({"genre": {"$in": ["a", "b", "c"]}}, 3),  # documented example
        ({"$and": [{"genre": "a"}, {"year": {"$lte": 2020}}]}, 2),  # documented example
        ({"price": {"$gte": 10, "$lte": 50}}, 2),
        ({"g": {"$nin": ["a", "b"]}}, 2),
        ({"g": {"$exists": True}}, 1),
        ({"$or": [{"$and": [{"a": 1}, {"b": {"$in": [1, 2]}}]}, {"c": {"$startsWith": "x"}}]}, 4),
    ],
)
def test_constraint_count(doc: dict, count: int) -> None:
    parsed = parse_filter(doc, enhanced=True)
    assert parsed.constraints == count == count_constraints(parsed.root)


def test_exactly_100_constraints_pass_and_101_fail_on_enhanced() -> None:
    hundred = {"g": {"$in": list(range(100))}}
    parse_filter(hundred, enhanced=True)
    assert refusal({"g": {"$in": list(range(101))}}) == TOO_MANY
    nested = {"$and": [hundred, {"h": 1}]}
    assert refusal(nested) == TOO_MANY


def test_no_constraint_limit_on_classic() -> None:
    assert parse_filter({"g": {"$in": list(range(500))}}, enhanced=False).constraints == 500


# ---------------------------------------------------------------------------------------------
# Matching semantics (behaviour.md#decision-filter-semantics)
# ---------------------------------------------------------------------------------------------

ROWS: dict[str, dict] = {
    "none": {},
    "s_a": {"s": "a"},
    "s_A": {"s": "A"},
    "s_ab": {"s": "ab"},
    "s_true": {"s": "true"},
    "n_2": {"n": 2},
    "n_2f": {"n": 2.0},
    "n_5": {"n": 5.5},
    "n_1": {"n": 1},
    "b_t": {"b": True},
    "b_f": {"b": False},
    "bool_in_n": {"n": True},
    "arr_s": {"s": ["a", "x"]},
    "arr_n": {"n": [1, 10]},
    "dotted": {"a.b": 2},
    "empty_key": {"": "e"},
    "nested_name": {"a": "b"},  # key 'a', value 'b': the filter key 'a.b' must not reach it
}
NAMES = list(ROWS)


def matching(doc: dict, *, enhanced: bool = True) -> set[str]:
    cols = MetadataColumns()
    for meta in ROWS.values():
        cols.append_rows([meta])
    mask = compile_filter(parse_filter(doc, enhanced=enhanced))(cols, len(ROWS))
    return {name for name, hit in zip(NAMES, mask.tolist(), strict=True) if hit}


ALL = set(NAMES)
HAS_S = {"s_a", "s_A", "s_ab", "s_true", "arr_s"}
HAS_N = {"n_2", "n_2f", "n_5", "n_1", "bool_in_n", "arr_n"}

SEMANTICS: list[tuple[dict, set[str]]] = [
    ({"s": "a"}, {"s_a", "arr_s"}),  # $eq on an array: any element
    ({"s": {"$eq": "a"}}, {"s_a", "arr_s"}),
    ({"s": {"$eq": "A"}}, {"s_A"}),  # case-sensitive
    ({"s": {"$eq": True}}, set()),  # stored 'true' vs filter true: type mismatch matches nothing
    ({"b": {"$eq": "true"}}, set()),
    ({"n": 2}, {"n_2", "n_2f"}),  # 2 == 2.0
    ({"n": 2.0}, {"n_2", "n_2f"}),
    ({"n": 1}, {"n_1", "arr_n"}),  # booleans never equal numbers (True == 1 in Python)
    ({"n": True}, {"bool_in_n"}),
    ({"b": True}, {"b_t"}),
    ({"b": False}, {"b_f"}),
    ({"b": 0}, set()),
    ({"s": {"$ne": "a"}}, ALL - {"s_a", "arr_s"}),  # missing key matches $ne; arrays: no element
    ({"n": {"$ne": 1}}, ALL - {"n_1", "arr_n"}),
    ({"b": {"$ne": True}}, ALL - {"b_t"}),
    ({"s": {"$in": ["a", "ab"]}}, {"s_a", "s_ab", "arr_s"}),
    ({"n": {"$in": [2, "a", True]}}, {"n_2", "n_2f", "bool_in_n"}),
    ({"n": {"$in": [10]}}, {"arr_n"}),
    ({"b": {"$in": [True, False]}}, {"b_t", "b_f"}),
    ({"s": {"$nin": ["x", "A"]}}, ALL - {"arr_s", "s_A"}),
    ({"n": {"$gt": 2}}, {"n_5", "arr_n"}),  # range: any numeric element
    ({"n": {"$gte": 2}}, {"n_2", "n_2f", "n_5", "arr_n"}),
    ({"n": {"$lt": 2}}, {"n_1", "arr_n"}),
    ({"n": {"$lte": 1}}, {"n_1", "arr_n"}),
    ({"n": {"$gt": 1, "$lt": 10}}, {"n_2", "n_2f", "n_5", "arr_n"}),
    # Each operator is its own "any element" test: [1, 10] meets $gt 2 (10) and $lt 5 (1).
    ({"n": {"$gt": 2, "$lt": 5}}, {"arr_n"}),
    ({"n": {"$gt": 5, "$lt": 6}}, {"n_5", "arr_n"}),
    ({"n": {"$gt": 5, "$lt": 1}}, set()),
    ({"n": {"$gt": 0, "$lt": 2}}, {"n_1", "arr_n"}),
    ({"s": {"$gt": 0}}, set()),  # range on strings: type mismatch, no error
    ({"b": {"$gte": 0}}, set()),
    ({"s": {"$exists": True}}, HAS_S),
    ({"s": {"$exists": False}}, ALL - HAS_S),
    ({"n": {"$exists": True}}, HAS_N),
    ({"s": {"$startsWith": "a"}}, {"s_a", "s_ab", "arr_s"}),
    ({"s": {"$startsWith": "A"}}, {"s_A"}),  # case-sensitive
    ({"s": {"$startsWith": "x"}}, {"arr_s"}),  # any string element
    ({"s": {"$startsWith": ""}}, HAS_S),  # '' matches every string value
    ({"n": {"$startsWith": ""}}, set()),  # non-string values never match
    ({"a.b": 2}, {"dotted"}),  # dotted keys are literal
    ({"a": "b"}, {"nested_name"}),
    ({"": "e"}, {"empty_key"}),
    ({"missing": {"$nin": ["a"]}}, ALL),
    ({"missing": {"$eq": "a"}}, set()),
    ({"$and": [{"s": {"$exists": True}}, {"s": {"$ne": "a"}}]}, {"s_A", "s_ab", "s_true"}),
    ({"$or": [{"b": True}, {"n": 5.5}, {"s": "true"}]}, {"b_t", "n_5", "s_true"}),
    ({"$or": [{"$and": [{"n": {"$gte": 1}}, {"n": {"$lte": 1}}]}, {"b": False}]}, {"n_1", "arr_n", "b_f"}),
    ({"s": {"$eq": "a", "$ne": "x"}}, {"s_a"}),
]


@pytest.mark.parametrize(("doc", "expected"), SEMANTICS, ids=[repr(d) for d, _ in SEMANTICS])
def test_semantics(doc: dict, expected: set[str]) -> None:
    assert matching(doc) == expected


def test_empty_index_gives_an_empty_mask() -> None:
    parsed = parse_filter({"s": "a"}, enhanced=True)
    assert compile_filter(parsed)(MetadataColumns(), 0).shape == (0,)


# ---------------------------------------------------------------------------------------------
# $in / $nin with many values (issue #10): linear in rows + values, same semantics
# ---------------------------------------------------------------------------------------------

ROWS_FOR_WORK = 2_000
COLUMNS_FOR_WORK: dict[str, Any] = {
    "unique strings": lambda i: f"v{i}",  # many distinct values: plain numpy strings
    "few strings": lambda i: f"v{i % 40}",  # dictionary-encoded
    "string arrays": lambda i: [f"v{i}", f"u{i % 7}"],
    "numbers": lambda i: i,
    "number arrays": lambda i: [i, i + 0.5],
}


def _python_lines_run(run: Any) -> int:
    """Python lines executed by ``run()``: the work done per value or per row in Python (a numpy
    pass over the column per value, as ``np.isin`` does on string arrays, is one loop iteration)."""
    import sys

    lines = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(previous)
    return lines


@pytest.mark.parametrize("column", list(COLUMNS_FOR_WORK))
@pytest.mark.parametrize("op", ["$in", "$nin"])
def test_in_does_not_work_per_value_over_the_rows(column: str, op: str) -> None:
    """$in with 4,000 values must cost no more Python-level passes than $in with 50: each value is
    looked up once, never compared against the whole column (rows × values)."""
    make = COLUMNS_FOR_WORK[column]
    cols = MetadataColumns()
    cols.append_rows([{"k": make(i)} for i in range(ROWS_FOR_WORK)])
    numeric = column.startswith("number")

    def work(n_values: int) -> tuple[int, int]:
        # Every other value is stored, the rest miss.
        values = [(i if numeric else f"v{i}") if i % 2 else (-i - 1 if numeric else f"w{i}") for i in range(n_values)]
        evaluate = compile_filter(parse_filter({"k": {op: values}}, enhanced=False))
        hits: list[int] = []
        lines = _python_lines_run(lambda: hits.append(int(evaluate(cols, ROWS_FOR_WORK).sum())))
        return lines, hits[0]

    few_lines, _ = work(50)
    many_lines, hits = work(4_000)
    assert many_lines <= few_lines + 20, (few_lines, many_lines)
    assert 0 < hits < ROWS_FOR_WORK  # the filter did select (sanity)


def _reference_in(stored: Any, wanted: list[Any]) -> bool:
    """behaviour.md#decision-filter-semantics by hand: any element equals any value of its own type; 2 == 2.0; booleans
    apart."""

    def kind(value: Any) -> str:
        return "bool" if isinstance(value, bool) else "str" if isinstance(value, str) else "num"

    elements = stored if isinstance(stored, list) else [stored]
    return any(kind(e) == kind(w) and e == w for e in elements for w in wanted)


@pytest.mark.parametrize("seed", range(6))
def test_many_valued_in_and_nin_keep_the_semantics(seed: int) -> None:
    """Past the few-values path: mixed types, arrays, missing keys, overwritten and deleted rows,
    both string layouts (few distinct values: encoded; many: plain)."""
    import random

    rng = random.Random(seed)
    distinct = 30 if seed % 2 else 3_000
    pool_s = [f"s{i}" for i in range(distinct)]
    pool_n: list[Any] = [i for i in range(distinct)] + [i + 0.5 for i in range(20)] + [2.0, -0.0, 10**30]

    def value() -> Any:
        choice = rng.random()
        if choice < 0.35:
            return rng.choice(pool_s)
        if choice < 0.65:
            return rng.choice(pool_n)
        if choice < 0.75:
            return rng.choice([True, False])
        if choice < 0.85:
            return rng.sample(pool_s, rng.randint(1, 3))
        return rng.sample(pool_n, rng.randint(1, 3))

    rows: list[dict[str, Any]] = [{} if rng.random() < 0.1 else {"k": value()} for _ in range(1_500)]
    cols = MetadataColumns()
    cols.append_rows(rows)
    for _ in range(300):  # overwrites and deletes leave dead entries and relabelled rows
        row = rng.randrange(len(rows))
        if rng.random() < 0.5:
            rows[row] = {"k": value()}
            cols.replace_row(row, rows[row])
        else:
            cols.remove_row(row)
            rows[row] = rows[-1]
            rows.pop()
    for _ in range(8):
        wanted = rng.sample(pool_s, 25) + rng.sample(pool_n, 25) + [rng.choice([True, False]), 1, 2, 10**31]
        wanted += ["x-miss", -7.25, "1", 2.0]
        rng.shuffle(wanted)
        expected = [_reference_in(meta["k"], wanted) if "k" in meta else False for meta in rows]
        for op, want in (("$in", expected), ("$nin", [not hit for hit in expected])):
            mask = compile_filter(parse_filter({"k": {op: wanted}}, enhanced=False))(cols, len(rows))
            assert mask.tolist() == want, op


def test_many_valued_in_on_a_classic_index_through_http(legacy_client: Any) -> None:
    """behaviour.md#decision-post-cutoff-buckets: a CLASSIC index has no constraint limit, so $in may hold thousands of
    values; matches
    are those of behaviour.md#decision-filter-semantics (strings, 2 == 2.0, booleans apart, arrays: any element; $nin:
    none)."""
    where = {"vectorBucketName": "classic-in", "indexName": "classic"}
    legacy_client.create_vector_bucket(vectorBucketName="classic-in")
    legacy_client.create_index(**where, dataType="float32", dimension=2, distanceMetric="euclidean")
    stored: dict[str, Any] = {}
    for i in range(300):
        stored[f"k{i}"] = [f"s{i}", i, float(i), i % 2 == 0, [f"s{i}", f"t{i}"], [i, i + 0.5]][i % 6]
    stored["none"] = None
    legacy_client.put_vectors(
        **where,
        vectors=[
            {"key": key, "data": {"float32": [1.0, 0.0]}, "metadata": {} if value is None else {"m": value}}
            for key, value in stored.items()
        ],
    )
    assert legacy_client.get_index(**where)["index"].get("indexMode", "CLASSIC") == "CLASSIC"
    wanted: list[Any] = [f"s{i}" for i in range(0, 300, 2)] + [f"t{i}" for i in range(0, 300, 3)]
    wanted += [float(i) for i in range(0, 300, 4)] + [i + 0.5 for i in range(0, 300, 5)] + [True, "x", -1]
    expected = {key for key, value in stored.items() if value is not None and _reference_in(value, wanted)}
    assert 50 < len(expected) < 250
    for op, keys in (("$in", expected), ("$nin", set(stored) - expected)):
        query = {**where, "queryVector": {"float32": [1.0, 0.0]}, "topK": 1_000, "filter": {"m": {op: wanted}}}
        found: set[str] = set()
        while True:  # 100 results per page (behaviour.md#paging)
            answer = legacy_client.query_vectors(**query)
            found |= {hit["key"] for hit in answer["vectors"]}
            if "nextToken" not in answer:
                break
            query["nextToken"] = answer["nextToken"]
        assert found == keys, op
