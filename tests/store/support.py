"""What the store's tests share: an index made alone, records from wire-style dicts, and the
operations' view of the store's answers and refusals (so tests can state them as AWS shows them)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

from s3vectors_emulator.errors import ServiceError
from s3vectors_emulator.operations.query import query_path
from s3vectors_emulator.operations.vectors import record_path, vector_out
from s3vectors_emulator.store.columns import MetadataColumns
from s3vectors_emulator.store.configuration import ENHANCED, IndexSettings, TextField
from s3vectors_emulator.store.index import Index
from s3vectors_emulator.store.records import Record, StoredVector


def make_index(
    dimension: int,
    metric: Any,
    non_filterable: Iterable[str] = (),
    text_fields: Mapping[str, str | None] | None = None,
) -> Index:
    fields = tuple(TextField(k, v) for k, v in text_fields.items()) if text_fields else None
    return Index(dimension, metric, non_filterable_keys=list(non_filterable), settings=IndexSettings(ENHANCED, fields))


def set_text_fields(index: Index, fields: Mapping[str, str | None]) -> None:
    text_fields = tuple(TextField(k, v) for k, v in fields.items())
    index.apply_settings(IndexSettings(index.mode, text_fields))


def checked(index: Index, vectors: Iterable[Mapping[str, Any]]) -> list[Record]:
    """PutVectors-style dicts through the index's checks."""
    return index.check_records((v["key"], v["data"]["float32"], v.get("metadata")) for v in vectors)


def got(index: Index, keys: list[str], with_data: bool = False, with_metadata: bool = False) -> list[dict[str, Any]]:
    return [_as_sent(v) for v in index.get(keys, with_data, with_metadata)]


def listed(index: Index, *args: Any, **kwargs: Any) -> tuple[list[dict[str, Any]], str | None]:
    items, last = index.list_page(*args, **kwargs)
    return [_as_sent(v) for v in items], last


def _as_sent(vector: StoredVector) -> dict[str, Any]:
    """The operations' item, its data as the floats the wire writes (tests/test_vector_encoding.py)."""
    item = vector_out(vector)
    if "data" in item:
        item["data"] = {"float32": item["data"]["float32"].tolist()}
    return item


def wire_field_list(error: ServiceError) -> list[dict[str, str]] | None:
    """The fieldList the operations give a refusal: a query's vector has no position, a record's has one."""
    if error.part is None:
        return error.field_list
    on_query = error.part in ("filter", "text") or (error.part == "vector" and error.position is None)
    return error.located(query_path(error) if on_query else record_path(error)).field_list


def churn_step(
    cols: MetadataColumns,
    rows: list[dict[str, Any]],
    rng: random.Random,
    meta: dict[str, Any],
    shares: tuple[float, float],
) -> None:
    """One random change to ``cols``, mirrored in ``rows`` (the expected columns): append ``meta`` with
    the first share's chance (always when empty), replace a row with it with the second's, else remove a
    row as the index does (the last row fills the hole)."""
    roll = rng.random()
    if roll < shares[0] or not rows:
        cols.append_rows([meta])
        rows.append(meta)
    elif roll < shares[0] + shares[1]:
        row = rng.randrange(len(rows))
        cols.replace_row(row, meta)
        rows[row] = meta
    else:
        row = rng.randrange(len(rows))
        cols.remove_row(row)
        rows[row] = rows[-1]
        rows.pop()
