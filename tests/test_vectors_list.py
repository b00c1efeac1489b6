"""ListVectors through boto3 against the HTTP server: pages, segments, tokens (behaviour.md#limits,
behaviour.md#listing; behaviour.md#decision-duplicates-and-order)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import error_of

BUCKET = "list-bucket"
WHERE = {"vectorBucketName": BUCKET, "indexName": "idx"}


@pytest.fixture
def index(client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    client.create_index(**WHERE, dataType="float32", dimension=2, distanceMetric="euclidean")
    return WHERE


def put_many(client, keys, where=WHERE):
    keys = list(keys)
    for start in range(0, len(keys), 500):
        client.put_vectors(
            **where,
            vectors=[
                {"key": k, "data": {"float32": [float(i), 1.0]}} for i, k in enumerate(keys[start : start + 500], start)
            ],
        )


def walk(client, max_pages=1000, **params):
    """Every page of one listing, following nextToken by hand (bounded, so a loop fails, not hangs)."""
    pages = []
    token = None
    for _ in range(max_pages):
        page = client.list_vectors(**WHERE, **params, **({"nextToken": token} if token else {}))
        pages.append(page)
        token = page.get("nextToken")
        if token is None:
            return pages
    raise AssertionError(f"listing did not end within {max_pages} pages")


def keys_of(pages):
    return [v["key"] for page in pages for v in page["vectors"]]


def validation_error(client, **params):
    with pytest.raises(ClientError) as exc:
        client.list_vectors(**WHERE, **params)
    code, _, status, _ = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    return error_of(exc)


KEYS_1203 = [f"key-{i:05}" for i in range(1203)]


@pytest.fixture
def big(client, index):
    put_many(client, KEYS_1203)
    return index


def test_empty_index(client, index):
    page = client.list_vectors(**index)
    assert page["vectors"] == [] and "nextToken" not in page


def test_default_page_is_500(client, big):
    pages = walk(client)
    assert [len(p["vectors"]) for p in pages] == [500, 500, 203]
    assert all("nextToken" in p for p in pages[:-1]) and "nextToken" not in pages[-1]
    assert sorted(keys_of(pages)) == KEYS_1203 and len(set(keys_of(pages))) == 1203
    assert all(set(v) == {"key"} for p in pages for v in p["vectors"])


def test_max_results_bounds(client, big):
    pages = walk(client, maxResults=1000)
    assert [len(p["vectors"]) for p in pages] == [1000, 203]
    assert sorted(keys_of(pages)) == KEYS_1203
    one = client.list_vectors(**big, maxResults=1)
    assert len(one["vectors"]) == 1 and "nextToken" in one
    _, message, _, _ = validation_error(client, maxResults=1001)
    assert "Member must be between 1 and 1000, inclusive" in message


def test_exact_page_boundary_has_no_trailing_token(client, index):
    put_many(client, [f"k{i:02}" for i in range(20)])
    pages = walk(client, maxResults=10)
    assert [len(p["vectors"]) for p in pages] == [10, 10]
    assert "nextToken" not in pages[-1]


def test_paginator_walks_everything_once(client, big):
    seen = [v["key"] for page in client.get_paginator("list_vectors").paginate(**big) for v in page["vectors"]]
    assert len(seen) == 1203 and sorted(seen) == KEYS_1203
    small = [
        v["key"]
        for page in client.get_paginator("list_vectors").paginate(**big, PaginationConfig={"PageSize": 97})
        for v in page["vectors"]
    ]
    assert len(small) == 1203 and sorted(small) == KEYS_1203


def test_order_is_stable_while_unchanged(client, big):
    # behaviour.md#decision-duplicates-and-order: any order, but the same one while the index is unchanged.
    assert keys_of(walk(client, maxResults=300)) == keys_of(walk(client, maxResults=300))


# Keys of at most 15 bytes here; longer keys have their own test below.
SEGMENT_KEYS = [f"s{i:04}" for i in range(150)] + ["中文", "😀", "a.b", "UPPER", "x" * 15]


@pytest.mark.parametrize("count", range(1, 17))
def test_segments_are_disjoint_and_cover(client, index, count):
    put_many(client, SEGMENT_KEYS)
    segments = []
    for segment in range(count):
        pages = walk(client, segmentCount=count, segmentIndex=segment, maxResults=7)
        assert all(len(p["vectors"]) <= 7 for p in pages)
        assert all(len(p["vectors"]) == 7 for p in pages if "nextToken" in p)
        keys = keys_of(pages)
        assert len(keys) == len(set(keys)), f"segment {segment}/{count} repeats a key"
        segments.append(set(keys))
    union = set().union(*segments)
    assert union == set(SEGMENT_KEYS)
    assert sum(len(s) for s in segments) == len(SEGMENT_KEYS), "segments overlap"


def test_segments_with_paginator(client, index):
    put_many(client, SEGMENT_KEYS)
    found = []
    for segment in range(4):
        for page in client.get_paginator("list_vectors").paginate(
            **index, segmentCount=4, segmentIndex=segment, PaginationConfig={"PageSize": 5}
        ):
            found += [v["key"] for v in page["vectors"]]
    assert sorted(found) == sorted(SEGMENT_KEYS)


@pytest.mark.parametrize(
    "params",
    [{"segmentCount": 4}, {"segmentIndex": 0}, {"segmentIndex": 2}],
    ids=["count-only", "index-0-only", "index-only"],
)
def test_segment_members_come_together(client, index, params):
    validation_error(client, **params)


@pytest.mark.parametrize(("count", "segment"), [(1, 1), (4, 4), (4, 7), (16, 16), (17, 0), (2, 16)])
def test_segment_index_below_count(client, index, count, segment):
    validation_error(client, segmentCount=count, segmentIndex=segment)


def test_token_bound_to_its_segment(client, index):
    put_many(client, SEGMENT_KEYS)
    page = client.list_vectors(**index, segmentCount=4, segmentIndex=1, maxResults=3)
    token = page["nextToken"]
    validation_error(client, segmentCount=4, segmentIndex=2, maxResults=3, nextToken=token)
    validation_error(client, segmentCount=2, segmentIndex=1, maxResults=3, nextToken=token)
    validation_error(client, maxResults=3, nextToken=token)  # a segment token on a plain listing
    plain = client.list_vectors(**index, maxResults=3)["nextToken"]
    validation_error(client, segmentCount=4, segmentIndex=0, maxResults=3, nextToken=plain)
    # The right segment accepts it.
    assert client.list_vectors(**index, segmentCount=4, segmentIndex=1, maxResults=3, nextToken=token)["vectors"]


@pytest.mark.parametrize("token", ["garbage", "!!!not-base64!!!", "eyJmb28iOiAxfQ==", "W10=", "bnVsbA==", "A" * 64])
def test_malformed_token(client, index, token):
    put_many(client, ["a", "b", "c"])
    validation_error(client, nextToken=token)


def test_writes_between_pages(client, index):
    # behaviour.md#decision-duplicates-and-order: a vector that existed, unchanged, throughout a listing is returned
    # exactly once.
    put_many(client, [f"k{i:03}" for i in range(0, 200, 2)])  # even keys
    seen = []
    page = client.list_vectors(**index, maxResults=10)
    seen += [v["key"] for v in page["vectors"]]
    deleted, overwritten, added = set(), set(), set()
    step = 0
    while "nextToken" in page:
        step += 1
        # Interleave writes: new odd keys everywhere, delete and overwrite some existing even keys.
        new = [f"k{i:03}" for i in range(step, 200, 37) if i % 2]
        put_many(client, new)
        added.update(new)
        victim = f"k{(step * 26) % 200:03}"
        client.delete_vectors(**index, keys=[victim])
        deleted.add(victim)
        changed = f"k{(step * 14 + 100) % 200:03}"
        client.put_vectors(**index, vectors=[{"key": changed, "data": {"float32": [9.0, 9.0]}}])
        overwritten.add(changed)
        page = client.list_vectors(**index, maxResults=10, nextToken=page["nextToken"])
        seen += [v["key"] for v in page["vectors"]]
    stable = {f"k{i:03}" for i in range(0, 200, 2)} - deleted - overwritten
    assert step > 3
    for key in stable:
        assert seen.count(key) == 1, key
    assert len(seen) == len(set(seen))
    assert set(seen) <= {f"k{i:03}" for i in range(200)}


def test_return_data_and_metadata(client, index):
    client.put_vectors(
        **index,
        vectors=[
            {"key": "a", "data": {"float32": [0.1, 2.0]}, "metadata": {"genre": "x", "n": [1, 2]}},
            {"key": "b", "data": {"float32": [3.0, -4.0]}},
        ],
    )

    def by_key(page):
        return sorted(page["vectors"], key=lambda v: v["key"])

    assert by_key(client.list_vectors(**index)) == [{"key": "a"}, {"key": "b"}]
    assert by_key(client.list_vectors(**index, returnData=True)) == [
        {"key": "a", "data": {"float32": [0.10000000149011612, 2.0]}},
        {"key": "b", "data": {"float32": [3.0, -4.0]}},
    ]
    assert by_key(client.list_vectors(**index, returnMetadata=True)) == [
        {"key": "a", "metadata": {"genre": "x", "n": [1, 2]}},
        {"key": "b", "metadata": {}},
    ]
    assert by_key(
        client.list_vectors(**index, returnData=True, returnMetadata=True, segmentCount=1, segmentIndex=0)
    ) == [
        {"key": "a", "data": {"float32": [0.10000000149011612, 2.0]}, "metadata": {"genre": "x", "n": [1, 2]}},
        {"key": "b", "data": {"float32": [3.0, -4.0]}, "metadata": {}},
    ]


LONG_KEYS = [f"document-key-{i:05}" for i in range(60)] + ["short", "x" * 300, "中" * 20, "😀" * 5]


@pytest.mark.parametrize("count", [1, 3])
def test_long_keys_paginate_exactly_once(client, index, count):
    # behaviour.md#decision-duplicates-and-order: every vector present and unchanged through a listing is returned
    # exactly once, whatever its key.
    put_many(client, LONG_KEYS)
    found = []
    for segment in range(count):
        found += keys_of(walk(client, max_pages=100, segmentCount=count, segmentIndex=segment, maxResults=7))
    assert sorted(found) == sorted(LONG_KEYS)
