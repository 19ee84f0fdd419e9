"""Changes to existing assets: rename (with overwrite), bulk tag and context commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.asset_writes import delete_asset_rows, reload_asset, replace_context
from cloudlet.catalog.assets import load_asset
from cloudlet.catalog.db import Database, chunks, insert_select_or_ignore
from cloudlet.catalog.folders import ensure_folders
from cloudlet.catalog.model import Asset, RemovedAsset
from cloudlet.catalog.schema import asset_tags, assets
from cloudlet.errors import AlreadyExistsError, BadRequestError, NotFoundError

MAX_TAGS_PER_ASSET = 1000
_RENAME_ATTEMPTS = 3
TAG_COMMANDS = ("add", "remove", "replace", "remove_all", "set_exclusive")


class AssetChanges(Database):
    """Renames and the Upload API's ``tags`` and ``context`` commands."""

    def rename_asset(
        self,
        asset_pk: int,
        to_public_id: str,
        *,
        to_type: str | None,
        overwrite: bool,
        now: datetime,
        from_public_id: str | None = None,
        removed: list[RemovedAsset] | None = None,
    ) -> tuple[Asset, list[str]]:
        """Give the asset a new public id (and type). A different asset already there is
        AlreadyExistsError unless ``overwrite``, in which case it is deleted in the same
        transaction. Returns the renamed asset and the journalled keys of what was replaced.
        ``from_public_id``: NotFoundError unless the asset, once locked, still has that
        public id (a concurrent rename or delete won the race). ``removed`` (when given)
        receives the asset that was replaced, as it was.

        An asset that another transaction puts at the target after the clash check (an
        upload or a rename committing first, which PostgreSQL's READ COMMITTED allows) makes
        the update break the unique key; the whole rename is then tried again, and the new
        attempt sees that asset (AlreadyExistsError, or replaces it with ``overwrite``).
        """
        for attempt in range(1, _RENAME_ATTEMPTS + 1):
            if removed is not None:
                removed.clear()  # what a rolled-back attempt replaced was not removed
            try:
                with self._write() as conn:
                    return self._rename(conn, asset_pk, to_public_id, to_type, overwrite, now,
                                        from_public_id, removed)  # fmt: skip
            except IntegrityError:
                if attempt == _RENAME_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _rename(
        self,
        conn: Connection,
        asset_pk: int,
        to_public_id: str,
        to_type: str | None,
        overwrite: bool,
        now: datetime,
        from_public_id: str | None,
        removed: list[RemovedAsset] | None,
    ) -> tuple[Asset, list[str]]:
        _lock_with_target(conn, asset_pk, to_public_id, to_type)
        asset = load_asset(conn, asset_pk, for_update=True)
        if asset is None or from_public_id not in (None, asset.public_id):
            raise NotFoundError("Resource not found")
        kind = to_type or asset.type
        replaced = self._clear_target(conn, asset, to_public_id, kind, overwrite, removed)
        conn.execute(
            sa.update(assets)
            .where(assets.c.id == asset_pk)
            .values(public_id=to_public_id, type=kind, updated_at=now)
        )
        ensure_folders(conn, asset.cloud_id, to_public_id)
        return reload_asset(conn, asset_pk), replaced

    def delete_named_asset(
        self,
        cloud_id: int,
        resource_type: str,
        type: str,
        public_id: str,
        removed: list[RemovedAsset] | None = None,
    ) -> list[str] | None:
        """Delete the asset at this public id, looked up and locked in the deleting
        transaction (so a concurrent rename or delete cannot slip in between); journal and
        return the storage keys to remove, or None when no asset is there. ``removed``
        (when given) receives the asset as it was, with its renders."""
        query = sa.select(assets.c.id).where(
            assets.c.cloud_id == cloud_id,
            assets.c.resource_type == resource_type,
            assets.c.type == type,
            assets.c.public_id == public_id,
        )
        with self._write() as conn:
            pk = conn.scalar(query.with_for_update())
            return None if pk is None else delete_asset_rows(conn, pk, removed)

    def _clear_target(
        self,
        conn: Connection,
        asset: Asset,
        public_id: str,
        kind: str,
        overwrite: bool,
        removed: list[RemovedAsset] | None,
    ) -> list[str]:
        clash = conn.scalar(
            sa.select(assets.c.id)
            .where(
                assets.c.cloud_id == asset.cloud_id,
                assets.c.resource_type == asset.resource_type,
                assets.c.type == kind,
                assets.c.public_id == public_id,
            )
            .with_for_update()
        )
        if clash is None or clash == asset.id:
            return []
        if not overwrite:
            raise AlreadyExistsError(f"Resource already exists - {public_id}")
        return delete_asset_rows(conn, clash, removed)

    def change_tags(
        self,
        cloud_id: int,
        resource_type: str,
        type: str,
        public_ids: Sequence[str],
        command: str,
        tags: Sequence[str],
        now: datetime,
    ) -> list[str]:
        """Apply a tags command to the named assets in one transaction; returns the public
        ids that exist (in the order given). ``set_exclusive`` also removes the tag from
        every other asset of the cloud and resource type. An asset that would end with more
        than 1000 tags is BadRequestError and nothing changes."""
        if command not in TAG_COMMANDS:
            raise BadRequestError(f"Invalid command {command!r} for tags")
        with self._write() as conn:
            # set_exclusive takes the tags from other assets too: they are locked with these
            tagged = tags if command == "set_exclusive" else ()
            found = _asset_pks(conn, cloud_id, resource_type, type, public_ids, tagged=tagged)
            pks = list(found.values())
            if command in ("replace", "remove_all"):
                _delete_tags(conn, pks, None)
            if command == "remove":
                _delete_tags(conn, pks, tags)
            if command == "set_exclusive":
                _remove_tag_elsewhere(conn, cloud_id, resource_type, tags, pks)
            if command in ("add", "replace", "set_exclusive"):
                _add_tags(conn, pks, tags)
                _check_tag_counts(conn, found)
            _touch(conn, pks, now)
            return [pid for pid in dict.fromkeys(public_ids) if pid in found]

    def change_context(
        self,
        cloud_id: int,
        resource_type: str,
        type: str,
        public_ids: Sequence[str],
        command: str,
        context: Mapping[str, str],
        now: datetime,
    ) -> list[str]:
        """``add`` merges the keys into each asset's context; ``remove_all`` clears it.
        Returns the public ids that exist, in the order given."""
        if command not in ("add", "remove_all"):
            raise BadRequestError(f"Invalid command {command!r} for context")
        with self._write() as conn:
            found = _asset_pks(conn, cloud_id, resource_type, type, public_ids)
            for pk in found.values():
                current = load_asset(conn, pk, for_update=True)
                assert current is not None
                merged = {**current.context, **context} if command == "add" else {}
                replace_context(conn, pk, merged)
                conn.execute(
                    sa.update(assets)
                    .where(assets.c.id == pk)
                    .values(context=merged, updated_at=now)
                )
            return [pid for pid in dict.fromkeys(public_ids) if pid in found]


def _lock_with_target(
    conn: Connection, asset_pk: int, to_public_id: str, to_type: str | None
) -> None:
    """Row-lock the asset being renamed and the one at its target (if any) in one statement,
    in pk order, as the bulk commands lock theirs (``_asset_pks``, the deletes): a rename
    onto an asset with a lower pk would otherwise hold its own row while waiting for the
    target's, and deadlock with a tags command over both (PostgreSQL; SQLite serialises
    writers anyway). A concurrent rename that moves the asset meanwhile leaves
    ``_clear_target`` to lock the right target, as before."""
    current = conn.execute(
        sa.select(assets.c.cloud_id, assets.c.resource_type, assets.c.type).where(
            assets.c.id == asset_pk
        )
    ).first()
    if current is None:
        return
    at_target = sa.and_(
        assets.c.cloud_id == current.cloud_id,
        assets.c.resource_type == current.resource_type,
        assets.c.type == (to_type or current.type),
        assets.c.public_id == to_public_id,
    )
    query = (
        sa.select(assets.c.id)
        .where(sa.or_(assets.c.id == asset_pk, at_target))
        .order_by(assets.c.id)
        .with_for_update()
    )
    conn.execute(query).all()


def _asset_pks(
    conn: Connection,
    cloud_id: int,
    resource_type: str,
    type: str,
    public_ids: Sequence[str],
    *,
    tagged: Sequence[str] = (),
) -> dict[str, int]:
    """The pks of the named assets, row-locked in pk order: concurrent bulk commands over
    overlapping assets then queue instead of deadlocking (PostgreSQL; SQLite serialises
    writers anyway). ``tagged``: also lock every asset of the cloud and resource type that
    carries one of these tags (``set_exclusive`` changes them), in the same order.

    Up to one slice of ids (and nothing ``tagged``) they are found and locked by one
    statement; otherwise the assets are found first and then locked slice by slice of
    sorted pks, so that the order holds across slices (an asset renamed away meanwhile is
    left out)."""
    wanted = list(dict.fromkeys(public_ids))
    named = sa.and_(
        assets.c.cloud_id == cloud_id,
        assets.c.resource_type == resource_type,
        assets.c.type == type,
    )
    columns = (assets.c.public_id, assets.c.id, assets.c.type)
    parts = list(chunks(wanted))
    if len(parts) == 1 and not tagged:
        query = sa.select(*columns).where(named, assets.c.public_id.in_(parts[0]))
        rows = conn.execute(query.order_by(assets.c.id).with_for_update())
        return {row.public_id: row.id for row in rows}
    to_lock: set[int] = set()
    for part in parts:
        query = sa.select(assets.c.id).where(named, assets.c.public_id.in_(part))
        to_lock.update(conn.scalars(query))
    if tagged:
        carriers = sa.select(asset_tags.c.asset_pk).where(
            asset_tags.c.cloud_id == cloud_id,
            asset_tags.c.resource_type == resource_type,
            asset_tags.c.tag.in_(list(tagged)),
        )
        to_lock.update(conn.scalars(carriers))
    asked = set(wanted)
    locked: dict[str, int] = {}
    for part in chunks(sorted(to_lock)):
        query = sa.select(*columns).where(assets.c.id.in_(part))
        for row in conn.execute(query.order_by(assets.c.id).with_for_update()):
            if row.public_id in asked and row.type == type:
                locked[row.public_id] = row.id
    return locked


def _delete_tags(conn: Connection, pks: list[int], tags: Sequence[str] | None) -> None:
    for part in chunks(pks):
        query = sa.delete(asset_tags).where(asset_tags.c.asset_pk.in_(part))
        if tags is not None:
            query = query.where(asset_tags.c.tag.in_(list(tags)))
        conn.execute(query)


def _add_tags(conn: Connection, pks: list[int], tags: Sequence[str]) -> None:
    """Tag the assets: one INSERT … SELECT per tag and slice of assets, the rows taking
    their asset's listing columns from the assets table (see migration 0014)."""
    columns = ["asset_pk", "tag", "cloud_id", "resource_type", "created_at", "format"]
    for part in chunks(pks):
        for tag in dict.fromkeys(tags):
            source = sa.select(
                assets.c.id,
                sa.literal(tag, type_=asset_tags.c.tag.type),
                assets.c.cloud_id,
                assets.c.resource_type,
                assets.c.created_at,
                assets.c.format,
            ).where(assets.c.id.in_(part))
            insert_select_or_ignore(conn, asset_tags, columns, source)


def _remove_tag_elsewhere(
    conn: Connection, cloud_id: int, resource_type: str, tags: Sequence[str], keep: list[int]
) -> None:
    conn.execute(
        sa.delete(asset_tags).where(
            asset_tags.c.cloud_id == cloud_id,
            asset_tags.c.resource_type == resource_type,
            asset_tags.c.tag.in_(list(tags)),
            asset_tags.c.asset_pk.not_in(keep) if keep else sa.true(),
        )
    )


def _check_tag_counts(conn: Connection, found: dict[str, int]) -> None:
    by_pk = {pk: pid for pid, pk in found.items()}
    for part in chunks(list(by_pk)):
        query = (
            sa.select(asset_tags.c.asset_pk, sa.func.count())
            .where(asset_tags.c.asset_pk.in_(part))
            .group_by(asset_tags.c.asset_pk)
            .having(sa.func.count() > MAX_TAGS_PER_ASSET)
        )
        for pk, _count in conn.execute(query):
            raise BadRequestError(
                f"Asset {by_pk[pk]} would have more than {MAX_TAGS_PER_ASSET} tags"
            )


def _touch(conn: Connection, pks: list[int], now: datetime) -> None:
    for part in chunks(pks):
        conn.execute(sa.update(assets).where(assets.c.id.in_(part)).values(updated_at=now))
