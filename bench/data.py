"""Seeded benchmark data and filling an Index with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.stats import now

SEED = 20240611


def generator(seed: int = SEED) -> np.random.Generator:
    return np.random.default_rng(seed)


def gaussian(rng: np.random.Generator, n: int, d: int) -> NDArray[np.float32]:
    """``n`` standard normal float32 vectors of dimension ``d`` (C-contiguous)."""
    return rng.standard_normal((n, d), dtype=np.float32)


def queries(rng: np.random.Generator, count: int, d: int) -> list[NDArray[np.float32]]:
    return list(gaussian(rng, count, d))


def key_of(i: int) -> str:
    return f"vec-{i:07d}"


def put_matrix(
    index: Any,
    matrix: NDArray[np.float32],
    first_key: int = 0,
    metadata: Callable[[int], dict[str, Any] | None] | None = None,
    batch: int = 500,
) -> float:
    """Put the rows of ``matrix`` into an Index as PutVectors does (check_records, then put,
    ``batch`` records at a time; keys ``key_of(first_key + row)``); returns the seconds spent."""
    spent = 0.0
    for b in range(0, len(matrix), batch):
        entries = [
            (key_of(first_key + j), matrix[j], metadata(first_key + j) if metadata else None)
            for j in range(b, min(b + batch, len(matrix)))
        ]
        start = now()
        index.put(index.check_records(entries))
        spent += now() - start
    return spent


def fill_index(
    index: Any,
    n: int,
    rng: np.random.Generator,
    metadata: Callable[[int], dict[str, Any] | None] | None = None,
    chunk: int = 50_000,
) -> float:
    """Put ``n`` generated vectors into an Index (see :func:`put_matrix`), generating them
    ``chunk`` rows at a time so that only the index holds them all; returns the seconds spent."""
    spent = 0.0
    for begin in range(0, n, chunk):
        block = gaussian(rng, min(chunk, n - begin), index.dimension)
        spent += put_matrix(index, block, begin, metadata)
        del block
    return spent


def store_index(region: Any, bucket: str, name: str, dimension: int, metric: str = "cosine") -> Any:
    """A new bucket holding a new float32 index, made straight in a store Region (no HTTP)."""
    region.create_bucket(bucket, None, None)
    return region.create_index(
        bucket,
        name,
        data_type="float32",
        dimension=dimension,
        metric=metric,
        non_filterable_keys=None,
        text_fields=None,
        encryption=None,
        tags=None,
    )


def estimate_generation_seconds(n: int, d: int) -> float:
    """How long generating (and copying once) ``n`` × ``d`` float32 values would take here."""
    rng = generator(1)
    sample = 1 << 22
    start = now()
    gaussian(rng, sample // d, d).copy()
    return (now() - start) * (n * d / sample)
