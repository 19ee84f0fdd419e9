"""Backed-up versions as rows: the rule that decides what is kept, and keeping it.

Called inside the transactions that overwrite or delete assets (``asset_writes``), so a
version is either still current or already backed up: never neither. A backed-up version's
blob belongs to its ``asset_backups`` row (the row's ``storage_key``) until a restore moves
it back into an asset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from cloudlet.catalog.model import Asset
from cloudlet.catalog.schema import asset_backups, clouds


@dataclass(frozen=True)
class AssetBackup:
    """One backed-up version of an asset (the asset itself may be gone)."""

    id: int
    cloud_id: int
    asset_id: str
    resource_type: str
    type: str
    public_id: str
    version: int
    version_id: str
    storage_key: str
    format: str
    bytes: int
    width: int | None
    height: int | None
    pages: int | None
    duration: float | None
    etag: str
    details: dict[str, Any]  # original_filename, asset_folder, display_name, tags, context, extra
    created_at: datetime  # when this version was uploaded
    backed_up_at: datetime  # when it was overwritten or deleted


_FIELDS = [c.name for c in asset_backups.columns]


def backup_from_row(row: Row[Any]) -> AssetBackup:
    """The record for one ``asset_backups`` row."""
    return AssetBackup(**{name: getattr(row, name) for name in _FIELDS})


def backup_wanted(asset: Asset, cloud_settings: Mapping[str, Any]) -> bool:
    """Whether ``asset``'s current version is kept when it is overwritten or deleted.

    The upload's own ``backup`` flag (kept in ``extra``) wins; without one, the cloud's
    ``backup`` setting at the time of the overwrite or delete decides."""
    flag = asset.extra.get("backup")
    if isinstance(flag, bool):
        return flag
    return cloud_settings.get("backup") is True


def back_up(conn: Connection, candidates: Iterable[Asset], now: datetime) -> set[str]:
    """Record a backup of each candidate's current version the rule keeps (placeholders
    have no bytes to keep); returns the storage keys now held by backups."""
    candidates = [a for a in candidates if not a.placeholder]
    settings = _cloud_settings(conn, {a.cloud_id for a in candidates})
    kept = [a for a in candidates if backup_wanted(a, settings.get(a.cloud_id, {}))]
    if kept:
        conn.execute(sa.insert(asset_backups), [_values(a, now) for a in kept])
    return {a.storage_key for a in kept}


def _cloud_settings(conn: Connection, cloud_ids: set[int]) -> dict[int, dict[str, Any]]:
    if not cloud_ids:
        return {}
    query = sa.select(clouds.c.id, clouds.c.settings).where(clouds.c.id.in_(sorted(cloud_ids)))
    return {row.id: dict(row.settings or {}) for row in conn.execute(query)}


def _values(asset: Asset, now: datetime) -> dict[str, Any]:
    return {
        "cloud_id": asset.cloud_id,
        "asset_id": asset.asset_id,
        "resource_type": asset.resource_type,
        "type": asset.type,
        "public_id": asset.public_id,
        "version": asset.version,
        "version_id": asset.version_id,
        "storage_key": asset.storage_key,
        "format": asset.format,
        "bytes": asset.bytes,
        "width": asset.width,
        "height": asset.height,
        "pages": asset.pages,
        "duration": asset.duration,
        "etag": asset.etag,
        "details": {
            "original_filename": asset.original_filename,
            "asset_folder": asset.asset_folder,
            "display_name": asset.display_name,
            "tags": list(asset.tags),
            "context": dict(asset.context),
            "extra": dict(asset.extra),
        },
        "created_at": asset.created_at,
        "backed_up_at": now,
    }
