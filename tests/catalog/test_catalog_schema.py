"""Migrations: they build exactly ``schema.metadata``, run idempotently, and land in the
connection's schema; plus how each backend stores time."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from tests.catalog.catalog_factories import new_asset

from cloudlet.catalog.catalog import MIGRATIONS_DIR, Catalog, alembic_config
from cloudlet.catalog.schema import include_in_comparison, metadata


def current_revision(catalog: Catalog) -> str | None:
    with catalog.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_diff(catalog: Catalog) -> list[object]:
    with catalog.engine.connect() as conn, warnings.catch_warnings():
        # the search's expression index is left out of the comparison (schema.py)
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_in_comparison,
            },
        )
        return list(compare_metadata(context, metadata))


def test_migrations_match_schema(catalog: Catalog) -> None:
    assert schema_diff(catalog) == []


def test_migrate_is_idempotent(catalog: Catalog) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(catalog) == head
    catalog.migrate()
    catalog.migrate()
    assert current_revision(catalog) == head
    assert schema_diff(catalog) == []


def test_downgrade_and_upgrade_again(catalog: Catalog) -> None:
    config = alembic_config()
    with catalog.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(sa.inspect(catalog.engine).get_table_names()) <= {"alembic_version"}
    if catalog.engine.dialect.name == "postgresql":  # the search triggers' functions too
        with catalog.engine.connect() as conn:
            functions = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_proc WHERE proname LIKE 'cloudlet\\_%'"
                    " AND pronamespace = current_schema()::regnamespace"
                )
            )
        assert functions == 0
    catalog.migrate()
    assert schema_diff(catalog) == []


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))


def test_two_catalogs_on_one_database(database_url: str) -> None:
    first, second = Catalog(database_url), Catalog(database_url)
    try:
        first.migrate()
        second.migrate()
        first.create_cloud("demo", "k", "s")
        assert second.get_cloud("demo") is not None
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_postgres_tables_land_in_the_selected_schema(postgres_schema_url: str) -> None:
    catalog = Catalog(postgres_schema_url)
    try:
        catalog.migrate()
        with catalog.engine.connect() as conn:
            schema = conn.scalar(sa.text("SELECT current_schema()"))
            tables = set(
                conn.scalars(
                    sa.text(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = :schema"
                    ),
                    {"schema": schema},
                )
            )
        assert schema is not None and schema.startswith("cl_")
        assert {"alembic_version", "assets", "clouds", "blob_journal"} <= tables
    finally:
        catalog.close()


@pytest.mark.postgres
def test_postgres_session_time_zone_does_not_leak(postgres_schema_url: str) -> None:
    tokyo = postgres_schema_url + "%20-ctimezone%3DAsia%2FTokyo"
    catalog = Catalog(tokyo)
    try:
        catalog.migrate()
        with catalog.engine.connect() as conn:
            assert conn.scalar(sa.text("SHOW timezone")) == "Asia/Tokyo"
        cloud = catalog.create_cloud("demo", "k", "s")
        when = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
        asset, _, _ = catalog.create_or_replace_asset(
            cloud.id, new_asset("a"), overwrite=True, now=when
        )
        assert asset.created_at == when and asset.created_at.tzinfo is UTC
        assert catalog.get_cloud("demo").created_at.tzinfo is UTC  # type: ignore[union-attr]
    finally:
        catalog.close()


def test_sqlite_stores_utc_text_with_microseconds(sqlite_url: str) -> None:
    catalog = Catalog(sqlite_url)
    try:
        catalog.migrate()
        cloud = catalog.create_cloud("demo", "k", "s")
        local = datetime(2024, 1, 2, 5, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
        asset, _, _ = catalog.create_or_replace_asset(
            cloud.id, new_asset("a"), overwrite=True, now=local
        )
        with catalog.engine.connect() as conn:
            raw = conn.scalar(sa.text("SELECT created_at FROM assets"))
            mode = conn.scalar(sa.text("PRAGMA journal_mode"))
            foreign_keys = conn.scalar(sa.text("PRAGMA foreign_keys"))
        assert raw == "2024-01-02 03:04:05.678901"
        assert asset.created_at == local and asset.created_at.tzinfo is UTC
        assert (mode, foreign_keys) == ("wal", 1)
    finally:
        catalog.close()


def test_naive_datetimes_are_taken_as_utc(catalog: Catalog) -> None:
    catalog.journal_add("k", datetime(2024, 1, 1, 12, 0, 0, 1))
    aware = datetime(2024, 1, 1, 12, 0, 0, 2, tzinfo=UTC)
    assert catalog.journal_entries(older_than=aware) == ["k"]
    assert catalog.journal_entries(older_than=aware - timedelta(microseconds=1)) == []


def test_foreign_key_actions_match_schema(catalog: Catalog) -> None:
    """compare_metadata does not look at ON DELETE; the cascades matter, so check them."""
    inspector = sa.inspect(catalog.engine)
    for table in metadata.sorted_tables:
        expected = {
            (tuple(fk.column_keys), fk.referred_table.name, fk.ondelete)
            for fk in table.foreign_key_constraints
        }
        found = {
            (tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
            for fk in inspector.get_foreign_keys(table.name)
        }
        assert found == expected, table.name


@pytest.mark.postgres
def test_postgres_compares_public_ids_and_tags_by_code_point(postgres_schema_url: str) -> None:
    catalog = Catalog(postgres_schema_url)
    catalog.migrate()
    query = sa.text(
        "SELECT table_name || '.' || column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND collation_name = 'C'"
    )
    with catalog.engine.connect() as conn:
        columns = set(conn.scalars(query))
    catalog.close()
    assert columns == {
        "assets.public_id",
        "asset_tags.tag",
        "upload_presets.name",
        "folders.path",
        "folders.parent",
        "asset_backups.public_id",
    }
