"""What ``--init PATH`` names, read into seeds: one per account and region, each a list of buckets, their
indexes and where their vectors come from (docs/seeding.md).

PATH is one of:

- a declarative file (``.yaml``, ``.yml`` or ``.json``): buckets and indexes written by hand, optionally
  naming dump vectors files, or listing vectors inline;
- a dump directory (``manifest.json`` inside, docs/data-format.md);
- a whole-emulator snapshot (``.tar.gz`` or ``.tgz``, as ``GET /_emulator/snapshot`` makes it), or such an
  archive unpacked (a directory of ``<account>/<region>/manifest.json``);
- a directory holding any of these, applied in the order of their names (the container's ``/init``).

Nothing is applied here: every problem with a file is a :class:`SeedError`, one line naming the file (and the
entry), raised before anything is created.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml
from isal import igzip

from s3vectors_emulator.seeding.vector_files import VectorsFile
from s3vectors_emulator.transfer.dump import MANIFEST_NAME, BucketEntry, DumpError, IndexEntry, gzipped, read_manifest

DECLARATIVE_SUFFIXES = (".yaml", ".yml", ".json")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
_ACCOUNT = re.compile(r"\d{12}")


class SeedError(Exception):
    """A seed that cannot be applied, in one line: the file, the entry and the problem."""


@dataclass
class IndexSeed:
    entry: IndexEntry
    # A vectors file, inline PutVectors vectors (a declarative file's ``vectors:`` list), or none.
    vectors: VectorsFile | list[Any] | None = None


@dataclass
class BucketSeed:
    entry: BucketEntry
    indexes: list[IndexSeed] = field(default_factory=list)


@dataclass
class RegionSeed:
    """The buckets one file seeds in one account and region (``account`` None: the server's default)."""

    origin: str  # the file named in messages
    account: str | None
    region: str | None
    buckets: list[BucketSeed] = field(default_factory=list)


@contextmanager
def read_seeds(path: str | Path) -> Iterator[list[RegionSeed]]:
    """Every seed ``path`` names, in the order they are applied; an archive is unpacked into a temporary directory
    that lives as long as the block (its vectors are read from there)."""
    with tempfile.TemporaryDirectory(prefix="s3vectors-init-") as scratch:
        yield list(_seeds(Path(path), Path(scratch)))


def _seeds(path: Path, scratch: Path) -> Iterator[RegionSeed]:
    if not path.exists():
        raise SeedError(f"{path}: no such file or directory")
    name = path.name.lower()
    if path.is_file() and name.endswith(ARCHIVE_SUFFIXES):
        yield from _snapshot(_unpack(path, scratch / str(len(list(scratch.iterdir())))), str(path))
    elif path.is_file() and name.endswith(DECLARATIVE_SUFFIXES):
        yield _declarative(path)
    elif path.is_file():
        raise SeedError(
            f"{path}: not something --init takes (a .yaml, .yml or .json file, a dump directory, a .tar.gz snapshot "
            "or a directory of them)"
        )
    elif (path / MANIFEST_NAME).is_file():
        yield _dump(path, str(path / MANIFEST_NAME), None)
    elif _is_snapshot(path):
        yield from _snapshot(path, str(path))
    else:
        for child in sorted(path.iterdir(), key=lambda p: p.name):
            lower = child.name.lower()
            if child.is_dir() and ((child / MANIFEST_NAME).is_file() or _is_snapshot(child)):
                yield from _seeds(child, scratch)
            elif child.is_file() and lower.endswith(ARCHIVE_SUFFIXES + DECLARATIVE_SUFFIXES):
                yield from _seeds(child, scratch)
            # Anything else (vectors files a declarative file names, a README) is not a seed of its own.


def _is_snapshot(path: Path) -> bool:
    return any(_ACCOUNT.fullmatch(child.name) and child.is_dir() for child in path.iterdir())


def _unpack(archive: Path, into: Path) -> Path:
    """The snapshot's files, unpacked with tarfile's ``data`` filter (nothing outside ``into``, no links out)."""
    into.mkdir(parents=True)
    try:
        with open(archive, "rb") as raw:
            # ISA-L reads the gzip layer ~3x faster than tarfile's zlib (a snapshot is mostly vectors files).
            stream: Any = igzip.IGzipFile(fileobj=raw, mode="rb") if gzipped(raw) else raw
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(into, ignore_errors=True)
        raise SeedError(f"{archive}: not a readable snapshot archive ({exc})") from None
    return into


def _snapshot(root: Path, origin: str) -> Iterator[RegionSeed]:
    """One dump per ``<account>/<region>`` folder, in name order."""
    found = False
    for account in sorted(root.iterdir(), key=lambda p: p.name):
        if not account.is_dir():
            continue
        if not _ACCOUNT.fullmatch(account.name):
            raise SeedError(f"{origin}: {account.name}: a snapshot holds one folder per 12-digit account id")
        for region in sorted(account.iterdir(), key=lambda p: p.name):
            if region.is_dir():
                where = f"{origin}: {account.name}/{region.name}/{MANIFEST_NAME}"
                yield _dump(region, where, (account.name, region.name))
                found = True
    if not found:
        raise SeedError(f"{origin}: holds no <account>/<region>/{MANIFEST_NAME}")


def _dump(directory: Path, where: str, folder: tuple[str, str] | None) -> RegionSeed:
    """A dump directory's seed: into the account and region of its folder in a snapshot; a lone dump goes where
    unsigned requests go, the server's default account and region (docs/seeding.md)."""
    try:
        manifest = read_manifest(directory)
    except DumpError as exc:
        raise SeedError(str(exc)) from None
    account, region = folder if folder else (None, None)
    seed = RegionSeed(where, account, region)
    for bucket in manifest.buckets:
        seed.buckets.append(
            BucketSeed(
                bucket,
                [IndexSeed(index, VectorsFile(directory / index.file, index.vector_count)) for index in bucket.indexes],
            )
        )
    return seed


# -- The declarative file ---------------------------------------------------------------------------------------

_TOP = {"account", "region", "buckets"}
_BUCKET = {"name", "vectorBucketName", "encryptionConfiguration", "tags", "policy", "defaultIndexMode", "indexes"}
_INDEX = {
    "name",
    "indexName",
    "dataType",
    "dimension",
    "distanceMetric",
    "metadataConfiguration",
    "encryptionConfiguration",
    "tags",
    "indexMode",
    "vectors",
}


def _declarative(path: Path) -> RegionSeed:
    origin = str(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SeedError(f"{origin}: cannot read: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() == ".json":
            document = orjson.loads(text)
        else:
            document = yaml.safe_load(text)
    except orjson.JSONDecodeError as exc:
        raise SeedError(f"{origin}: not valid JSON ({exc})") from None
    except yaml.YAMLError as exc:
        raise SeedError(f"{origin}: not valid YAML ({' '.join(str(exc).split())})") from None
    if isinstance(document, dict) and document.get("format") == "s3vectors-dump":
        raise SeedError(f"{origin}: a dump's manifest: give --init the dump's directory instead")
    top = _mapping(document, origin, "the file", _TOP)
    account = top.get("account")
    if account is not None and not (isinstance(account, str | int) and _ACCOUNT.fullmatch(str(account))):
        # YAML reads an unquoted 012345678901 as a number, without its leading zero.
        raise SeedError(f"{origin}: account must be 12 digits (quote it in YAML), got {account!r}")
    account = None if account is None else str(account)
    seed = RegionSeed(origin, account, _optional_text(top, "region", origin, "the file"))
    buckets = top.get("buckets") or []
    if not isinstance(buckets, list):
        raise SeedError(f"{origin}: buckets must be a list")
    for position, raw in enumerate(buckets):
        seed.buckets.append(_bucket(raw, path, f"bucket #{position + 1}"))
    return seed


def _bucket(raw: Any, path: Path, where: str) -> BucketSeed:
    origin = str(path)
    obj = _mapping(raw, origin, where, _BUCKET)
    name = _name(obj, "vectorBucketName", origin, where)
    where = f"entry {name}"
    policy = obj.get("policy")
    if isinstance(policy, dict):
        policy = orjson.dumps(policy).decode()  # a policy written as YAML or JSON, not as a string
    entry = BucketEntry(
        name,
        encryption=_optional_mapping(obj, "encryptionConfiguration", origin, where),
        tags=_optional_mapping(obj, "tags", origin, where),
        policy=_text_or_none(policy, "policy", origin, where),
        default_index_mode=_optional_text(obj, "defaultIndexMode", origin, where),
    )
    indexes = obj.get("indexes") or []
    if not isinstance(indexes, list):
        raise SeedError(f"{origin}: {where}: indexes must be a list")
    seed = BucketSeed(entry)
    for position, item in enumerate(indexes):
        seed.indexes.append(_index(item, path, name, f"{where}: index #{position + 1}"))
    return seed


def _index(raw: Any, path: Path, bucket: str, where: str) -> IndexSeed:
    origin = str(path)
    obj = _mapping(raw, origin, where, _INDEX)
    name = _name(obj, "indexName", origin, where)
    where = f"entry {bucket}/{name}"
    # Handed to CreateIndex as written: its validation gives the API's message for a wrong type or value.
    entry = IndexEntry(
        name,
        obj.get("dimension"),  # type: ignore[arg-type]
        obj.get("distanceMetric"),  # type: ignore[arg-type]
        data_type=obj.get("dataType", "float32"),
        metadata_configuration=_optional_mapping(obj, "metadataConfiguration", origin, where),
        encryption=_optional_mapping(obj, "encryptionConfiguration", origin, where),
        tags=_optional_mapping(obj, "tags", origin, where),
        index_mode=_optional_text(obj, "indexMode", origin, where),
    )
    vectors = obj.get("vectors")
    if vectors is None:
        return IndexSeed(entry)
    if isinstance(vectors, list):
        return IndexSeed(entry, vectors)
    if isinstance(vectors, str) and vectors:
        return IndexSeed(entry, VectorsFile(path.parent / vectors))
    raise SeedError(f"{origin}: {where}: vectors must be a vectors file (a path relative to this file) or a list")


def _mapping(raw: Any, origin: str, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SeedError(f"{origin}: {where}: expected a mapping")
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise SeedError(f"{origin}: {where}: unknown member {unknown[0]!r} (expected {', '.join(sorted(allowed))})")
    return raw


def _name(obj: dict[str, Any], member: str, origin: str, where: str) -> str:
    if "name" in obj and member in obj:
        raise SeedError(f"{origin}: {where}: give name or {member}, not both")
    name = obj.get("name", obj.get(member))
    if not isinstance(name, str) or not name:
        raise SeedError(f"{origin}: {where}: name must be a non-empty string")
    return name


def _optional_text(obj: dict[str, Any], member: str, origin: str, where: str) -> str | None:
    return _text_or_none(obj.get(member), member, origin, where)


def _text_or_none(value: Any, member: str, origin: str, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SeedError(f"{origin}: {where}: {member} must be a string")
    return value


def _optional_mapping(obj: dict[str, Any], member: str, origin: str, where: str) -> Any:
    value = obj.get(member)
    if value is not None and not isinstance(value, dict):
        raise SeedError(f"{origin}: {where}: {member} must be a mapping")
    return value
