"""The ARNs of buckets and indexes (behaviour.md#buckets-arn, behaviour.md#indexes-arn): made
from names, and read back."""

from __future__ import annotations


def bucket_arn(region: str, account: str, bucket: str) -> str:
    return f"arn:aws:s3vectors:{region}:{account}:bucket/{bucket}"


def index_arn(region: str, account: str, bucket: str, index: str) -> str:
    return f"{bucket_arn(region, account, bucket)}/index/{index}"


def _resource(arn: str, region: str, account: str) -> list[str] | None:
    """The slash-separated resource of an s3vectors ARN of this account and region, else None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "s3vectors" or parts[3] != region or parts[4] != account:
        return None
    return parts[5].split("/")


def bucket_of(arn: str, region: str, account: str) -> str | None:
    """The bucket name of a bucket ARN of this account and region, else None."""
    resource = _resource(arn, region, account)
    if resource is None or len(resource) != 2 or resource[0] != "bucket":
        return None
    return resource[1]


def index_of(arn: str, region: str, account: str) -> tuple[str, str] | None:
    """(bucket, index) of an index ARN of this account and region, else None."""
    resource = _resource(arn, region, account)
    if resource is None or len(resource) != 4 or resource[0] != "bucket" or resource[2] != "index":
        return None
    return resource[1], resource[3]
