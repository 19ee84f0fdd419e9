"""The asset catalog on SQLAlchemy Core: one implementation for SQLite and PostgreSQL.

STUB: method signatures and contracts; to be implemented.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from cloudlet.catalog.model import Asset, AssetVersion, Cloud, NewAsset, Page, UploadPreset


class Catalog:
    """Clouds, assets, versions, tags, presets, delete tokens and the blob journal.

    Every asset query is scoped by ``cloud_id``: one cloud can never see another's rows.
    Timestamps are timezone-aware UTC datetimes.
    """

    def __init__(self, url: str) -> None:
        """``url`` is a SQLAlchemy URL: ``sqlite:///path`` or ``postgresql+psycopg://...``."""
        raise NotImplementedError

    # -- lifecycle -----------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema up to date with Alembic (idempotent, safe to call at every start)."""
        raise NotImplementedError

    def close(self) -> None:
        """Dispose of the connection pool."""
        raise NotImplementedError

    # -- clouds --------------------------------------------------------------------------
    def create_cloud(self, name: str, api_key: str, api_secret: str) -> Cloud:
        """AlreadyExistsError if the name or the api_key is taken."""
        raise NotImplementedError

    def get_cloud(self, name: str) -> Cloud | None: ...
    def get_cloud_by_key(self, api_key: str) -> Cloud | None: ...
    def list_clouds(self) -> list[Cloud]: ...
    def set_cloud_secret(self, name: str, api_secret: str) -> Cloud:
        """NotFoundError if unknown."""
        raise NotImplementedError

    def update_cloud_settings(self, name: str, settings: dict[str, Any]) -> Cloud:
        """Merge ``settings`` into the cloud's settings."""
        raise NotImplementedError

    # -- assets: reads -------------------------------------------------------------------
    def get_asset(self, cloud_id: int, resource_type: str, type: str, public_id: str) -> Asset | None:
        """The current asset, or None."""
        raise NotImplementedError

    def get_asset_by_asset_id(self, cloud_id: int, asset_id: str) -> Asset | None: ...

    def get_assets_by_public_ids(
        self, cloud_id: int, resource_type: str, type: str | None, public_ids: Sequence[str]
    ) -> list[Asset]:
        """Assets in the order of ``public_ids`` (missing ones skipped). ``type`` None: any."""
        raise NotImplementedError

    def get_assets_by_asset_ids(self, cloud_id: int, asset_ids: Sequence[str]) -> list[Asset]: ...

    def list_assets(
        self,
        cloud_id: int,
        resource_type: str | None,
        type: str | None = None,
        *,
        prefix: str | None = None,
        tag: str | None = None,
        context_key: str | None = None,
        context_value: str | None = None,
        start_at: datetime | None = None,
        direction: str = "desc",
        max_results: int = 10,
        cursor: str | None = None,
    ) -> Page:
        """Keyset-paginated listing; ``Page.items`` are Assets.

        Order: by (created_at, id) in ``direction``; when ``prefix`` is given, by public_id
        ascending (Cloudinary ignores direction with a prefix). ``start_at``: only assets created
        at/after it (asc) or at/before it (desc). The cursor is opaque, encodes the last row's
        sort key, and stays valid while rows are added or deleted (no offsets).
        ``prefix`` matches public_id by literal prefix (no LIKE wildcards leak through).
        Invalid cursors raise BadRequestError.
        """
        raise NotImplementedError

    def list_tags(
        self, cloud_id: int, resource_type: str, *, prefix: str | None = None,
        max_results: int = 10, cursor: str | None = None,
    ) -> Page:
        """Distinct tags used by assets of the resource type, ascending; items are str."""
        raise NotImplementedError

    def list_versions(self, asset_pk: int) -> list[AssetVersion]:
        """All versions, newest first."""
        raise NotImplementedError

    def get_version(self, asset_pk: int, version: int) -> AssetVersion | None: ...

    def iter_all_assets(self, cloud_id: int | None = None) -> Iterator[Asset]:
        """Every asset (all clouds when None), streamed in batches; used by fsck."""
        raise NotImplementedError

    def referenced_storage_keys(self) -> set[str]:
        """Every storage key referenced by an asset or a version row (for fsck)."""
        raise NotImplementedError

    def usage(self, cloud_id: int) -> dict[str, int]:
        """{"resources": n, "storage_bytes": n, "derived_resources": 0} for the cloud."""
        raise NotImplementedError

    # -- assets: writes ------------------------------------------------------------------
    def create_or_replace_asset(
        self, cloud_id: int, new: NewAsset, *, overwrite: bool, now: datetime
    ) -> tuple[Asset, Asset | None, bool]:
        """Insert the asset or, if (cloud, resource_type, type, public_id) exists:
        - overwrite False: change nothing, return (existing, None, True)   # "existing": true
        - overwrite True: new version (version = max(now_unix, previous.version + 1)),
          keep asset_id, replace every field (tags and context included) with the new
          upload's, record a version row, and mark the previous version's bytes as dropped
          (its storage_key set to None in its version row).
        Returns (asset, previous_asset_or_None, existing_flag). Runs in ONE transaction that
        also removes ``new.storage_key`` from the blob journal and, on overwrite, adds the
        previous storage key to the journal (so the caller can delete it and a crash leaves a
        record to sweep). New assets get a fresh random asset_id (uuid4 hex).
        """
        raise NotImplementedError

    def update_asset(
        self, asset_pk: int, *, tags: Sequence[str] | None = None,
        context: dict[str, str] | None = None, extra: dict[str, Any] | None = None,
        now: datetime,
    ) -> Asset:
        """Replace the given fields (None: leave alone); ``extra`` is merged key by key."""
        raise NotImplementedError

    def delete_asset(self, asset_pk: int) -> list[str]:
        """Remove the asset, its tags and versions; journal and return their storage keys."""
        raise NotImplementedError

    # -- blob journal --------------------------------------------------------------------
    def journal_add(self, storage_key: str, now: datetime) -> None:
        """Record that a blob at this key is being written or is to be deleted."""
        raise NotImplementedError

    def journal_remove(self, storage_key: str) -> None: ...

    def journal_entries(self, older_than: datetime | None = None) -> list[str]:
        """Journalled keys (only those recorded before ``older_than`` when given)."""
        raise NotImplementedError

    # -- upload presets ------------------------------------------------------------------
    def create_preset(self, cloud_id: int, name: str, unsigned: bool, settings: dict[str, Any]) -> UploadPreset:
        """AlreadyExistsError if the name is taken in this cloud."""
        raise NotImplementedError

    def get_preset(self, cloud_id: int, name: str) -> UploadPreset | None: ...
    def list_presets(self, cloud_id: int, *, max_results: int = 10, cursor: str | None = None) -> Page: ...
    def update_preset(self, cloud_id: int, name: str, unsigned: bool | None, settings: dict[str, Any]) -> UploadPreset:
        """Merge settings; NotFoundError if unknown."""
        raise NotImplementedError

    def delete_preset(self, cloud_id: int, name: str) -> bool: ...

    # -- delete tokens -------------------------------------------------------------------
    def create_delete_token(self, cloud_id: int, asset_pk: int, token: str, expires_at: datetime) -> None: ...

    def consume_delete_token(self, cloud_id: int, token: str, now: datetime) -> int | None:
        """Atomically mark the token used and return its asset_pk; None if unknown, used or
        expired."""
        raise NotImplementedError
