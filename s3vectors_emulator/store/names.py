"""Name rules the service model cannot express (behaviour.md#names)."""

from __future__ import annotations

import re

from s3vectors_emulator.errors import BAD_BUCKET_NAME, BAD_INDEX_NAME, ValidationError

# behaviour.md#buckets-naming: lowercase letters, digits and hyphens, starting and ending alphanumeric.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]")
# behaviour.md#indexes-naming: index names may also hold dots.
_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")


def check_bucket_name(name: str) -> None:
    if not _BUCKET_NAME.fullmatch(name):
        raise ValidationError(BAD_BUCKET_NAME)


def check_index_name(name: str) -> None:
    if not _INDEX_NAME.fullmatch(name):
        raise ValidationError(BAD_INDEX_NAME)  # behaviour.md#decision-unseen-messages
