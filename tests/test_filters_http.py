"""The metadata filter language through QueryVectors, end to end (behaviour.md#filters, behaviour.md#modes,
behaviour.md#decision-filter-semantics).

Semantics AWS leaves open follow behaviour.md#decision-filter-semantics (decisions, not sourced facts): a missing key
matches $ne/$nin
and $exists:false; arrays match when any element does ($ne/$nin: when none does); 2 == 2.0;
booleans never equal numbers; a type mismatch matches nothing, without error.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import error_of

BUCKET = "filter-bucket"
WHERE = {"vectorBucketName": BUCKET, "indexName": "data"}
EMPTY = {"vectorBucketName": BUCKET, "indexName": "empty"}

DATA = {
    "v1": {
        "s": "red",
        "n": 2,
        "flag": True,
        "tags": ["x", "y"],
        "nums": [1, 5],
        "a.b": "dot",
        "path": "/marketing/q1",
        "": "empty-key",
    },
    "v2": {"s": "blue", "n": 2.0, "flag": False, "tags": ["y"], "nums": [10], "path": "/marketing/q2"},
    "v3": {"s": "Red", "n": 3.5, "flag": 1, "tags": ["z"], "path": "/sales/q1"},
    "v4": {"s": "green", "n": -1, "flag": 0, "nums": [2, 3], "a": "b"},
    "v5": {"s": "2", "n": "2", "tags": ["x"], "path": "marketing"},
    "v6": {"n": 100, "nums": [-5.5, 100]},
    "v7": None,
    "v8": {"s": "", "flag": "true", "tags": ["", "red"], "path": "/Marketing/x", "bulk": "secret"},
}
ALL = set(DATA)


def but(*keys):
    return ALL - set(keys)


@pytest.fixture
def data(client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    for where in (WHERE, EMPTY):
        client.create_index(
            **where,
            dataType="float32",
            dimension=3,
            distanceMetric="euclidean",
            metadataConfiguration={"nonFilterableMetadataKeys": ["bulk"]},
        )
    client.put_vectors(
        **WHERE,
        vectors=[
            {"key": key, "data": {"float32": [float(i), 0.0, 1.0]}, **({"metadata": m} if m is not None else {})}
            for i, (key, m) in enumerate(DATA.items())
        ],
    )
    return WHERE


def matches(client, flt, where=WHERE):
    result = client.query_vectors(**where, queryVector={"float32": [0.0, 0.0, 0.0]}, topK=100, filter=flt)
    return {v["key"] for v in result["vectors"]}


FILTERS = [
    # $eq and shorthand
    ({"s": "red"}, {"v1"}),
    ({"s": {"$eq": "red"}}, {"v1"}),
    ({"s": {"$eq": "Red"}}, {"v3"}),
    ({"s": ""}, {"v8"}),
    ({"n": 2}, {"v1", "v2"}),
    ({"n": 2.0}, {"v1", "v2"}),
    ({"n": {"$eq": 2}}, {"v1", "v2"}),
    ({"n": 3.50}, {"v3"}),
    ({"n": 1e2}, {"v6"}),
    ({"n": -1}, {"v4"}),
    ({"n": "2"}, {"v5"}),
    ({"a.b": "dot"}, {"v1"}),
    ({"a": "b"}, {"v4"}),
    ({"": "empty-key"}, {"v1"}),
    ({"missing": "x"}, set()),
    # booleans vs numbers
    ({"flag": True}, {"v1"}),
    ({"flag": False}, {"v2"}),
    ({"flag": 1}, {"v3"}),
    ({"flag": 0}, {"v4"}),
    ({"flag": "true"}, {"v8"}),
    ({"flag": {"$in": [True, 0]}}, {"v1", "v4"}),
    ({"flag": {"$ne": True}}, but("v1")),
    ({"flag": {"$ne": 1}}, but("v3")),
    ({"flag": {"$gt": 0}}, {"v3"}),
    # type mismatches: no match, no error
    ({"s": 2}, set()),
    ({"flag": "True"}, set()),
    ({"tags": 1}, set()),
    ({"nums": "5"}, set()),
    ({"n": {"$in": ["3.5"]}}, set()),
    ({"s": {"$gt": 1}}, set()),
    ({"n": "NaN"}, set()),
    # arrays: any element
    ({"tags": "x"}, {"v1", "v5"}),
    ({"tags": {"$eq": "y"}}, {"v1", "v2"}),
    ({"tags": "red"}, {"v8"}),
    ({"tags": ""}, {"v8"}),
    ({"nums": 5}, {"v1"}),
    ({"nums": {"$eq": 100}}, {"v6"}),
    ({"nums": {"$gt": 50}}, {"v6"}),
    ({"nums": {"$lt": 0}}, {"v6"}),
    ({"nums": {"$lte": 1}}, {"v1", "v6"}),
    ({"tags": {"$in": ["z", "red"]}}, {"v3", "v8"}),
    # $ne / $nin, missing keys match (behaviour.md#decision-filter-semantics), arrays match only if no element matches
    ({"s": {"$ne": "red"}}, but("v1")),
    ({"n": {"$ne": 2}}, but("v1", "v2")),
    ({"tags": {"$ne": "x"}}, but("v1", "v5")),
    ({"s": {"$nin": ["red", "blue"]}}, but("v1", "v2")),
    ({"tags": {"$nin": ["x", "z"]}}, {"v2", "v4", "v6", "v7", "v8"}),
    ({"nums": {"$nin": [1, 100]}}, but("v1", "v6")),
    ({"n": {"$nin": [2]}}, but("v1", "v2")),
    ({"missing": {"$ne": "x"}}, ALL),
    ({"missing": {"$nin": ["x", 1]}}, ALL),
    # ranges
    ({"n": {"$gt": 2}}, {"v3", "v6"}),
    ({"n": {"$gte": 2}}, {"v1", "v2", "v3", "v6"}),
    ({"n": {"$lt": 2}}, {"v4"}),
    ({"n": {"$lte": 2}}, {"v1", "v2", "v4"}),
    ({"n": {"$gt": -1.5}}, {"v1", "v2", "v3", "v4", "v6"}),
    ({"n": {"$gte": 3.5}}, {"v3", "v6"}),
    # $in
    ({"s": {"$in": ["red", "blue"]}}, {"v1", "v2"}),
    ({"n": {"$in": [2, "2"]}}, {"v1", "v2", "v5"}),
    ({"n": {"$in": [3.5]}}, {"v3"}),
    # $exists
    ({"tags": {"$exists": True}}, {"v1", "v2", "v3", "v5", "v8"}),
    ({"tags": {"$exists": False}}, {"v4", "v6", "v7"}),
    ({"s": {"$exists": True}}, but("v6", "v7")),
    ({"flag": {"$exists": False}}, {"v5", "v6", "v7"}),
    ({"missing": {"$exists": False}}, ALL),
    ({"missing": {"$exists": True}}, set()),
    ({"": {"$exists": True}}, {"v1"}),
    ({"a.b": {"$exists": True}}, {"v1"}),
    # several operators on one field (AND-ed, each with its own any-element reading)
    ({"n": {"$gte": 2, "$lt": 4}}, {"v1", "v2", "v3"}),
    ({"s": {"$eq": "red", "$ne": "blue"}}, {"v1"}),
    ({"s": {"$ne": "red", "$exists": True}}, {"v2", "v3", "v4", "v5", "v8"}),
    ({"n": {"$gt": 0, "$ne": 2}}, {"v3", "v6"}),
    ({"nums": {"$gt": 4, "$lt": 6}}, {"v1", "v6"}),
    # $and / $or, nested
    ({"$and": [{"s": "red"}, {"n": 2}]}, {"v1"}),
    ({"$and": [{"tags": "y"}, {"flag": False}]}, {"v2"}),
    ({"$and": [{"s": "blue"}]}, {"v2"}),
    ({"$or": [{"s": "blue"}]}, {"v2"}),
    ({"$or": [{"s": "red"}, {"n": {"$gt": 50}}]}, {"v1", "v6"}),
    ({"$or": [{"$and": [{"s": "red"}, {"n": 2}]}, {"flag": 0}]}, {"v1", "v4"}),
    ({"$and": [{"$or": [{"tags": "x"}, {"tags": "z"}]}, {"$or": [{"n": {"$gte": 3}}, {"s": "2"}]}]}, {"v3", "v5"}),
    ({"$and": [{"$and": [{"$or": [{"$and": [{"n": {"$gte": 2}}]}]}]}]}, {"v1", "v2", "v3", "v6"}),
    ({"$or": [{"missing": 1}, {"s": {"$ne": "red"}}]}, but("v1")),
    ({"$and": [{"s": {"$exists": False}}, {"n": {"$exists": True}}]}, {"v6"}),
    # $startsWith (ENHANCED index): case-sensitive, any string element, '' matches every string
    ({"path": {"$startsWith": "/marketing/"}}, {"v1", "v2"}),
    ({"path": {"$startsWith": "/"}}, {"v1", "v2", "v3", "v8"}),
    ({"path": {"$startsWith": "/Marketing"}}, {"v8"}),
    ({"path": {"$startsWith": ""}}, {"v1", "v2", "v3", "v5", "v8"}),
    ({"path": {"$startsWith": "/marketing/q1-and-more"}}, set()),
    ({"tags": {"$startsWith": "r"}}, {"v8"}),
    ({"n": {"$startsWith": "2"}}, {"v5"}),
    ({"s": {"$startsWith": "R"}}, {"v3"}),
    ({"$or": [{"path": {"$startsWith": "/sales"}}, {"n": 100}]}, {"v3", "v6"}),
]


@pytest.mark.parametrize(("flt", "expected"), FILTERS, ids=[str(f) for f, _ in FILTERS])
def test_filter_matches(client, data, flt, expected):
    assert matches(client, flt) == expected


def test_filter_results_keep_distance_order(client, data):
    result = client.query_vectors(
        **data, queryVector={"float32": [0.0, 0.0, 0.0]}, topK=2, filter={"s": {"$ne": "red"}}, returnDistance=True
    )
    assert [(v["key"], v["distance"]) for v in result["vectors"]] == [("v2", 2.0), ("v3", 5.0)]


INVALID = [
    # structure
    {},
    {"s": {}},
    {"s": {"x": 1}},
    {"s": {"$eq": "a", "x": 1}},
    {"s": {"$and": [{"s": "a"}]}},
    {"s": {"$or": [{"s": "a"}]}},
    {"$and": [{}]},
    {"$and": ["x"]},
    {"$and": [["x"]]},
    {"$and": []},
    {"$or": []},
    {"$and": {"s": "a"}},
    {"$or": "s"},
    {"s": "a", "flag": True},
    {"s": {"$eq": "a"}, "n": {"$eq": 1}},
    {"$and": [{"s": "a", "n": 1}]},
    {"$and": [{"s": "a"}], "s": "a"},
    {"$and": [{"s": "a"}], "$or": [{"s": "a"}]},
    {"$or": [{"$and": [{"s": {}}]}]},
    # unknown or misplaced operators
    {"$eg": "a"},
    {"$schema": "a"},
    {"$eq": "a"},
    {"$not": {"s": "a"}},
    {"$nor": [{"s": "a"}]},
    {"s": {"$not": {"$eq": "a"}}},
    {"s": {"$regex": "r.*"}},
    {"tags": {"$all": ["x"]}},
    {"tags": {"$elemMatch": {"$eq": "x"}}},
    {"s": {"$EQ": "a"}},
    {"s": {"eq": "a"}},
    # operand types: $eq / $ne
    {"s": {"$eq": None}},
    {"s": {"$eq": ["a"]}},
    {"s": {"$eq": []}},
    {"s": {"$eq": {}}},
    {"s": {"$ne": None}},
    {"s": {"$ne": ["a"]}},
    {"s": {"$ne": {}}},
    # range operators
    {"n": {"$gt": "1"}},
    {"n": {"$gte": True}},
    {"n": {"$lt": None}},
    {"n": {"$lte": [1]}},
    {"n": {"$gt": {}}},
    {"n": {"$gt": "NaN"}},
    {"n": {"$lt": "Infinity"}},
    # $in / $nin
    {"s": {"$in": [None]}},
    {"s": {"$in": [{}]}},
    {"s": {"$in": [["a"]]}},
    {"s": {"$in": "a"}},
    {"s": {"$in": []}},
    {"s": {"$nin": [None]}},
    {"s": {"$nin": "a"}},
    {"s": {"$nin": []}},
    {"s": {"$in": ["a", None]}},
    # $exists
    {"s": {"$exists": "yes"}},
    {"s": {"$exists": "true"}},
    {"s": {"$exists": 1}},
    {"s": {"$exists": None}},
    # shorthand values
    {"s": None},
    {"s": ["a"]},
    {"s": []},
    # $startsWith operands
    {"s": {"$startsWith": 1}},
    {"s": {"$startsWith": True}},
    {"s": {"$startsWith": None}},
    {"s": {"$startsWith": ["a"]}},
]


@pytest.mark.parametrize("flt", INVALID, ids=[str(f) for f in INVALID])
def test_invalid_filter(client, data, flt):
    with pytest.raises(ClientError) as exc:
        matches(client, flt)
    assert error_of(exc) == (
        "ValidationException",
        "Invalid filter",
        400,
        [{"path": "filter", "message": "Invalid filter"}],
    )


@pytest.mark.parametrize("flt", [[], "s", 1, True, [{"s": "a"}]], ids=["list", "string", "number", "bool", "list-of"])
def test_filter_that_is_not_an_object(client, data, flt):
    with pytest.raises(ClientError) as exc:
        matches(client, flt)
    assert error_of(exc) == (
        "ValidationException",
        "Invalid filter",
        400,
        [{"path": "filter", "message": "Invalid filter"}],
    )


NON_FILTERABLE = (
    "ValidationException",
    "Invalid use of non-filterable metadata in filter",
    400,
    [{"path": "filter", "message": "Invalid use of non-filterable metadata in filter"}],
)


@pytest.mark.parametrize(
    "flt",
    [
        {"bulk": "secret"},
        {"bulk": {"$exists": False}},
        {"bulk": {"$ne": "x"}},
        {"$and": [{"s": "red"}, {"$or": [{"n": 1}, {"$and": [{"bulk": {"$exists": True}}]}]}]},
        {"$or": [{"$or": [{"$or": [{"s": "x"}, {"bulk": {"$in": ["a"]}}]}]}]},
    ],
    ids=["shorthand", "exists-false", "ne", "deep-and-or", "deep-or"],
)
@pytest.mark.parametrize("where", [WHERE, EMPTY], ids=["data", "empty-index"])
def test_non_filterable_key(client, data, flt, where):
    with pytest.raises(ClientError) as exc:
        matches(client, flt, where)
    assert error_of(exc) == NON_FILTERABLE


@pytest.mark.parametrize(
    "flt",
    [{}, {"s": {"$in": []}}, {"$and": []}, {"s": None}, {"$eg": 1}],
    ids=["empty", "in-empty", "and-empty", "null", "unknown-op"],
)
def test_filter_errors_on_empty_index(client, data, flt):
    with pytest.raises(ClientError) as exc:
        matches(client, flt, EMPTY)
    assert error_of(exc) == (
        "ValidationException",
        "Invalid filter",
        400,
        [{"path": "filter", "message": "Invalid filter"}],
    )


def test_valid_filter_on_empty_index(client, data):
    assert matches(client, {"s": "red"}, EMPTY) == set()
    assert matches(client, {"missing": {"$exists": False}}, EMPTY) == set()


def nest(leaf, depth, op="$and"):
    for _ in range(depth):
        leaf = {op: [leaf]}
    return leaf


@pytest.mark.parametrize("depth", [20, 100])
def test_nested_filters(client, data, depth):
    # Nesting depth has no documented maximum (behaviour.md#filters [UNCERTAIN]); moderate depths just work.
    assert matches(client, nest({"s": "red"}, depth)) == {"v1"}
    assert matches(client, nest({"s": "red"}, depth, "$or")) == {"v1"}


@pytest.mark.parametrize("depth", [150, 300])
def test_very_deep_filter_is_never_a_500(client, data, depth):
    # behaviour.md#decision-error-shape: never a 500 for bad input. AWS documents no depth limit: either it is
    # evaluated, or it is refused as a ValidationException.
    try:
        found = matches(client, nest({"s": "red"}, depth))
    except ClientError as exc:
        response = exc.response
        assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
            "ValidationException",
            400,
        )
    else:
        assert found == {"v1"}


def test_very_deep_invalid_filter(client, data):
    flt = 1
    for _ in range(150):
        flt = {"a": [flt]}
    with pytest.raises(ClientError) as exc:
        matches(client, flt)
    assert error_of(exc) == (
        "ValidationException",
        "Invalid filter",
        400,
        [{"path": "filter", "message": "Invalid filter"}],
    )
