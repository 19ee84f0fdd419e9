"""The bodies of webhook notifications (protocol.md §4.2), built from what a change did.

``notification_context`` is added when the notification is queued (``notifications.notify``).
Shapes where the reference is unsure (``restore``, ``related_assets_changed``) are Cloudlet's
decision, documented in docs/webhooks.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cloudlet.catalog.model import Asset
from cloudlet.services.events import Actor, Snapshot
from cloudlet.services.presenter import iso


def _identity(asset: Asset | Snapshot) -> dict[str, Any]:
    return {
        "asset_id": asset.asset_id,
        "public_id": asset.public_id,
        "resource_type": asset.resource_type,
        "type": asset.type,
    }


def upload(result: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``upload``: the upload response plus the notification's own fields."""
    return {
        **result,
        "notification_type": "upload",
        "timestamp": iso(now),
        "request_id": secrets.token_hex(16),
    }


def delete(gone: Sequence[Snapshot]) -> dict[str, Any]:
    """``delete``: every deleted asset."""
    return {
        "notification_type": "delete",
        "resources": [
            {
                **_identity(item),
                "version": item.version,
                "asset_folder": item.asset_folder,
                "display_name": item.display_name,
            }
            for item in gone
        ],
    }


def rename(before: Snapshot, after: Asset) -> dict[str, Any]:
    """``rename``: from and to public id (and type, when it changed)."""
    return {
        "notification_type": "rename",
        "asset_id": after.asset_id,
        "resource_type": after.resource_type,
        "type": after.type,
        "from_type": before.type,
        "from_public_id": before.public_id,
        "to_public_id": after.public_id,
        "version": after.version,
        "asset_folder": after.asset_folder,
        "display_name": after.display_name,
    }


def tags_changed(pairs: Sequence[tuple[Asset, Asset]], actor: Actor) -> dict[str, Any] | None:
    """``resource_tags_changed``: per asset whose tags changed, the tags added and removed;
    None when no tags changed."""
    resources = []
    for before, after in pairs:
        added = sorted(set(after.tags) - set(before.tags))
        removed = sorted(set(before.tags) - set(after.tags))
        if added or removed:
            resources.append({**_identity(after), "added": added, "removed": removed})
    if not resources:
        return None
    return {
        "notification_type": "resource_tags_changed",
        "source": str(actor),
        "resources": resources,
    }


def context_changed(pairs: Sequence[tuple[Asset, Asset]], actor: Actor) -> dict[str, Any] | None:
    """``resource_context_changed``: keyed by public id, the entries added, removed and
    updated (``{"name", "value"}``; removed ones with their old value); None when none."""
    resources: dict[str, Any] = {}
    for before, after in pairs:
        old, new = before.context, after.context
        change = {
            "added": [{"name": k, "value": new[k]} for k in sorted(new) if k not in old],
            "removed": [{"name": k, "value": old[k]} for k in sorted(old) if k not in new],
            "updated": [
                {"name": k, "value": new[k]} for k in sorted(new) if k in old and old[k] != new[k]
            ],
        }
        if any(change.values()):
            identity = _identity(after)
            del identity["public_id"]
            resources[after.public_id] = {**identity, **change}
    if not resources:
        return None
    return {
        "notification_type": "resource_context_changed",
        "source": str(actor),
        "resources": resources,
    }


def restore(restored: Sequence[Asset]) -> dict[str, Any]:
    """``restore``: every asset brought back, with the version it now has."""
    return {
        "notification_type": "restore",
        "resources": [
            {**_identity(asset), "version": asset.version, "version_id": asset.version_id}
            for asset in restored
        ],
    }


def related_changed(
    target: Asset, changed: Sequence[Asset], *, relate: bool, actor: Actor
) -> dict[str, Any]:
    """``related_assets_changed``: the asset whose relations changed and the asset ids
    related to it (``added``) or unrelated from it (``removed``)."""
    ids = [asset.asset_id for asset in changed]
    return {
        "notification_type": "related_assets_changed",
        "source": str(actor),
        **_identity(target),
        "added": ids if relate else [],
        "removed": [] if relate else ids,
    }
