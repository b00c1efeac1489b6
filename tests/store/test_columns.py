"""The columnar metadata store behind filters: appends, overwrites, move-last deletes and compaction
against a brute force over the same rows."""

from __future__ import annotations

import random
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from support import churn_step

from s3vectors_emulator.store import columns
from s3vectors_emulator.store.columns import MetadataColumns


def brute_any(rows: list[dict], key: str, kind: str, predicate: Any) -> list[bool]:
    def kind_of(v: Any) -> str:
        return "bool" if isinstance(v, bool) else "string" if isinstance(v, str) else "number"

    out = []
    for meta in rows:
        value = meta.get(key)
        elements = [] if value is None else value if isinstance(value, list) else [value]
        out.append(any(kind_of(e) == kind and predicate(e) for e in elements))
    return out


def assert_columns_match(cols: MetadataColumns, rows: list[dict], keys: list[str]) -> None:
    n = len(rows)
    assert len(cols) == n
    for key in keys:
        assert cols.present(key, n).tolist() == [key in m for m in rows]
        for kind, probe in (("number", 1.0), ("string", "a"), ("bool", True)):
            got = cols.any_match(key, kind, lambda a, probe=probe: a == probe, n).tolist()  # type: ignore[misc]
            # brute_any only offers elements of the probe's own type, so plain == is safe here.
            assert got == brute_any(rows, key, kind, lambda e, probe=probe: e == probe)  # type: ignore[misc]
            assert cols.present_kind(key, kind, n).tolist() == brute_any(rows, key, kind, lambda e: True)


META_VALUES = st.one_of(
    st.sampled_from(["a", "b", ""]),
    st.sampled_from([1, 1.0, 2, -3.5]),
    st.booleans(),
    st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=3),
    st.lists(st.sampled_from([1, 2.0, 7]), min_size=1, max_size=3),
)
META = st.dictionaries(st.sampled_from(["k", "j", "a.b"]), META_VALUES, max_size=3)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), META),
        st.tuples(st.just("replace"), st.integers(0, 1000), META),
        st.tuples(st.just("remove"), st.integers(0, 1000)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(OPS, st.sampled_from([1, 64]))
def test_columns_follow_appends_overwrites_and_move_last_deletes(ops: list[tuple], min_dead: int) -> None:
    # min_dead=1 compacts the tables on almost every delete, exercising the relocation code.
    with mock.patch.object(columns, "_COMPACT_MIN_DEAD", min_dead):
        cols = MetadataColumns()
        rows: list[dict] = []
        for op in ops:
            if op[0] == "append":
                assert len(cols) == len(rows)  # the row it appends is number len(rows)
                cols.append_rows([op[1]])
                rows.append(op[1])
            elif rows and op[0] == "replace":
                row = op[1] % len(rows)
                cols.replace_row(row, op[2])
                rows[row] = op[2]
            elif rows and op[0] == "remove":
                row = op[1] % len(rows)
                cols.remove_row(row)
                rows[row] = rows[-1]  # the last row fills the hole
                rows.pop()
        assert_columns_match(cols, rows, ["k", "j", "a.b", "absent"])


def test_columns_long_random_run_with_compaction() -> None:
    rng = random.Random(7)
    cols = MetadataColumns()
    rows: list[dict] = []
    for step in range(3000):
        meta = {"k": rng.choice(["a", "b", 1, 2.0, True, ["a", "b"], [1, 3]])} if rng.random() < 0.8 else {}
        churn_step(cols, rows, rng, meta, (0.45, 0.15))
        if step % 500 == 0:
            assert_columns_match(cols, rows, ["k"])
    assert_columns_match(cols, rows, ["k"])
    # Compaction keeps tables proportional to the live entries.
    for fld in cols._fields.values():
        for table in fld.tables.values():
            assert table.dead <= max(columns._COMPACT_MIN_DEAD, table.live)


def test_key_disappears_when_its_last_value_goes() -> None:
    cols = MetadataColumns()
    cols.append_rows([{"a": 1}])
    cols.append_rows([{"b": "x"}])
    cols.remove_row(0)
    assert cols.keys == frozenset({"b"})
    assert cols.present("b", 1).tolist() == [True]
    cols.replace_row(0, {})
    assert cols.keys == frozenset()
    assert cols.present("b", 1).tolist() == [False]


def test_numbers_are_stored_as_float64() -> None:
    cols = MetadataColumns()
    cols.append_rows([{"n": 2}])
    cols.append_rows([{"n": [2.0, 10**400]}])  # an int beyond float range compares as +inf
    assert cols.any_match("n", "number", lambda a: a == 2.0, 2).tolist() == [True, True]
    assert cols.any_match("n", "number", lambda a: np.isinf(a), 2).tolist() == [False, True]
