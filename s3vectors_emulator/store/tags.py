"""Tag rules beyond the model's lengths and patterns (behaviour.md#tags)."""

from __future__ import annotations

from s3vectors_emulator.errors import ValidationError

MAX_TAGS = 50


def check_tags(existing: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """The tag set after applying ``new`` over ``existing``, or a ValidationException."""
    for key in new:
        if key.startswith("aws:"):
            raise ValidationError("System tags cannot be added/updated by requester")
        if key[:4].lower() == "aws:":
            raise ValidationError(f'Invalid System Tag: {key} must be prefixed with "aws:" in lowercase.')
    merged = {**existing, **new}
    if len(merged) > MAX_TAGS:
        raise ValidationError("Too many tags specified")
    return merged
