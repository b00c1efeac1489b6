"""The dump format, version 1 (docs/data-format.md): a directory with ``manifest.json`` and one JSON Lines file
of vectors per index.

The API, stable from version 1 on::

    manifest = read_manifest(directory)               # Manifest, or DumpError naming the problem
    for bucket in manifest.buckets:
        for index in bucket.indexes:
            for batch in read_lines(directory, index):     # LineBatch: raw lines, checked by check_lines
                ...
    with VectorWriter(directory, bucket_name, index_name) as writer:   # vectors/<bucket>/<index>.jsonl.gz
        writer.write(keys, matrix, metadata)
    entry = IndexEntry(..., vector_count=writer.count, file=writer.file)
    write_manifest(directory, Manifest(source, buckets))

Bucket and index entries hold exactly the members CreateVectorBucket and CreateIndex take (``create_members``
gives them back as such a request), plus what those calls cannot set: a bucket's ``policy`` and
``defaultIndexMode``, an index's ``indexMode``, and the index's ``vectorCount`` and ``file``.  Each vector line is
a PutVectors vector.  Values are written by orjson from float32 arrays, so each is the shortest decimal that
reads back as the same float32: ``np.asarray(values, dtype=np.float32)`` of a line's list gives the same bits.

Parsed vectors (keys, float32 matrix, metadata) are read by ``s3vectors_emulator.seeding.vector_files.read_batches``,
the one reader fast enough for a seed, with these checks and messages.

Every problem with a dump is a ``DumpError`` whose message is one line naming the file, and the line number
for a vector file (``dump/vectors/docs/pages.jsonl.gz:17: ...``).
"""

from __future__ import annotations

import gzip
import io
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
from numpy.typing import NDArray

FORMAT_NAME = "s3vectors-dump"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
VECTORS_DIR = "vectors"
# PutVectors takes at most 500 vectors (the model's limit); readers batch by it unless told otherwise.
DEFAULT_BATCH = 500
# gzip's fastest level: dumps of float text shrink to about half at any level, and level 1 costs a third of 6.
GZIP_LEVEL = 1


class DumpError(Exception):
    """A dump that cannot be read or written, said in one line that names the file (and line)."""


@dataclass(frozen=True)
class Source:
    """Where a dump was taken: the endpoint URL (None for AWS itself), its region and account (None: unknown)."""

    endpoint: str | None
    region: str
    account: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "region": self.region, "account": self.account}


@dataclass
class IndexEntry:
    """One index: its whole configuration, as CreateIndex takes it, and where its vectors are."""

    name: str
    dimension: int
    distance_metric: str
    data_type: str = "float32"
    # CreateIndex's metadataConfiguration (nonFilterableMetadataKeys, textSearchConfigurations without status).
    metadata_configuration: dict[str, Any] | None = None
    encryption: dict[str, str] | None = None
    tags: dict[str, str] | None = None
    index_mode: str | None = None  # CLASSIC or ENHANCED; None: the bucket's default at creation
    vector_count: int = 0
    file: str = ""  # relative to the dump directory, "/"-separated

    def create_members(self) -> dict[str, Any]:
        """CreateIndex's members for this entry, all but the bucket's name or ARN."""
        members: dict[str, Any] = {
            "indexName": self.name,
            "dataType": self.data_type,
            "dimension": self.dimension,
            "distanceMetric": self.distance_metric,
        }
        if self.metadata_configuration is not None:
            members["metadataConfiguration"] = self.metadata_configuration
        if self.encryption is not None:
            members["encryptionConfiguration"] = self.encryption
        if self.tags:
            members["tags"] = self.tags
        return members

    def to_json(self) -> dict[str, Any]:
        raw = self.create_members()
        if self.index_mode is not None:
            raw["indexMode"] = self.index_mode
        raw["vectorCount"] = self.vector_count
        raw["file"] = self.file
        return raw

    @classmethod
    def from_json(cls, raw: Any, where: str) -> IndexEntry:
        obj = _object(raw, where)
        name = _string(obj, "indexName", where)
        where = f"{where} index {name!r}"
        dimension = obj.get("dimension")
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
            raise DumpError(f"{where}: dimension must be a positive integer")
        count = obj.get("vectorCount", 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DumpError(f"{where}: vectorCount must be a non-negative integer")
        return cls(
            name=name,
            dimension=dimension,
            distance_metric=_string(obj, "distanceMetric", where),
            data_type=_string(obj, "dataType", where),
            metadata_configuration=_optional_object(obj, "metadataConfiguration", where),
            encryption=_optional_object(obj, "encryptionConfiguration", where),
            tags=_optional_tags(obj, where),
            index_mode=_optional_string(obj, "indexMode", where),
            vector_count=count,
            file=_string(obj, "file", where),
        )


@dataclass
class BucketEntry:
    """One bucket: what CreateVectorBucket takes, its policy and default index mode, and its indexes."""

    name: str
    encryption: dict[str, str] | None = None
    tags: dict[str, str] | None = None
    policy: str | None = None  # the policy document as text, exactly as GetVectorBucketPolicy gave it
    default_index_mode: str | None = None
    indexes: list[IndexEntry] = field(default_factory=list)

    def create_members(self) -> dict[str, Any]:
        """CreateVectorBucket's members for this entry."""
        members: dict[str, Any] = {"vectorBucketName": self.name}
        if self.encryption is not None:
            members["encryptionConfiguration"] = self.encryption
        if self.tags:
            members["tags"] = self.tags
        return members

    def to_json(self) -> dict[str, Any]:
        raw = self.create_members()
        if self.policy is not None:
            raw["policy"] = self.policy
        if self.default_index_mode is not None:
            raw["defaultIndexMode"] = self.default_index_mode
        raw["indexes"] = [index.to_json() for index in self.indexes]
        return raw

    @classmethod
    def from_json(cls, raw: Any, where: str) -> BucketEntry:
        obj = _object(raw, where)
        name = _string(obj, "vectorBucketName", where)
        where = f"{where} bucket {name!r}"
        indexes = obj.get("indexes", [])
        if not isinstance(indexes, list):
            raise DumpError(f"{where}: indexes must be a list")
        entries = [IndexEntry.from_json(item, where) for item in indexes]
        _unique([entry.name for entry in entries], f"{where}: index")
        return cls(
            name=name,
            encryption=_optional_object(obj, "encryptionConfiguration", where),
            tags=_optional_tags(obj, where),
            policy=_optional_string(obj, "policy", where),
            default_index_mode=_optional_string(obj, "defaultIndexMode", where),
            indexes=entries,
        )


@dataclass
class Manifest:
    """The dump's table of contents: where it came from, and every bucket and index with its configuration."""

    source: Source
    buckets: list[BucketEntry] = field(default_factory=list)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "created": self.created,
            "source": self.source.to_json(),
            "buckets": [bucket.to_json() for bucket in self.buckets],
        }

    @classmethod
    def from_json(cls, raw: Any, where: str) -> Manifest:
        obj = _object(raw, where)
        if obj.get("format") != FORMAT_NAME:
            raise DumpError(f"{where}: not an S3 Vectors dump (format is not {FORMAT_NAME!r})")
        version = obj.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise DumpError(f"{where}: version must be a positive integer")
        if version > FORMAT_VERSION:
            raise DumpError(
                f"{where}: dump format version {version} is newer than this s3vectors-emulator reads "
                f"({FORMAT_VERSION}); upgrade s3vectors-emulator"
            )
        source = _object(obj.get("source", {}), f"{where} source")
        region = source.get("region")
        endpoint = source.get("endpoint")
        account = source.get("account")
        if not isinstance(region, str) or not all(isinstance(v, (str, type(None))) for v in (endpoint, account)):
            raise DumpError(f"{where}: source must hold a region and, as strings or null, endpoint and account")
        buckets = obj.get("buckets", [])
        if not isinstance(buckets, list):
            raise DumpError(f"{where}: buckets must be a list")
        entries = [BucketEntry.from_json(item, where) for item in buckets]
        _unique([entry.name for entry in entries], f"{where}: bucket")
        created = obj.get("created")
        return cls(Source(endpoint, region, account), entries, created if isinstance(created, str) else "")


@dataclass
class VectorBatch:
    """Consecutive vectors of one file: ``data`` is (len(keys), dimension) float32; ``metadata[i]`` is None when
    the line had none; ``lines[i]`` is the 1-based line number of vector i."""

    keys: list[str]
    data: NDArray[np.float32]
    metadata: list[dict[str, Any] | None]
    lines: list[int]


def vectors_file(bucket: str, index: str, compressed: bool = True) -> str:
    """The relative path of an index's vectors file: ``vectors/<bucket>/<index>.jsonl.gz`` (or ``.jsonl``)."""
    return f"{VECTORS_DIR}/{bucket}/{index}.jsonl" + (".gz" if compressed else "")


def read_manifest(directory: str | os.PathLike[str]) -> Manifest:
    """The manifest of the dump in ``directory``, checked: every named vectors file lies inside the directory."""
    path = Path(directory) / MANIFEST_NAME
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise DumpError(f"{directory}: not a dump directory (no {MANIFEST_NAME})") from None
    except OSError as exc:
        raise DumpError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise DumpError(f"{path}: not valid JSON ({exc})") from None
    manifest = Manifest.from_json(raw, str(path))
    for bucket in manifest.buckets:
        for index in bucket.indexes:
            _inside(Path(directory), index.file, f"{path} bucket {bucket.name!r} index {index.name!r}")
    return manifest


def write_manifest(directory: str | os.PathLike[str], manifest: Manifest) -> None:
    """Write ``manifest.json`` whole or not at all (a temporary file renamed over it)."""
    path = Path(directory) / MANIFEST_NAME
    temporary = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(orjson.dumps(manifest.to_json(), option=orjson.OPT_INDENT_2) + b"\n")
        os.replace(temporary, path)
    except OSError as exc:
        raise DumpError(f"{path}: cannot write: {exc.strerror or exc}") from None


@dataclass
class LineBatch:
    """Raw vector lines of one file, unparsed (each should be one PutVectors vector as JSON), with their
    1-based line numbers and their total size in bytes; ``check_lines`` finds the bad one if the batch fails."""

    lines: list[bytes]
    numbers: list[int]
    size: int
    file: str


def read_lines(
    directory: str | os.PathLike[str],
    index: IndexEntry,
    batch_size: int = DEFAULT_BATCH,
    max_bytes: int | None = None,
) -> Iterator[LineBatch]:
    """The vector lines of ``index`` unparsed, in batches of at most ``batch_size`` lines and ``max_bytes`` bytes
    (a single longer line is refused).  For senders that pass lines on as they are, checking them only when the
    receiver refuses a batch."""
    lines: list[bytes] = []
    numbers: list[int] = []
    size = 0
    name = ""
    count = 0
    for name, number, line in _lines(directory, index):
        if max_bytes is not None and len(line) + 1 > max_bytes:
            raise DumpError(f"{name}:{number}: the line is {len(line)} bytes, more than one request can carry")
        if lines and (len(lines) == batch_size or (max_bytes is not None and size + len(line) + 1 > max_bytes)):
            yield LineBatch(lines, numbers, size, name)
            lines, numbers, size = [], [], 0
        lines.append(line)
        numbers.append(number)
        size += len(line) + 1  # and a comma
        count += 1
    if lines:
        yield LineBatch(lines, numbers, size, name)
    if count != index.vector_count:
        raise DumpError(f"{name or index.file}: holds {count} vectors, the manifest says {index.vector_count}")


def check_lines(batch: LineBatch, dimension: int) -> None:
    """Raise the DumpError of the first bad line of ``batch``; return if none is.  A line must be a JSON object
    with a non-empty string ``key`` (unique in the batch), ``data.float32`` a list of ``dimension`` finite float32
    numbers, and ``metadata`` an object when present."""
    seen: set[str] = set()
    for number, line in zip(batch.numbers, batch.lines, strict=True):
        key, _, _ = _vector(line, f"{batch.file}:{number}", dimension)
        if key in seen:
            raise DumpError(f"{batch.file}:{number}: key {key!r} appears a second time in this file")
        seen.add(key)


class VectorWriter:
    """Writes one index's vectors file, gzip-compressed unless ``compressed=False``.  The file appears under its
    name only when the writer is closed without error, so a file interrupted half-way is never taken as whole."""

    def __init__(self, directory: str | os.PathLike[str], bucket: str, index: str, compressed: bool = True) -> None:
        self.file = vectors_file(bucket, index, compressed)
        self.count = 0
        self._path = Path(directory) / self.file
        self._temporary = self._path.with_name(self._path.name + ".partial")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            raw = open(self._temporary, "wb")  # closed in close()
        except OSError as exc:
            raise DumpError(f"{self._path}: cannot write: {exc.strerror or exc}") from None
        self._raw: IO[bytes] = raw
        # mtime=0: the same vectors give the same bytes.
        self._out: gzip.GzipFile | IO[bytes] = (
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) if compressed else raw
        )

    def write(
        self, keys: list[str], data: NDArray[np.float32], metadata: list[dict[str, Any] | None] | None = None
    ) -> None:
        """Append vectors: ``data`` is (len(keys), dimension), converted to float32; an empty or None metadata
        is left out of its line."""
        matrix = np.asarray(data, dtype=np.float32)
        self.write_lines(
            [encode_vector(key, matrix[i], metadata[i] if metadata else None) for i, key in enumerate(keys)]
        )

    def write_lines(self, lines: list[bytes]) -> None:
        """Append lines already encoded by ``encode_vector`` (one vector each, without newline)."""
        if not lines:
            return
        try:
            self._out.write(b"\n".join([*lines, b""]))  # the last newline too, in the one copy
        except OSError as exc:
            raise DumpError(f"{self._path}: cannot write: {exc.strerror or exc}") from None
        self.count += len(lines)

    def shared(self) -> tuple[int, str] | None:
        """The plain file's descriptor (flushed) and its name, for forked processes to append whole lines to, one
        at a time, counted with ``added``; None when compressed."""
        if self._out is not self._raw:
            return None
        self._raw.flush()
        return self._raw.fileno(), str(self._path)

    def added(self, count: int) -> None:
        """Count lines appended through ``shared``."""
        self.count += count

    def close(self) -> None:
        """Finish the file and give it its name."""
        try:
            self._out.close()
            self._raw.close()
            os.replace(self._temporary, self._path)
        except OSError as exc:
            raise DumpError(f"{self._path}: cannot write: {exc.strerror or exc}") from None

    def abandon(self) -> None:
        """Drop the unfinished file."""
        self._out.close()
        self._raw.close()
        self._temporary.unlink(missing_ok=True)

    def __enter__(self) -> VectorWriter:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()


def encode_vector(
    key: str, values: NDArray[np.float32], metadata: dict[str, Any] | None, newline: bool = False
) -> bytes:
    """One vector line: ``{"key": ..., "data": {"float32": [...]}, "metadata": {...}}``, metadata left out when
    empty, ending in ``\n`` with ``newline``; ``values`` must be a float32 array, whose elements orjson writes as
    the shortest float32 decimals."""
    record: dict[str, Any] = {"key": key, "data": {"float32": values}}
    if metadata:
        record["metadata"] = metadata
    return orjson.dumps(record, option=_LINE if newline else orjson.OPT_SERIALIZE_NUMPY)


# orjson appends the newline as it writes: no copy of the page to add them after.
_LINE = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE


def gzipped(raw: io.BufferedReader) -> bool:
    """Whether the file's content is gzip (its magic number), peeked without reading: a file may be a pipe, which
    cannot seek back.  Readers go by the content, not the name."""
    return raw.peek(2)[:2] == b"\x1f\x8b"


def resolve(path: Path) -> Path:
    """A vectors file's ``path``, or its other spelling (``.jsonl`` for ``.jsonl.gz`` and the other way round)
    when only that exists: readers find either."""
    if path.exists():
        return path
    other = path.with_suffix("") if path.suffix == ".gz" else path.with_name(path.name + ".gz")
    return other if other.exists() else path


def _lines(directory: str | os.PathLike[str], index: IndexEntry) -> Iterator[tuple[str, int, bytes]]:
    """(file name, 1-based line number, line without its newline) of every non-blank line of the index's file.
    A ``.jsonl.gz`` that is missing is looked for as ``.jsonl`` too and the other way round; gzip is recognised
    by its content, not its name."""
    path = resolve(_inside(Path(directory), index.file, str(Path(directory) / MANIFEST_NAME)))
    name = str(path)
    try:
        raw = open(path, "rb")  # closed below
    except FileNotFoundError:
        raise DumpError(f"{name}: missing (the manifest names it for index {index.name!r})") from None
    except OSError as exc:
        raise DumpError(f"{name}: cannot read: {exc.strerror or exc}") from None
    number = 0
    try:
        stream: gzip.GzipFile | IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped(raw) else raw
        for number, line in enumerate(stream, 1):
            stripped = line.strip()
            if stripped:
                yield name, number, stripped
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DumpError(f"{name}:{number + 1}: the gzip stream is damaged or cut short ({exc})") from None
    except OSError as exc:
        raise DumpError(f"{name}: cannot read: {exc.strerror or exc}") from None
    finally:
        raw.close()


def _vector(line: bytes, where: str, dimension: int) -> tuple[str, NDArray[np.float32], dict[str, Any] | None]:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise DumpError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(record, dict):
        raise DumpError(f"{where}: a vector line must be a JSON object")
    extra = sorted(set(record) - {"key", "data", "metadata"})
    if extra:
        raise DumpError(f"{where}: unknown member {extra[0]!r} (a line holds key, data and metadata)")
    key = record.get("key")
    if not isinstance(key, str) or not key:
        raise DumpError(f"{where}: key must be a non-empty string")
    data = record.get("data")
    values = data.get("float32") if isinstance(data, dict) else None
    if not isinstance(values, list):
        raise DumpError(f'{where}: data must be {{"float32": [numbers]}}')
    if len(values) != dimension:
        raise DumpError(f"{where}: data.float32 holds {len(values)} values, the index's dimension is {dimension}")
    # np.asarray would turn "2" and true into numbers: the types are checked first.
    if not all(type(v) is float or type(v) is int for v in values):
        raise DumpError(f"{where}: data.float32 must hold numbers only")
    with np.errstate(over="ignore"):
        converted = np.asarray(values, dtype=np.float32)
    if not np.isfinite(converted).all():
        raise DumpError(f"{where}: data.float32 holds a value outside float32's range")
    meta = record.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise DumpError(f"{where}: metadata must be a JSON object")
    return key, converted, meta or None


def _inside(directory: Path, relative: str, where: str) -> Path:
    """The path of a manifest's ``file``, refused unless it is relative and stays inside the dump directory."""
    parts = relative.split("/")
    if not relative or relative.startswith("/") or "\\" in relative or any(p in ("", ".", "..") for p in parts):
        raise DumpError(f"{where}: file {relative!r} must be a relative path inside the dump directory")
    return directory.joinpath(*parts)


def _object(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DumpError(f"{where}: expected a JSON object")
    return raw


def _string(obj: dict[str, Any], member: str, where: str) -> str:
    value = obj.get(member)
    if not isinstance(value, str) or not value:
        raise DumpError(f"{where}: {member} must be a non-empty string")
    return value


def _optional_string(obj: dict[str, Any], member: str, where: str) -> str | None:
    return None if obj.get(member) is None else _string(obj, member, where)


def _optional_object(obj: dict[str, Any], member: str, where: str) -> dict[str, Any] | None:
    value = obj.get(member)
    return None if value is None else _object(value, f"{where} {member}")


def _optional_tags(obj: dict[str, Any], where: str) -> dict[str, str] | None:
    tags = _optional_object(obj, "tags", where)
    if tags is not None and not all(isinstance(v, str) for v in tags.values()):
        raise DumpError(f"{where}: tags must map strings to strings")
    return tags


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DumpError(f"{what} {name!r} appears twice")
        seen.add(name)
