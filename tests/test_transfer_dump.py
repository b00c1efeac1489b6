"""The dump format (docs/data-format.md): manifests and vector files written, read back, and refused when bad."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from s3vectors_emulator.seeding import vector_files
from s3vectors_emulator.seeding.vector_files import VectorsFile, read_batches
from s3vectors_emulator.transfer.dump import (
    FORMAT_VERSION,
    BucketEntry,
    DumpError,
    IndexEntry,
    Manifest,
    Source,
    VectorBatch,
    VectorWriter,
    check_lines,
    read_lines,
    read_manifest,
    write_manifest,
)


def _manifest(index: IndexEntry) -> Manifest:
    bucket = BucketEntry(
        "docs",
        encryption={"sseType": "AES256"},
        tags={"team": "search"},
        policy='{"Version": "2012-10-17", "Statement": []}',
        default_index_mode="ENHANCED",
        indexes=[index],
    )
    return Manifest(Source("http://127.0.0.1:8000", "us-east-1", "123456789012"), [bucket])


def _write(
    tmp_path: Path, lines: list[bytes], dimension: int = 2, count: int | None = None, gz: bool = True
) -> IndexEntry:
    index = IndexEntry("pages", dimension, "cosine", vector_count=len(lines) if count is None else count)
    index.file = "vectors/docs/pages.jsonl" + (".gz" if gz else "")
    path = tmp_path / index.file
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(body) if gz else body)
    write_manifest(tmp_path, _manifest(index))
    return index


def _read(directory: Path, index: IndexEntry) -> list[VectorBatch]:
    return list(read_batches(VectorsFile(directory / index.file, index.vector_count), index.dimension))


def test_round_trip_is_bit_exact(tmp_path: Path):
    rng = np.random.default_rng(3)
    # Hard cases for decimal text: subnormals, the extremes of float32, negative zero, values needing 9 digits.
    special = np.array([1e-45, 3.4028235e38, -0.0, 1.1754942e-38, 0.1, 16777217.0], dtype=np.float32)
    data = np.concatenate([rng.standard_normal((1200, 6)).astype(np.float32), special[None, :]])
    keys = [f"key-{i}" for i in range(len(data))]
    metadata = [{"n": i, "tags": ["a", "b"], "text": "é ☃"} if i % 2 else None for i in range(len(data))]
    with VectorWriter(tmp_path, "docs", "pages") as writer:
        writer.write(keys[:700], data[:700], metadata[:700])
        writer.write(keys[700:], data[700:], metadata[700:])
    index = IndexEntry(
        "pages",
        6,
        "euclidean",
        metadata_configuration={
            "nonFilterableMetadataKeys": ["text"],
            "textSearchConfigurations": [{"metadataKey": "text", "language": "fr"}],
        },
        tags={"k": "v"},
        index_mode="ENHANCED",
        vector_count=writer.count,
        file=writer.file,
    )
    manifest = _manifest(index)
    write_manifest(tmp_path, manifest)

    again = read_manifest(tmp_path)
    assert again == manifest
    assert again.buckets[0].indexes[0].create_members() == {
        "indexName": "pages",
        "dataType": "float32",
        "dimension": 6,
        "distanceMetric": "euclidean",
        "metadataConfiguration": index.metadata_configuration,
        "tags": {"k": "v"},
    }
    batches = _read(tmp_path, again.buckets[0].indexes[0])
    read = np.concatenate([b.data for b in batches])
    assert read.dtype == np.float32 and read.tobytes() == data.tobytes()
    assert [k for b in batches for k in b.keys] == keys
    assert [m for b in batches for m in b.metadata] == metadata
    assert [n for b in batches for n in b.lines] == list(range(1, len(data) + 1))
    assert (tmp_path / "vectors/docs/pages.jsonl.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert not list(tmp_path.rglob("*.partial"))


def test_lines_are_put_vectors_vectors(tmp_path: Path):
    with VectorWriter(tmp_path, "docs", "pages", compressed=False) as writer:
        writer.write(["a", "b"], np.array([[0.1, 2.0], [3.0, -4.5]], dtype=np.float32), [{"x": 1}, {}])
    text = (tmp_path / writer.file).read_text()
    assert writer.file == "vectors/docs/pages.jsonl"
    assert text == (
        '{"key":"a","data":{"float32":[0.1,2.0]},"metadata":{"x":1}}\n{"key":"b","data":{"float32":[3.0,-4.5]}}\n'
    )


def test_plain_file_is_found_under_the_gzip_name(tmp_path: Path):
    index = _write(tmp_path, [b'{"key":"a","data":{"float32":[1,2]}}'], gz=False)
    index.file = "vectors/docs/pages.jsonl.gz"
    assert [b.keys for b in _read(tmp_path, index)] == [["a"]]


def test_line_batches_respect_count_and_size(tmp_path: Path):
    lines = [orjson.dumps({"key": f"k{i:03}", "data": {"float32": [1.0, 2.0]}}) for i in range(10)]
    index = _write(tmp_path, lines)
    size = len(lines[0]) + 1
    batches = list(read_lines(tmp_path, index, batch_size=4, max_bytes=3 * size))
    assert [len(b.lines) for b in batches] == [3, 3, 3, 1]
    assert [b.numbers[0] for b in batches] == [1, 4, 7, 10]
    assert all(b.size <= 3 * size for b in batches)
    with pytest.raises(DumpError, match=r"pages.jsonl.gz:1: the line is \d+ bytes"):
        list(read_lines(tmp_path, index, max_bytes=size - 1))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"key":"b","data":{"float32":[1,2]', "not valid JSON"),
        (b"[1, 2]", "a vector line must be a JSON object"),
        (b'{"key":"","data":{"float32":[1,2]}}', "key must be a non-empty string"),
        (b'{"key":"b","data":[1,2]}', 'data must be {"float32": [numbers]}'),
        (b'{"key":"b","data":{"float32":[1,2,3]}}', "data.float32 holds 3 values, the index's dimension is 2"),
        (b'{"key":"b","data":{"float32":[1,"2"]}}', "data.float32 must hold numbers only"),
        (b'{"key":"b","data":{"float32":[1,true]}}', "data.float32 must hold numbers only"),
        (b'{"key":"b","data":{"float32":[1,1e39]}}', "outside float32's range"),
        (b'{"key":"b","data":{"float32":[1,2]},"metadata":[]}', "metadata must be a JSON object"),
        (b'{"key":"b","data":{"float32":[1,2]},"extra":1}', "unknown member 'extra'"),
        (b'{"key":"a","data":{"float32":[1,2]}}', "key 'a' appears a second time in this file"),
    ],
)
def test_bad_line_is_named_with_its_file_and_line(tmp_path: Path, line: bytes, message: str):
    index = _write(tmp_path, [b'{"key":"a","data":{"float32":[1,2]}}', b"", line])
    with pytest.raises(DumpError) as excinfo:
        _read(tmp_path, index)
    assert str(excinfo.value).startswith(f"{tmp_path / index.file}:3: ")
    assert message in str(excinfo.value)
    batch = next(read_lines(tmp_path, index))
    with pytest.raises(DumpError, match=":3: "):
        check_lines(batch, index.dimension)


def _outcome(directory: Path, index: IndexEntry) -> tuple[list[str], bytes, list[object], list[int]] | str:
    """Every vector read, whatever the batches (keys, values' bytes, metadata, line numbers), or the refusal."""
    try:
        batches = _read(directory, index)
    except DumpError as exc:
        return str(exc)
    return (
        [key for b in batches for key in b.keys],
        b"".join(b.data.tobytes() for b in batches),
        [meta for b in batches for meta in b.metadata],
        [number for b in batches for number in b.lines],
    )


@pytest.mark.parametrize(
    "last",
    [
        b'{"key":"z","data":{"float32":[1,1e39]}}',  # refused, in a later chunk
        b'{"key":"k007","data":{"float32":[1,2]}}',  # a key of an earlier chunk again
        b'{ "key" : "z", "data" : {"float32": [1, 2]} }',  # integers: orjson's path; no newline after it
    ],
)
def test_large_plain_file_is_read_by_child_processes_as_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, last: bytes
):
    lines = [
        orjson.dumps({"key": f"k{i:03}", "data": {"float32": [i / 7, -1.5]}, "metadata": {"i": i}}) for i in range(40)
    ]
    lines[5] = b""
    index = _write(tmp_path, [*lines, last], gz=False, count=40)  # 41 lines, one blank
    path = tmp_path / index.file
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    monkeypatch.setattr(vector_files, "_PARALLEL_FROM", 1 << 62)
    alone = _outcome(tmp_path, index)
    children: list[object] = []
    monkeypatch.setattr(vector_files, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(vector_files, "_CHUNK", 150)  # a few lines a chunk
    monkeypatch.setattr(vector_files.os, "cpu_count", lambda: 2)
    in_children = vector_files._in_children

    def counted(*arguments: Any) -> Any:
        children.append(arguments)
        return in_children(*arguments)

    monkeypatch.setattr(vector_files, "_in_children", counted)
    assert _outcome(tmp_path, index) == alone
    assert children
    if isinstance(alone, str):
        assert alone.startswith(f"{path}:41: ")
    else:
        assert len(alone[0]) == 40 and alone[3][-1] == 41


def test_a_parsing_process_that_fails_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    index = _write(tmp_path, [b'{"key":"a","data":{"float32":[1,2]}}'], gz=False)
    monkeypatch.setattr(vector_files, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(vector_files.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(vector_files.sys, "executable", "/bin/false")
    with pytest.raises(DumpError, match=r"pages.jsonl: a parsing process ended \(1\)"):
        _read(tmp_path, index)


def test_count_must_match_the_manifest(tmp_path: Path):
    index = _write(tmp_path, [b'{"key":"a","data":{"float32":[1,2]}}'], count=2)
    with pytest.raises(DumpError, match="holds 1 vectors, the manifest says 2"):
        _read(tmp_path, index)
    with pytest.raises(DumpError, match="holds 1 vectors, the manifest says 2"):
        list(read_lines(tmp_path, index))


def test_cut_gzip_stream_is_refused(tmp_path: Path):
    index = _write(tmp_path, [orjson.dumps({"key": f"k{i}", "data": {"float32": [i, 1.0]}}) for i in range(2000)])
    path = tmp_path / index.file
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DumpError, match="the gzip stream is damaged or cut short"):
        _read(tmp_path, index)


def test_missing_vector_file(tmp_path: Path):
    index = IndexEntry("pages", 2, "cosine", file="vectors/docs/pages.jsonl.gz")
    with pytest.raises(DumpError, match="missing \\(the manifest names it for index 'pages'\\)"):
        list(read_lines(tmp_path, index))
    with pytest.raises(DumpError, match="pages.jsonl.gz: missing"):
        _read(tmp_path, index)


def _manifest_error(tmp_path: Path, raw: object) -> str:
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(raw))
    with pytest.raises(DumpError) as excinfo:
        read_manifest(tmp_path)
    return str(excinfo.value)


def test_manifest_checks(tmp_path: Path):
    with pytest.raises(DumpError, match="not a dump directory"):
        read_manifest(tmp_path)
    base = _manifest(IndexEntry("pages", 2, "cosine", file="vectors/docs/pages.jsonl.gz")).to_json()
    assert "newer than this s3vectors-emulator reads (1)" in _manifest_error(
        tmp_path, {**base, "version": FORMAT_VERSION + 1}
    )
    assert "not an S3 Vectors dump" in _manifest_error(tmp_path, {**base, "format": "other"})
    for bad in ("../outside.jsonl", "/etc/passwd", "vectors/./x.jsonl", "vectors\\..\\x"):
        broken = orjson.loads(orjson.dumps(base))
        broken["buckets"][0]["indexes"][0]["file"] = bad
        assert "must be a relative path inside the dump directory" in _manifest_error(tmp_path, broken)
    broken = orjson.loads(orjson.dumps(base))
    broken["buckets"][0]["indexes"][0]["dimension"] = "2"
    assert "index 'pages': dimension must be a positive integer" in _manifest_error(tmp_path, broken)
    assert "bucket 'docs' appears twice" in _manifest_error(tmp_path, {**base, "buckets": base["buckets"] * 2})


def test_unknown_members_of_a_minor_version_are_ignored(tmp_path: Path):
    raw = _manifest(IndexEntry("pages", 2, "cosine", file="vectors/docs/pages.jsonl.gz")).to_json()
    raw["comment"] = "added later"
    raw["buckets"][0]["indexes"][0]["future"] = {"x": 1}
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(raw))
    assert read_manifest(tmp_path).buckets[0].indexes[0].name == "pages"
