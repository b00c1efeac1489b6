"""Metadata: value types, key names, the 50-key, 2 KB filterable and 40 KB total limits (behaviour.md#limits,
behaviour.md#metadata)."""

from __future__ import annotations

import pytest

from conformance.helpers import error_of, unit

TYPES = "Metadata values must be strings, numbers, booleans, or arrays"
ARRAYS = "Metadata array values must be strings or numbers"
EMPTY = "Empty arrays are not allowed in metadata"
FILTERABLE = "Filterable metadata must have at most 2048 bytes"
TOTAL = "Metadata object must have at most 40960 bytes"


@pytest.fixture
def where(buckets, bucket):
    return buckets.index(bucket, metadataConfiguration={"nonFilterableMetadataKeys": ["bulk", "nf"]})


def put(client, where, metadata, key="k"):
    return client.put_vectors(**where, vectors=[{"key": key, "data": unit(4), "metadata": metadata}])


def stored(client, where, key="k"):
    return client.get_vectors(**where, keys=[key], returnMetadata=True)["vectors"][0]["metadata"]


def refused(client, where, metadata, message):
    err = error_of(put, client, where, metadata)
    assert err[:3] == ("ValidationException", f"Invalid record for key 'k': {message}", 400)
    assert err.fields == [{"path": "vectors[0].metadata", "message": message}]


@pytest.mark.ref("metadata")
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": 1}, TYPES),
        (None, TYPES),
        ([{"a": 1}], ARRAYS),
        ([["a"]], ARRAYS),
        ([True, False], ARRAYS),
        ([1, "a"], ARRAYS),
        (["a", 1], ARRAYS),
        ([], EMPTY),
    ],
    ids=[
        "object",
        "null",
        "array-of-objects",
        "array-of-arrays",
        "array-of-booleans",
        "mixed-number-first",
        "mixed-string-first",
        "empty-array",
    ],
)
@pytest.mark.parametrize("key", ["m", "nf"], ids=["filterable", "non-filterable"])
def test_refused_value_types(client, where, key, value, message):
    refused(client, where, {key: value}, message)


@pytest.mark.ref("errors-field-list")
def test_the_error_names_the_failing_record(client, where):
    err = error_of(
        client.put_vectors,
        **where,
        vectors=[
            {"key": "a", "data": unit(4), "metadata": {"m": 1}},
            {"key": "b", "data": unit(4), "metadata": {"m": []}},
        ],
    )
    assert err[:3] == ("ValidationException", f"Invalid record for key 'b': {EMPTY}", 400)
    assert err.fields == [{"path": "vectors[1].metadata", "message": EMPTY}]


@pytest.mark.ref("metadata")
def test_accepted_value_types_round_trip(client, where):
    metadata = {
        "strings": ["a", "b"],
        "numbers": [1, 2.5],
        "empty-string-element": [""],
        "dups": ["dup", "dup"],
        "empty": "",
        "zero": 0,
        "negative": -1.5,
        "yes": True,
        "no": False,
        "nf": ["x", "y"],
    }
    put(client, where, metadata)
    assert stored(client, where) == metadata


@pytest.mark.ref("metadata")
def test_unusual_key_names_are_accepted(client, where):
    metadata = {"": "empty", "$eq": "dollar", "a.b": "dot", "k" * 1024: "long"}
    put(client, where, metadata)
    assert stored(client, where) == metadata


@pytest.mark.ref("limits")
def test_fifty_keys_accepted_fifty_one_refused(client, where):
    put(client, where, {f"m{i}": i for i in range(50)})
    assert len(stored(client, where)) == 50
    refused(client, where, {f"m{i}": i for i in range(51)}, "Metadata object must have at most 50 keys")


# The size model (behaviour.md#metadata): 4 + Σ(8 + len(key) + value), string = UTF-8 bytes, number = 4, boolean = 0,
# array = Σ(4 + element). Each shape below is exactly 2,048 bytes; adding one byte to it makes 2,049.
FILTERABLE_SHAPES = {
    "one-string": lambda extra: {"f": "x" * (2035 + extra)},
    "string-number-boolean": lambda extra: {"s": "x" * (2035 - 13 - 9 + extra), "n": 12345.678, "b": True},
    "array-of-strings": lambda extra: {"arr": ["x" * 1000, "y" * (2048 - 4 - 11 - 4 - 1000 - 4 + extra)]},
    "array-of-numbers": lambda extra: {"nums": [1, 2, 3], "s": "x" * (2048 - 4 - 12 - 24 - 9 + extra)},
    "two-byte-characters": lambda extra: {"f": "é" * 1017 + "x" * (1 + extra)},
}


@pytest.mark.ref("metadata")
@pytest.mark.parametrize("shape", FILTERABLE_SHAPES, ids=list(FILTERABLE_SHAPES))
def test_filterable_limit_at_2048_bytes(client, where, shape):
    put(client, where, FILTERABLE_SHAPES[shape](0))
    refused(client, where, FILTERABLE_SHAPES[shape](1), FILTERABLE)


@pytest.mark.ref("metadata")
def test_non_filterable_bytes_do_not_count_as_filterable(client, where):
    put(client, where, {"f": "x" * 2035, "bulk": "y" * 30000})
    assert len(stored(client, where)["bulk"]) == 30000


@pytest.mark.ref("metadata")
def test_total_limit_at_40960_bytes(client, where):
    put(client, where, {"bulk": "x" * 40944})
    refused(client, where, {"bulk": "x" * 40945}, TOTAL)


@pytest.mark.ref("metadata")
def test_total_limit_counts_filterable_keys_too(client, where):
    # 4 + (8 + 1 + 2000) + (8 + 4 + 38935) = 40960
    put(client, where, {"f": "x" * 2000, "bulk": "y" * 38935})
    refused(client, where, {"f": "x" * 2000, "bulk": "y" * 38936}, TOTAL)


@pytest.mark.decision("compat")
def test_metadata_that_is_not_an_object(raw, where):
    err = error_of(raw.put_vectors, **where, vectors=[{"key": "k", "data": unit(4), "metadata": ["not", "object"]}])
    assert err[:3] == ("ValidationException", "Invalid record for key 'k': Metadata must be an object", 400)
