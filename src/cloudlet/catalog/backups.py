"""Backed-up versions: listing them and restoring one (``backup_rows`` records them)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.asset_writes import AssetWrites
from cloudlet.catalog.backup_rows import AssetBackup, backup_from_row
from cloudlet.catalog.db import chunks
from cloudlet.catalog.model import Asset, NewAsset
from cloudlet.catalog.schema import asset_backups, assets

# A concurrent upload of the same public id makes a restore's insert fail; the retry
# then finds that asset and restores over it.
_RESTORE_ATTEMPTS = 3
_BATCH = 500


class BackupStore(AssetWrites):
    """Backed-up versions of overwritten and deleted assets, and restoring them."""

    def list_backups(
        self, cloud_id: int, resource_type: str, type: str, public_id: str
    ) -> list[AssetBackup]:
        """The public id's backed-up versions, oldest first."""
        query = _of(cloud_id, resource_type, type, public_id).order_by(
            asset_backups.c.version, asset_backups.c.id
        )
        with self._read() as conn:
            return [backup_from_row(row) for row in conn.execute(query)]

    def get_backup(self, cloud_id: int, version_id: str) -> AssetBackup | None:
        """The cloud's backed-up version with this ``version_id``, or None."""
        query = sa.select(asset_backups).where(
            asset_backups.c.cloud_id == cloud_id, asset_backups.c.version_id == version_id
        )
        with self._read() as conn:
            row = conn.execute(query.limit(1)).first()
        return None if row is None else backup_from_row(row)

    def backup_keys_among(self, storage_keys: Sequence[str]) -> set[str]:
        """Those of ``storage_keys`` whose blobs belong to a backup."""
        found: set[str] = set()
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(storage_keys))):
                column = asset_backups.c.storage_key
                found.update(conn.scalars(sa.select(column).where(column.in_(part))))
        return found

    def iter_backups(self) -> Iterator[AssetBackup]:
        """Every backup of every cloud, in batches of short transactions (for fsck)."""
        last = 0
        while True:
            query = sa.select(asset_backups).where(asset_backups.c.id > last)
            with self._read() as conn:
                rows = conn.execute(query.order_by(asset_backups.c.id).limit(_BATCH)).all()
            yield from (backup_from_row(row) for row in rows)
            if len(rows) < _BATCH:
                return
            last = rows[-1].id

    def restore_backup(
        self,
        cloud_id: int,
        resource_type: str,
        type: str,
        public_id: str,
        version_id: str | None,
        *,
        now: datetime,
    ) -> tuple[Asset, Asset | None] | None:
        """Make a backed-up version current again, in one transaction: the one with
        ``version_id``, or the newest when None. None when there is no such backup.

        The backup row goes and its blob becomes the asset's original; the asset gets a new
        version number (above every version seen) and keeps the version's ``version_id``,
        names, tags, context and extras. A deleted asset comes back with its old
        ``asset_id`` (a fresh one if that id is in use again); a live one is overwritten, its
        current version backed up or journalled exactly as an upload's overwrite does.
        Returns (asset, replaced_asset_or_None)."""
        for attempt in range(1, _RESTORE_ATTEMPTS + 1):
            try:
                with self._write() as conn:
                    args = (cloud_id, resource_type, type, public_id, version_id, now)
                    return self._restore(conn, *args)
            except IntegrityError:
                if attempt == _RESTORE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _restore(
        self,
        conn: Connection,
        cloud_id: int,
        resource_type: str,
        type: str,
        public_id: str,
        version_id: str | None,
        now: datetime,
    ) -> tuple[Asset, Asset | None] | None:
        same = _same_id(cloud_id, resource_type, type, public_id)
        newest = conn.scalar(sa.select(sa.func.max(asset_backups.c.version)).where(*same))
        wanted = sa.select(asset_backups).where(*same)
        if version_id is not None:
            wanted = wanted.where(asset_backups.c.version_id == version_id)
        query = wanted.order_by(asset_backups.c.version.desc(), asset_backups.c.id.desc())
        row = conn.execute(query.limit(1).with_for_update()).first()
        if row is None:
            return None
        backup = backup_from_row(row)
        conn.execute(sa.delete(asset_backups).where(asset_backups.c.id == backup.id))
        new = _new_asset(backup, int(newest or 0) + 1)
        if _asset_id_taken(conn, backup.asset_id):
            new.asset_id = None
        asset, previous, _ = self._create_or_replace(conn, cloud_id, new, True, now)
        return asset, previous


def _of(cloud_id: int, resource_type: str, type: str, public_id: str) -> Any:
    return sa.select(asset_backups).where(*_same_id(cloud_id, resource_type, type, public_id))


def _same_id(cloud_id: int, resource_type: str, type: str, public_id: str) -> tuple[Any, ...]:
    return (
        asset_backups.c.cloud_id == cloud_id,
        asset_backups.c.resource_type == resource_type,
        asset_backups.c.type == type,
        asset_backups.c.public_id == public_id,
    )


def _asset_id_taken(conn: Connection, asset_id: str) -> bool:
    return conn.scalar(sa.select(assets.c.id).where(assets.c.asset_id == asset_id)) is not None


def _new_asset(backup: AssetBackup, min_version: int) -> NewAsset:
    details = backup.details
    return NewAsset(
        resource_type=backup.resource_type,
        type=backup.type,
        public_id=backup.public_id,
        version_id=backup.version_id,
        format=backup.format,
        bytes=backup.bytes,
        width=backup.width,
        height=backup.height,
        pages=backup.pages,
        duration=backup.duration,
        etag=backup.etag,
        storage_key=backup.storage_key,
        original_filename=str(details.get("original_filename", "")),
        asset_folder=str(details.get("asset_folder", "")),
        display_name=str(details.get("display_name", "")),
        tags=list(details.get("tags", [])),
        context=dict(details.get("context", {})),
        extra=dict(details.get("extra", {})),
        asset_id=backup.asset_id,
        min_version=min_version,
    )
