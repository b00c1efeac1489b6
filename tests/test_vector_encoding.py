"""Vector data in answers: written from numpy arrays (operations/vectors.py vector_out, protocol/serialize.py),
the bytes are those of the same values as Python floats, which is how they were written before, for every
float32 (behaviour.md#vectors-float32: each value as the decimal of its double)."""

from __future__ import annotations

import numpy as np
import orjson
from hypothesis import given
from hypothesis import strategies as st

from s3vectors_emulator.operations.vectors import vector_out
from s3vectors_emulator.protocol.serialize import encode
from s3vectors_emulator.store.records import StoredVector

F32 = np.finfo(np.float32)


def _as_lists(values: np.ndarray) -> bytes:
    """The answer as it was written before: the float32 values as a list of Python floats."""
    return orjson.dumps({"key": "k", "data": {"float32": values.tolist()}, "metadata": {"n": 1}})


def _as_answered(values: np.ndarray) -> bytes:
    return encode(vector_out(StoredVector("k", values, {"n": 1})))


def _fixed_sample() -> np.ndarray:
    """Values whose decimals take every form: zeros, subnormals, the extremes, exact powers of two and of ten
    and their neighbours, integers past float32's exact range, values like 0.1 whose double is long."""
    named = [0.0, -0.0, 0.1, -0.1, 1e-7, 3.4e38, 0.5, 1 / 3, 2 / 3, 1.0, 2.0, 10.0, 16777216.0, 16777217.0]
    named += [123456789.0, 1e15, 1e16, 1e17, 1e21, 1e22, 1e-5, 1e-6, 1e-4, 0.001, 9.999999e-5, 0.30000001]
    named += [float(F32.max), float(F32.tiny), float(F32.smallest_subnormal), float(F32.tiny - F32.smallest_subnormal)]
    powers = [2.0**e for e in range(-149, 128)] + [10.0**e for e in range(-45, 39)]
    values = np.array(named + powers, dtype=np.float32)
    values = values[np.isfinite(values)]
    around = np.concatenate([np.nextafter(values, F32.max), np.nextafter(values, -F32.max), values])
    return np.concatenate([around, -around])


def test_a_fixed_sample_of_every_kind_of_value():
    sample = _fixed_sample()
    assert len(sample) > 2000
    for start in range(0, len(sample), 1024):
        chunk = sample[start : start + 1024]
        assert _as_answered(chunk) == _as_lists(chunk)


def test_four_million_random_bit_patterns():
    bits = np.random.default_rng(20261202).integers(0, 2**32, size=1 << 22, dtype=np.uint64).astype(np.uint32)
    values = bits.view(np.float32)
    values = values[np.isfinite(values)]
    for chunk in np.array_split(values, 64):
        assert _as_answered(chunk) == _as_lists(chunk)


@given(st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=0, max_size=64))
def test_any_float32_values(values):
    chunk = np.array(values, dtype=np.float32)
    assert _as_answered(chunk) == _as_lists(chunk)


def test_no_data_and_no_metadata_are_left_out():
    assert encode(vector_out(StoredVector("k", None, None))) == b'{"key":"k"}'
