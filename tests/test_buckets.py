"""The bucket quota, lowered through the store's constant (behaviour.md#buckets-quota); everything else about
buckets that AWS defines is in conformance/test_buckets.py."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import error_of


def test_bucket_quota(client, monkeypatch):
    """behaviour.md#limits: 10,000 buckets per account and region; the 402 status comes from the model."""
    from s3vectors_emulator.store import store

    monkeypatch.setattr(store, "MAX_BUCKETS", 3)
    for name in ["q-1", "q-2", "q-3"]:
        client.create_vector_bucket(vectorBucketName=name)
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName="q-4")
    assert error_of(exc)[0] == "ServiceQuotaExceededException"
    assert error_of(exc)[2] == 402
