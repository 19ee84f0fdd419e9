"""Loading many ready-made asset records at once (``cloudlet bench-catalog``).

The rows written are the rows the upload path writes (``asset_writes``): the asset, its
tags, its context key/values, its version rows and the folders its public id implies. Only
the speed differs: PostgreSQL gets ``COPY``, SQLite ``executemany``, one transaction per
batch, primary keys reserved up front so that the child rows can be written in bulk too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.db import Database, insert_or_ignore
from cloudlet.catalog.folders import ancestors
from cloudlet.catalog.schema import (
    JSONText,
    asset_context,
    asset_tags,
    asset_versions,
    assets,
    folders,
)
from cloudlet.errors import AlreadyExistsError

_ASSET_COLUMNS = [c.name for c in assets.columns if c.name != "id"]
_VERSION_COLUMNS = [c.name for c in asset_versions.columns if c.name != "asset_pk"]


@dataclass
class BulkAsset:
    """One asset to load: its ``assets`` columns (all but ``id``), tags and versions.

    ``versions`` are ``asset_versions`` rows without ``asset_pk``, oldest first; the last
    one is the current version. The context rows come from ``values["context"]``."""

    values: dict[str, Any]
    tags: list[str] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)


class BulkLoad(Database):
    """Writing asset records in bulk, as the upload path would have written them."""

    def bulk_insert_assets(self, cloud_id: int, batch: Sequence[BulkAsset]) -> list[int]:
        """Insert ``batch`` (new public ids only) into ``cloud_id`` in one transaction;
        returns the primary keys given, in order. A public id already taken fails the
        whole batch (AlreadyExistsError) and nothing of it is written."""
        try:
            with self._write() as conn:
                pks = _reserve_pks(conn, len(batch))
                rows = _asset_rows(cloud_id, batch, pks)
                if conn.dialect.name == "postgresql":
                    _copy_all(conn, rows)
                else:
                    _insert_all(conn, rows)
                _insert_folders(conn, cloud_id, [item.values["public_id"] for item in batch])
                return pks
        except (IntegrityError, psycopg.errors.UniqueViolation) as exc:
            raise AlreadyExistsError(
                "Some of these public ids or asset ids exist already; nothing was added"
            ) from exc

    def analyze(self) -> None:
        """After a large load, do what autovacuum or ``PRAGMA optimize`` would in time:
        refresh the planner's statistics (ANALYZE) and, on PostgreSQL, the visibility map of
        the loaded tables (VACUUM), without which an index-only scan still reads the table
        for every row (a search answered from the tag index, see ``search_sql``)."""
        if self._engine.dialect.name == "postgresql":
            autocommit = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with autocommit as conn:  # VACUUM cannot run inside a transaction
                conn.execute(sa.text(f"VACUUM (ANALYZE) {', '.join(_LOADED)}"))
            return
        with self._write(quiet=True) as conn:
            conn.execute(sa.text("ANALYZE"))


# The tables a bulk load writes (the search index's through its triggers).
_LOADED = ("assets", "asset_tags", "asset_context", "asset_versions", "folders", "asset_search")


def _reserve_pks(conn: Connection, count: int) -> list[int]:
    """``count`` fresh primary keys for ``assets``. PostgreSQL: from its sequence (safe
    beside concurrent uploads); SQLite: after the largest one (the write lock is held)."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        query = sa.text(
            "SELECT nextval(pg_get_serial_sequence('assets', 'id')) FROM generate_series(1, :n)"
        )
        return sorted(conn.scalars(query, {"n": count}))
    start = int(conn.scalar(sa.select(sa.func.coalesce(sa.func.max(assets.c.id), 0))) or 0)
    return list(range(start + 1, start + 1 + count))


@dataclass
class _Rows:
    assets: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    context: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)


def _asset_rows(cloud_id: int, batch: Sequence[BulkAsset], pks: list[int]) -> _Rows:
    rows = _Rows()
    for pk, item in zip(pks, batch, strict=True):
        rows.assets.append({**item.values, "id": pk, "cloud_id": cloud_id})
        # the listing copies, as asset_writes.replace_tags writes them
        owner = {
            "asset_pk": pk,
            "cloud_id": cloud_id,
            "resource_type": item.values["resource_type"],
            "created_at": item.values["created_at"],
            "format": item.values["format"],
        }
        rows.tags += [{**owner, "tag": tag} for tag in dict.fromkeys(item.tags)]
        context = item.values.get("context") or {}
        rows.context += [{**owner, "key": k, "value": v} for k, v in context.items()]
        rows.versions += [{**version, "asset_pk": pk} for version in item.versions]
    return rows


def _insert_all(conn: Connection, rows: _Rows) -> None:
    """SQLite: the tag and context rows go first, with their tables' triggers set aside and
    foreign keys checked at commit; then the assets, whose insert triggers (the search
    index's, migration 0013) so index each asset once, tags and context included, instead
    of once more per tag and context row (which made loads 5 times slower)."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    with _sqlite_triggers_set_aside(conn, ("asset_tags", "asset_context")):
        for table, values in _children_first(rows):
            if values:
                conn.execute(sa.insert(table), values)


def _children_first(rows: _Rows) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    return [
        (asset_tags, rows.tags),
        (asset_context, rows.context),
        (assets, rows.assets),
        (asset_versions, rows.versions),
    ]


@contextmanager
def _sqlite_triggers_set_aside(conn: Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the tables' triggers for the block and create them again before the transaction
    commits (SQLite's DDL is transactional: other connections never see them gone)."""
    query = sa.text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
    saved = [row for row in conn.execute(query) if row.tbl_name in tables]
    for row in saved:
        conn.exec_driver_sql(f'DROP TRIGGER "{row.name}"')
    yield
    for row in saved:
        conn.exec_driver_sql(row.sql)


def _copy_all(conn: Connection, rows: _Rows) -> None:
    """PostgreSQL: COPY every table's rows through psycopg 3 (the raw driver connection of
    ``conn``, inside its transaction), parents first (foreign keys are checked row by row).
    The search index's statement-level triggers (migration 0013) index the batch set-wise
    as each COPY ends."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        for table, values in _children_first(rows)[2:] + _children_first(rows)[:2]:
            if values:
                _copy(cursor, table, values)


def _copy(cursor: Any, table: sa.Table, values: list[dict[str, Any]]) -> None:
    names = [c.name for c in table.columns if c.name in values[0]]
    encoders = [_encoder(table.c[name]) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for value in values:
            copy.write_row([enc(value[n]) for n, enc in zip(names, encoders, strict=True)])


def _encoder(column: sa.Column[Any]) -> Any:
    """How a Python value of ``column`` travels in COPY (JSON documents as their text)."""
    if isinstance(column.type, JSONText):
        return lambda v: None if v is None else _json(v)
    return lambda v: v


def _json(value: Any) -> str:
    # the same text JSONText writes, so stored documents do not depend on the write path
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _insert_folders(conn: Connection, cloud_id: int, public_ids: Iterable[str]) -> None:
    paths: set[str] = set()
    for public_id in public_ids:
        folder = public_id.rpartition("/")[0]
        if folder:
            paths.update(ancestors(folder))
    rows = [{"cloud_id": cloud_id, "path": p, "parent": p.rpartition("/")[0]} for p in paths]
    insert_or_ignore(conn, folders, sorted(rows, key=lambda row: row["path"]))
