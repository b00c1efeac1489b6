"""Index.browse, sample and memory_bytes: what the console reads of an index beyond the API."""

from __future__ import annotations

import pytest
from support import checked, make_index

from s3vectors_emulator.errors import ValidationError


def _index(n: int = 30):
    index = make_index(2, "euclidean")
    records = [{"key": f"k{i:02d}", "data": {"float32": [i, 1]}, "metadata": {"g": i % 3}} for i in range(n)]
    index.put(checked(index, records))
    return index


def _pages(index, limit: int, **kwargs) -> list[list[str]]:
    pages, after = [], None
    while True:
        items, after, matched = index.browse(limit, after, **kwargs)
        pages.append([item.key for item in items])
        if after is None:
            return pages


def test_pages_in_key_order_with_prefix_and_filter() -> None:
    index = _index()
    assert _pages(index, 7) == [[f"k{i:02d}" for i in range(j, min(j + 7, 30))] for j in range(0, 30, 7)]
    assert _pages(index, 2, prefix="k1", filter_doc={"g": 1}) == [["k10", "k13"], ["k16", "k19"]]
    items, after, matched = index.browse(2, None, prefix="k1", filter_doc={"g": 1})
    assert (matched, after) == (4, "k13")
    assert items[0].metadata == {"g": 1} and items[0].vector is not None and items[0].vector.tolist() == [10.0, 1.0]
    assert index.browse(5, None, prefix="zz") == ([], None, 0)


def test_a_refused_filter_is_refused_as_queries_refuse_it() -> None:
    with pytest.raises(ValidationError) as info:
        _index().browse(5, None, filter_doc={"g": {"$bogus": 1}})
    assert (info.value.message, info.value.part) == ("Invalid filter", "filter")


def test_sample_is_deterministic_and_bounded() -> None:
    index = _index()
    keys, matrix, metadata = index.sample(10)
    assert len(keys) == 10 and matrix.shape == (10, 2) and keys == sorted(keys)
    assert index.sample(10)[0] == keys
    assert [m["g"] for m in metadata] == [int(k[1:]) % 3 for k in keys]
    assert index.sample(100)[0] == [f"k{i:02d}" for i in range(30)]


def test_memory_grows_with_the_vectors() -> None:
    small, large = _index(10).memory_bytes(), _index(3000).memory_bytes()
    assert 0 < small < large and large >= 3000 * 2 * 4


def test_memory_follows_writes_to_the_same_index() -> None:
    index = _index(10)
    before = index.memory_bytes()
    index.put(
        checked(
            index,
            [{"key": f"new-{i}", "data": {"float32": [i, 2]}, "metadata": {"text": "x" * 500}} for i in range(40)],
        )
    )
    grown = index.memory_bytes()
    index.delete([f"new-{i}" for i in range(40)])
    assert before < grown and index.memory_bytes() < grown
