"""Backup and restore: which versions are kept, listing them, and bringing them back.

A version is kept when it is overwritten or deleted if it was uploaded with ``backup=true``,
or uploaded without a ``backup`` parameter while the cloud's ``backup`` setting was on, or
(no flag at all) the setting is on when it is overwritten or deleted. ``backup=false`` on the
upload always wins. The catalog keeps it in the same transaction that overwrites or deletes
the asset (``catalog.backup_rows``); its blob stays where it is, owned by the backup.

``POST /resources/{rt}/{type}/restore`` makes a backed-up version current again: a deleted
asset comes back (same ``asset_id``), a live one gets the chosen version as a new version
number. The restored version leaves the backup list and is the asset's current version; if
the asset is overwritten or deleted again, it is backed up again under the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.backup_rows import AssetBackup, backup_wanted
from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services import notification_bodies as bodies
from cloudlet.services.blobs import remove_blobs
from cloudlet.services.clouds import cloud_settings
from cloudlet.services.deps import Deps
from cloudlet.services.events import Change, publish
from cloudlet.services.presenter import full_resource, iso
from cloudlet.services.values import as_bool, as_list

MAX_PUBLIC_IDS = 100
NO_BACKUP = {"error": "no_backup"}


def mark_backup(extra: dict[str, Any], cloud: Cloud, options: Mapping[str, Any]) -> None:
    """Record on a new version whether it is backed up: the upload's ``backup`` parameter,
    else True while the cloud's ``backup`` setting is on (else no flag)."""
    if options.get("backup") not in (None, ""):
        extra["backup"] = as_bool(options, "backup")
    elif cloud_settings(cloud).get("backup") is True:
        extra["backup"] = True


def restore(
    deps: Deps, cloud: Cloud, resource_type: str, type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST /resources/{rt}/{type}/restore`` with ``public_ids`` and optional ``versions``
    (one version_id per public id, in the same order). Answers a dict keyed by public id:
    the restored resource, or ``{"error": "no_backup"}``."""
    if resource_type not in ("image", "video", "raw"):
        raise NotFoundError(f"Invalid resource type {resource_type}")
    public_ids = as_list(params, "public_ids")
    if not public_ids:
        raise BadRequestError("Missing required parameter - public_ids")
    if len(public_ids) > MAX_PUBLIC_IDS:
        raise BadRequestError(f"Too many public_ids: at most {MAX_PUBLIC_IDS} per request")
    versions: list[str | None] = list(as_list(params, "versions"))
    if versions and len(versions) != len(public_ids):
        raise BadRequestError("versions must name one version_id for each of the public_ids")
    wanted = versions or [None] * len(public_ids)
    restored: list[Asset] = []
    answer = {
        public_id: restore_one(deps, cloud, resource_type, type, public_id, version_id, restored)
        for public_id, version_id in zip(public_ids, wanted, strict=True)
    }
    if restored:
        publish(deps, Change(kind="restore", cloud=cloud, notification=bodies.restore(restored)))
    return answer


def restore_one(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    type: str,
    public_id: str,
    version_id: str | None,
    collected: list[Asset] | None = None,
) -> dict[str, Any]:
    """Restore one public id (its newest backup, or ``version_id``); the resource or
    ``no_backup``. A live asset asked for no version, or for its current one, is answered
    as it is. ``collected`` (when given) receives the asset when a version was restored."""
    live = deps.catalog.get_asset(cloud.id, resource_type, type, public_id)
    if live is not None and version_id in (None, live.version_id):
        return full_resource(deps.settings, cloud, live)
    restored = deps.catalog.restore_backup(
        cloud.id, resource_type, type, public_id, version_id, now=deps.now()
    )
    if restored is None:
        return dict(NO_BACKUP)
    asset, previous = restored
    if previous is not None:
        remove_blobs(deps, [previous.storage_key])  # kept when the restore backed it up
        stale = deps.catalog.delete_derived(
            asset.id, keep_version_id=asset.version_id, now=deps.now()
        )
        remove_blobs(deps, [d.storage_key for d in stale])
    if collected is not None:
        collected.append(asset)
    return full_resource(deps.settings, cloud, asset)


def versions_listing(
    deps: Deps,
    cloud: Cloud,
    ids: tuple[str, str, str],
    asset: Asset | None,
) -> list[dict[str, Any]]:
    """``versions`` of the single-resource call (``versions=true``), oldest first: every
    backed-up version of ``ids`` = (resource_type, type, public_id), then the current one
    (when the asset is live; restorable when it would be kept on overwrite or delete)."""
    items = [
        _version(b.version_id, b.version, b.format, b.bytes, iso(b.created_at), True)
        for b in deps.catalog.list_backups(cloud.id, *ids)
    ]
    if asset is not None:
        kept = backup_wanted(asset, cloud_settings(cloud))
        created = iso(asset.created_at)
        items.append(
            _version(asset.version_id, asset.version, asset.format, asset.bytes, created, kept)
        )
    return items


def _version(
    version_id: str, version: int, fmt: str, size: int, time: str, restorable: bool
) -> dict[str, Any]:
    return {
        "version_id": version_id,
        "version": version,
        "format": fmt,
        "size": size,
        "time": time,
        "restorable": restorable,
    }


def deleted_resource(
    deps: Deps,
    cloud: Cloud,
    ids: tuple[str, str, str],
    params: Mapping[str, Any],
) -> dict[str, Any] | None:
    """The single-resource answer for a deleted asset that has backups: a placeholder
    (``bytes: 0``, ``placeholder: true``) as Cloudinary answers; None without backups."""
    backups = deps.catalog.list_backups(cloud.id, *ids)
    if not backups:
        return None
    body = full_resource(deps.settings, cloud, _placeholder(backups[-1]))
    if as_bool(params, "versions"):
        body["versions"] = versions_listing(deps, cloud, ids, None)
    return body


def _placeholder(backup: AssetBackup) -> Asset:
    details = backup.details
    dimensionless = backup.resource_type == "raw" or backup.width is None
    return Asset(
        id=0,
        cloud_id=backup.cloud_id,
        asset_id=backup.asset_id,
        resource_type=backup.resource_type,
        type=backup.type,
        public_id=backup.public_id,
        version=backup.version,
        version_id=backup.version_id,
        format=backup.format,
        bytes=0,
        width=None if dimensionless else 0,
        height=None if dimensionless else 0,
        pages=None,
        duration=None,
        etag="",
        storage_key="",
        original_filename=str(details.get("original_filename", "")),
        asset_folder=str(details.get("asset_folder", "")),
        display_name=str(details.get("display_name", "")),
        placeholder=True,
        access_mode="public",
        tags=tuple(details.get("tags", [])),
        context=dict(details.get("context", {})),
        extra={"backup": True},
        created_at=backup.created_at,
        uploaded_at=backup.created_at,
        updated_at=backup.backed_up_at,
    )
