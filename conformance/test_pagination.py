"""Pagination invariants: no repeat, no gap, segments disjoint and complete, for ListVectors, ListIndexes,
ListVectorBuckets and QueryVectors pages (behaviour.md#limits, behaviour.md#errors-catalogue, behaviour.md#listing;
behaviour.md#paging; behaviour.md#decision-query-results, behaviour.md#decision-duplicates-and-order)."""

from __future__ import annotations

import secrets
from itertools import combinations

import pytest

from conformance.helpers import error_of, list_all, put_all

COUNT = 250
KEYS = [f"k{i:03d}" for i in range(COUNT)]
QUERY = {"float32": [-1.0, 0.0]}  # distance to k<i> is (i + 1)², so rank order is key order


@pytest.fixture(scope="module")
def where(module_buckets):
    """A read-only index of 250 vectors shared by this module's tests."""
    bucket = module_buckets.create()
    where = module_buckets.index(bucket, dimension=2, metric="euclidean")
    put_all(
        module_buckets.client,
        where,
        [
            {"key": key, "data": {"float32": [float(i), 0.0]}, "metadata": {"n": i, "even": i % 2 == 0}}
            for i, key in enumerate(KEYS)
        ],
    )
    return where


def assert_no_repeat_no_gap(pages, expected):
    keys = [key for page in pages for key in page]
    assert len(keys) == len(set(keys)), "a key was repeated"
    assert set(keys) == set(expected), "a key is missing or foreign"


# -- ListVectors --


@pytest.mark.ref("listing")
@pytest.mark.parametrize("max_results", [7, 100, 1000])
def test_list_vectors_sequential_pages(client, where, max_results):
    pages = list_all(client, where, maxResults=max_results)
    assert all(len(page) <= max_results for page in pages)
    assert_no_repeat_no_gap(pages, KEYS)


@pytest.mark.decision("compat")
def test_list_vectors_pages_are_full_until_the_last(client, where):
    pages = list_all(client, where, maxResults=7)
    assert [len(page) for page in pages] == [7] * (COUNT // 7) + [COUNT % 7]


@pytest.mark.ref("listing")
@pytest.mark.parametrize("segments", [1, 2, 5, 16])
def test_list_vectors_segments_are_disjoint_and_complete(client, where, segments):
    parts = []
    for index in range(segments):
        pages = list_all(client, where, segmentCount=segments, segmentIndex=index, maxResults=40)
        keys = [key for page in pages for key in page]
        assert len(keys) == len(set(keys))
        parts.append(set(keys))
    for one, other in combinations(parts, 2):
        assert not one & other, "segments overlap"
    assert set().union(*parts) == set(KEYS)


@pytest.mark.decision("decision-duplicates-and-order")
def test_list_vectors_order_is_stable(client, where):
    assert list_all(client, where, maxResults=33) == list_all(client, where, maxResults=33)
    assert [k for page in list_all(client, where, maxResults=33) for k in page] == [
        k for page in list_all(client, where, maxResults=1000) for k in page
    ]


@pytest.mark.ref("listing")
def test_list_vectors_return_flags(client, where):
    page = client.list_vectors(**where, maxResults=3)["vectors"]
    assert all(set(v) == {"key"} for v in page)
    page = client.list_vectors(**where, maxResults=3, returnData=True, returnMetadata=True)["vectors"]
    for v in page:
        i = int(v["key"][1:])
        assert v["data"]["float32"] == [float(i), 0.0] and v["metadata"] == {"n": i, "even": i % 2 == 0}


@pytest.mark.ref("limits")
def test_list_vectors_default_page_size(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    put_all(client, where, [{"key": f"v{i}", "data": {"float32": [float(i), 1.0]}} for i in range(501)])
    first = client.list_vectors(**where)
    assert len(first["vectors"]) <= 500 and first.get("nextToken")
    rest = list_all(client, where, nextToken=first["nextToken"])
    assert_no_repeat_no_gap([[v["key"] for v in first["vectors"]], *rest], [f"v{i}" for i in range(501)])


@pytest.mark.ref("limits")
def test_list_vectors_limits(client, raw, where):
    client.list_vectors(**where, maxResults=1000)
    err = error_of(raw.list_vectors, **where, maxResults=1001)
    assert err.code == "ValidationException" and "Member must be between 1 and 1000, inclusive" in err.message
    client.list_vectors(**where, segmentCount=16, segmentIndex=15)
    for segment in ({"segmentCount": 17, "segmentIndex": 0}, {"segmentCount": 16, "segmentIndex": 16}):
        assert error_of(raw.list_vectors, **where, **segment).code == "ValidationException"


@pytest.mark.ref("errors-catalogue")
@pytest.mark.parametrize(
    "segment",
    [{"segmentCount": 2}, {"segmentIndex": 0}, {"segmentCount": 2, "segmentIndex": 2}],
    ids=["count-alone", "index-alone", "index-not-below-count"],
)
def test_list_vectors_bad_segments(raw, where, segment):
    assert error_of(raw.list_vectors, **where, **segment).code == "ValidationException"


@pytest.mark.decision("compat")
def test_list_vectors_bad_token(raw, where):
    assert error_of(raw.list_vectors, **where, nextToken="not-a-token")[:3] == (
        "ValidationException",
        "Invalid nextToken",
        400,
    )


# -- ListIndexes and ListVectorBuckets --


@pytest.mark.ref("listing")
def test_list_indexes_pages(client, buckets, bucket):
    names = [f"idx-{i:02d}" for i in range(12)]
    for name in names:
        buckets.index(bucket, name)
    pages, token = [], {}
    while True:
        page = client.list_indexes(vectorBucketName=bucket, maxResults=5, **token)
        assert len(page["indexes"]) <= 5
        pages.append([i["indexName"] for i in page["indexes"]])
        if not page.get("nextToken"):
            break
        token = {"nextToken": page["nextToken"]}
    assert_no_repeat_no_gap(pages, names)


@pytest.mark.decision("decision-duplicates-and-order")
def test_list_indexes_pages_ascend(client, buckets, bucket):
    names = [f"idx-{i:02d}" for i in (7, 3, 11, 0, 5, 9, 1)]
    for name in names:
        buckets.index(bucket, name)
    pages = client.get_paginator("list_indexes").paginate(vectorBucketName=bucket, PaginationConfig={"PageSize": 3})
    assert [[i["indexName"] for i in p["indexes"]] for p in pages] == [
        ["idx-00", "idx-01", "idx-03"],
        ["idx-05", "idx-07", "idx-09"],
        ["idx-11"],
    ]


@pytest.mark.ref("listing")
def test_list_vector_buckets_pages(client, buckets):
    hint = f"p{secrets.token_hex(2)}-"
    names = [buckets.create(hint) for _ in range(7)]
    prefix = names[0][:-8]
    pages, token = [], {}
    while True:
        page = client.list_vector_buckets(prefix=prefix, maxResults=3, **token)
        assert len(page["vectorBuckets"]) <= 3
        pages.append([b["vectorBucketName"] for b in page["vectorBuckets"]])
        if not page.get("nextToken"):
            break
        token = {"nextToken": page["nextToken"]}
    assert_no_repeat_no_gap(pages, names)


# -- QueryVectors pages (behaviour.md#paging) --


def query_pages(client, where, **params):
    pages, token = [], {}
    while True:
        page = client.query_vectors(**where, queryVector=QUERY, returnDistance=True, **params, **token)
        pages.append(page)
        if not page.get("nextToken"):
            return pages
        token = {"nextToken": page["nextToken"]}


@pytest.mark.ref("paging")
@pytest.mark.parametrize(("top_k", "sizes"), [(250, [100, 100, 50]), (150, [100, 50]), (1000, [100, 100, 50])])
def test_query_pages_of_100(client, where, top_k, sizes):
    pages = query_pages(client, where, topK=top_k)
    assert [len(p["vectors"]) for p in pages] == sizes
    assert all(p.get("nextToken") for p in pages[:-1]) and "nextToken" not in pages[-1]
    hits = [v for p in pages for v in p["vectors"]]
    assert_no_repeat_no_gap([[v["key"] for v in hits]], KEYS[:top_k])
    distances = [v["distance"] for v in hits]
    assert distances == sorted(distances)


@pytest.mark.decision("decision-query-results")
def test_exactly_100_results_is_one_page(client, where):
    (page,) = query_pages(client, where, topK=100)
    assert len(page["vectors"]) == 100 and "nextToken" not in page
    assert [v["key"] for v in page["vectors"]] == KEYS[:100]


@pytest.mark.ref("paging")
def test_filtered_query_pages(client, where):
    pages = query_pages(client, where, topK=200, filter={"even": True}, returnMetadata=True)
    assert [len(p["vectors"]) for p in pages] == [100, 25]
    hits = [v for p in pages for v in p["vectors"]]
    assert all(v["metadata"]["even"] for v in hits)
    assert_no_repeat_no_gap([[v["key"] for v in hits]], KEYS[::2])


@pytest.mark.ref("paging")
def test_query_paginator(client, where):
    paginator = client.get_paginator("query_vectors")
    result = paginator.paginate(**where, queryVector=QUERY, topK=230).build_full_result()
    assert [v["key"] for v in result["vectors"]] == KEYS[:230]


@pytest.mark.decision("decision-query-results")
def test_query_token_is_bound_to_its_request(raw, where):
    first = raw.query_vectors(**where, queryVector=QUERY, topK=250)
    for change in ({"topK": 249}, {"filter": {"even": True}}, {"queryVector": {"float32": [-2.0, 0.0]}}):
        params = {"queryVector": QUERY, "topK": 250} | change
        assert error_of(raw.query_vectors, **where, **params, nextToken=first["nextToken"])[:3] == (
            "ValidationException",
            "Invalid nextToken",
            400,
        )
    assert error_of(raw.query_vectors, **where, queryVector=QUERY, topK=250, nextToken="forged")[:3] == (
        "ValidationException",
        "Invalid nextToken",
        400,
    )


@pytest.mark.decision("decision-query-results")
def test_query_pages_are_a_snapshot(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    put_all(client, where, [{"key": key, "data": {"float32": [float(i), 0.0]}} for i, key in enumerate(KEYS[:150])])
    first = client.query_vectors(**where, queryVector=QUERY, topK=150)
    client.put_vectors(**where, vectors=[{"key": "closest", "data": {"float32": [-1.0, 0.0]}}])
    client.delete_vectors(**where, keys=["k149"])
    second = client.query_vectors(**where, queryVector=QUERY, topK=150, nextToken=first["nextToken"])
    keys = [v["key"] for v in first["vectors"] + second["vectors"]]
    assert keys == KEYS[:150]
