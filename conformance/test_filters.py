"""The metadata filter language, as a table of cases over one fixed data set (behaviour.md#filters; behaviour.md#modes;
behaviour.md#decision-filter-semantics).

A sourced case lists the keys that must match; keys named as ``open`` are ones the sources leave undecided,
and may or may not appear. A decision case (behaviour.md#decision-filter-semantics) fixes the whole result. The data
set is read-only, so all cases
share one bucket made for this module.
"""

from __future__ import annotations

import json

import pytest

from conformance.helpers import error_of

DATA = {
    "a": {
        "genre": "drama",
        "year": 2020,
        "rating": 4.5,
        "tags": ["x", "y"],
        "scores": [1, 10],
        "flag": True,
        "loc.page": 2,
        "path": "/docs/a",
    },
    "b": {"genre": "comedy", "year": 2021, "rating": 3, "tags": ["y"], "flag": False, "path": "/docs/B", "label": ""},
    "c": {"genre": "drama", "year": 2022.0, "tags": ["z"], "scores": [3], "path": "/img/c"},
    "d": {"genre": "Drama", "year": "2020", "flag": "true"},
    "e": {},
    "f": {"genre": "horror", "year": 2, "rating": 2.0, "": "x", "nf": "secret"},
}
ALL = set(DATA)
REF = pytest.mark.ref("filters")
DECIDED = pytest.mark.decision("decision-filter-semantics")


def case(filter_, matches, open_=(), mark=REF, id_=None):
    return pytest.param(filter_, set(matches), set(open_), marks=mark, id=id_)


CASES = [
    # equality, shorthand and types (behaviour.md#filters)
    case({"genre": "drama"}, "ac", id_="shorthand-eq"),
    case({"genre": {"$eq": "drama"}}, "ac", id_="eq-string-case-sensitive"),
    case({"year": {"$eq": 2021}}, "b", id_="eq-number"),
    case({"flag": True}, "a", id_="eq-true"),
    case({"flag": False}, "b", id_="eq-false"),
    case({"flag": "true"}, "d", id_="type-mismatch-string-vs-boolean"),
    case({"year": "2021"}, "", id_="type-mismatch-string-vs-number"),
    case({"label": ""}, "b", id_="eq-empty-string"),
    case({"rating": 3}, "b", id_="absent-field-never-equal"),
    case({"genre": {"$ne": "drama"}}, "bdf", "e", id_="ne-present"),
    case({"genre": {"$in": ["comedy", "horror"]}}, "bf", id_="in"),
    case({"year": {"$in": [2021, "2020"]}}, "bd", id_="in-mixed-types"),
    case({"genre": {"$nin": ["drama", "comedy"]}}, "df", "e", id_="nin-present"),
    case({"genre": {"$eq": "drama", "$ne": "comedy"}}, "ac", id_="two-operators-one-field"),
    case({"genre": {"$ne": "drama", "$exists": True}}, "bdf", id_="ne-and-exists"),
    case({"flag": {"$in": [True, "x"]}}, "a", id_="in-with-boolean"),
    case({"flag": {"$ne": True}}, "b", "cdef", id_="ne-boolean-present"),
    # ranges
    case({"rating": {"$gt": 3}}, "a", id_="gt"),
    case({"rating": {"$gte": 3}}, "ab", id_="gte"),
    case({"rating": {"$lt": 3}}, "f", id_="lt"),
    case({"rating": {"$lte": 3}}, "bf", id_="lte"),
    case({"rating": {"$gt": 4.4}}, "a", id_="gt-fraction"),
    case({"rating": {"$gte": 2, "$lte": 4}}, "bf", id_="range-pair"),
    # existence
    case({"rating": {"$exists": True}}, "abf", id_="exists-true"),
    case({"rating": {"$exists": False}}, "cde", id_="exists-false"),
    case({"": {"$exists": True}}, "f", id_="exists-empty-key-name"),
    case({"loc.page": {"$exists": True}}, "a", id_="exists-dotted-key"),
    # arrays: $eq matches any element
    case({"tags": "y"}, "ab", id_="array-shorthand-any-element"),
    case({"tags": {"$eq": "x"}}, "a", id_="array-eq-any-element"),
    case({"scores": 10}, "a", id_="array-of-numbers-any-element"),
    # logic
    case({"$and": [{"genre": "drama"}, {"year": {"$gte": 2021}}]}, "c", id_="and"),
    case({"$or": [{"genre": "comedy"}, {"flag": True}]}, "ab", id_="or"),
    case({"$or": [{"$and": [{"genre": "drama"}, {"rating": {"$gt": 4}}]}, {"year": 2}]}, "af", id_="or-of-and"),
    case({"$and": [{"genre": "comedy"}]}, "b", id_="and-of-one"),
    case({"$or": [{"genre": "comedy"}]}, "b", id_="or-of-one"),
    # literal key names
    case({"loc.page": 2}, "a", id_="dotted-key-is-literal"),
    case({"": "x"}, "f", id_="empty-key-name"),
    # $startsWith on an ENHANCED index (behaviour.md#modes)
    case({"path": {"$startsWith": "/docs/"}}, "ab", mark=pytest.mark.ref("modes"), id_="startswith"),
    case({"path": {"$startsWith": "/docs/a-and-more"}}, "", mark=pytest.mark.ref("modes"), id_="startswith-longer"),
    case(
        {"$or": [{"path": {"$startsWith": "/img"}}, {"year": 2}]},
        "cf",
        mark=pytest.mark.ref("modes"),
        id_="startswith-inside-or",
    ),
    # behaviour.md#decision-filter-semantics: what the sources leave open
    case({"genre": {"$ne": "drama"}}, "bdef", mark=DECIDED, id_="ne-matches-missing-key"),
    case({"genre": {"$nin": ["drama", "comedy"]}}, "def", mark=DECIDED, id_="nin-matches-missing-key"),
    case({"tags": {"$in": ["z", "q"]}}, "c", mark=DECIDED, id_="in-on-array"),
    case({"tags": {"$ne": "y"}}, "cdef", mark=DECIDED, id_="ne-on-array-no-element"),
    case({"tags": {"$nin": ["x", "z"]}}, "bdef", mark=DECIDED, id_="nin-on-array-no-element"),
    case({"scores": {"$nin": [1, 3]}}, "bdef", mark=DECIDED, id_="nin-on-number-array"),
    case({"tags": 1}, "", mark=DECIDED, id_="string-array-never-equals-number"),
    case({"scores": {"$gt": 5}}, "a", mark=DECIDED, id_="range-on-array-any-element"),
    case({"scores": {"$gt": 2, "$lt": 5}}, "ac", mark=DECIDED, id_="range-pair-on-array-each-separately"),
    case({"flag": 1}, "", mark=DECIDED, id_="boolean-never-equals-number"),
    case({"flag": {"$gt": 0}}, "", mark=DECIDED, id_="range-skips-booleans"),
    case({"flag": {"$ne": True}}, "bcdef", mark=DECIDED, id_="ne-type-mismatch-matches"),
    case({"year": 2022}, "c", mark=DECIDED, id_="integer-equals-float"),
    case({"rating": 2}, "f", mark=DECIDED, id_="float-equals-integer"),
    case({"year": {"$gt": 2000}}, "abc", mark=DECIDED, id_="range-skips-strings"),
    case({"path": {"$startsWith": "/docs/b"}}, "", mark=DECIDED, id_="startswith-case-sensitive"),
    case({"tags": {"$startsWith": "z"}}, "c", mark=DECIDED, id_="startswith-on-array"),
    case({"year": {"$startsWith": "20"}}, "d", mark=DECIDED, id_="startswith-skips-non-strings"),
    case({"path": {"$startsWith": ""}}, "abc", mark=DECIDED, id_="startswith-empty-prefix"),
]

INVALID = [
    {},
    {"genre": {}},
    {"genre": {"x": 1}},
    {"genre": {"$eq": "a", "x": 1}},
    {"genre": {"$and": [{"a": 1}]}},
    {"genre": {"$or": [{"a": 1}]}},
    {"$and": [{}]},
    {"$and": ["x"]},
    {"$and": [["x"]]},
    {"$and": {"genre": "a"}},
    {"$or": "genre"},
    {"$or": [{"$and": [{"genre": {}}]}]},
    {"genre": "a", "flag": True},
    {"genre": {"$eq": "a"}, "year": {"$eq": 1}},
    {"$and": [{"genre": "a", "year": 1}]},
    {"$and": [{"genre": "a"}], "genre": "a"},
    {"$and": [{"genre": "a"}], "$or": [{"genre": "a"}]},
    {"genre": {"$eg": "a"}},
    {"$schema": "a"},
    {"$eq": "a"},
    {"genre": {"$regex": "a"}},
    {"genre": {"$not": {"$eq": "a"}}},
    {"$not": {"genre": "a"}},
    {"$nor": [{"genre": "a"}]},
    {"tags": {"$all": ["x"]}},
    {"tags": {"$elemMatch": {"$eq": "x"}}},
    {"genre": {"$EQ": "a"}},
    {"genre": {"eq": "a"}},
    # operand types
    {"genre": {"$eq": None}},
    {"genre": {"$eq": ["a"]}},
    {"genre": {"$eq": []}},
    {"genre": {"$eq": {}}},
    {"genre": {"$ne": None}},
    {"genre": {"$ne": ["a"]}},
    {"genre": {"$ne": {}}},
    {"rating": {"$gt": "1"}},
    {"rating": {"$gt": "NaN"}},
    {"rating": {"$lt": "Infinity"}},
    {"rating": {"$gte": True}},
    {"rating": {"$lt": None}},
    {"rating": {"$lte": [1]}},
    {"rating": {"$gt": {}}},
    {"genre": {"$in": [None]}},
    {"genre": {"$in": [{}]}},
    {"genre": {"$in": [["a"]]}},
    {"genre": {"$in": "a"}},
    {"genre": {"$in": []}},
    {"genre": {"$in": ["a", None]}},
    {"genre": {"$nin": []}},
    {"genre": {"$nin": [None]}},
    {"genre": {"$nin": "a"}},
    {"rating": {"$exists": "yes"}},
    {"rating": {"$exists": "true"}},
    {"rating": {"$exists": 1}},
    {"rating": {"$exists": None}},
    {"genre": None},
    {"genre": ["a"]},
    {"genre": []},
]


@pytest.fixture(scope="module")
def bucket_of_module(module_buckets):
    return module_buckets.create()


@pytest.fixture(scope="module")
def empty(module_buckets, bucket_of_module):
    """An index like ``where``'s, without vectors."""
    config = {"nonFilterableMetadataKeys": ["nf"]}
    return module_buckets.index(bucket_of_module, "empty", dimension=2, metadataConfiguration=config)


@pytest.fixture(scope="module")
def where(module_buckets, bucket_of_module):
    bucket = bucket_of_module
    where = module_buckets.index(bucket, dimension=2, metadataConfiguration={"nonFilterableMetadataKeys": ["nf"]})
    module_buckets.client.put_vectors(
        **where,
        vectors=[
            {"key": key, "data": {"float32": [1.0, 0.1 * i]}, "metadata": metadata}
            for i, (key, metadata) in enumerate(DATA.items())
        ],
    )
    return where


def matching(client, where, filter_):
    result = client.query_vectors(**where, queryVector={"float32": [1.0, 0.0]}, topK=100, filter=filter_)
    return [v["key"] for v in result["vectors"]]


@pytest.mark.parametrize(("filter_", "matches", "open_"), CASES)
def test_filter_case(client, where, filter_, matches, open_):
    got = matching(client, where, filter_)
    assert len(got) == len(set(got))
    assert set(got) - open_ == matches


@pytest.mark.ref("filters")
@pytest.mark.parametrize("filter_", INVALID, ids=[json.dumps(f, separators=(",", ":")) for f in INVALID])
def test_invalid_filter(raw, where, filter_):
    err = error_of(raw.query_vectors, **where, queryVector={"float32": [1.0, 0.0]}, topK=1, filter=filter_)
    assert err[:3] == ("ValidationException", "Invalid filter", 400)
    assert err.fields == [{"path": "filter", "message": "Invalid filter"}]


@pytest.mark.decision("decision-filter-semantics")
@pytest.mark.parametrize("filter_", [{"$and": []}, {"$or": []}], ids=["and-empty", "or-empty"])
def test_empty_logical_list_is_invalid(raw, where, filter_):
    err = error_of(raw.query_vectors, **where, queryVector={"float32": [1.0, 0.0]}, topK=1, filter=filter_)
    assert err[:3] == ("ValidationException", "Invalid filter", 400)


@pytest.mark.decision("decision-filter-checks")
@pytest.mark.parametrize("filter_", [[], "genre", 1, True, [{"genre": "a"}]], ids=json.dumps)
def test_filter_that_is_not_an_object(raw, where, filter_):
    err = error_of(raw.query_vectors, **where, queryVector={"float32": [1.0, 0.0]}, topK=1, filter=filter_)
    assert err[:3] == ("ValidationException", "Invalid filter", 400)
    assert err.fields == [{"path": "filter", "message": "Invalid filter"}]


@pytest.mark.decision("compat")
@pytest.mark.parametrize("operand", [5, True, None, ["a"]], ids=json.dumps)
def test_startswith_needs_a_string(raw, where, operand):
    err = error_of(
        raw.query_vectors,
        **where,
        queryVector={"float32": [1.0, 0.0]},
        topK=1,
        filter={"path": {"$startsWith": operand}},
    )
    assert err[:3] == ("ValidationException", "Invalid filter", 400)


@pytest.mark.ref("filters")
def test_non_filterable_key(client, where):
    err = error_of(client.query_vectors, **where, queryVector={"float32": [1.0, 0.0]}, topK=1, filter={"nf": "x"})
    assert err[:3] == ("ValidationException", "Invalid use of non-filterable metadata in filter", 400)


NON_FILTERABLE = [
    {"nf": {"$exists": False}},
    {"nf": {"$ne": "x"}},
    {"$or": [{"genre": "drama"}, {"$and": [{"nf": {"$exists": True}}]}]},
    {"$and": [{"genre": "drama"}, {"$or": [{"year": 1}, {"$and": [{"nf": {"$exists": True}}]}]}]},
    {"$or": [{"$or": [{"$or": [{"genre": "x"}, {"nf": {"$in": ["a"]}}]}]}]},
]


@pytest.mark.decision("decision-filter-checks")
@pytest.mark.parametrize("index", ["where", "empty"])
@pytest.mark.parametrize("filter_", NON_FILTERABLE, ids=["exists-false", "ne", "or-and", "and-or-and", "deep-or"])
def test_non_filterable_key_at_any_depth(client, request, index, filter_):
    where = request.getfixturevalue(index)
    err = error_of(client.query_vectors, **where, queryVector={"float32": [1.0, 0.0]}, topK=1, filter=filter_)
    message = "Invalid use of non-filterable metadata in filter"
    assert err[:3] == ("ValidationException", message, 400)
    assert err.fields == [{"path": "filter", "message": message}]


@pytest.mark.decision("decision-filter-checks")
@pytest.mark.parametrize(
    "filter_", [{}, {"genre": {"$in": []}}, {"$and": []}, {"genre": None}, {"$eg": 1}], ids=json.dumps
)
def test_filter_is_checked_before_any_data(raw, empty, filter_):
    err = error_of(raw.query_vectors, **empty, queryVector={"float32": [1.0, 0.0]}, topK=1, filter=filter_)
    assert err[:3] == ("ValidationException", "Invalid filter", 400)
    assert err.fields == [{"path": "filter", "message": "Invalid filter"}]


@pytest.mark.ref("filters")
def test_valid_filter_on_an_empty_index(client, empty):
    for filter_ in ({"genre": "drama"}, {"missing": {"$exists": False}}):
        assert matching(client, empty, filter_) == []


def nest(leaf, depth, operator):
    for _ in range(depth):
        leaf = {operator: [leaf]}
    return leaf


@pytest.mark.decision("decision-filter-checks")
@pytest.mark.parametrize("operator", ["$and", "$or"])
def test_nesting_up_to_100_levels(client, raw, where, operator):
    for depth in (20, 100):
        assert matching(client, where, nest({"genre": "comedy"}, depth, operator)) == ["b"]
    for depth in (101, 300):
        err = error_of(
            raw.query_vectors,
            **where,
            queryVector={"float32": [1.0, 0.0]},
            topK=1,
            filter=nest({"genre": "comedy"}, depth, operator),
        )
        assert err[:3] == ("ValidationException", "Invalid filter", 400)


@pytest.mark.ref("filters")
def test_a_deep_invalid_filter_is_invalid(raw, where):
    filter_ = 1
    for _ in range(150):
        filter_ = {"genre": [filter_]}
    err = error_of(raw.query_vectors, **where, queryVector={"float32": [1.0, 0.0]}, topK=1, filter=filter_)
    assert err[:3] == ("ValidationException", "Invalid filter", 400)
    assert err.fields == [{"path": "filter", "message": "Invalid filter"}]


@pytest.mark.ref("filters")
def test_filter_never_exceeds_top_k(client, where):
    result = client.query_vectors(**where, queryVector={"float32": [1.0, 0.0]}, topK=1, filter={"genre": "drama"})
    assert [v["key"] for v in result["vectors"]] == ["a"]
    # The nearest matches, by ascending distance.
    result = client.query_vectors(
        **where, queryVector={"float32": [1.0, 0.0]}, topK=2, filter={"genre": {"$ne": "drama"}}, returnDistance=True
    )
    assert [v["key"] for v in result["vectors"]] == ["b", "d"]
    assert result["vectors"][0]["distance"] < result["vectors"][1]["distance"]
