"""PutVectors, GetVectors and DeleteVectors through boto3 against the HTTP server.

behaviour.md#limits (limits), behaviour.md#vectors-keys, behaviour.md#metadata (size model),
behaviour.md#vectors-overwrite, behaviour.md#vectors-float32, behaviour.md#vectors-zero-norm,
behaviour.md#errors-catalogue; decisions behaviour.md#decision-duplicates-and-order (duplicates, order),
behaviour.md#decision-deleting-absent (absent deletes), behaviour.md#decision-unseen-messages (list-length
messages), behaviour.md#decision-consistency (writes visible at once).  Tests of a decision rather than a sourced AWS
fact say so.
"""

from __future__ import annotations

import numpy as np
import pytest
from botocore.exceptions import ClientError
from conftest import error_of

BUCKET = "vec-bucket"
COS = {"vectorBucketName": BUCKET, "indexName": "cos"}
EUC = {"vectorBucketName": BUCKET, "indexName": "euc"}
INDEX_ARN = f"arn:aws:s3vectors:us-east-1:123456789012:bucket/{BUCKET}/index/cos"
FLT_MAX = float(np.finfo(np.float32).max)  # 3.4028234663852886e38

INDEX_NOT_FOUND = ("NotFoundException", "The specified index could not be found", 404)
INDEX_EITHER = "Must specify either indexArn or both vectorBucketName and indexName"
MSG_VALUE_TYPES = "Metadata values must be strings, numbers, booleans, or arrays"
MSG_ARRAY_TYPES = "Metadata array values must be strings or numbers"
MSG_EMPTY_ARRAY = "Empty arrays are not allowed in metadata"
MSG_ZERO = "cosine distance does not support vectors with zero norm"
MSG_NAN = "vector contains NaNs or Infs"
MSG_KEY_BYTES = "Record key length exceeds the maximum allowed"


@pytest.fixture
def index(client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    for name, metric in (("cos", "cosine"), ("euc", "euclidean")):
        client.create_index(
            vectorBucketName=BUCKET,
            indexName=name,
            dataType="float32",
            dimension=4,
            distanceMetric=metric,
            metadataConfiguration={"nonFilterableMetadataKeys": ["bulk"]},
        )
    return COS


def rec(key, values=(1.0, 2.0, 3.0, 4.0), metadata=None):
    record = {"key": key, "data": {"float32": list(values)}}
    if metadata is not None:
        record["metadata"] = metadata
    return record


def put_error(client, vectors, where=COS):
    with pytest.raises(ClientError) as exc:
        client.put_vectors(**where, vectors=vectors)
    return error_of(exc)


def invalid_record(key, detail, path):
    message = f"Invalid record for key '{key}': {detail}"
    return ("ValidationException", message, 400, [{"path": path, "message": detail}])


def get_one(client, key, where=COS):
    got = client.get_vectors(**where, keys=[key], returnData=True, returnMetadata=True)["vectors"]
    assert len(got) == 1 and got[0]["key"] == key
    return got[0]


def all_keys(client, where=COS):
    return sorted(v["key"] for page in client.get_paginator("list_vectors").paginate(**where) for v in page["vectors"])


# -- vector data ---------------------------------------------------------------------------------


def test_dimension_mismatch(client, index):
    assert put_error(client, [rec("k", [1.0, 2.0, 3.0])]) == invalid_record(
        "k", "vector must have length 4, but has length 3", "vectors[0]"
    )
    assert put_error(client, [rec("ok"), rec("k", [1.0] * 5)]) == invalid_record(
        "k", "vector must have length 4, but has length 5", "vectors[1]"
    )


@pytest.mark.parametrize(
    "bad", [float("nan"), float("inf"), float("-inf"), 1e39, -1e39], ids=["nan", "inf", "-inf", "1e39", "-1e39"]
)
def test_nan_and_inf_refused(client, index, bad):
    # behaviour.md#metadata: values become float32 first, so 1e39 overflows to inf and is refused as such.
    assert put_error(client, [rec("k", [1.0, bad, 0.0, 0.0])]) == invalid_record("k", MSG_NAN, "vectors[0]")
    assert put_error(client, [rec("k", [1.0, bad, 0.0, 0.0])], EUC) == invalid_record("k", MSG_NAN, "vectors[0]")


def test_float32_extremes_read_back(client, index):
    client.put_vectors(
        **index, vectors=[rec("max", [3.4028235e38, -3.4028235e38, 1.0, 0.1]), rec("tiny", [1.5e-45, 1.0, 0.0, 0.0])]
    )
    assert get_one(client, "max")["data"]["float32"] == [FLT_MAX, -FLT_MAX, 1.0, 0.10000000149011612]
    assert get_one(client, "tiny")["data"]["float32"] == [float(np.float32(1.5e-45)), 1.0, 0.0, 0.0]
    assert float(np.float32(1.5e-45)) == 2.0**-149  # the smallest subnormal


def test_integers_inside_float32_arrays(client, index):
    client.put_vectors(**index, vectors=[rec("ints", [1, 2, -3, 0])])
    assert get_one(client, "ints")["data"]["float32"] == [1.0, 2.0, -3.0, 0.0]


def test_zero_vector_refused_on_cosine_accepted_on_euclidean(client, index):
    assert put_error(client, [rec("zero", [0.0] * 4)]) == invalid_record("zero", MSG_ZERO, "vectors[0]")
    client.put_vectors(**EUC, vectors=[rec("zero", [0.0] * 4)])
    assert get_one(client, "zero", EUC)["data"]["float32"] == [0.0] * 4
    assert all_keys(client) == []


def test_components_rounding_to_zero_are_a_zero_vector(client, index):
    # behaviour.md#metadata: 1e-46 rounds to 0 in float32, so the vector has zero norm.
    assert put_error(client, [rec("z", [1e-46] * 4)]) == invalid_record("z", MSG_ZERO, "vectors[0]")


# -- vector keys ---------------------------------------------------------------------------------


def test_key_of_1024_characters_accepted_1025_refused(client, index):
    client.put_vectors(**index, vectors=[rec("k" * 1024)])
    assert get_one(client, "k" * 1024)["key"] == "k" * 1024
    code, message, status, _ = put_error(client, [rec("a" * 1025)])
    assert (code, message, status) == (
        "ValidationException",
        "1 validation error detected. Value with length 1025 at '/vectors/0/key' failed to satisfy constraint: "
        "Member must have length between 1 and 1024, inclusive",
        400,
    )


def test_key_bytes_bounded_at_1024(client, index):
    code, message, status, _ = put_error(client, [rec("中" * 342)])  # 342 chars, 1,026 bytes
    assert (code, message, status) == ("ValidationException", MSG_KEY_BYTES, 400)
    code, message, status, _ = put_error(client, [rec("😀" * 512)])  # 1,024 UTF-16 units, 2,048 bytes
    assert (code, message, status) == ("ValidationException", MSG_KEY_BYTES, 400)
    client.put_vectors(**index, vectors=[rec("😀" * 256), rec("中" * 341 + "a")])  # 1,024 bytes each
    assert all_keys(client) == sorted(["😀" * 256, "中" * 341 + "a"])


@pytest.mark.parametrize("operation", ["get_vectors", "delete_vectors"])
def test_key_byte_check_on_get_and_delete(client, index, operation):
    client.put_vectors(**index, vectors=[rec("😀" * 256)])
    with pytest.raises(ClientError) as exc:
        getattr(client, operation)(**index, keys=["x", "中" * 342])
    assert error_of(exc)[:3] == ("ValidationException", MSG_KEY_BYTES, 400)
    getattr(client, operation)(**index, keys=["😀" * 256])  # exactly 1,024 bytes is fine
    assert all_keys(client) == ([] if operation == "delete_vectors" else ["😀" * 256])


# -- metadata types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ({"a": 1}, MSG_VALUE_TYPES),
        (None, MSG_VALUE_TYPES),
        ([{"a": 1}], MSG_ARRAY_TYPES),
        ([True, False], MSG_ARRAY_TYPES),
        ([1, "a"], MSG_ARRAY_TYPES),
        (["a", 1], MSG_ARRAY_TYPES),
        ([["a"]], MSG_ARRAY_TYPES),
        ([], MSG_EMPTY_ARRAY),
    ],
    ids=[
        "nested-object",
        "null",
        "array-of-objects",
        "array-of-booleans",
        "mixed-1a",
        "mixed-a1",
        "array-of-arrays",
        "empty-array",
    ],
)
@pytest.mark.parametrize("key", ["m", "bulk"], ids=["filterable", "non-filterable"])
def test_metadata_value_types_refused(client, index, value, detail, key):
    # behaviour.md#metadata: the type rules apply under non-filterable keys too.
    assert put_error(client, [rec("k", metadata={"ok": "x", key: value})]) == invalid_record(
        "k", detail, "vectors[0].metadata"
    )
    assert all_keys(client) == []


def test_metadata_error_names_the_offending_record(client, index):
    assert put_error(client, [rec("a", metadata={"m": 1}), rec("b", metadata={"m": []})]) == invalid_record(
        "b", MSG_EMPTY_ARRAY, "vectors[1].metadata"
    )


def test_metadata_values_and_keys_accepted(client, index):
    metadata = {
        "strings": ["a", "b"],
        "numbers": [1, 2.5],
        "empty-string-element": [""],
        "dups": ["dup", "dup"],
        "empty": "",
        "zero": 0,
        "negative": -1.5,
        "t": True,
        "f": False,
        "": "empty key",
        "$eq": "dollar key",
        "a.b": 2,
        "k" * 1024: "long key",
        "bulk": ["non", "filterable"],
    }
    client.put_vectors(**index, vectors=[rec("k", metadata=metadata)])
    assert get_one(client, "k")["metadata"] == metadata


def test_fifty_metadata_keys_accepted_fifty_one_refused(client, index):
    fifty = {f"k{i}": i for i in range(50)}
    client.put_vectors(**index, vectors=[rec("k", metadata=fifty)])
    assert get_one(client, "k")["metadata"] == fifty
    assert put_error(client, [rec("k", metadata=fifty | {"k50": 50})]) == invalid_record(
        "k", "Metadata object must have at most 50 keys", "vectors[0].metadata"
    )
    assert get_one(client, "k")["metadata"] == fifty


FILTERABLE = "Filterable metadata must have at most 2048 bytes"
TOTAL = "Metadata object must have at most 40960 bytes"


@pytest.mark.parametrize(
    ("metadata", "detail"),
    [
        # size = 4 + Σ(8 + utf8len(key) + valueSize); string → bytes, number → 4, bool → 0, array → Σ(4 + elem)
        ({"f": "x" * 2035}, None),
        ({"f": "x" * 2036}, FILTERABLE),
        ({"f": "x" * 2022, "n": 123456789}, None),
        ({"f": "x" * 2023, "n": 1}, FILTERABLE),
        ({"f": "x" * 2026, "b": True}, None),
        ({"f": "x" * 2027, "b": False}, FILTERABLE),
        ({"f": ["x" * 2031]}, None),
        ({"f": ["x" * 2032]}, FILTERABLE),
        ({"f": "é" * 1017}, None),
        ({"f": "é" * 1018}, FILTERABLE),
        ({"bulk": "x" * 40944}, None),
        ({"bulk": "x" * 40945}, TOTAL),
        ({"bulk": "x" * 40944, "f": "y"}, TOTAL),
        ({"bulk": "x" * 38000, "f": "x" * 2035}, None),
    ],
    ids=[
        "f2035",
        "f2036",
        "str+num-ok",
        "str+num-over",
        "str+bool-ok",
        "str+bool-over",
        "array-ok",
        "array-over",
        "utf8-ok",
        "utf8-over",
        "bulk40944",
        "bulk40945",
        "bulk+f-over",
        "both-near-limits",
    ],
)
def test_metadata_size_model(client, index, metadata, detail):
    if detail is None:
        client.put_vectors(**index, vectors=[rec("k", metadata=metadata)])
        assert get_one(client, "k")["metadata"] == metadata
    else:
        assert put_error(client, [rec("k", metadata=metadata)]) == invalid_record("k", detail, "vectors[0].metadata")
        assert all_keys(client) == []


# -- batches, duplicates, overwrite ----------------------------------------------------------------


def test_all_or_nothing(client, index):
    client.put_vectors(**index, vectors=[rec("a", [1, 1, 1, 1], {"v": 1})])
    bad_batch = [rec("a", [2, 2, 2, 2], {"v": 2}), rec("b"), rec("c", metadata={"m": None})]
    assert put_error(client, bad_batch) == invalid_record("c", MSG_VALUE_TYPES, "vectors[2].metadata")
    assert all_keys(client) == ["a"]
    assert get_one(client, "a") == {"key": "a", "data": {"float32": [1.0] * 4}, "metadata": {"v": 1}}
    assert put_error(client, [rec("b"), rec("c"), rec("d", [0, 0, 0, 0])])[1].startswith("Invalid record for key 'd'")
    assert all_keys(client) == ["a"]


def test_duplicate_keys_in_one_put_last_wins(client, index):
    # behaviour.md#decision-duplicates-and-order (a decision: AWS never said): the last occurrence of a key wins.
    client.put_vectors(
        **index,
        vectors=[rec("k", [1, 0, 0, 0], {"v": "first", "x": 1}), rec("other"), rec("k", [0, 1, 0, 0], {"v": "last"})],
    )
    assert get_one(client, "k") == {"key": "k", "data": {"float32": [0.0, 1.0, 0.0, 0.0]}, "metadata": {"v": "last"}}
    assert all_keys(client) == ["k", "other"]


def test_duplicate_keys_are_all_validated(client, index):
    # The request is all-or-nothing: an invalid earlier occurrence fails it even if a later one is fine.
    assert put_error(client, [rec("k", [0, 0, 0, 0]), rec("k")]) == invalid_record("k", MSG_ZERO, "vectors[0]")
    assert all_keys(client) == []


def test_overwrite_replaces_vector_and_metadata(client, index):
    client.put_vectors(**index, vectors=[rec("k", [1, 2, 3, 4], {"a": 1, "b": "x"})])
    client.put_vectors(**index, vectors=[rec("k", [4, 3, 2, 1], {"c": True})])
    assert get_one(client, "k") == {"key": "k", "data": {"float32": [4.0, 3.0, 2.0, 1.0]}, "metadata": {"c": True}}
    client.put_vectors(**index, vectors=[rec("k", [5, 5, 5, 5])])  # no metadata at all: none kept
    assert get_one(client, "k") == {"key": "k", "data": {"float32": [5.0] * 4}, "metadata": {}}
    result = client.query_vectors(
        **index, queryVector={"float32": [4, 3, 2, 1]}, topK=5, returnMetadata=True, filter={"c": True}
    )
    assert result["vectors"] == []


# -- list-length limits (behaviour.md#decision-unseen-messages wording)
# --------------------------------------------------------------


def coral_length(n, path, high):
    return (
        f"1 validation error detected. Value with length {n} at '{path}' failed to satisfy constraint: "
        f"Member must have length between 1 and {high}, inclusive"
    )


def test_put_500_vectors_accepted_501_refused(client, index):
    client.put_vectors(**index, vectors=[rec(f"v{i}", [i + 1, 1, 1, 1]) for i in range(500)])
    assert len(all_keys(client)) == 500
    code, message, status, _ = put_error(client, [rec(f"w{i}") for i in range(501)])
    assert (code, message, status) == ("ValidationException", coral_length(501, "/vectors", 500), 400)
    assert len(all_keys(client)) == 500


def test_get_100_keys_accepted_101_refused(client, index):
    client.put_vectors(**index, vectors=[rec(f"v{i:03}") for i in range(101)])
    keys = [f"v{i:03}" for i in range(101)]
    assert [v["key"] for v in client.get_vectors(**index, keys=keys[:100])["vectors"]] == keys[:100]
    with pytest.raises(ClientError) as exc:
        client.get_vectors(**index, keys=keys)
    assert error_of(exc)[:3] == ("ValidationException", coral_length(101, "/keys", 100), 400)


def test_delete_500_keys_accepted_501_refused(client, index):
    client.put_vectors(**index, vectors=[rec(f"v{i}") for i in range(3)])
    with pytest.raises(ClientError) as exc:
        client.delete_vectors(**index, keys=[f"v{i}" for i in range(501)])
    assert error_of(exc)[:3] == ("ValidationException", coral_length(501, "/keys", 500), 400)
    assert all_keys(client) == ["v0", "v1", "v2"]
    client.delete_vectors(**index, keys=[f"v{i}" for i in range(500)])
    assert all_keys(client) == []


# -- GetVectors ----------------------------------------------------------------------------------


def test_get_vectors_order_absent_duplicates(client, index):
    client.put_vectors(**index, vectors=[rec(k, metadata={"k": k}) for k in ("a", "b", "c", "d")])
    got = client.get_vectors(**index, keys=["d", "zz", "b", "d", "a", "b"])["vectors"]
    assert got == [
        {"key": "d"},
        {"key": "b"},
        {"key": "a"},
    ]  # behaviour.md#decision-duplicates-and-order: request order, absent omitted, dups collapsed
    assert client.get_vectors(**index, keys=["nope", "nada"])["vectors"] == []


def test_get_vectors_data_and_metadata_only_when_asked(client, index):
    client.put_vectors(**index, vectors=[rec("m", [1, 2, 3, 4], {"g": "x"}), rec("plain", [0.1, 0, 0, 0])])
    keys = ["m", "plain"]
    assert client.get_vectors(**index, keys=keys)["vectors"] == [{"key": "m"}, {"key": "plain"}]
    assert client.get_vectors(**index, keys=keys, returnData=False, returnMetadata=False)["vectors"] == [
        {"key": "m"},
        {"key": "plain"},
    ]
    assert client.get_vectors(**index, keys=keys, returnData=True)["vectors"] == [
        {"key": "m", "data": {"float32": [1.0, 2.0, 3.0, 4.0]}},
        {"key": "plain", "data": {"float32": [0.10000000149011612, 0.0, 0.0, 0.0]}},
    ]
    assert client.get_vectors(**index, keys=keys, returnMetadata=True)["vectors"] == [
        {"key": "m", "metadata": {"g": "x"}},
        {"key": "plain", "metadata": {}},
    ]


def test_write_visible_at_once_through_arn(client, index):
    # behaviour.md#decision-consistency: a write is visible to the next read, whether it names the index by name or by
    # ARN.
    client.put_vectors(indexArn=INDEX_ARN, vectors=[rec("k", metadata={"x": 1})])
    assert get_one(client, "k")["metadata"] == {"x": 1}
    assert client.get_vectors(indexArn=INDEX_ARN, keys=["k"])["vectors"] == [{"key": "k"}]
    client.delete_vectors(indexArn=INDEX_ARN, keys=["k"])
    assert client.get_vectors(**index, keys=["k"])["vectors"] == []


# -- DeleteVectors -------------------------------------------------------------------------------


def test_delete_absent_keys_is_ok(client, index):
    client.put_vectors(**index, vectors=[rec("a"), rec("b")])
    response = client.delete_vectors(**index, keys=["zz", "a", "a", "yy"])  # behaviour.md#decision-deleting-absent
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert all_keys(client) == ["b"]
    client.delete_vectors(**index, keys=["a"])
    assert all_keys(client) == ["b"]


# -- missing index or bucket, name-or-ARN ----------------------------------------------------------

DATA_PLANE = {
    "put_vectors": {"vectors": [rec("k")]},
    "get_vectors": {"keys": ["k"]},
    "delete_vectors": {"keys": ["k"]},
    "list_vectors": {},
    "query_vectors": {"queryVector": {"float32": [1.0, 0.0, 0.0, 0.0]}, "topK": 1},
}


@pytest.mark.parametrize("operation", sorted(DATA_PLANE))
@pytest.mark.parametrize(
    "where",
    [
        {"vectorBucketName": BUCKET, "indexName": "missing"},
        {"vectorBucketName": "no-such-bucket", "indexName": "cos"},
        {"indexArn": f"arn:aws:s3vectors:us-east-1:123456789012:bucket/{BUCKET}/index/missing"},
        {"indexArn": "arn:aws:s3vectors:us-east-1:123456789012:bucket/no-such-bucket/index/cos"},
    ],
    ids=["missing-index", "missing-bucket", "missing-index-arn", "missing-bucket-arn"],
)
def test_missing_index_or_bucket(client, index, operation, where):
    with pytest.raises(ClientError) as exc:
        getattr(client, operation)(**where, **DATA_PLANE[operation])
    assert error_of(exc)[:3] == INDEX_NOT_FOUND


@pytest.mark.parametrize("operation", sorted(DATA_PLANE))
@pytest.mark.parametrize(
    "where",
    [
        {"vectorBucketName": BUCKET, "indexName": "cos", "indexArn": INDEX_ARN},
        {"indexName": "cos", "indexArn": INDEX_ARN},
        {"vectorBucketName": BUCKET, "indexArn": INDEX_ARN},
        {"vectorBucketName": BUCKET},
        {"indexName": "cos"},
        {},
    ],
    ids=["all-three", "name-and-arn", "bucket-and-arn", "bucket-only", "index-only", "neither"],
)
def test_name_or_arn_either_or(client, index, operation, where):
    with pytest.raises(ClientError) as exc:
        getattr(client, operation)(**where, **DATA_PLANE[operation])
    assert error_of(exc)[:3] == ("ValidationException", INDEX_EITHER, 400)
