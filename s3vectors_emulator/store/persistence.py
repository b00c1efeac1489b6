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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from s3vectors_emulator.errors import InternalServerError, data_directory_gone

log = logging.getLogger("s3vectors_emulator.store")

DATABASE = "s3vectors.sqlite3"
SCHEMA_VERSION = 1
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
    encryption: dict[str, Any]
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
    non_filterable: list[str] | None
    text_configurations: list[dict[str, Any]] | None
    encryption: dict[str, Any] | None
    tags: dict[str, str]


@dataclass
class VectorRow:
    """A stored vector as read back: its blob and metadata text are checked by the restore."""

    key: str
    data: bytes
    metadata: str | None


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=False)


def load_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)  # several times faster than json at start-up
    except orjson.JSONDecodeError:
        return json.loads(text)  # integers beyond 64 bits, which metadata may hold


class Persistence:
    """The database of one data directory."""

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
        # The files this process opened: a write checks they are still there (README, data dir).
        self._identity = (self._file_id(self.path), self._file_id(lock_path))
        self._lock_path = lock_path
        self._gone: str | None = None

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

    # One transaction per acknowledged write.
    def _transaction(self, statements: list[tuple[str, Any]]) -> list[int | None]:
        ids: list[int | None] = []
        with self._write:
            self._check_directory()
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    if isinstance(params, list):
                        self._conn.executemany(sql, params)
                        ids.append(None)
                    else:
                        ids.append(self._conn.execute(sql, params).lastrowid)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return ids

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self.damaged(exc) from None

    # Buckets
    def create_bucket(self, row: BucketRow) -> int:
        (new_id,) = self._transaction(
            [
                (
                    "INSERT INTO buckets (uid, account, region, name, creation_time, encryption, legacy, "
                    "default_index_mode, policy, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        row.uid,
                        row.account,
                        row.region,
                        row.name,
                        row.creation_time,
                        _dump(row.encryption),
                        int(row.legacy),
                        row.default_index_mode,
                        row.policy,
                        _dump(row.tags),
                    ),
                )
            ]
        )
        assert new_id is not None
        return new_id

    def update_bucket(
        self, bucket_id: int, *, default_index_mode: str, policy: str | None, tags: dict[str, str]
    ) -> None:
        self._transaction(
            [
                (
                    "UPDATE buckets SET default_index_mode = ?, policy = ?, tags = ? WHERE id = ?",
                    (default_index_mode, policy, _dump(tags), bucket_id),
                )
            ]
        )

    def delete_bucket(self, bucket_id: int) -> None:
        self._transaction([("DELETE FROM buckets WHERE id = ?", (bucket_id,))])

    def buckets(self) -> Iterator[tuple[int, Any]]:
        """(id, BucketRow or the error that made its row unreadable)."""
        for i, uid, a, r, n, t, e, lg, m, p, tg in self._read("SELECT * FROM buckets ORDER BY id"):
            try:
                yield i, BucketRow(i, uid, a, r, n, float(t), load_json(e), bool(lg), m, p, load_json(tg))
            except (ValueError, TypeError) as exc:
                yield i, exc

    # Indexes
    def create_index(self, row: IndexRow) -> int:
        (new_id,) = self._transaction(
            [
                (
                    "INSERT INTO indexes (uid, bucket_id, name, creation_time, data_type, dimension, distance_metric, "
                    "mode, non_filterable, text_configurations, encryption, tags) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        row.uid,
                        row.bucket_id,
                        row.name,
                        row.creation_time,
                        row.data_type,
                        row.dimension,
                        row.distance_metric,
                        row.mode,
                        _dump(row.non_filterable),
                        _dump(row.text_configurations),
                        _dump(row.encryption),
                        _dump(row.tags),
                    ),
                )
            ]
        )
        assert new_id is not None
        return new_id

    def update_index(self, index_id: int, *, mode: str, text_configurations: Any, tags: dict[str, str]) -> None:
        self._transaction(
            [
                (
                    "UPDATE indexes SET mode = ?, text_configurations = ?, tags = ? WHERE id = ?",
                    (mode, _dump(text_configurations), _dump(tags), index_id),
                )
            ]
        )

    def delete_index(self, index_id: int) -> None:
        """The index and every vector it owns, in one transaction."""
        self._transaction(
            [
                ("DELETE FROM vectors WHERE index_id = ?", (index_id,)),
                ("DELETE FROM indexes WHERE id = ?", (index_id,)),
            ]
        )

    def indexes(self) -> Iterator[tuple[int, Any]]:
        """(id, IndexRow or the error that made its row unreadable)."""
        rows = self._read(
            "SELECT id, uid, bucket_id, name, creation_time, data_type, dimension, distance_metric, mode, "
            "non_filterable, text_configurations, encryption, tags FROM indexes ORDER BY id"
        )
        for i, uid, b, n, t, dt, d, m, mode, nf, tc, e, tg in rows:
            try:
                yield (
                    i,
                    IndexRow(
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
                    ),
                )
            except (ValueError, TypeError) as exc:
                yield i, exc

    # Vectors
    def put_vectors(self, index_id: int, records: list[tuple[str, np.ndarray, Any]]) -> None:
        self._transaction(
            [
                (
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                    [
                        (index_id, key, vector.astype(np.float32, copy=False).tobytes(), _dump(metadata))
                        for key, vector, metadata in records
                    ],
                )
            ]
        )

    def delete_vectors(self, index_id: int, keys: list[str]) -> None:
        self._transaction([("DELETE FROM vectors WHERE index_id = ? AND key = ?", [(index_id, k) for k in keys])])

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
