"""Deleting many assets at once, in pages of at most 1000, one transaction per page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cloudlet.catalog.asset_writes import delete_rows
from cloudlet.catalog.assets import asset_filters, prefix_condition
from cloudlet.catalog.db import Database, chunks
from cloudlet.catalog.model import RemovedAsset
from cloudlet.catalog.schema import assets

PAGE = 1000


@dataclass
class DeletedPage:
    """One page of a bulk delete: what went, the journalled blob keys, whether more remain."""

    deleted: list[str] = field(default_factory=list)  # public ids (or asset ids) deleted
    storage_keys: list[str] = field(default_factory=list)
    partial: bool = False
    last_pk: int | None = None
    last_public_id: str | None = None  # prefix deletes go in public id order
    removed: list[RemovedAsset] = field(default_factory=list)  # as they were, with renders


@dataclass(frozen=True)
class Selection:
    """Which assets a bulk delete targets (exactly one of ids, prefix, tag, everything)."""

    resource_type: str | None
    type: str | None
    public_ids: Sequence[str] | None = None
    asset_ids: Sequence[str] | None = None
    prefix: str | None = None
    tag: str | None = None


class AssetDeletes(Database):
    """The Admin API's delete calls, paged so that no transaction grows without bound."""

    def delete_assets_page(
        self,
        cloud_id: int,
        selection: Selection,
        *,
        after_pk: int = 0,
        after_public_id: str | None = None,
        limit: int = PAGE,
    ) -> DeletedPage:
        """Delete up to ``limit`` matching assets after the last page, in one transaction;
        their blob keys are journalled for the caller to remove. ``partial`` is true when
        more matching assets remain.

        Pages follow pk order (``after_pk``), except prefix deletes: they follow
        (public_id, pk) order (after ``after_public_id``, ``after_pk``), the order of the
        index that finds the prefix, so that each page reads only its own rows however many
        match (in pk order every page would sort all matching rows, or scan past others)."""
        with self._write() as conn:
            query = _select(cloud_id, selection, after_pk, after_public_id, limit + 1)
            rows = conn.execute(query).all()
            page = DeletedPage(partial=len(rows) > limit)
            rows = rows[:limit]
            page.last_pk = rows[-1].id if rows else None
            page.last_public_id = rows[-1].public_id if rows else None
            if selection.prefix is not None:
                rows = _lock_in_pk_order(conn, cloud_id, selection, [row.id for row in rows])
            by_ids = selection.asset_ids is not None
            page.deleted = [row.asset_id if by_ids else row.public_id for row in rows]
            page.storage_keys = delete_rows(conn, [row.id for row in rows], page.removed)
            return page


def _select(
    cloud_id: int, selection: Selection, after_pk: int, after_public_id: str | None, limit: int
) -> Any:
    query = (
        sa.select(assets.c.id, assets.c.public_id, assets.c.asset_id)
        .where(assets.c.cloud_id == cloud_id)
        .where(*asset_filters(selection.resource_type, selection.type, selection.tag, None, None))
        .limit(limit)
    )
    if selection.public_ids is not None:
        query = query.where(assets.c.public_id.in_(list(selection.public_ids)))
    if selection.asset_ids is not None:
        query = query.where(assets.c.asset_id.in_(list(selection.asset_ids)))
    if selection.prefix is None:
        return query.where(assets.c.id > after_pk).order_by(assets.c.id).with_for_update()
    # a prefix page is read in public id order and locked afterwards, in pk order
    query = query.where(prefix_condition(assets.c.public_id, selection.prefix))
    if after_public_id is not None:
        query = query.where(_after_key(after_public_id, after_pk))
    return query.order_by(assets.c.public_id, assets.c.id)


def _lock_in_pk_order(
    conn: Connection, cloud_id: int, selection: Selection, pks: list[int]
) -> list[Any]:
    """Row-lock a prefix page's assets in pk order, as every other write that locks several
    assets does (tags, context, deletes by ids, rename): locked in public id order, two
    assets whose public ids sort the other way round from their pks could deadlock this
    delete with a tags command over both (PostgreSQL; SQLite serialises writers anyway).
    An asset that a concurrent rename or delete took out of the selection meanwhile is left
    out; the rows come back in the page's (public id, pk) order."""
    locked: list[Any] = []
    for part in chunks(sorted(pks)):
        query = (
            sa.select(assets.c.id, assets.c.public_id, assets.c.asset_id)
            .where(assets.c.cloud_id == cloud_id, assets.c.id.in_(part))
            .where(
                *asset_filters(selection.resource_type, selection.type, selection.tag, None, None)
            )
            .where(prefix_condition(assets.c.public_id, selection.prefix or ""))
            .order_by(assets.c.id)
            .with_for_update()
        )
        locked += conn.execute(query).all()
    return sorted(locked, key=lambda row: (row.public_id, row.id))


def _after_key(public_id: str, pk: int) -> Any:
    key = sa.tuple_(
        sa.literal(public_id, type_=assets.c.public_id.type), sa.literal(pk, type_=sa.Integer)
    )
    return sa.tuple_(assets.c.public_id, assets.c.id) > key
