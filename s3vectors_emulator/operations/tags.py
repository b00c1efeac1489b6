"""Tag operations on bucket and index ARNs (behaviour.md#tags)."""

from __future__ import annotations

from typing import Any

from s3vectors_emulator.operations.common import Context


def tag_resource(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.tag(params["resourceArn"], params["tags"])
    return {}


def untag_resource(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    ctx.region.untag(params["resourceArn"], params["tagKeys"])
    return {}


def list_tags_for_resource(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": dict(ctx.region.tagged(params["resourceArn"]).settings.tags)}
