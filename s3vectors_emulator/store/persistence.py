"""The durable side of the store: an embedded SQLite database behind ``--data-dir``.

SQLite in WAL mode with ``synchronous=NORMAL``: a commit is in the write-ahead log (the
operating system's buffers) before it returns, so an acknowledged write survives a killed
process; it is replayed on the next open.  One connection, one writer at a time, which
matches the store's own locking (a region lock for the control plane, an index's write
lock for its vectors).  The in-memory store stays the source for reads; this file is read
only at start-up, to rebuild it.

Buckets and indexes have ids that are never reused (AUTOINCREMENT), and an index's row names
its bucket by id, so rows a delete left behind can never be taken for a later resource of the
same name.  A lock file held with ``flock`` keeps a second emulator off the same directory, and
every write first checks that the database and the lock file are still the ones opened.

This is the store's journal with a data directory: each change the store makes arrives at
:meth:`Persistence.write` and is committed in one transaction before the store applies it.
The tables hold the state those changes add up to, in the store's own terms (its JSON is this
module's format, not the API's); :mod:`s3vectors_emulator.store.restore` reads it back as changes.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from s3vectors_emulator.errors import InternalServerError, data_directory_gone
from s3vectors_emulator.store.configuration import Encryption, TextField
from s3vectors_emulator.store.journal import (
    BucketChanged,
    BucketCreated,
    BucketDeleted,
    Change,
    IndexChanged,
    IndexCreated,
    IndexDeleted,
    Journal,
    VectorsDeleted,
    VectorsPut,
)
from s3vectors_emulator.store.metadata import StoredMetadata

log = logging.getLogger("s3vectors_emulator.store")

DATABASE = "s3vectors.sqlite3"
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL,
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
    creation_time REAL NOT NULL, encryption TEXT NOT NULL, legacy INTEGER NOT NULL,
    default_index_mode TEXT NOT NULL, policy TEXT, tags TEXT NOT NULL,
    UNIQUE (account, region, name)
);
CREATE TABLE IF NOT EXISTS indexes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL, bucket_id INTEGER NOT NULL, name TEXT NOT NULL,
    creation_time REAL NOT NULL, data_type TEXT NOT NULL, dimension INTEGER NOT NULL,
    distance_metric TEXT NOT NULL, mode TEXT NOT NULL, non_filterable TEXT, text_configurations TEXT,
    encryption TEXT, tags TEXT NOT NULL,
    UNIQUE (bucket_id, name)
);
CREATE TABLE IF NOT EXISTS vectors (
    index_id INTEGER NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, metadata TEXT,
    PRIMARY KEY (index_id, key)
) WITHOUT ROWID;
"""
# Schema 0 (before ids were stable) named an index's bucket by name; its ids could be reused.
_MIGRATE_FROM_0 = """
ALTER TABLE buckets RENAME TO buckets_0;
ALTER TABLE indexes RENAME TO indexes_0;
{schema}
INSERT INTO buckets (uid, account, region, name, creation_time, encryption, legacy, default_index_mode, policy, tags)
    SELECT lower(hex(randomblob(8))), account, region, name, creation_time, encryption, legacy, default_index_mode,
           policy, tags FROM buckets_0 ORDER BY account, region, name;
INSERT INTO indexes (id, uid, bucket_id, name, creation_time, data_type, dimension, distance_metric, mode,
                     non_filterable, text_configurations, encryption, tags)
    SELECT i.id, lower(hex(randomblob(8))), b.id, i.name, i.creation_time, i.data_type, i.dimension,
           i.distance_metric, i.mode, i.non_filterable, i.text_configurations, i.encryption, i.tags
    FROM indexes_0 i JOIN buckets b ON b.account = i.account AND b.region = i.region AND b.name = i.bucket;
INSERT INTO sqlite_sequence (name, seq) SELECT 'indexes', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'indexes');
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM indexes_0),
                                     (SELECT coalesce(max(index_id), 0) FROM vectors))
    WHERE name = 'indexes';
DROP TABLE buckets_0;
DROP TABLE indexes_0;
"""
# Schema 1 kept encryption and text search configurations as the API's JSON; schema 2 keeps them
# in this module's format (encode_encryption, encode_text_fields).  A value that cannot be read
# is left as it is, for the restore to leave out with its row.
_SCHEMA_1_ENCRYPTION = ("sseType", "kmsKeyArn")
_SCHEMA_1_TEXT_FIELD = ("metadataKey", "language")


class DataDirError(RuntimeError):
    """The data directory cannot be used; the message says why and what to do."""


class DataDirInUse(DataDirError):
    """Another emulator holds the data directory."""


class DataDirDamaged(DataDirError):
    """The database cannot be read."""


@dataclass
class BucketRow:
    id: int
    uid: str
    account: str
    region: str
    name: str
    creation_time: float
    encryption: Any  # as read: decode_encryption checks it
    legacy: bool
    default_index_mode: str
    policy: str | None
    tags: dict[str, str]


@dataclass
class IndexRow:
    id: int
    uid: str
    bucket_id: int
    name: str
    creation_time: float
    data_type: str
    dimension: int
    distance_metric: str
    mode: str
    non_filterable: Any  # as read: the restore checks these
    text_fields: Any
    encryption: Any
    tags: Any


@dataclass
class VectorRow:
    """A stored vector as read back: its blob and metadata text are checked by the restore."""

    key: str
    data: bytes
    metadata: str | None


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=False)


def encode_encryption(encryption: Encryption | None) -> str | None:
    if encryption is None:
        return None
    return _dump({"sse_type": encryption.sse_type, "kms_key_arn": encryption.kms_key_arn})


def decode_encryption(value: Any) -> Encryption | None:
    """The encryption a row holds; raises ValueError when it is not one."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("sse_type"), str):
        raise ValueError("its encryption is malformed")
    key = value.get("kms_key_arn")
    if key is not None and not isinstance(key, str):
        raise ValueError("its encryption is malformed")
    return Encryption(value["sse_type"], key)


def encode_text_fields(fields: tuple[TextField, ...] | None) -> str | None:
    if fields is None:
        return None
    return _dump([{"key": f.key, "language": f.language} for f in fields])


def decode_text_fields(value: Any) -> tuple[TextField, ...] | None:
    """The text fields a row holds; raises ValueError when they are not text fields."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(f, dict) and isinstance(f.get("key"), str) and isinstance(f.get("language"), str | None)
        for f in value
    ):
        raise ValueError("its text search configurations are malformed")
    return tuple(TextField(f["key"], f.get("language")) for f in value)


def _metadata_text(packed: StoredMetadata) -> str | None:
    """Metadata as the index keeps it (already JSON, once encoded) as the database keeps it."""
    if packed is None:
        return None
    if isinstance(packed, bytes):
        return packed.decode()
    return _dump(packed)  # what orjson cannot write: an int beyond 64 bits, a lone surrogate


def _upgrade_1_to_2(conn: sqlite3.Connection) -> None:
    def convert(text: str | None, names: tuple[str, str], ours: tuple[str, str], many: bool) -> str | None:
        try:
            value = load_json(text)
        except ValueError:
            return text
        items = value if many and isinstance(value, list) else [value]
        if value is None or not all(isinstance(item, dict) for item in items):
            return text
        converted = [{ours[0]: item.get(names[0]), ours[1]: item.get(names[1])} for item in items]
        return _dump(converted if many else converted[0])

    encryption = (_SCHEMA_1_ENCRYPTION, ("sse_type", "kms_key_arn"))
    text_field = (_SCHEMA_1_TEXT_FIELD, ("key", "language"))
    for row_id, text in conn.execute("SELECT id, encryption FROM buckets").fetchall():
        conn.execute("UPDATE buckets SET encryption = ? WHERE id = ?", (convert(text, *encryption, False), row_id))
    for row_id, enc, fields in conn.execute("SELECT id, encryption, text_configurations FROM indexes").fetchall():
        conn.execute(
            "UPDATE indexes SET encryption = ?, text_configurations = ? WHERE id = ?",
            (convert(enc, *encryption, False), convert(fields, *text_field, True), row_id),
        )


def load_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)  # several times faster than json at start-up
    except orjson.JSONDecodeError:
        return json.loads(text)  # integers beyond 64 bits, which metadata may hold


class Persistence(Journal):
    """The database of one data directory: the store's journal with ``--data-dir``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DATABASE
        lock_path = self.directory / "LOCK"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(lock_path, "a+")  # noqa: SIM115 - held for the process's life
        except OSError as exc:
            raise DataDirError(
                f"cannot use the data directory {self.directory}: {exc.strerror}; choose another with --data-dir "
                "(a directory this user can write, created when missing)"
            ) from None
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise DataDirInUse(
                f"the data directory {self.directory} is in use by another emulator; stop it or choose another"
            ) from None
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            self._lock_file.close()
            raise self.damaged(exc) from None
        self._write = threading.Lock()
        # Row ids by the store's uids: read by the restore, added by each creation.
        self._bucket_ids: dict[str, int] = {}
        self._index_ids: dict[str, int] = {}
        # The files this process opened: a write checks they are still there (README, data dir).
        self._identity = (self._file_id(self.path), self._file_id(lock_path))
        self._lock_path = lock_path
        self._gone: str | None = None
        # The thread whose batch() holds the open transaction (and _write), if any.
        self._batch_owner: int | None = None

    def damaged(self, exc: BaseException) -> DataDirDamaged:
        return DataDirDamaged(
            f"the database {self.path} cannot be read ({exc}); move it away to start with an empty data "
            "directory, or put back a copy of it"
        )

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            if version == 0 and "buckets" in tables:
                dropped = self._conn.execute(
                    "SELECT count(*) FROM indexes i WHERE NOT EXISTS (SELECT 1 FROM buckets b WHERE "
                    "b.account = i.account AND b.region = i.region AND b.name = i.bucket)"
                ).fetchone()[0]
                for statement in _MIGRATE_FROM_0.format(schema=SCHEMA).split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                if dropped:
                    log.warning("data directory upgrade: left out %d index(es) whose bucket was gone", dropped)
                version = 1
            if version == 1 and "buckets" in tables:
                _upgrade_1_to_2(self._conn)
            elif version > SCHEMA_VERSION:
                raise DataDirError(
                    f"the database {self.path} was written by a newer emulator (schema {version}); upgrade the "
                    "emulator or use another data directory"
                )
            else:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _file_id(path: Path) -> tuple[int, int] | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def _check_directory(self) -> None:
        """Refuse writes once the data directory was deleted or replaced under the server.

        Acknowledging them would write to a file nobody will read again, and a second server
        could already be using the re-created path.
        """
        if self._gone is None:
            now = (self._file_id(self.path), self._file_id(self._lock_path))
            if now == self._identity:
                return
            self._gone = data_directory_gone(self.directory)
            log.error("%s", self._gone)
        raise InternalServerError(self._gone)

    def close(self) -> None:
        with self._write:
            self._conn.close()
        self._lock_file.close()

    # One transaction per acknowledged write, or one for a whole batch.
    def _transaction(self, statements: list[tuple[str, Any]]) -> list[int | None]:
        if self._batch_owner == threading.get_ident():
            return self._execute(statements)  # inside the batch's transaction, under its lock
        with self._write:
            self._check_directory()
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                ids = self._execute(statements)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return ids

    def _execute(self, statements: list[tuple[str, Any]]) -> list[int | None]:
        ids: list[int | None] = []
        for sql, params in statements:
            if isinstance(params, list):
                self._conn.executemany(sql, params)
                ids.append(None)
            else:
                ids.append(self._conn.execute(sql, params).lastrowid)
        return ids

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for every change this thread writes in the block (a seed applied at
        start, behaviour.md#consistency-seeding): committed at the end, rolled back if it raises."""
        with self._write:
            self._check_directory()
            self._conn.execute("BEGIN IMMEDIATE")
            self._batch_owner = threading.get_ident()
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._batch_owner = None

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self.damaged(exc) from None

    # The journal
    def write(self, change: Change) -> None:
        """Commit ``change`` in one transaction; the store applies it only once this returns."""
        if isinstance(change, VectorsPut):  # the most frequent, first
            self._vectors_put(change)
        elif isinstance(change, VectorsDeleted):
            self._vectors_deleted(change)
        elif isinstance(change, BucketCreated):
            self._bucket_created(change)
        elif isinstance(change, BucketChanged):
            self._bucket_changed(change)
        elif isinstance(change, BucketDeleted):
            self._transaction([("DELETE FROM buckets WHERE id = ?", (self._bucket_ids[change.bucket.uid],))])
            del self._bucket_ids[change.bucket.uid]
        elif isinstance(change, IndexCreated):
            self._index_created(change)
        elif isinstance(change, IndexChanged):
            self._index_changed(change)
        elif isinstance(change, IndexDeleted):
            index_id = self._index_ids[change.index.uid]
            # The index and every vector it owns, in one transaction.
            self._transaction(
                [
                    ("DELETE FROM vectors WHERE index_id = ?", (index_id,)),
                    ("DELETE FROM indexes WHERE id = ?", (index_id,)),
                ]
            )
            del self._index_ids[change.index.uid]
        else:
            raise TypeError(f"not a change: {change!r}")

    def _vectors_put(self, change: VectorsPut) -> None:
        index_id = self._index_ids[change.index.uid]
        rows = [
            (index_id, record.key, record.vector.tobytes(), _metadata_text(packed))
            for record, packed in zip(change.records, change.packed, strict=True)
        ]
        self._transaction([("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)])

    def _vectors_deleted(self, change: VectorsDeleted) -> None:
        index_id = self._index_ids[change.index.uid]
        self._transaction(
            [("DELETE FROM vectors WHERE index_id = ? AND key = ?", [(index_id, k) for k in change.keys])]
        )

    def _bucket_created(self, change: BucketCreated) -> None:
        bucket = change.bucket
        settings = bucket.settings
        (new_id,) = self._transaction(
            [
                (
                    "INSERT INTO buckets (uid, account, region, name, creation_time, encryption, legacy, "
                    "default_index_mode, policy, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        bucket.uid,
                        bucket.account,
                        bucket.region,
                        bucket.name,
                        bucket.creation_time,
                        encode_encryption(bucket.encryption),
                        int(bucket.legacy),
                        settings.default_index_mode,
                        settings.policy,
                        _dump(settings.tags),
                    ),
                )
            ]
        )
        assert new_id is not None
        self._bucket_ids[bucket.uid] = new_id

    def _bucket_changed(self, change: BucketChanged) -> None:
        settings = change.settings
        self._transaction(
            [
                (
                    "UPDATE buckets SET default_index_mode = ?, policy = ?, tags = ? WHERE id = ?",
                    (
                        settings.default_index_mode,
                        settings.policy,
                        _dump(settings.tags),
                        self._bucket_ids[change.bucket.uid],
                    ),
                )
            ]
        )

    def _index_created(self, change: IndexCreated) -> None:
        index = change.index
        settings = index.settings
        (new_id,) = self._transaction(
            [
                (
                    "INSERT INTO indexes (uid, bucket_id, name, creation_time, data_type, dimension, "
                    "distance_metric, mode, non_filterable, text_configurations, encryption, tags) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        index.uid,
                        self._bucket_ids[index.bucket_uid],
                        index.name,
                        index.creation_time,
                        index.data_type,
                        index.dimension,
                        index.metric,
                        settings.mode,
                        _dump(list(index.non_filterable_list) if index.non_filterable_list is not None else None),
                        encode_text_fields(settings.text_fields),
                        encode_encryption(index.encryption),
                        _dump(settings.tags),
                    ),
                )
            ]
        )
        assert new_id is not None
        self._index_ids[index.uid] = new_id

    def _index_changed(self, change: IndexChanged) -> None:
        settings = change.settings
        self._transaction(
            [
                (
                    "UPDATE indexes SET mode = ?, text_configurations = ?, tags = ? WHERE id = ?",
                    (
                        settings.mode,
                        encode_text_fields(settings.text_fields),
                        _dump(settings.tags),
                        self._index_ids[change.index.uid],
                    ),
                )
            ]
        )

    # Reading back, at start-up (s3vectors_emulator.store.restore)
    def buckets(self) -> Iterator[tuple[int, Any]]:
        """(id, BucketRow or the error that made its row unreadable)."""
        for i, uid, a, r, n, t, e, lg, m, p, tg in self._read("SELECT * FROM buckets ORDER BY id"):
            try:
                row = BucketRow(i, uid, a, r, n, float(t), load_json(e), bool(lg), m, p, load_json(tg))
            except (ValueError, TypeError) as exc:
                yield i, exc
                continue
            self._bucket_ids[uid] = i
            yield i, row

    def indexes(self) -> Iterator[tuple[int, Any]]:
        """(id, IndexRow or the error that made its row unreadable)."""
        rows = self._read(
            "SELECT id, uid, bucket_id, name, creation_time, data_type, dimension, distance_metric, mode, "
            "non_filterable, text_configurations, encryption, tags FROM indexes ORDER BY id"
        )
        for i, uid, b, n, t, dt, d, m, mode, nf, tc, e, tg in rows:
            try:
                row = IndexRow(
                    i,
                    uid,
                    b,
                    n,
                    float(t),
                    dt,
                    int(d),
                    m,
                    mode,
                    load_json(nf),
                    load_json(tc),
                    load_json(e),
                    load_json(tg),
                )
            except (ValueError, TypeError) as exc:
                yield i, exc
                continue
            self._index_ids[uid] = i
            yield i, row

    def vectors(self, index_id: int, batch: int = 10_000) -> Iterator[list[VectorRow]]:
        """An index's stored vectors in batches, for rebuilding its matrix at start-up."""
        try:
            cursor = self._conn.execute("SELECT key, data, metadata FROM vectors WHERE index_id = ?", (index_id,))
            while rows := cursor.fetchmany(batch):
                yield [VectorRow(key, data, meta) for key, data, meta in rows]
        except sqlite3.DatabaseError as exc:
            raise self.damaged(exc) from None

    def orphan_vectors(self, index_ids: set[int]) -> dict[int, int]:
        """Vector counts of index ids that are not in ``index_ids`` (rows nothing can serve)."""
        counts = self._read("SELECT index_id, count(*) FROM vectors GROUP BY index_id")
        return {i: n for i, n in counts if i not in index_ids}

    def remove(self, buckets: list[int], indexes: list[int], vectors: list[tuple[int, str]]) -> Path:
        """Drop what the restore left out, after keeping a copy of the database as it was."""
        copy = self.directory / f"{DATABASE}.left-out-{time.strftime('%Y%m%dT%H%M%S')}"
        with self._write:
            target = sqlite3.connect(copy)
            try:
                self._conn.backup(target)
            finally:
                target.close()
        self._transaction(
            [
                ("DELETE FROM buckets WHERE id = ?", [(i,) for i in buckets]),
                ("DELETE FROM vectors WHERE index_id = ?", [(i,) for i in indexes]),
                ("DELETE FROM indexes WHERE id = ?", [(i,) for i in indexes]),
                ("DELETE FROM vectors WHERE index_id = ? AND key = ?", vectors),
            ]
        )
        return copy

    def reset(self) -> None:
        self._transaction([("DELETE FROM vectors", ()), ("DELETE FROM indexes", ()), ("DELETE FROM buckets", ())])
