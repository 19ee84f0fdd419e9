"""Changing an asset's tags, context and coordinates (Admin API update and explicit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Asset
from cloudlet.services.deps import Deps
from cloudlet.services.encodings import parse_context, parse_coordinates, parse_tags


def apply_updates(deps: Deps, asset: Asset, params: Mapping[str, Any]) -> Asset:
    """Replace the tags, context, ``face_coordinates`` and ``custom_coordinates`` present in
    ``params`` (an empty value clears them: ``face_coordinates=""`` means "no faces", which
    also stops face detection for ``g_face``). Returns the asset as stored."""
    tags = parse_tags(params.get("tags")) if "tags" in params else None
    context = parse_context(params.get("context")) if "context" in params else None
    extra: dict[str, Any] = {}
    for name in ("face_coordinates", "custom_coordinates"):
        if name in params:
            extra[name] = parse_coordinates(params.get(name), name)
    if tags is None and context is None and not extra:
        return asset
    return deps.catalog.update_asset(
        asset.id, tags=tags, context=context, extra=extra or None, now=deps.now()
    )
