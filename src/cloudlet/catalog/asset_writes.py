"""Asset writes: create or overwrite, update, delete. Each is one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.assets import load_asset, load_assets
from cloudlet.catalog.backup_rows import back_up
from cloudlet.catalog.db import Database, chunks, insert_or_ignore, upsert
from cloudlet.catalog.folders import ensure_folders
from cloudlet.catalog.metadata import replace_asset_metadata
from cloudlet.catalog.model import Asset, Derived, NewAsset, RemovedAsset
from cloudlet.catalog.schema import (
    asset_context,
    asset_relations,
    asset_tags,
    asset_versions,
    assets,
    blob_journal,
    clouds,
    delete_tokens,
    derived,
    to_utc,
)
from cloudlet.errors import NotFoundError

# A concurrent insert of the same public_id makes ours fail; the retry then finds the row.
_CREATE_ATTEMPTS = 5


def journal_keys(conn: Connection, keys: Iterable[str], now: datetime) -> None:
    """Add ``keys`` to the blob journal (a key already there gets the newer time)."""
    rows = [{"storage_key": key, "created_at": now} for key in dict.fromkeys(keys)]
    upsert(conn, blob_journal, rows, ["created_at"])  # one statement: bulk deletes journal 1000s


def unjournal_key(conn: Connection, key: str) -> None:
    """Remove ``key`` from the blob journal."""
    conn.execute(sa.delete(blob_journal).where(blob_journal.c.storage_key == key))


class AssetWrites(Database):
    """Changing assets, their tags, context and versions."""

    def create_or_replace_asset(
        self, cloud_id: int, new: NewAsset, *, overwrite: bool, now: datetime
    ) -> tuple[Asset, Asset | None, bool]:
        """Insert the asset or, if (cloud, resource_type, type, public_id) exists:

        - overwrite False: change nothing, return (existing, None, True)   # "existing": true
        - overwrite True: new version (version = max(now_unix, previous.version + 1)),
          keep asset_id, replace every field (tags and context included) with the new
          upload's, record a version row, and mark the previous version's bytes as dropped
          (its storage_key set to None in its version row).

        Returns (asset, previous_asset_or_None, existing_flag). Runs in ONE transaction that,
        when the new upload is stored, also removes ``new.storage_key`` from the blob journal
        and, on overwrite, adds the previous storage key to the journal (so the caller can
        delete it and a crash leaves a record to sweep); with "existing" the journal is left
        alone (the unused new blob stays journalled for the caller or the sweeper to delete).
        New assets get a fresh random asset_id (uuid4 hex) and a first version row;
        created_at, uploaded_at and updated_at are ``now``. NotFoundError if the cloud does
        not exist. Safe against concurrent calls for the same public_id: one asset results.
        """
        for attempt in range(1, _CREATE_ATTEMPTS + 1):
            try:
                with self._write() as conn:
                    return self._create_or_replace(conn, cloud_id, new, overwrite, now)
            except IntegrityError:
                if not self._cloud_exists(cloud_id):
                    raise NotFoundError(f"Unknown cloud {cloud_id}") from None
                if attempt == _CREATE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _cloud_exists(self, cloud_id: int) -> bool:
        with self._read() as conn:
            return conn.scalar(sa.select(clouds.c.id).where(clouds.c.id == cloud_id)) is not None

    def _create_or_replace(
        self, conn: Connection, cloud_id: int, new: NewAsset, overwrite: bool, now: datetime
    ) -> tuple[Asset, Asset | None, bool]:
        query = sa.select(assets.c.id).where(
            assets.c.cloud_id == cloud_id,
            assets.c.resource_type == new.resource_type,
            assets.c.type == new.type,
            assets.c.public_id == new.public_id,
        )
        pk = conn.scalar(query.with_for_update())
        if pk is None:
            return self._insert(conn, cloud_id, new, now), None, False
        previous = load_asset(conn, pk)
        assert previous is not None  # locked above
        if not overwrite:
            return previous, None, True
        return self._overwrite(conn, previous, new, now), previous, False

    def _insert(self, conn: Connection, cloud_id: int, new: NewAsset, now: datetime) -> Asset:
        version = max(int(to_utc(now).timestamp()), new.min_version)
        values = _asset_values(new, version, now)
        values.update(cloud_id=cloud_id, asset_id=new.asset_id or uuid.uuid4().hex)
        pk = conn.execute(sa.insert(assets).values(values).returning(assets.c.id)).scalar_one()
        ensure_folders(conn, cloud_id, new.public_id)
        self._store_children(conn, pk, new, version, now)
        unjournal_key(conn, new.storage_key)
        return reload_asset(conn, pk)

    def _overwrite(self, conn: Connection, previous: Asset, new: NewAsset, now: datetime) -> Asset:
        version = max(int(to_utc(now).timestamp()), previous.version + 1, new.min_version)
        values = _asset_values(new, version, now)
        conn.execute(sa.update(assets).where(assets.c.id == previous.id).values(values))
        conn.execute(
            sa.update(asset_versions)
            .where(
                asset_versions.c.asset_pk == previous.id,
                asset_versions.c.version == previous.version,
            )
            .values(storage_key=None)
        )
        self._store_children(conn, previous.id, new, version, now)
        # a backed-up previous version keeps its blob; otherwise the caller deletes it
        if previous.storage_key != new.storage_key and not back_up(conn, [previous], now):
            journal_keys(conn, [previous.storage_key], now)
        unjournal_key(conn, new.storage_key)
        return reload_asset(conn, previous.id)

    def _store_children(
        self, conn: Connection, pk: int, new: NewAsset, version: int, now: datetime
    ) -> None:
        replace_tags(conn, pk, new.tags)
        replace_context(conn, pk, new.context)
        if new.metadata is not None:
            replace_asset_metadata(conn, pk, new.metadata)
        conn.execute(
            sa.insert(asset_versions).values(
                asset_pk=pk,
                version=version,
                version_id=new.version_id,
                storage_key=new.storage_key,
                bytes=new.bytes,
                etag=new.etag,
                format=new.format,
                width=new.width,
                height=new.height,
                created_at=now,
            )
        )

    def update_asset(
        self,
        asset_pk: int,
        *,
        tags: Sequence[str] | None = None,
        context: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        now: datetime,
        touch: bool = True,
    ) -> Asset:
        """Replace the given fields (None: leave alone) and set updated_at to ``now``
        (unless not ``touch``: bookkeeping the user did not ask for, such as detected faces).

        ``extra`` is merged key by key; a key given with the value None is removed.
        NotFoundError if the asset does not exist."""
        with self._write() as conn:
            current = load_asset(conn, asset_pk, for_update=True)
            if current is None:
                raise NotFoundError("Resource not found")
            values: dict[str, Any] = {"updated_at": now if touch else current.updated_at}
            if tags is not None:
                replace_tags(conn, asset_pk, tags)
            if context is not None:
                replace_context(conn, asset_pk, context)
                values["context"] = dict(context)
            if extra is not None:
                merged = {**current.extra, **extra}
                values["extra"] = {k: v for k, v in merged.items() if v is not None}
            conn.execute(sa.update(assets).where(assets.c.id == asset_pk).values(values))
            return reload_asset(conn, asset_pk)

    def delete_asset(self, asset_pk: int, removed: list[RemovedAsset] | None = None) -> list[str]:
        """Remove the asset, its tags, context, versions and delete tokens; journal and
        return their storage keys (current first, then versions still holding bytes,
        no duplicates). An unknown ``asset_pk`` changes nothing and returns []. ``removed``
        (when given) receives the asset as it was, with its renders."""
        with self._write() as conn:
            return delete_asset_rows(conn, asset_pk, removed)


def delete_asset_rows(
    conn: Connection, asset_pk: int, removed: list[RemovedAsset] | None = None
) -> list[str]:
    """Delete one asset's rows inside ``conn``'s transaction; journal and return the storage
    keys that held its bytes ([] when the asset does not exist)."""
    exists = conn.scalar(sa.select(assets.c.id).where(assets.c.id == asset_pk).with_for_update())
    return [] if exists is None else delete_rows(conn, [asset_pk], removed)


def delete_rows(
    conn: Connection, pks: list[int], removed: list[RemovedAsset] | None = None
) -> list[str]:
    """Delete these assets' rows in bulk; journal and return every storage key that held
    their bytes: each asset's current key first, then its versions' keys, newest first.
    ``removed`` (when given) receives each asset as it was, with its renders."""
    keys: list[str] = []
    now = datetime.now(UTC)
    kept: set[str] = set()
    for part in chunks(pks):
        gone = load_assets(conn, conn.execute(_rows(part)).all())
        kept |= back_up(conn, gone, now)
        if removed is not None:
            removed += _with_renders(conn, gone)
        keys += conn.scalars(sa.select(assets.c.storage_key).where(assets.c.id.in_(part))).all()
        keys += conn.scalars(
            sa.select(asset_versions.c.storage_key)
            .where(asset_versions.c.asset_pk.in_(part), asset_versions.c.storage_key.is_not(None))
            .order_by(asset_versions.c.version.desc())
        ).all()
        keys += conn.scalars(
            sa.select(derived.c.storage_key).where(derived.c.asset_pk.in_(part))
        ).all()
        # The assets first: their rows' cascade takes the children, and the search index's
        # per-row triggers on tag and context rows (migration 0013) then find the asset
        # gone and have nothing to rebuild (children first: each rebuilt the document of an
        # asset about to go, 80% of a bulk delete's time on PostgreSQL). The explicit
        # deletes after it keep the rule even where foreign keys are not enforced.
        conn.execute(sa.delete(assets).where(assets.c.id.in_(part)))
        for child in (
            delete_tokens, asset_tags, asset_context, asset_versions, asset_relations, derived
        ):  # fmt: skip
            conn.execute(sa.delete(child).where(child.c.asset_pk.in_(part)))
        conn.execute(sa.delete(asset_relations).where(asset_relations.c.related_pk.in_(part)))
    unique = [key for key in dict.fromkeys(keys) if key not in kept]
    journal_keys(conn, unique, now)
    return unique


_DERIVED_FIELDS = [c.name for c in derived.columns if c.name != "id"]


def _with_renders(conn: Connection, gone: list[Asset]) -> list[RemovedAsset]:
    """The assets with the renders they have (read before they are deleted)."""
    query = sa.select(derived).where(derived.c.asset_pk.in_([a.id for a in gone]))
    renders: dict[int, list[Derived]] = {}
    for row in conn.execute(query.order_by(derived.c.id)):
        record = Derived(**{name: getattr(row, name) for name in _DERIVED_FIELDS})
        renders.setdefault(record.asset_pk, []).append(record)
    return [RemovedAsset(asset, tuple(renders.get(asset.id, ()))) for asset in gone]


def _rows(pks: list[int]) -> Any:
    return sa.select(assets).where(assets.c.id.in_(pks)).order_by(assets.c.id)


def _asset_values(new: NewAsset, version: int, now: datetime) -> dict[str, Any]:
    """The assets-table columns an upload sets, on insert and on overwrite alike."""
    return {
        "resource_type": new.resource_type,
        "type": new.type,
        "public_id": new.public_id,
        "version": version,
        "version_id": new.version_id,
        "format": new.format,
        "bytes": new.bytes,
        "width": new.width,
        "height": new.height,
        "pages": new.pages,
        "duration": new.duration,
        "etag": new.etag,
        "storage_key": new.storage_key,
        "original_filename": new.original_filename,
        "asset_folder": new.asset_folder,
        "display_name": new.display_name,
        "placeholder": False,
        "access_mode": "public",
        "context": dict(new.context),
        "extra": dict(new.extra),
        "created_at": now,
        "uploaded_at": now,
        "updated_at": now,
    }


def replace_tags(conn: Connection, pk: int, tags: Iterable[str]) -> None:
    """Give the asset exactly ``tags`` (its row must be written already: the tag rows copy
    its cloud, resource type and creation time for the listings, see migration 0014)."""
    conn.execute(sa.delete(asset_tags).where(asset_tags.c.asset_pk == pk))
    unique = list(dict.fromkeys(tags))
    owner = listing_copies(conn, pk) if unique else {}
    rows = [{"asset_pk": pk, "tag": tag, **owner} for tag in unique]
    insert_or_ignore(conn, asset_tags, rows)


def replace_context(conn: Connection, pk: int, context: Mapping[str, str]) -> None:
    """Give the asset exactly ``context`` (rows written as ``replace_tags`` writes them)."""
    conn.execute(sa.delete(asset_context).where(asset_context.c.asset_pk == pk))
    owner = listing_copies(conn, pk) if context else {}
    rows = [{"asset_pk": pk, "key": k, "value": v, **owner} for k, v in context.items()]
    insert_or_ignore(conn, asset_context, rows)


def listing_copies(conn: Connection, pk: int) -> dict[str, Any]:
    """The asset's columns that its tag and context rows carry too."""
    query = sa.select(
        assets.c.cloud_id, assets.c.resource_type, assets.c.created_at, assets.c.format
    )
    row = conn.execute(query.where(assets.c.id == pk)).one()
    return dict(row._mapping)


def reload_asset(conn: Connection, pk: int) -> Asset:
    asset = load_asset(conn, pk)
    assert asset is not None  # written in this transaction
    return asset
