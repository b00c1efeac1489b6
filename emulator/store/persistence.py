"""The durable side of the store: an embedded SQLite database behind ``--data-dir``.

SQLite in WAL mode with ``synchronous=NORMAL``: a commit is in the write-ahead log (the
operating system's buffers) before it returns, so an acknowledged write survives a killed
process; it is replayed on the next open.  One connection, one writer at a time, which
matches the store's own locking (a region lock for the control plane, an index's write
lock for its vectors).  The in-memory store stays the source for reads; this file is read
only at start-up, to rebuild it.

A lock file held with ``flock`` keeps a second emulator off the same directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
    creation_time REAL NOT NULL, encryption TEXT NOT NULL, legacy INTEGER NOT NULL,
    default_index_mode TEXT NOT NULL, policy TEXT, tags TEXT NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE IF NOT EXISTS indexes (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL, region TEXT NOT NULL, bucket TEXT NOT NULL, name TEXT NOT NULL,
    creation_time REAL NOT NULL, data_type TEXT NOT NULL, dimension INTEGER NOT NULL,
    distance_metric TEXT NOT NULL, mode TEXT NOT NULL, non_filterable TEXT, text_configurations TEXT,
    encryption TEXT, tags TEXT NOT NULL,
    UNIQUE (account, region, bucket, name)
);
CREATE TABLE IF NOT EXISTS vectors (
    index_id INTEGER NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, metadata TEXT,
    PRIMARY KEY (index_id, key)
) WITHOUT ROWID;
"""


class DataDirError(RuntimeError):
    """The data directory cannot be used; the message says why."""


class DataDirInUse(DataDirError):
    """Another emulator holds the data directory."""


@dataclass
class BucketRow:
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
    account: str
    region: str
    bucket: str
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


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=False)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class Persistence:
    """The database of one data directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.directory / "LOCK", "a+")  # noqa: SIM115 - held for the process's life
        except OSError as exc:
            raise DataDirError(f"cannot use the data directory {self.directory}: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise DataDirInUse(
                f"the data directory {self.directory} is in use by another emulator; stop it or choose another"
            ) from None
        try:
            self._conn = sqlite3.connect(
                self.directory / "s3vectors.sqlite3", check_same_thread=False, isolation_level=None
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            self._lock_file.close()
            raise DataDirError(f"cannot open the database in {self.directory}: {exc}") from None
        self._write = threading.Lock()

    def close(self) -> None:
        with self._write:
            self._conn.close()
        self._lock_file.close()

    # One transaction per acknowledged write.
    def _transaction(self, statements: list[tuple[str, Any]]) -> list[int | None]:
        ids: list[int | None] = []
        with self._write:
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

    # Buckets
    def save_bucket(self, row: BucketRow) -> None:
        self._transaction([(
            "INSERT OR REPLACE INTO buckets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.account, row.region, row.name, row.creation_time, _dump(row.encryption), int(row.legacy),
             row.default_index_mode, row.policy, _dump(row.tags)),
        )])

    def delete_bucket(self, account: str, region: str, name: str) -> None:
        self._transaction([("DELETE FROM buckets WHERE account = ? AND region = ? AND name = ?",
                            (account, region, name))])

    def buckets(self) -> list[BucketRow]:
        rows = self._conn.execute("SELECT * FROM buckets ORDER BY account, region, name").fetchall()
        return [BucketRow(a, r, n, t, _load(e), bool(lg), m, p, _load(tg)) for a, r, n, t, e, lg, m, p, tg in rows]

    # Indexes
    def create_index(self, row: IndexRow) -> int:
        (new_id,) = self._transaction([(
            "INSERT INTO indexes (account, region, bucket, name, creation_time, data_type, dimension, "
            "distance_metric, mode, non_filterable, text_configurations, encryption, tags) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.account, row.region, row.bucket, row.name, row.creation_time, row.data_type, row.dimension,
             row.distance_metric, row.mode, _dump(row.non_filterable), _dump(row.text_configurations),
             _dump(row.encryption), _dump(row.tags)),
        )])
        assert new_id is not None
        return new_id

    def update_index(self, index_id: int, *, mode: str, text_configurations: Any, tags: dict[str, str]) -> None:
        self._transaction([(
            "UPDATE indexes SET mode = ?, text_configurations = ?, tags = ? WHERE id = ?",
            (mode, _dump(text_configurations), _dump(tags), index_id),
        )])

    def delete_index(self, index_id: int) -> None:
        self._transaction([
            ("DELETE FROM vectors WHERE index_id = ?", (index_id,)),
            ("DELETE FROM indexes WHERE id = ?", (index_id,)),
        ])

    def indexes(self) -> list[IndexRow]:
        rows = self._conn.execute(
            "SELECT id, account, region, bucket, name, creation_time, data_type, dimension, distance_metric, mode, "
            "non_filterable, text_configurations, encryption, tags FROM indexes ORDER BY id"
        ).fetchall()
        return [
            IndexRow(i, a, r, b, n, t, dt, d, m, mode, _load(nf), _load(tc), _load(e), _load(tg))
            for i, a, r, b, n, t, dt, d, m, mode, nf, tc, e, tg in rows
        ]

    # Vectors
    def put_vectors(self, index_id: int, records: list[tuple[str, np.ndarray, Any]]) -> None:
        self._transaction([(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
            [(index_id, key, vector.astype(np.float32, copy=False).tobytes(), _dump(metadata))
             for key, vector, metadata in records],
        )])

    def delete_vectors(self, index_id: int, keys: list[str]) -> None:
        self._transaction([("DELETE FROM vectors WHERE index_id = ? AND key = ?", [(index_id, k) for k in keys])])

    def vectors(self, index_id: int, batch: int = 10_000) -> Iterator[list[tuple[str, np.ndarray, Any]]]:
        """An index's vectors in batches, for rebuilding its matrix at start-up."""
        cursor = self._conn.execute("SELECT key, data, metadata FROM vectors WHERE index_id = ?", (index_id,))
        while rows := cursor.fetchmany(batch):
            yield [(key, np.frombuffer(data, dtype=np.float32).copy(), _load(meta)) for key, data, meta in rows]

    def reset(self) -> None:
        self._transaction([("DELETE FROM vectors", ()), ("DELETE FROM indexes", ()), ("DELETE FROM buckets", ())])
