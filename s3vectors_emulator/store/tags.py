"""Tag rules beyond the model's lengths and patterns (behaviour.md#tags-limits, behaviour.md#tags-system-keys)."""

from __future__ import annotations

from s3vectors_emulator.errors import SYSTEM_TAG, TOO_MANY_TAGS, ValidationError, system_tag_case

MAX_TAGS = 50


def check_tags(existing: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """The tag set after applying ``new`` over ``existing``, or a ValidationException."""
    for key in new:
        if key.startswith("aws:"):
            raise ValidationError(SYSTEM_TAG)
        if key[:4].lower() == "aws:":
            raise system_tag_case(key)
    merged = {**existing, **new}
    if len(merged) > MAX_TAGS:
        raise ValidationError(TOO_MANY_TAGS)
    return merged
