"""The fast paths added for performance keep the behaviour of the slow ones: packed metadata,
vectors converted during wire validation, large bodies read into reused buffers, the collector
pause and the BLAS thread limit while requests overlap."""

from __future__ import annotations

import gc
import json
import math
import sys
import threading
from typing import Any

import numpy as np
import orjson
import pytest
from support import checked, churn_step, got, make_index
from threadpoolctl import ThreadpoolController

from s3vectors_emulator import app as app_module
from s3vectors_emulator import runtime
from s3vectors_emulator.app import create_app
from s3vectors_emulator.config import Config
from s3vectors_emulator.errors import SerializationError
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.validate import validate
from s3vectors_emulator.store.columns import MetadataColumns
from s3vectors_emulator.store.metadata import pack_metadata, unpack_metadata

# -- packed metadata ------------------------------------------------------------------------------

ROUND_TRIPS: list[dict[str, Any]] = [
    {"s": "text", "i": 2, "f": 2.0, "b": True, "neg0": -0.0, "tiny": 5e-324, "big": 1.7976931348623157e308},
    {"list_s": ["a", "é", "😀"], "list_n": [1, 2.5, -3], "u64": 2**64 - 1, "i64": -(2**63)},
    {"": "empty key", "nested.name": "x", "float": 0.1 + 0.2},
]


@pytest.mark.parametrize("metadata", ROUND_TRIPS)
def test_packed_metadata_round_trips_values_and_types(metadata: dict[str, Any]) -> None:
    stored = pack_metadata(metadata)
    assert isinstance(stored, bytes)
    back = unpack_metadata(stored)
    assert back == metadata
    assert [type(v) for v in back.values()] == [type(v) for v in metadata.values()]
    assert math.copysign(1.0, unpack_metadata(pack_metadata({"z": -0.0}))["z"]) == -1.0


def test_metadata_orjson_cannot_write_is_kept_as_a_dict() -> None:
    for metadata in ({"huge": 10**30}, {"s": "lone \ud800 surrogate"}):
        stored = pack_metadata(metadata)
        assert isinstance(stored, dict)
        assert unpack_metadata(stored) == metadata
        assert unpack_metadata(stored) is not stored  # a fresh copy every time


def test_no_metadata_costs_nothing_and_reads_as_an_empty_object() -> None:
    assert pack_metadata({}) is None
    assert unpack_metadata(None) == {}


def test_packed_bytes_are_exactly_sized() -> None:
    # orjson's own result keeps a ~4 KB buffer; a million of those was the memory regression.
    stored = pack_metadata({"genre": "g3", "year": 2003})
    assert isinstance(stored, bytes)
    assert sys.getsizeof(stored) < 100


def test_index_hands_out_fresh_metadata() -> None:
    index = make_index(2, "euclidean")
    index.put(
        checked(
            index,
            [
                {"key": "a", "data": {"float32": [1, 2]}, "metadata": {"l": ["x"], "n": 10**30}},
                {"key": "b", "data": {"float32": [1, 3]}},
            ],
        )
    )
    first = got(index, ["a", "b"], with_metadata=True)
    first[0]["metadata"]["l"].append("changed")
    assert got(index, ["a", "b"], with_metadata=True) == [
        {"key": "a", "metadata": {"l": ["x"], "n": 10**30}},
        {"key": "b", "metadata": {}},
    ]
    assert unpack_metadata(index.search([1, 2], None, 1, with_metadata=True)[0].metadata) == {"l": ["x"], "n": 10**30}


# -- vectors converted during wire validation ------------------------------------------------------


def put_params(vector: list[Any]) -> dict[str, Any]:
    return {"vectorBucketName": "bucket", "indexName": "index", "vectors": [{"key": "k", "data": {"float32": vector}}]}


def validated_vector(vector: list[Any], as_arrays: bool = True) -> Any:
    shape = model.operation("PutVectors").input_shape
    return validate(shape, put_params(vector), numbers_as_arrays=as_arrays)["vectors"][0]["data"]["float32"]


def test_numbers_become_a_float64_array() -> None:
    import array

    got = validated_vector([0.5, -2, 3.25])
    assert isinstance(got, array.array) and got.typecode == "d"  # the wire stays free of numpy
    assert got.tolist() == [0.5, -2.0, 3.25]
    # Exact 0 and 1 (which could hide booleans) take the type scan and still convert.
    assert validated_vector([0.0, 1.0, 1]).tolist() == [0.0, 1.0, 1.0]
    assert validated_vector([0.5], as_arrays=False) == [0.5]


@pytest.mark.parametrize(
    ("vector", "path"),
    [
        ([0.5, True], "/vectors/0/data/float32/1"),
        ([False, 2.5], "/vectors/0/data/float32/0"),
        ([1.0, "1.5"], "/vectors/0/data/float32/1"),
        ([None, 1.0], "/vectors/0/data/float32/0"),
        ([1.0, [2.0]], "/vectors/0/data/float32/1"),
    ],
)
def test_non_numbers_are_refused_at_their_path(vector: list[Any], path: str) -> None:
    with pytest.raises(SerializationError) as info:
        validated_vector(vector)
    assert info.value.message == f"Expected a number at '{path}'"


def test_non_finite_strings_and_huge_ints_keep_their_meaning() -> None:
    assert validated_vector(["NaN", 1.0])[0] != validated_vector(["NaN", 1.0])[0]  # NaN
    assert validated_vector(["Infinity", "-Infinity"]) == [math.inf, -math.inf]
    assert validated_vector([10**400, 1.0]) == [10**400, 1.0]  # beyond float: left to the store
    index = make_index(2, "euclidean")
    with pytest.raises(Exception, match="NaNs or Infs"):
        checked(
            index,
            validate(model.operation("PutVectors").input_shape, put_params([10**400, 1.0]), numbers_as_arrays=True)[
                "vectors"
            ],
        )


def test_store_checks_converted_vectors_like_lists() -> None:
    index = make_index(3, "cosine")
    for vector, message in (
        ([1e39, 0, 0], "NaNs or Infs"),
        ([0, 0, 0], "zero norm"),
        ([1e-46, 0, 0], "zero norm"),
        ([1, 2], "length 3"),
    ):
        for form in (vector, np.asarray(vector, dtype=np.float64)):
            with pytest.raises(Exception, match=message):
                checked(index, [{"key": "k", "data": {"float32": form}}])
    # A square that overflows float32 is not a NaN: the exact checks decide.
    (record,) = checked(index, [{"key": "k", "data": {"float32": np.array([3e38, 3e38, 1.0])}}])
    assert record[1].dtype == np.float32 and np.isfinite(record[1]).all()


# -- large bodies ----------------------------------------------------------------------------------


@pytest.fixture
def http() -> Any:
    client = create_app(Config()).test_client()
    client.post("/CreateVectorBucket", json={"vectorBucketName": "bucket"})
    client.post(
        "/CreateIndex",
        json={
            "vectorBucketName": "bucket",
            "indexName": "index",
            "dataType": "float32",
            "dimension": 256,
            "distanceMetric": "cosine",
        },
    )
    return client


def post(client: Any, path: str, body: bytes) -> Any:
    return client.post(path, data=body, headers={"Content-Type": "application/json"})


def test_large_body_is_read_and_stored(http: Any) -> None:
    rng = np.random.default_rng(0)
    vectors = [
        {"key": f"v{i}", "data": {"float32": rng.normal(size=256).tolist()}, "metadata": {"i": i}} for i in range(400)
    ]
    body = orjson.dumps({"vectorBucketName": "bucket", "indexName": "index", "vectors": vectors})
    assert len(body) > app_module._BUFFERED_FROM_BYTES
    for _ in range(3):  # the buffer is reused; each body must be whole
        assert post(http, "/PutVectors", body).status_code == 200
    got = post(
        http,
        "/GetVectors",
        json.dumps(
            {
                "vectorBucketName": "bucket",
                "indexName": "index",
                "keys": ["v0", "v399"],
                "returnData": True,
                "returnMetadata": True,
            }
        ).encode(),
    ).get_json()
    assert got["vectors"][1]["metadata"] == {"i": 399}
    assert got["vectors"][1]["data"]["float32"] == np.float32(vectors[399]["data"]["float32"]).tolist()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" + b"1," * 600_000 + b"1]", "Request body must be a JSON object"),
        (b'{"a": "' + b"x" * 1_200_000 + b'"', "Request body is not valid JSON"),
        (b'{"a": "\\ud800' + b"x" * 1_200_000 + b'"}', "UnknownError"),
    ],
)
def test_large_body_refusals_match_small_ones(http: Any, body: bytes, message: str) -> None:
    assert len(body) > app_module._BUFFERED_FROM_BYTES
    response = post(http, "/PutVectors", body)
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"].startswith("SerializationException")
    assert response.get_json()["message"] == message


def test_large_blank_body_is_an_empty_object(http: Any) -> None:
    response = post(http, "/PutVectors", b" " * (app_module._BUFFERED_FROM_BYTES + 10))
    assert response.status_code == 400
    assert "validation error" in response.get_json()["message"]


def test_buffer_pool_keeps_a_bounded_number_of_buffers() -> None:
    import io

    pool = runtime.BodyBuffers(keep=2)
    for size in (10, 30, 20, 40):
        with pool.read(io.BytesIO(b"y" * size), size) as view:
            assert bytes(view) == b"y" * size
    assert sorted(len(b) for b in pool._free) == [30, 40]
    with pool.read(io.BytesIO(b"z" * 5), 8) as view:  # a short body gives what arrived
        assert bytes(view) == b"z" * 5


# -- collector pause and BLAS threads --------------------------------------------------------------


def test_collector_pause_is_counted_and_restores_the_state() -> None:
    pause = runtime.CollectorPause()
    assert gc.isenabled()
    with pause(True):
        assert not gc.isenabled()
        with pause(True):
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pause(False):
        assert gc.isenabled()
    gc.disable()
    try:
        with pause(True):
            pass
        assert not gc.isenabled()  # a collector the user disabled stays disabled
    finally:
        gc.enable()


def test_blas_runs_on_one_thread_only_while_requests_overlap() -> None:
    controller = ThreadpoolController()
    if not controller.select(user_api="blas").lib_controllers:
        pytest.skip("no BLAS library found by threadpoolctl")

    def threads() -> int:
        return int(controller.select(user_api="blas").info()[0]["num_threads"])

    original = threads()
    limiter = runtime.BlasWhileConcurrent()
    inside = threading.Event()
    release = threading.Event()

    def request() -> None:
        with limiter():
            inside.set()
            release.wait(10)

    with limiter():
        assert threads() == original  # alone: the library's own count
        worker = threading.Thread(target=request)
        worker.start()
        inside.wait(10)
        assert threads() == 1
        release.set()
        worker.join()
        assert threads() == 1  # kept until no request is left
    assert threads() == original


# -- metadata columns: dictionary-encoded strings, tables in row order ------------------------------


def column_matches(cols: Any, rows: list[dict[str, Any]], key: str, value: Any) -> list[bool]:
    kind = "bool" if isinstance(value, bool) else "string" if isinstance(value, str) else "number"
    return cols.any_match(key, kind, lambda a: a == value, len(rows)).tolist()  # type: ignore[no-any-return]


def expected_matches(rows: list[dict[str, Any]], key: str, value: Any) -> list[bool]:
    out = []
    for meta in rows:
        v = meta.get(key)
        elements = [] if v is None else v if isinstance(v, list) else [v]
        out.append(any(type(e) is type(value) and e == value for e in elements))
    return out


def test_string_tables_switch_from_codes_to_strings_and_stay_right() -> None:
    import random

    rng = random.Random(3)
    cols = MetadataColumns()
    rows: list[dict[str, Any]] = []
    few = ["red", "green", "blue"]
    for i in range(3000):
        meta = {"few": rng.choice(few), "many": f"id-{i}", "mixed": rng.choice([f"m{i}", 1, ["a", f"b{i}"]])}
        churn_step(cols, rows, rng, meta, (0.7, 0.15))
    few_table = cols._fields["few"].tables["string"]
    many_table = cols._fields["many"].tables["string"]
    assert few_table.words is not None and len(few_table.words) <= 3  # still codes
    assert many_table.words is None  # switched to plain strings
    for key, value in (
        ("few", "red"),
        ("few", "nope"),
        ("many", rows[5]["many"]),
        ("mixed", "a"),
        ("mixed", 1),
        ("mixed", rows[-1]["mixed"] if isinstance(rows[-1]["mixed"], str) else "x"),
    ):
        assert column_matches(cols, rows, key, value) == expected_matches(rows, key, value), (key, value)
    prefix = cols.any_match("few", "string", lambda a: np.strings.startswith(a, "gr"), len(rows)).tolist()
    assert prefix == [m["few"] == "green" for m in rows]


def test_tables_in_row_order_answer_without_a_scatter_and_stop_being_so_on_delete() -> None:
    cols = MetadataColumns()
    rows = [{"s": "a" if i % 3 else "b", "n": i} for i in range(10)]
    cols.append_rows(rows)
    table = cols._fields["s"].tables["string"]
    assert table.in_order
    assert column_matches(cols, rows, "s", "b") == expected_matches(rows, "s", "b")
    assert cols.present("n", 12).tolist() == [True] * 10 + [False] * 2
    cols.remove_row(3)
    rows[3] = rows.pop()
    assert not table.in_order
    assert column_matches(cols, rows, "s", "b") == expected_matches(rows, "s", "b")
    assert column_matches(cols, rows, "n", 9) == expected_matches(rows, "n", 9)
