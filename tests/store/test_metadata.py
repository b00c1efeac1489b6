"""Metadata validation (behaviour.md#metadata: types, size model, messages)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from support import wire_field_list

from s3vectors_emulator.errors import ValidationError
from s3vectors_emulator.store.metadata import metadata_size, validate_metadata, value_size


def check(meta: Any, non_filterable: frozenset[str] = frozenset(), key: str = "k", index: int = 0) -> dict:
    return validate_metadata(meta, record_key=key, record_index=index, non_filterable_keys=non_filterable)


def refusal(meta: Any, non_filterable: frozenset[str] = frozenset(), key: str = "k", index: int = 0) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check(meta, non_filterable, key, index)
    return info.value


# ---------------------------------------------------------------------------------------------
# Size model
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("", 0),
        ("abc", 3),
        ("é", 2),  # UTF-8 bytes, not characters
        ("😀", 4),
        ('"\n', 2),  # characters, not JSON escapes
        (0, 4),
        (123456789.125, 4),  # a number is 4 whatever its digits
        (-1.5, 4),
        (True, 0),
        (False, 0),
        (["a", "bc"], (4 + 1) + (4 + 2)),
        ([1, 2.5, 3], 3 * (4 + 4)),
    ],
)
def test_value_size(value: Any, size: int) -> None:
    assert value_size(value) == size


def test_metadata_size_formula() -> None:
    assert metadata_size({}) == 4
    assert metadata_size({"f": "x"}) == 4 + 8 + 1 + 1
    assert metadata_size({"": True}) == 4 + 8
    assert metadata_size({"é": [1, 2], "n": 5}) == 4 + (8 + 2 + 16) + (8 + 1 + 4)


def test_size_model_counts_subclasses_as_their_json_type_and_refuses_other_values() -> None:
    # validate_metadata accepts numpy's float64 (a float) and str subclasses; their size is the base type's.
    class Text(str):
        pass

    assert value_size(np.float64(2.5)) == 4
    entries = (8 + 1 + 2) + (8 + 1 + 4) + (8 + 1 + 4 + 1)
    assert metadata_size({"a": Text("é"), "b": np.float64(1.0), "c": [Text("x")]}) == 4 + entries
    with pytest.raises(ValueError):
        metadata_size({"a": None})  # type: ignore[dict-item]


def test_filterable_boundary() -> None:
    # behaviour.md#metadata: {"f": "x"*2035} is exactly 2048 bytes and accepted; one more byte is refused.
    assert check({"f": "x" * 2035}) == {"f": "x" * 2035}
    error = refusal({"f": "x" * 2036}, key="doc-1", index=3)
    assert error.message == "Invalid record for key 'doc-1': Filterable metadata must have at most 2048 bytes"
    assert wire_field_list(error) == [
        {"path": "vectors[3].metadata", "message": "Filterable metadata must have at most 2048 bytes"}
    ]


def test_filterable_boundary_counts_utf8_bytes() -> None:
    check({"f": "é" * 1017})  # 4 + 8 + 1 + 2034 = 2047
    assert "2048 bytes" in refusal({"f": "é" * 1018}).message  # 2049


def test_total_boundary_under_non_filterable_key() -> None:
    bulk = frozenset({"bulk"})
    check({"bulk": "x" * 40944}, bulk)  # 4 + 8 + 4 + 40944 = 40960
    error = refusal({"bulk": "x" * 40945}, bulk, key="big")
    assert error.message == "Invalid record for key 'big': Metadata object must have at most 40960 bytes"
    assert wire_field_list(error) == [
        {"path": "vectors[0].metadata", "message": "Metadata object must have at most 40960 bytes"}
    ]


def test_large_value_under_filterable_key_hits_the_filterable_limit_first() -> None:
    assert "Filterable metadata" in refusal({"bulk": "x" * 40944}).message


def test_non_filterable_keys_do_not_count_towards_filterable_size() -> None:
    check({"bulk": "x" * 30000, "f": "x" * 2035}, frozenset({"bulk"}))
    assert "Filterable" in refusal({"bulk": "x" * 30000, "f": "x" * 2036}, frozenset({"bulk"})).message


# ---------------------------------------------------------------------------------------------
# Types and key count
# ---------------------------------------------------------------------------------------------

VALUES_MSG = "Metadata values must be strings, numbers, booleans, or arrays"
ARRAY_MSG = "Metadata array values must be strings or numbers"
EMPTY_MSG = "Empty arrays are not allowed in metadata"


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ({"nested": 1}, VALUES_MSG),
        (None, VALUES_MSG),
        (float("nan"), VALUES_MSG),
        (float("inf"), VALUES_MSG),
        ([{"a": 1}], ARRAY_MSG),
        ([True, False], ARRAY_MSG),  # booleans are not numbers here, although bool ⊂ int in Python
        ([1, True], ARRAY_MSG),
        ([1, "a"], ARRAY_MSG),
        (["a", 1], ARRAY_MSG),
        ([["a"]], ARRAY_MSG),
        ([None], ARRAY_MSG),
        ([1.0, float("nan")], ARRAY_MSG),
        ([], EMPTY_MSG),
    ],
)
def test_refused_types(value: Any, detail: str) -> None:
    error = refusal({"ok": "x", "bad": value}, key="v7", index=2)
    assert error.message == f"Invalid record for key 'v7': {detail}"
    assert wire_field_list(error) == [{"path": "vectors[2].metadata", "message": detail}]


@pytest.mark.parametrize(
    "value", [["a", "b"], [1, 2.5], [""], ["dup", "dup"], "", 0, -1.5, True, False, 10**30, [10**30, 1]]
)
def test_accepted_values(value: Any) -> None:
    assert check({"v": value}) == {"v": value}


@pytest.mark.parametrize("key", ["", "$eq", "a.b", "x" * 1024, "é"])
def test_any_key_is_accepted(key: str) -> None:
    assert check({key: 1}) == {key: 1}


def test_none_is_no_metadata() -> None:
    assert check(None) == {}
    assert check({}) == {}


def test_metadata_that_is_not_an_object() -> None:
    error = refusal([1, 2])
    assert error.message == "Invalid record for key 'k': Metadata must be an object"


def test_key_count() -> None:
    check({f"k{i}": i for i in range(50)})
    error = refusal({f"k{i}": i for i in range(51)}, key="many")
    assert error.message == "Invalid record for key 'many': Metadata object must have at most 50 keys"
    assert wire_field_list(error) == [
        {"path": "vectors[0].metadata", "message": "Metadata object must have at most 50 keys"}
    ]


def test_check_order_types_before_count_before_size() -> None:
    many = {f"k{i}": "x" * 100 for i in range(51)}
    assert "at most 50 keys" in refusal(many).message  # also far over 2048 bytes
    assert VALUES_MSG in refusal({**many, "z": None}).message
    # The first offending key in document order names the message.
    assert EMPTY_MSG in refusal({"a": [], "b": None}).message
    assert VALUES_MSG in refusal({"b": None, "a": []}).message


def test_validate_returns_a_private_copy() -> None:
    original = {"tags": ["a"]}
    copy = check(original)
    original["tags"].append("b")
    assert copy == {"tags": ["a"]}
