"""The asset catalog on SQLAlchemy Core: one implementation for SQLite and PostgreSQL.

``Catalog`` is assembled from parts, each in its own module:

- ``clouds.CloudStore``: clouds, upload presets, delete tokens, the blob journal
- ``assets.AssetReads``: lookups, keyset-paginated listings, tags, versions, usage
- ``asset_writes.AssetWrites``: create or overwrite, update, delete (one transaction each)
- ``backups.BackupStore``: backed-up versions of overwritten and deleted assets; restore
- ``asset_changes.AssetChanges``: rename, bulk tags and context commands
- ``asset_deletes.AssetDeletes``: the Admin API's bulk deletes, a page per transaction
- ``relations.Relations``: related assets
- ``folders.FolderStore``: folders (recorded as assets are written, or created empty)
- ``derived_store.DerivedStore``: records of rendered derivatives
- ``named.NamedStore``: named transformations
- ``metadata.MetadataStore``: structured metadata fields, datasources and asset values
- ``call_counts.CallCounts``: Admin API calls per cloud and hour, shared by every node
- ``claims.Claims``: render claims (one render per derivative across nodes), sign-in failures
- ``chunk_parts.ChunkParts``: the parts of chunked uploads, whichever node received them
- ``webhooks.WebhookStore``: webhook deliveries and their outcome
- ``console.ConsoleStore``: Media Explorer users and sessions, a folder's own assets
- ``bulk_load.BulkLoad``: ready-made asset records in bulk (``cloudlet bench-catalog``)
- ``search.SearchStore``: the Search API (assets and folders), compiled by ``search_sql``
- ``db.Database``: the engine (SQLite: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE for
  writes; PostgreSQL: psycopg 3 with pre-ping) and the transaction helpers

The tables are in ``schema``; ``migrations`` (Alembic, run by ``migrate()``) creates them.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from cloudlet.catalog.asset_changes import AssetChanges
from cloudlet.catalog.asset_deletes import AssetDeletes
from cloudlet.catalog.asset_writes import AssetWrites
from cloudlet.catalog.assets import AssetReads
from cloudlet.catalog.backups import BackupStore
from cloudlet.catalog.bulk_load import BulkLoad
from cloudlet.catalog.call_counts import CallCounts
from cloudlet.catalog.chunk_parts import ChunkParts
from cloudlet.catalog.claims import Claims
from cloudlet.catalog.clouds import CloudStore
from cloudlet.catalog.console import ConsoleStore
from cloudlet.catalog.derived_store import DerivedStore
from cloudlet.catalog.folders import FolderStore
from cloudlet.catalog.generation import Generation
from cloudlet.catalog.metadata import MetadataStore
from cloudlet.catalog.named import NamedStore
from cloudlet.catalog.relations import Relations
from cloudlet.catalog.search import SearchStore
from cloudlet.catalog.webhooks import WebhookStore

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Serialises concurrent migrate() calls on PostgreSQL (an arbitrary, fixed 64-bit number).
_MIGRATION_LOCK = 0x636C6F75646C6574


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config for the catalog's migrations, built in code (no alembic.ini).

    ``url`` is only needed for Alembic commands run without a connection (offline SQL)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Catalog(
    CloudStore,
    AssetReads,
    BackupStore,  # before AssetWrites, which it extends
    AssetWrites,
    AssetChanges,
    AssetDeletes,
    Relations,
    FolderStore,
    DerivedStore,
    NamedStore,
    MetadataStore,
    CallCounts,
    Claims,
    ChunkParts,
    WebhookStore,
    ConsoleStore,
    BulkLoad,
    SearchStore,
):
    """Clouds, assets, versions, tags, presets, delete tokens and the blob journal.

    Every asset query is scoped by ``cloud_id``: one cloud can never see another's rows.
    Timestamps are timezone-aware UTC datetimes with microsecond precision. Safe to share
    between threads.
    """

    def __init__(self, url: str, generation: Generation | None = None) -> None:
        """``url`` is a SQLAlchemy URL: ``sqlite:///path`` or ``postgresql+psycopg://...``
        (``postgres://`` and ``postgresql://`` are mapped to psycopg 3). Query parameters
        reach the driver, e.g. ``?options=-csearch_path%3Dmyschema`` on PostgreSQL.
        ``generation`` is the delivery generation writes move on (default: this process's
        own counter)."""
        super().__init__(url, generation)

    # -- lifecycle -----------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema up to date with Alembic (idempotent, safe to call at every start,
        also from several processes at once)."""
        config = alembic_config()
        with self._write() as conn:
            if self._is_postgres:
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def schema_revision(self) -> str | None:
        """The Alembic revision the catalog's schema is at (None: not migrated)."""
        from alembic.migration import MigrationContext

        with self._read() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        """Dispose of the connection pools."""
        self.dispose()
