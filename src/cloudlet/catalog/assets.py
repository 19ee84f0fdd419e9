"""Asset reads: lookups, keyset-paginated listings, tags, versions, usage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from cloudlet.catalog.cursor import clamp_max_results, decode_cursor, encode_cursor
from cloudlet.catalog.db import Database, chunks
from cloudlet.catalog.model import Asset, AssetVersion, Page
from cloudlet.catalog.schema import (
    asset_backups,
    asset_context,
    asset_tags,
    asset_versions,
    assets,
    derived,
    upload_chunks,
)
from cloudlet.errors import BadRequestError

_ASSET_COLUMNS = [c.name for c in assets.columns]
_VERSION_FIELDS = [c.name for c in asset_versions.columns]
_BATCH = 500
_KEY_BATCH = 400  # keys per IN list; five lists per statement stay far under parameter limits


def load_assets(
    conn: Connection, rows: Sequence[Row[Any]], *, with_tags: bool = True
) -> list[Asset]:
    """Assets for ``rows`` of the assets table, in the same order, with their tags (or with
    ``tags=()`` when ``with_tags`` is false: one query fewer on hot paths)."""
    tags = _tags_by_asset(conn, [row.id for row in rows]) if with_tags else {}
    return [_asset(row, tags.get(row.id, [])) for row in rows]


def load_asset(conn: Connection, asset_pk: int, *, for_update: bool = False) -> Asset | None:
    """The asset with this primary key, or None (``for_update`` locks the row on PostgreSQL)."""
    query = sa.select(assets).where(assets.c.id == asset_pk)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else load_assets(conn, [row])[0]


def _asset(row: Row[Any], tags: Iterable[str]) -> Asset:
    # zip over the row: attribute access per column costs several times more (listings
    # and bulk commands build hundreds of assets per request)
    found = dict(zip(row._fields, row, strict=True))
    values = {name: found[name] for name in _ASSET_COLUMNS}
    values["placeholder"] = bool(values["placeholder"])
    values["context"] = dict(values["context"] or {})
    values["extra"] = dict(values["extra"] or {})
    return Asset(tags=tuple(sorted(set(tags))), **values)


def _tags_by_asset(conn: Connection, pks: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for part in chunks(pks):
        query = sa.select(asset_tags.c.asset_pk, asset_tags.c.tag)
        for pk, tag in conn.execute(query.where(asset_tags.c.asset_pk.in_(part))):
            found.setdefault(pk, []).append(tag)
    return found


def prefix_condition(column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, literally, as an index-friendly range.

    A range rather than LIKE: there are no wildcards to escape, and SQLite's LIKE ignores
    case. It is exact because the compared columns order by code point (see ``schema``).
    """
    if not prefix:
        return sa.true()
    upper = _successor(prefix)
    lower = column >= prefix
    return lower if upper is None else sa.and_(lower, column < upper)


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    stripped = prefix.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    after = ord(stripped[-1]) + 1
    if 0xD800 <= after <= 0xDFFF:  # surrogates never occur in stored text
        after = 0xE000
    return stripped[:-1] + chr(after)


def _after(columns: list[Any], key: list[Any], descending: bool) -> Any:
    """Rows strictly after ``key`` in the (columns...) ordering: a row-value comparison."""
    left = sa.tuple_(*columns)
    right = sa.tuple_(*[sa.literal(v, type_=c.type) for c, v in zip(columns, key, strict=True)])
    return left < right if descending else left > right


def _page(rows: Sequence[Any], limit: int, ordering: str, key_of: Any) -> tuple[list[Any], str]:
    """Trim the extra row fetched to detect a next page; its cursor or ""."""
    if len(rows) <= limit:
        return list(rows), ""
    kept = list(rows[:limit])
    return kept, encode_cursor(ordering, key_of(kept[-1]))


class AssetReads(Database):
    """Reading assets. Every query is scoped by ``cloud_id``."""

    def get_asset(
        self, cloud_id: int, resource_type: str, type: str, public_id: str
    ) -> Asset | None:
        """The current asset, or None."""
        query = sa.select(assets).where(
            assets.c.cloud_id == cloud_id,
            assets.c.resource_type == resource_type,
            assets.c.type == type,
            assets.c.public_id == public_id,
        )
        return self._one(query)

    def get_asset_by_asset_id(self, cloud_id: int, asset_id: str) -> Asset | None:
        """The asset with this ``asset_id`` in the cloud, or None."""
        query = sa.select(assets).where(
            assets.c.cloud_id == cloud_id, assets.c.asset_id == asset_id
        )
        return self._one(query)

    def get_asset_by_pk(self, asset_pk: int) -> Asset | None:
        """The asset with this internal primary key, or None (not scoped: pks are internal)."""
        with self._read() as conn:
            return load_asset(conn, asset_pk)

    def _one(self, query: Any) -> Asset | None:
        with self._read() as conn:
            row = conn.execute(query).first()
            return None if row is None else load_assets(conn, [row])[0]

    def get_assets_by_public_ids(
        self,
        cloud_id: int,
        resource_type: str,
        type: str | None,
        public_ids: Sequence[str],
        *,
        with_tags: bool = True,
    ) -> list[Asset]:
        """Assets in the order of ``public_ids`` (missing ones skipped). ``type`` None: any
        type, several assets per public_id then follow each other ordered by type.
        ``with_tags=False`` leaves ``tags`` empty and saves a query (delivery)."""
        base = sa.select(assets).where(
            assets.c.cloud_id == cloud_id, assets.c.resource_type == resource_type
        )
        if type is not None:
            base = base.where(assets.c.type == type)
        unique = list(dict.fromkeys(public_ids))
        found = self._select_in(base, assets.c.public_id, unique, with_tags=with_tags)
        found.sort(key=lambda a: a.type)
        rank = {public_id: i for i, public_id in reversed(list(enumerate(public_ids)))}
        return sorted(found, key=lambda a: rank[a.public_id])

    def get_assets_by_asset_ids(self, cloud_id: int, asset_ids: Sequence[str]) -> list[Asset]:
        """Assets in the order of ``asset_ids`` (missing ones skipped)."""
        base = sa.select(assets).where(assets.c.cloud_id == cloud_id)
        found = self._select_in(base, assets.c.asset_id, list(dict.fromkeys(asset_ids)))
        rank = {asset_id: i for i, asset_id in reversed(list(enumerate(asset_ids)))}
        return sorted(found, key=lambda a: rank[a.asset_id])

    def _select_in(
        self, base: Any, column: Any, values: list[str], *, with_tags: bool = True
    ) -> list[Asset]:
        found: list[Asset] = []
        with self._read() as conn:
            for part in chunks(values):
                rows = conn.execute(base.where(column.in_(part))).all()
                found.extend(load_assets(conn, rows, with_tags=with_tags))
        return found

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
        with_tags: bool = True,
    ) -> Page:
        """Keyset-paginated listing; ``Page.items`` are Assets (``with_tags=False`` leaves
        their ``tags`` empty and saves a query).

        Order: by (created_at, id) in ``direction`` ("asc" or "desc"); when ``prefix`` is
        given, by public_id ascending (Cloudinary ignores direction with a prefix).
        ``start_at``: only assets created at/after it (asc) or at/before it (desc). The cursor
        is opaque, encodes the last row's sort key and ordering, and stays valid while rows are
        added or deleted (no offsets). ``prefix`` matches public_id by literal prefix (no
        wildcards). ``context_key`` alone: assets having that key; with ``context_value``:
        having exactly that value. Invalid cursors raise BadRequestError.
        """
        descending = _descending(direction)
        query, created, pk = _listing_base(
            cloud_id, resource_type, type, prefix, tag, context_key, context_value
        )
        if start_at is not None:
            at = sa.literal(start_at, type_=assets.c.created_at.type)
            query = query.where(created <= at if descending else created >= at)
        if prefix is not None:
            query = query.where(prefix_condition(assets.c.public_id, prefix))
            descending = False
        ordering, columns, types = _asset_ordering(prefix is not None, descending, created, pk)
        if cursor:
            query = query.where(_after(columns, decode_cursor(cursor, ordering, types), descending))
        order = [c.desc() for c in columns] if descending else [c.asc() for c in columns]
        limit = clamp_max_results(max_results)
        with self._read() as conn:
            rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
            kept, next_cursor = _page(rows, limit, ordering, _asset_key(ordering))
            items = load_assets(conn, kept, with_tags=with_tags)
            return Page(items=items, next_cursor=next_cursor or None)

    def list_tags(
        self,
        cloud_id: int,
        resource_type: str,
        *,
        prefix: str | None = None,
        max_results: int = 10,
        cursor: str | None = None,
    ) -> Page:
        """Distinct tags used by assets of the resource type, ascending; items are str.

        A loose index scan: each tag is the smallest one after the previous, found in the
        tag listing index (migration 0014), so a page costs a probe per tag however many
        assets carry them (a GROUP BY read every tag row of the cloud)."""
        after = decode_cursor(cursor, "tags", (str,))[0] if cursor else None
        limit = clamp_max_results(max_results)
        query, params = _distinct_tags(after, prefix or None, limit + 1)
        params.update(cloud_id=cloud_id, resource_type=resource_type)
        with self._read() as conn:
            rows = list(conn.scalars(query, params))
        kept, next_cursor = _page(rows, limit, "tags", lambda t: [t])
        return Page(items=kept, next_cursor=next_cursor or None)

    def list_versions(self, asset_pk: int) -> list[AssetVersion]:
        """All versions, newest first."""
        query = sa.select(asset_versions).where(asset_versions.c.asset_pk == asset_pk)
        with self._read() as conn:
            rows = conn.execute(query.order_by(asset_versions.c.version.desc())).all()
        return [_version(row) for row in rows]

    def get_version(self, asset_pk: int, version: int) -> AssetVersion | None:
        """One version of the asset, or None."""
        query = sa.select(asset_versions).where(
            asset_versions.c.asset_pk == asset_pk, asset_versions.c.version == version
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _version(row)

    def iter_all_assets(self, cloud_id: int | None = None) -> Iterator[Asset]:
        """Every asset (all clouds when None), streamed in batches; used by fsck.

        Each batch is read in its own short transaction, so a long walk holds no locks."""
        last = 0
        while True:
            query = sa.select(assets).where(assets.c.id > last).order_by(assets.c.id)
            if cloud_id is not None:
                query = query.where(assets.c.cloud_id == cloud_id)
            with self._read() as conn:
                batch = load_assets(conn, conn.execute(query.limit(_BATCH)).all())
            yield from batch
            if len(batch) < _BATCH:
                return
            last = batch[-1].id

    def referenced_storage_keys(self) -> set[str]:
        """Every storage key referenced by an asset, version, backup, derived or chunk-part row
        (for fsck)."""
        versions = sa.select(asset_versions.c.storage_key).where(
            asset_versions.c.storage_key.is_not(None)
        )
        query = sa.union(
            sa.select(assets.c.storage_key),
            versions,
            sa.select(derived.c.storage_key),
            sa.select(asset_backups.c.storage_key),
            sa.select(upload_chunks.c.storage_key),  # parts of chunked uploads in progress
        )
        with self._read() as conn:
            return set(conn.scalars(query))

    def referenced_among(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` that an asset, version, backup, derived or chunk-part row
        references (the start-up journal sweep: a few keys, never the whole catalog)."""
        found: set[str] = set()
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _KEY_BATCH):
            batch = wanted[start : start + _KEY_BATCH]
            query = sa.union(
                *(
                    sa.select(column).where(column.in_(batch))
                    for column in (
                        assets.c.storage_key,
                        asset_versions.c.storage_key,
                        derived.c.storage_key,
                        asset_backups.c.storage_key,
                        upload_chunks.c.storage_key,
                    )
                )
            )
            with self._read() as conn:
                found.update(conn.scalars(query))
        return found

    def usage(self, cloud_id: int) -> dict[str, int]:
        """{"resources": n, "storage_bytes": n, "derived_resources": 0} for the cloud.

        storage_bytes counts current originals plus older versions whose bytes are kept."""
        current = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(assets.c.bytes), 0))
        kept = (
            sa.select(sa.func.coalesce(sa.func.sum(asset_versions.c.bytes), 0))
            .select_from(asset_versions.join(assets, assets.c.id == asset_versions.c.asset_pk))
            .where(
                assets.c.cloud_id == cloud_id,
                asset_versions.c.storage_key.is_not(None),
                asset_versions.c.storage_key != assets.c.storage_key,
            )
        )
        renders = (
            sa.select(sa.func.count())
            .select_from(derived.join(assets, assets.c.id == derived.c.asset_pk))
            .where(assets.c.cloud_id == cloud_id)
        )
        with self._read() as conn:
            count, size = conn.execute(current.where(assets.c.cloud_id == cloud_id)).one()
            older = conn.scalar(kept) or 0
            derived_count = conn.scalar(renders) or 0
        return {
            "resources": int(count),
            "storage_bytes": int(size) + int(older),
            "derived_resources": int(derived_count),
        }


_NEXT_TAG = """(SELECT min(t.tag) FROM asset_tags t
    WHERE t.cloud_id = :cloud_id AND t.resource_type = :resource_type{conditions})"""


def _distinct_tags(after: str | None, prefix: str | None, count: int) -> tuple[Any, dict[str, Any]]:
    """The loose index scan of ``list_tags``: up to ``count`` distinct tags after ``after``
    (exclusive), starting with ``prefix``; and its parameters (but cloud and type)."""
    first: list[str] = []
    params: dict[str, Any] = {"count": count}
    if prefix is not None:
        first.append("t.tag >= :lower")
        params["lower"] = prefix
        upper = _successor(prefix)
        if upper is not None:
            params["upper"] = upper
    if after is not None:
        first.append("t.tag > :after")
        params["after"] = after
    bound = " AND t.tag < :upper" if "upper" in params else ""
    start = "".join(f" AND {c}" for c in first) + bound
    query = (
        "WITH RECURSIVE walk(tag, n) AS (SELECT "
        + _NEXT_TAG.format(conditions=start)
        + ", 1 UNION ALL SELECT "
        + _NEXT_TAG.format(conditions=" AND t.tag > walk.tag" + bound)
        + ", n + 1 FROM walk WHERE walk.tag IS NOT NULL AND n < :count)"
        " SELECT tag FROM walk WHERE tag IS NOT NULL ORDER BY n"
    )
    return sa.text(query), params


def _descending(direction: str) -> bool:
    value = str(direction).lower()
    if value not in ("asc", "desc"):
        raise BadRequestError(f"Invalid direction {direction!r}: use asc or desc")
    return value == "desc"


def asset_filters(
    resource_type: str | None,
    type: str | None,
    tag: str | None,
    context_key: str | None,
    context_value: str | None,
) -> list[Any]:
    filters: list[Any] = []
    if resource_type is not None:
        filters.append(assets.c.resource_type == resource_type)
    if type is not None:
        filters.append(assets.c.type == type)
    if tag is not None:
        tagged = sa.exists().where(asset_tags.c.asset_pk == assets.c.id, asset_tags.c.tag == tag)
        filters.append(tagged)
    if context_key is not None:
        match = [asset_context.c.asset_pk == assets.c.id, asset_context.c.key == context_key]
        if context_value is not None:
            match.append(asset_context.c.value == context_value)
        filters.append(sa.exists().where(*match))
    return filters


def _listing_base(
    cloud_id: int,
    resource_type: str | None,
    type: str | None,
    prefix: str | None,
    tag: str | None,
    context_key: str | None,
    context_value: str | None,
) -> tuple[Any, Any, Any]:
    """The listing's query before ordering, and its (created_at, id) columns.

    By tag or context key (in date order), the rows come from that side table's listing
    index, whose copies of the asset's cloud, resource type and creation time let one index
    range answer in order (migration 0014); otherwise from the assets table's indexes."""
    side = asset_tags if tag is not None else asset_context
    if prefix is not None or (tag is None and context_key is None):
        query = sa.select(assets).where(assets.c.cloud_id == cloud_id)
        query = query.where(*asset_filters(resource_type, type, tag, context_key, context_value))
        return query, assets.c.created_at, assets.c.id
    query = sa.select(assets).select_from(side.join(assets, assets.c.id == side.c.asset_pk))
    query = query.where(side.c.cloud_id == cloud_id)
    if resource_type is not None:
        query = query.where(side.c.resource_type == resource_type)
    if tag is not None:
        query = query.where(asset_tags.c.tag == tag)
        query = query.where(*asset_filters(None, type, None, context_key, context_value))
    else:
        query = query.where(asset_context.c.key == context_key)
        if context_value is not None:
            query = query.where(asset_context.c.value == context_value)
        query = query.where(*asset_filters(None, type, None, None, None))
    return query, side.c.created_at, side.c.asset_pk


def _asset_ordering(
    by_public_id: bool, descending: bool, created: Any, pk: Any
) -> tuple[str, list[Any], tuple[type, ...]]:
    """The ordering's cursor name, its sort columns and the types of their cursor values."""
    if by_public_id:
        return "public_id", [assets.c.public_id, assets.c.id], (str, int)
    name = "created_at:desc" if descending else "created_at:asc"
    return name, [created, pk], (datetime, int)


def _asset_key(ordering: str) -> Any:
    if ordering == "public_id":
        return lambda row: [row.public_id, row.id]
    return lambda row: [row.created_at.isoformat(), row.id]


def _version(row: Row[Any]) -> AssetVersion:
    return AssetVersion(**{name: getattr(row, name) for name in _VERSION_FIELDS})
