"""One handler per API operation: a validated dict in, a dict out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from s3vectors_emulator.operations import buckets, indexes, query, tags, vectors
from s3vectors_emulator.operations.common import Context

Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "CreateVectorBucket": buckets.create_vector_bucket,
    "GetVectorBucket": buckets.get_vector_bucket,
    "ListVectorBuckets": buckets.list_vector_buckets,
    "DeleteVectorBucket": buckets.delete_vector_bucket,
    "PutVectorBucketPolicy": buckets.put_vector_bucket_policy,
    "GetVectorBucketPolicy": buckets.get_vector_bucket_policy,
    "DeleteVectorBucketPolicy": buckets.delete_vector_bucket_policy,
    "PutVectorBucketDefaultIndexMode": buckets.put_vector_bucket_default_index_mode,
    "CreateIndex": indexes.create_index,
    "GetIndex": indexes.get_index,
    "ListIndexes": indexes.list_indexes,
    "DeleteIndex": indexes.delete_index,
    "UpdateIndexMode": indexes.update_index_mode,
    "UpdateMetadataConfiguration": indexes.update_metadata_configuration,
    "PutVectors": vectors.put_vectors,
    "GetVectors": vectors.get_vectors,
    "ListVectors": vectors.list_vectors,
    "DeleteVectors": vectors.delete_vectors,
    "QueryVectors": query.query_vectors,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
}
