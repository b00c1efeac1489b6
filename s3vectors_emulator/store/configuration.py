"""The configuration of buckets and indexes, as typed values: encryption, index modes, text search
fields, and the settings that change after creation (behaviour.md#buckets, behaviour.md#indexes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from s3vectors_emulator.errors import (
    KMS_KEY_WITHOUT_KMS,
    KMS_WITHOUT_KEY,
    ValidationError,
    duplicate_text_configuration,
)

ENHANCED = "ENHANCED"
CLASSIC = "CLASSIC"
INDEX_MODES = (ENHANCED, CLASSIC)
MAX_TEXT_FIELDS = 10  # behaviour.md#text-config-update


@dataclass(frozen=True)
class Encryption:
    """Server-side encryption: ``AES256``, or ``aws:kms`` with a key (behaviour.md#indexes-encryption)."""

    sse_type: str = "AES256"
    kms_key_arn: str | None = None


def check_encryption(encryption: Encryption) -> Encryption:
    """behaviour.md#indexes-encryption: a KMS key exactly when the type is aws:kms (measured on CreateIndex)."""
    if encryption.kms_key_arn is not None and encryption.sse_type != "aws:kms":
        raise ValidationError(KMS_KEY_WITHOUT_KMS, part="encryption")
    if encryption.sse_type == "aws:kms" and encryption.kms_key_arn is None:
        raise ValidationError(KMS_WITHOUT_KEY, part="encryption")
    return encryption


@dataclass(frozen=True)
class TextField:
    """A metadata key searchable by full text, and its analyzer's language (None: standard)."""

    key: str
    language: str | None = None


def check_text_fields(fields: Iterable[TextField]) -> tuple[TextField, ...]:
    """behaviour.md#text-config-create: one configuration per key."""
    fields = tuple(fields)
    seen: set[str] = set()
    for text_field in fields:
        if text_field.key in seen:
            raise duplicate_text_configuration(text_field.key)
        seen.add(text_field.key)
    return fields


@dataclass(frozen=True)
class BucketSettings:
    """What of a bucket changes after creation; each change replaces it whole (one journal entry)."""

    default_index_mode: str
    policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexSettings:
    """What of an index changes after creation; each change replaces it whole (one journal entry)."""

    mode: str
    text_fields: tuple[TextField, ...] | None = None  # None: never configured (GetIndex omits it)
    tags: dict[str, str] = field(default_factory=dict)
