"""Changing an asset's tags, context, coordinates and structured metadata (Admin API update
and explicit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Asset
from cloudlet.services.deps import Deps
from cloudlet.services.encodings import parse_context, parse_coordinates, parse_tags
from cloudlet.services.metadata import apply_changes, changes_for


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
    # checked with everything else before anything is written
    metadata = changes_for(deps, asset.cloud_id, params["metadata"]) if "metadata" in params else {}
    apply_changes(deps, asset, metadata)
    if tags is None and context is None and not extra:
        return asset
    return deps.catalog.update_asset(
        asset.id, tags=tags, context=context, extra=extra or None, now=deps.now()
    )
