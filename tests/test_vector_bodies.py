"""PutVectors bodies read by simdjson (protocol/vector_bodies.py) give what orjson and the validator give: the
same values, bit for bit, or the same error, whatever the body; or no reading at all, and the usual one."""

from __future__ import annotations

import array
import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3vectors_emulator.errors import ServiceError
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.serialize import decode_body
from s3vectors_emulator.protocol.validate import validate
from s3vectors_emulator.protocol.vector_bodies import VectorBodyReader

SHAPE = model.operation("PutVectors").input_shape
READER = VectorBodyReader(SHAPE)


def _outcome(params: dict[str, Any] | None, body: bytes) -> Any:
    """What the server goes on with: validated values (arrays as their bytes) or the error's words."""
    try:
        checked = validate(SHAPE, decode_body(body) if params is None else params, numbers_as_arrays=True)
    except ServiceError as error:
        return ("error", error.code, error.message, error.field_list)
    return _exact(checked)


def _exact(value: Any) -> Any:
    if isinstance(value, array.array):
        return ("doubles", value.tobytes())
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return (type(value).__name__, value)


def _same(body: bytes) -> bool:
    """Asserts the two readings agree; True when the fast one applied."""
    fast = READER.read(body)
    assert _outcome(fast, body) == _outcome(None, body)
    # As the server hands a large body over: a view into a pooled buffer, here not at its start.
    pooled = bytearray(b"[[" + body + b"[[")
    viewed = READER.read(memoryview(pooled)[2 : 2 + len(body)])
    assert (viewed is None, _outcome(viewed, body)) == (fast is None, _outcome(fast, body))
    return fast is not None


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
_numbers = st.lists(
    st.floats(allow_nan=False, allow_infinity=False, width=32) | st.integers(min_value=-(2**65), max_value=2**65),
    min_size=1,
    max_size=6,
)
_vector_data = _numbers | st.lists(_json, max_size=3) | _json
_vector = st.fixed_dictionaries(
    {"key": st.text(min_size=1, max_size=6) | _json, "data": st.fixed_dictionaries({"float32": _vector_data}) | _json},
    optional={"metadata": _json, "extra": _json},
)
_body = st.fixed_dictionaries(
    {
        "vectorBucketName": st.just("bucket-a"),
        "indexName": st.just("index-a"),
        "vectors": st.lists(_vector, max_size=4),
    },
    optional={"indexArn": _json},
)
_writers = st.sampled_from(
    [
        lambda v: json.dumps(v).encode(),  # botocore's way: non-ASCII escaped, spaces after separators
        lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"),
        lambda v: json.dumps(v, indent=2).encode(),
    ]
)


@settings(max_examples=400, deadline=None)
@given(_body, _writers)
def test_any_body_reads_the_same(body: dict[str, Any], write: Any) -> None:
    _same(write(body))


def test_a_real_batch_takes_the_fast_reading() -> None:
    vectors = [
        {"key": f"k{i}", "data": {"float32": [0.1 * i, -0.0, 1e-45, 3.4e38, 7]}, "metadata": {"n": i}} for i in range(3)
    ]
    assert _same(orjson.dumps({"vectorBucketName": "bucket-a", "indexName": "index-a", "vectors": vectors}))


@pytest.mark.parametrize(
    "body",
    [
        # simdjson flattens nested arrays and reads the first of repeated members; orjson keeps the last.
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[[1.0]]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[ \n[1.0]]}}]}',
        # The same after more brackets than the screen steps through one by one.
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":['
        + b'{"key":"a","data":{"float32":[1.0]}},' * 2100
        + b'{"key":"b","data":{"float32":[\t[2.0]]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","key":"b","data":{"float32":[1]}}]}',
        b'{"vectorBucketName":"x","vectorBucketName":"bucket-a","indexName":"index-a","vectors":[]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[1],"float32":[true]}}]}',
        # A byte order mark, a lone surrogate, a number beyond float64, booleans and nulls in a vector.
        b'\xef\xbb\xbf{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"\\ud800","data":{"float32":[1]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[1e400]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[1,true]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[null]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[1]}}]} x',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[1]}}],}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"a","data":{"float32":[18446744073709551616]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":[{"key":"\xff","data":{"float32":[1]}}]}',
        b'{"vectorBucketName":"bucket-a","indexName":"index-a","vectors":'
        + b'{"a":' * 1100
        + b"1"
        + b"}" * 1100
        + b"}",
    ],
)
def test_bodies_simdjson_could_read_otherwise(body: bytes) -> None:
    _same(body)
