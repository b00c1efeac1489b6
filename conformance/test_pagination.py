"""Pagination invariants: no repeat, no gap, segments disjoint and complete, for ListVectors, ListIndexes,
ListVectorBuckets and QueryVectors pages (behaviour.md#limits, behaviour.md#errors-catalogue, behaviour.md#listing;
behaviour.md#paging; behaviour.md#decision-query-results, behaviour.md#decision-duplicates-and-order)."""

from __future__ import annotations

import secrets
from itertools import combinations

import pytest

from conformance.helpers import error_of, list_all, make_client, put_all

COUNT = 250
KEYS = [f"k{i:03d}" for i in range(COUNT)]
QUERY = {"float32": [-1.0, 0.0]}  # distance to k<i> is (i + 1)², so rank order is key order
BAD_TOKEN = ("ValidationException", "Invalid nextToken", 400)  # code, message, status


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
@pytest.mark.parametrize("max_results", [7, 125, 250])
def test_list_vectors_pages_are_full_until_the_last(client, where, max_results):
    pages = list_all(client, where, maxResults=max_results)
    # Every page but the last is full, and no empty page follows a last full one.
    assert [len(page) for page in pages] == [max_results] * (COUNT // max_results) + (
        [COUNT % max_results] if COUNT % max_results else []
    )


@pytest.mark.ref("listing-vectors-pages")
def test_list_vectors_of_an_empty_index(client, buckets, bucket):
    page = client.list_vectors(**buckets.index(bucket))
    assert page["vectors"] == [] and "nextToken" not in page


@pytest.mark.ref("listing-vectors-pages")
def test_list_vectors_paginator(client, where):
    paginator = client.get_paginator("list_vectors")
    for config in ({}, {"PaginationConfig": {"PageSize": 97}}):
        keys = [v["key"] for page in paginator.paginate(**where, **config) for v in page["vectors"]]
        assert sorted(keys) == KEYS
    keys = [
        v["key"]
        for index in range(4)
        for page in paginator.paginate(**where, segmentCount=4, segmentIndex=index, PaginationConfig={"PageSize": 5})
        for v in page["vectors"]
    ]
    assert sorted(keys) == KEYS


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


# Keys of every shape: several UTF-8 lengths, long ones, a dot, upper case.
ODD_KEYS = (
    [f"s{i:04}" for i in range(150)]
    + [f"document-key-{i:05}" for i in range(60)]
    + ["中文", "😀", "a.b", "UPPER", "x" * 15, "short", "x" * 300, "中" * 20, "😀" * 5]
)


@pytest.mark.ref("listing-vectors-segments")
def test_list_vectors_segments_of_any_keys_for_every_count(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    put_all(client, where, [{"key": k, "data": {"float32": [float(i), 1.0]}} for i, k in enumerate(ODD_KEYS)])
    for segments in range(1, 17):
        parts = [
            [
                key
                for page in list_all(client, where, segmentCount=segments, segmentIndex=i, maxResults=7)
                for key in page
            ]
            for i in range(segments)
        ]
        keys = [key for part in parts for key in part]
        assert len(keys) == len(set(keys)), f"{segments} segments repeat or overlap"
        assert set(keys) == set(ODD_KEYS), f"{segments} segments miss a key"


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
    page = client.list_vectors(**where, maxResults=3, returnData=False, returnMetadata=False)["vectors"]
    assert all(set(v) == {"key"} for v in page)
    for v in client.list_vectors(**where, maxResults=3, returnData=True)["vectors"]:
        assert set(v) == {"key", "data"} and v["data"]["float32"] == [float(int(v["key"][1:])), 0.0]
    for v in client.list_vectors(**where, maxResults=3, returnMetadata=True)["vectors"]:
        i = int(v["key"][1:])
        assert set(v) == {"key", "metadata"} and v["metadata"] == {"n": i, "even": i % 2 == 0}
    page = client.list_vectors(
        **where, maxResults=3, returnData=True, returnMetadata=True, segmentCount=1, segmentIndex=0
    )["vectors"]
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


@pytest.mark.decision("decision-list-pages")
def test_list_vectors_default_page_is_full(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    put_all(client, where, [{"key": f"v{i}", "data": {"float32": [float(i), 1.0]}} for i in range(501)])
    assert [len(page) for page in list_all(client, where)] == [500, 1]


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
    [
        {"segmentCount": 2},
        {"segmentIndex": 0},
        {"segmentIndex": 2},
        {"segmentCount": 1, "segmentIndex": 1},
        {"segmentCount": 2, "segmentIndex": 2},
        {"segmentCount": 4, "segmentIndex": 7},
        {"segmentCount": 2, "segmentIndex": 16},
    ],
    ids=["count-alone", "index-0-alone", "index-alone", "1-1", "2-2", "4-7", "2-16"],
)
def test_list_vectors_bad_segments(raw, where, segment):
    err = error_of(raw.list_vectors, **where, **segment)
    assert (err.code, err.status) == ("ValidationException", 400)


@pytest.mark.decision("compat")
@pytest.mark.parametrize(
    "token", ["not-a-token", "!!!not-base64!!!", "eyJmb28iOiAxfQ==", "W10=", "bnVsbA==", "A" * 64], ids=str
)
def test_list_vectors_bad_token(raw, where, token):
    assert error_of(raw.list_vectors, **where, nextToken=token)[:3] == BAD_TOKEN


@pytest.mark.decision("decision-list-pages")
def test_list_vectors_token_is_bound_to_its_segment(client, raw, where):
    token = client.list_vectors(**where, segmentCount=4, segmentIndex=1, maxResults=3)["nextToken"]
    plain = client.list_vectors(**where, maxResults=3)["nextToken"]
    for params in (
        {"segmentCount": 4, "segmentIndex": 2, "nextToken": token},
        {"segmentCount": 2, "segmentIndex": 1, "nextToken": token},
        {"nextToken": token},  # a segment's token on a plain listing
        {"segmentCount": 4, "segmentIndex": 0, "nextToken": plain},
    ):
        assert error_of(raw.list_vectors, **where, maxResults=3, **params)[:3] == BAD_TOKEN
    assert client.list_vectors(**where, segmentCount=4, segmentIndex=1, maxResults=3, nextToken=token)["vectors"]


@pytest.mark.decision("decision-duplicates-and-order")
def test_list_vectors_returns_unchanged_vectors_once_under_writes(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    put_all(client, where, [{"key": f"k{i:03}", "data": {"float32": [float(i), 1.0]}} for i in range(0, 200, 2)])
    page = client.list_vectors(**where, maxResults=10)
    seen = [v["key"] for v in page["vectors"]]
    touched, step = set(), 0
    while "nextToken" in page:
        step += 1
        # Between pages: new odd keys everywhere, and some even keys deleted or overwritten.
        added = [f"k{i:03}" for i in range(step, 200, 37) if i % 2]
        put_all(client, where, [{"key": k, "data": {"float32": [1.0, 1.0]}} for k in added])
        deleted, changed = f"k{(step * 26) % 200:03}", f"k{(step * 14 + 100) % 200:03}"
        client.delete_vectors(**where, keys=[deleted])
        client.put_vectors(**where, vectors=[{"key": changed, "data": {"float32": [9.0, 9.0]}}])
        touched |= set(added) | {deleted, changed}
        page = client.list_vectors(**where, maxResults=10, nextToken=page["nextToken"])
        seen += [v["key"] for v in page["vectors"]]
    assert step > 3
    assert len(seen) == len(set(seen)) and set(seen) <= {f"k{i:03}" for i in range(200)}
    assert {f"k{i:03}" for i in range(0, 200, 2)} - touched <= set(seen)


@pytest.mark.ref("listing-tokens")
@pytest.mark.decision("decision-duplicates-and-order")
def test_list_vectors_pages_past_keys_that_json_would_escape(client, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    # 1,024 characters each: escaped in JSON they would make tokens past ListVectors' 2,048.
    keys = sorted(["\x01" * 1024, '"' * 1024, "\\" * 1024, "é" * 512])
    client.put_vectors(**where, vectors=[{"key": k, "data": {"float32": [1.0, 2.0]}} for k in keys])
    seen, token = [], {}
    for _ in range(len(keys) + 1):
        page = client.list_vectors(**where, maxResults=1, **token)
        seen += [v["key"] for v in page["vectors"]]
        if not page.get("nextToken"):
            break
        assert len(page["nextToken"]) <= 2048
        token = {"nextToken": page["nextToken"]}
    assert seen == keys


@pytest.mark.decision("decision-list-pages")
@pytest.mark.decision("decision-query-results")
def test_tokens_die_with_the_index_they_page(client, raw, buckets, bucket):
    where = buckets.index(bucket, dimension=2, metric="euclidean")
    vectors = [{"key": key, "data": {"float32": [float(i), 0.0]}} for i, key in enumerate(KEYS)]
    put_all(client, where, vectors)
    query = {**where, "queryVector": QUERY, "topK": COUNT}
    query_token = client.query_vectors(**query)["nextToken"]
    list_token = client.list_vectors(**where, maxResults=10)["nextToken"]
    client.delete_index(**where)
    buckets.index(bucket, dimension=2, metric="euclidean")  # the same name, the same vectors: another index
    put_all(client, where, vectors)
    for call, params, token in (
        (raw.query_vectors, query, query_token),
        (raw.list_vectors, {**where, "maxResults": 10}, list_token),
    ):
        assert error_of(call, **params, nextToken=token)[:3] == BAD_TOKEN


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


@pytest.mark.decision("decision-list-pages")
def test_list_vector_buckets_pages_are_full_until_the_last(client, buckets):
    hint = f"f{secrets.token_hex(2)}-"
    names = sorted(buckets.create(hint) for _ in range(4))
    prefix = names[0][:-8]
    first = client.list_vector_buckets(prefix=prefix, maxResults=2)
    second = client.list_vector_buckets(prefix=prefix, maxResults=2, nextToken=first["nextToken"])
    assert (len(first["vectorBuckets"]), len(second["vectorBuckets"])) == (2, 2)
    assert "nextToken" not in second  # exactly a full page: no token, no empty page after it
    pages = client.get_paginator("list_vector_buckets").paginate(prefix=prefix, PaginationConfig={"PageSize": 3})
    assert [[b["vectorBucketName"] for b in p["vectorBuckets"]] for p in pages] == [names[:3], names[3:]]


@pytest.mark.decision("decision-list-pages")
def test_list_buckets_and_indexes_bad_token(raw, bucket):
    for call, params in ((raw.list_vector_buckets, {}), (raw.list_indexes, {"vectorBucketName": bucket})):
        assert error_of(call, **params, nextToken="%%%not-a-token%%%")[:3] == BAD_TOKEN


@pytest.mark.decision("decision-list-pages")
def test_listing_tokens_die_with_their_bucket_and_stay_in_their_region(client, raw, target, buckets):
    hint = f"t{secrets.token_hex(2)}-"
    names = sorted(buckets.create(hint) for _ in range(3))
    prefix, first = names[0][:-8], names[0]
    for name in names:
        buckets.index(first, f"i-{name[-8:]}", dimension=2)
    index_token = client.list_indexes(vectorBucketName=first, maxResults=1)["nextToken"]
    bucket_token = client.list_vector_buckets(prefix=prefix, maxResults=1)["nextToken"]
    # In another region the token is refused, though that region has buckets of the same names.
    other = make_client(target, region="us-west-2" if target.region != "us-west-2" else "us-east-1")
    other.create_vector_bucket(vectorBucketName=first)
    try:
        assert error_of(other.list_vector_buckets, prefix=prefix, maxResults=1, nextToken=bucket_token)[:3] == BAD_TOKEN
    finally:
        other.delete_vector_bucket(vectorBucketName=first)
    # Deleted and made again under the same name, the bucket is another bucket.
    for index in client.list_indexes(vectorBucketName=first)["indexes"]:
        client.delete_index(vectorBucketName=first, indexName=index["indexName"])
    client.delete_vector_bucket(vectorBucketName=first)
    client.create_vector_bucket(vectorBucketName=first)
    buckets.index(first, f"i-{first[-8:]}", dimension=2)
    assert error_of(raw.list_indexes, vectorBucketName=first, maxResults=1, nextToken=index_token)[:3] == BAD_TOKEN
    # The bucket listing's token still pages its region.
    assert client.list_vector_buckets(prefix=prefix, maxResults=1, nextToken=bucket_token)["vectorBuckets"]


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
    assert all(p["distanceMetric"] == "euclidean" for p in pages)
    hits = [v for p in pages for v in p["vectors"]]
    assert_no_repeat_no_gap([[v["key"] for v in hits]], KEYS[:top_k])
    distances = [v["distance"] for v in hits]
    assert distances == sorted(distances)


@pytest.mark.decision("decision-query-results")
@pytest.mark.parametrize(("top_k", "sizes"), [(1, [1]), (99, [99]), (100, [100]), (101, [100, 1]), (200, [100, 100])])
def test_a_token_only_while_more_results_remain(client, where, top_k, sizes):
    pages = query_pages(client, where, topK=top_k)
    assert [len(p["vectors"]) for p in pages] == sizes and "nextToken" not in pages[-1]
    assert [v["key"] for p in pages for v in p["vectors"]] == KEYS[:top_k]


@pytest.mark.decision("decision-query-results")
def test_exactly_100_filtered_results_is_one_page(client, where):
    (page,) = query_pages(client, where, topK=COUNT, filter={"n": {"$lt": 100}})
    assert len(page["vectors"]) == 100 and "nextToken" not in page


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
    pages = list(paginator.paginate(**where, queryVector=QUERY, topK=230))
    assert [len(p["vectors"]) for p in pages] == [100, 100, 30]
    result = paginator.paginate(**where, queryVector=QUERY, topK=230).build_full_result()
    assert [v["key"] for v in result["vectors"]] == KEYS[:230]
    assert result["distanceMetric"] == "euclidean"


@pytest.mark.decision("decision-query-results")
def test_query_token_is_bound_to_its_request(raw, where, buckets, bucket):
    first = raw.query_vectors(**where, queryVector=QUERY, topK=250)
    filtered = raw.query_vectors(**where, queryVector=QUERY, topK=250, filter={"even": True})
    other = buckets.index(bucket, dimension=2, metric="euclidean")
    put_all(raw, other, [{"key": key, "data": {"float32": [float(i), 0.0]}} for i, key in enumerate(KEYS)])
    for index, change, token in (
        (where, {"topK": 249}, first["nextToken"]),
        (where, {"topK": 10000}, first["nextToken"]),
        (where, {"filter": {"even": True}}, first["nextToken"]),
        (where, {"filter": {"even": False}}, filtered["nextToken"]),
        (where, {"queryVector": {"float32": [-2.0, 0.0]}}, first["nextToken"]),
        (where, {"queryMode": "ENHANCED"}, first["nextToken"]),
        (other, {}, first["nextToken"]),  # another index, with the same vectors
    ):
        params = {"queryVector": QUERY, "topK": 250} | change
        assert error_of(raw.query_vectors, **index, **params, nextToken=token)[:3] == BAD_TOKEN, change


@pytest.mark.decision("decision-query-results")
def test_forged_query_tokens(raw, where):
    token = raw.query_vectors(**where, queryVector=QUERY, topK=250)["nextToken"]
    stem = token.rsplit(".", 1)[0]
    for forged in (
        token + "x",
        token[:-3] + "999",
        stem + ".0",
        stem + ".50",
        stem + ".-100",
        "forged",
        "abc.100",
        ".100",
        "x" * 4096,
        "🙂",
    ):
        assert error_of(raw.query_vectors, **where, queryVector=QUERY, topK=250, nextToken=forged)[:3] == BAD_TOKEN, (
            forged
        )


@pytest.mark.decision("decision-query-results")
def test_query_token_can_be_used_again(client, where):
    first = client.query_vectors(**where, queryVector=QUERY, topK=COUNT)
    again = [client.query_vectors(**where, queryVector=QUERY, topK=COUNT, nextToken=first["nextToken"]) for _ in "ab"]
    assert [v["key"] for v in again[0]["vectors"]] == [v["key"] for v in again[1]["vectors"]] == KEYS[100:200]


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
    # A new query sees the writes.
    fresh = [v["key"] for page in query_pages(client, where, topK=150) for v in page["vectors"]]
    assert fresh == ["closest"] + KEYS[:149]
