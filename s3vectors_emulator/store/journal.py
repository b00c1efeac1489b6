"""The write journal: every change to the store, as a value, made durable before it is visible.

Each write of the store builds one :data:`Change`, hands it to the journal, and applies it only
once the journal has returned (behaviour.md#consistency-durability: durable before visible).  The
journal is injected at construction: :class:`Journal` keeps nothing (memory only), and
:class:`~s3vectors_emulator.store.persistence.Persistence` writes each change to the data
directory's database.  At start-up the database's content is replayed as changes through the
same code that applies live writes (:mod:`s3vectors_emulator.store.restore`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from s3vectors_emulator.store.configuration import BucketSettings, IndexSettings
from s3vectors_emulator.store.metadata import StoredMetadata
from s3vectors_emulator.store.records import Record

if TYPE_CHECKING:
    from s3vectors_emulator.store.index import Index
    from s3vectors_emulator.store.store import Bucket


@dataclass(frozen=True)
class BucketCreated:
    bucket: Bucket


@dataclass(frozen=True)
class BucketChanged:
    bucket: Bucket
    settings: BucketSettings  # the bucket's settings after the change


@dataclass(frozen=True)
class BucketDeleted:
    bucket: Bucket


@dataclass(frozen=True)
class IndexCreated:
    index: Index


@dataclass(frozen=True)
class IndexChanged:
    index: Index
    settings: IndexSettings  # the index's settings after the change


@dataclass(frozen=True)
class IndexDeleted:
    index: Index  # with every vector it holds


@dataclass(frozen=True)
class VectorsPut:
    index: Index
    records: list[Record]  # distinct keys; each replaces any vector of its key
    # Each record's metadata as the index keeps it (JSON bytes): encoded once, for both.
    packed: list[StoredMetadata]


@dataclass(frozen=True)
class VectorsDeleted:
    index: Index
    keys: list[str]  # distinct keys, present or not


Change = (
    BucketCreated
    | BucketChanged
    | BucketDeleted
    | IndexCreated
    | IndexChanged
    | IndexDeleted
    | VectorsPut
    | VectorsDeleted
)


class Journal:
    """Memory only: every change is already as durable as it will be."""

    def write(self, change: Change) -> None:
        """Make ``change`` durable, or raise (and the change is not applied)."""

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make every change written by this thread inside the block durable together, or none.

        For a seed applied at start (behaviour.md#consistency-seeding): a seed that fails half way
        leaves nothing durable behind.  When the block raises, what the store applied in memory no
        longer matches what is durable: the caller discards the store.
        """
        yield

    def reset(self) -> None:
        """Forget everything (the emulator's reset)."""

    def close(self) -> None:
        """Release what the journal holds open."""
