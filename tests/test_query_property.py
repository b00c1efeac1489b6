"""QueryVectors against a brute-force reference written here in plain Python (behaviour.md#filters,
behaviour.md#distances,
behaviour.md#decision-query-results, behaviour.md#decision-filter-semantics).

Small integer components make exact ties common (euclidean distances are integers; equal vectors
under different keys tie under both metrics).  The reference computes float64 distances from the
float32 values (exact here: the components are small integers) and ranks by (distance, key)
(behaviour.md#decision-query-results);
distances are compared with a relative tolerance.

Note: two cosine distances that are equal in exact arithmetic can differ by an ulp in float64
(e.g. [0,-1,1] and [3,-3,0] against [0,-1,0]); the emulator's contract is a float64 brute force,
and AWS leaves tie order open, so such near-ties are ranked by their float64 values here too.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BUCKET = "prop-bucket"
WHERE = {"vectorBucketName": BUCKET, "indexName": "idx"}
DIM = 3

KEYS = st.text(alphabet="abAB01é中😀", min_size=1, max_size=4)
COMPONENT = st.integers(-3, 3)
NUMBERS = st.one_of(st.integers(0, 5), st.sampled_from([2.0, 0.5, 4.5]))
STRINGS = st.sampled_from(["a", "b", "ab", "B", ""])


@st.composite
def metadata(draw):
    md = {}
    if draw(st.booleans()):
        md["n"] = draw(NUMBERS)
    choice = draw(st.integers(0, 3))
    if choice == 1:
        md["s"] = draw(STRINGS)
    elif choice == 2:
        md["s"] = draw(st.lists(STRINGS, min_size=1, max_size=3))
    return md


def vector(metric):
    vec = st.lists(COMPONENT, min_size=DIM, max_size=DIM)
    return vec.filter(any) if metric == "cosine" else vec


LEAVES = st.one_of(
    st.builds(lambda v: {"n": v}, NUMBERS),
    st.builds(lambda op, v: {"n": {op: v}}, st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]), NUMBERS),
    st.builds(
        lambda op, v: {"n": {op: v}},
        st.sampled_from(["$in", "$nin"]),
        st.lists(st.one_of(NUMBERS, STRINGS), min_size=1, max_size=3),
    ),
    st.builds(lambda v: {"s": v}, STRINGS),
    st.builds(lambda op, v: {"s": {op: v}}, st.sampled_from(["$eq", "$ne", "$startsWith"]), STRINGS),
    st.builds(
        lambda op, v: {"s": {op: v}}, st.sampled_from(["$in", "$nin"]), st.lists(STRINGS, min_size=1, max_size=3)
    ),
    st.builds(lambda k, v: {k: {"$exists": v}}, st.sampled_from(["n", "s", "other"]), st.booleans()),
    st.builds(lambda lo, hi: {"n": {"$gte": lo, "$lt": hi}}, NUMBERS, NUMBERS),
    st.builds(lambda v: {"s": v}, st.integers(0, 2)),  # a type mismatch: no match, no error
)
FILTERS = st.recursive(
    LEAVES,
    lambda inner: st.builds(
        lambda op, kids: {op: kids}, st.sampled_from(["$and", "$or"]), st.lists(inner, min_size=1, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def cases(draw):
    metric = draw(st.sampled_from(["cosine", "euclidean"]))
    records = draw(st.lists(st.tuples(KEYS, vector(metric), metadata()), max_size=30, unique_by=lambda r: r[0]))
    return {
        "metric": metric,
        "records": records,
        "query": draw(vector(metric)),
        "top_k": draw(st.integers(1, 40)),
        "filter": draw(st.one_of(st.none(), FILTERS)),
    }


# -- the reference -------------------------------------------------------------------------------


def _same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return float(a) == float(b)


def _is_number(v):
    return isinstance(v, int | float) and not isinstance(v, bool)


def _condition(md, key, op, operand):
    if op == "$exists":
        return (key in md) == operand
    if op == "$ne":
        return not _condition(md, key, "$eq", operand)
    if op == "$nin":
        return not _condition(md, key, "$in", operand)
    if key not in md:
        return False
    value = md[key]
    elements = value if isinstance(value, list) else [value]
    if op == "$eq":
        return any(_same(e, operand) for e in elements)
    if op == "$in":
        return any(_same(e, o) for e in elements for o in operand)
    if op == "$startsWith":
        return any(isinstance(e, str) and e.startswith(operand) for e in elements)
    compare = {"$gt": float.__gt__, "$gte": float.__ge__, "$lt": float.__lt__, "$lte": float.__le__}[op]
    return any(_is_number(e) and compare(float(e), float(operand)) for e in elements)


def evaluate(flt, md):
    ((key, value),) = flt.items()
    if key == "$and":
        return all(evaluate(child, md) for child in value)
    if key == "$or":
        return any(evaluate(child, md) for child in value)
    conditions = value if isinstance(value, dict) else {"$eq": value}
    return all(_condition(md, key, op, operand) for op, operand in conditions.items())


def distance(metric, x, q):
    """Float64 distance: squared L2 for euclidean, 1 − cos clamped to [0, 2] for cosine (behaviour.md#distances)."""
    x, q = [float(a) for a in x], [float(b) for b in q]
    if metric == "euclidean":
        return float(sum((a - b) ** 2 for a, b in zip(x, q, strict=True)))
    dot = sum(a * b for a, b in zip(x, q, strict=True))
    xx, qq = sum(a * a for a in x), sum(b * b for b in q)
    return min(2.0, max(0.0, 1.0 - dot / math.sqrt(xx * qq)))


def reference(case):
    hits = [
        (distance(case["metric"], v, case["query"]), key)
        for key, v, md in case["records"]
        if case["filter"] is None or evaluate(case["filter"], md)
    ]
    hits.sort()  # behaviour.md#decision-query-results: ascending distance, ties by key
    return [(key, d) for d, key in hits[: case["top_k"]]]


# -- the property ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_query_equals_brute_force(client, http_call, case):
    assert http_call("POST", "/_emulator/reset").status == 200
    client.create_vector_bucket(vectorBucketName=BUCKET)
    client.create_index(**WHERE, dataType="float32", dimension=DIM, distanceMetric=case["metric"])
    if case["records"]:
        client.put_vectors(
            **WHERE,
            vectors=[
                {"key": key, "data": {"float32": v}, **({"metadata": md} if md else {})}
                for key, v, md in case["records"]
            ],
        )
    params = {
        "queryVector": {"float32": case["query"]},
        "topK": case["top_k"],
        "returnDistance": True,
        "returnMetadata": True,
    }
    if case["filter"] is not None:
        params["filter"] = case["filter"]
    result = client.query_vectors(**WHERE, **params)
    assert result["distanceMetric"] == case["metric"]
    expected = reference(case)
    got = [(v["key"], v["distance"]) for v in result["vectors"]]
    assert [k for k, _ in got] == [k for k, _ in expected]
    assert got == sorted(got, key=lambda kd: (kd[1], kd[0]))  # the answer is ordered by its own distances
    for (_, d_got), (_, d_exp) in zip(got, expected, strict=True):
        assert d_got == pytest.approx(d_exp, rel=1e-5, abs=1e-9)
    stored = {key: md for key, _, md in case["records"]}
    assert all(v["metadata"] == stored[v["key"]] for v in result["vectors"])
