"""The protocol layer on its own, driven by the service model (no HTTP, no numpy)."""

from __future__ import annotations

import pytest

from s3vectors_emulator.errors import SerializationError, ValidationError
from s3vectors_emulator.operations import HANDLERS
from s3vectors_emulator.protocol import model
from s3vectors_emulator.protocol.serialize import decode_body
from s3vectors_emulator.protocol.validate import java_length, validate

OPERATIONS = model.service_model().operation_names


def test_every_operation_is_routed_and_handled():
    assert len(OPERATIONS) == 22  # behaviour.md#decision-api-surface
    assert set(HANDLERS) == set(OPERATIONS)
    assert sorted(model.routes().values()) == sorted(OPERATIONS)


def _top_level_members(kind: str):
    for op in OPERATIONS:
        shape = model.operation(op).input_shape
        for name, member in shape.members.items():
            if member.type_name == kind and member.serialization.get("location") is None:
                yield op, name, member


@pytest.mark.parametrize("op,name,member", [case for case in _top_level_members("string") if "max" in case[2].metadata])
def test_every_string_maximum_is_enforced(op, name, member):
    length = member.metadata["max"] + 1
    with pytest.raises(ValidationError) as exc:
        validate(model.operation(op).input_shape, {name: "a" * length})
    low = member.metadata.get("min", 0)
    expected = f"Member must have length between {low} and {length - 1}, inclusive"
    assert {"path": f"/{name}", "message": expected} in exc.value.field_list


@pytest.mark.parametrize(
    "op,name,member", [case for case in _top_level_members("integer") if "max" in case[2].metadata]
)
def test_every_integer_maximum_is_enforced(op, name, member):
    with pytest.raises(ValidationError) as exc:
        validate(model.operation(op).input_shape, {name: member.metadata["max"] + 1})
    assert f"Value at '/{name}' failed to satisfy constraint: Member must be between" in exc.value.message


@pytest.mark.parametrize("op,name,member", [case for case in _top_level_members("string") if case[2].enum])
def test_every_enum_is_enforced(op, name, member):
    with pytest.raises(ValidationError) as exc:
        validate(model.operation(op).input_shape, {name: "not-a-member"})
    assert {"path": f"/{name}", "message": f"Member must satisfy enum value set: [{', '.join(member.enum)}]"} in (
        exc.value.field_list
    )


@pytest.mark.parametrize("op", OPERATIONS)
def test_every_required_member_is_enforced(op):
    shape = model.operation(op).input_shape
    if not shape.required_members:
        validate(shape, {})
        return
    with pytest.raises(ValidationError) as exc:
        validate(shape, {})
    paths = {f["path"] for f in exc.value.field_list}
    assert paths >= {f"/{name}" for name in shape.required_members}


def test_nested_paths_and_unions():
    shape = model.operation("PutVectors").input_shape
    with pytest.raises(ValidationError) as exc:
        validate(shape, {"vectors": [{"key": "k", "data": {}}]})
    assert exc.value.field_list == [{"path": "/vectors/0/data", "message": "Member must have exactly one member set"}]
    with pytest.raises(ValidationError) as exc:
        validate(shape, {"vectors": [{"key": "", "data": {"float32": [1]}}]})
    assert exc.value.field_list[0]["path"] == "/vectors/0/key"


def test_floats_accept_the_non_finite_strings_botocore_sends():
    shape = model.operation("PutVectors").input_shape
    out = validate(shape, {"vectors": [{"key": "k", "data": {"float32": ["NaN", "Infinity", 1, 2.5]}}]})
    values = out["vectors"][0]["data"]["float32"]
    assert values[0] != values[0] and values[1] == float("inf") and values[2:] == [1, 2.5]
    with pytest.raises(SerializationError):
        validate(shape, {"vectors": [{"key": "k", "data": {"float32": [True]}}]})
    with pytest.raises(SerializationError):
        validate(shape, {"vectors": [{"key": "k", "data": {"float32": ["1.5"]}}]})


def test_integers_accept_integral_floats_only():
    shape = model.operation("CreateIndex").input_shape
    base = {"indexName": "abc", "dataType": "float32", "distanceMetric": "cosine", "vectorBucketName": "abc"}
    assert validate(shape, base | {"dimension": 4.0})["dimension"] == 4
    for bad in (4.5, "4", True, [4]):
        with pytest.raises(SerializationError):
            validate(shape, base | {"dimension": bad})


def test_lengths_count_utf16_code_units():
    assert java_length("abc") == 3
    assert java_length("中") == 1
    assert java_length("😀") == 2


def test_decode_body():
    assert decode_body(b"") == {}
    assert decode_body(b"  \n") == {}
    assert decode_body(b'{"a": 1}') == {"a": 1}
    with pytest.raises(SerializationError, match="UnknownError"):
        decode_body(b'{"a": "\\udc00"}')
    with pytest.raises(SerializationError):
        decode_body(b"[]")
