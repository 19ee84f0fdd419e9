"""Migrations 0014 and 0016 on a catalog that has data: tag and context rows get their
asset's listing columns (0016: its format), and the search index's triggers (0013) keep
working afterwards, also after 0016 is undone and done again."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from cloudlet.catalog.catalog import Catalog, alembic_config
from cloudlet.catalog.schema import asset_context, asset_tags

CREATED = datetime(2021, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
_ASSET = """INSERT INTO assets (id, cloud_id, asset_id, resource_type, type, public_id,
    version, version_id, format, bytes, etag, storage_key, original_filename, asset_folder,
    display_name, placeholder, access_mode, context, extra, created_at, uploaded_at,
    updated_at) VALUES (7, 1, 'a7', 'video', 'upload', 'clips/intro', 1, 'v7', 'mp4', 10,
    'e', 'k7', 'intro', 'clips', 'intro', false, 'public', '{"who":"ana"}', '{}',
    :created, :created, :created)"""


def upgrade(catalog: Catalog, revision: str) -> None:
    config = alembic_config()
    with catalog.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_existing_rows_are_backfilled_and_search_triggers_survive(database_url: str) -> None:
    catalog = Catalog(database_url)
    try:
        upgrade(catalog, "0013")
        with catalog.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO clouds VALUES (1, 'c', 'k', 's', '{}', :t)"), {"t": CREATED}
            )
            conn.execute(sa.text(_ASSET), {"created": CREATED})
            conn.execute(sa.text("INSERT INTO asset_tags VALUES (7, 'promo')"))
            conn.execute(sa.text("INSERT INTO asset_context VALUES (7, 'who', 'ana')"))
        kept = indexes(catalog)
        upgrade(catalog, "head")
        assert kept <= indexes(catalog), "the rebuild lost an index (0013 has an expression one)"
        with catalog.engine.connect() as conn:
            for table in (asset_tags, asset_context):
                row = conn.execute(sa.select(table)).one()
                copied = (row.cloud_id, row.resource_type, row.created_at, row.format)
                assert copied == (1, "video", CREATED, "mp4")
        cloud = catalog.get_cloud("c")
        assert cloud is not None
        assert [a.public_id for a in catalog.list_assets(1, "video", tag="promo").items] == [
            "clips/intro"
        ]
        catalog.change_tags(1, "video", "upload", ["clips/intro"], "add", ["fresh"], CREATED)
        assert searchable(catalog, "fresh"), "the tag triggers of the search index are gone"
        downgrade(catalog, "0015")
        assert "format" not in columns(catalog, "asset_tags")
        upgrade(catalog, "head")
        assert kept <= indexes(catalog)
        catalog.change_tags(1, "video", "upload", ["clips/intro"], "add", ["later"], CREATED)
        assert searchable(catalog, "later"), "0016 undone and redone lost the tag triggers"
        found = catalog.list_assets(1, "video", tag="later").items
        assert [a.public_id for a in found] == ["clips/intro"]
    finally:
        catalog.close()


def downgrade(catalog: Catalog, revision: str) -> None:
    config = alembic_config()
    with catalog.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def columns(catalog: Catalog, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(catalog.engine).get_columns(table)}


def searchable(catalog: Catalog, word: str) -> bool:
    """Whether the search index (migration 0013) holds ``word`` for some asset."""
    if catalog.engine.dialect.name == "sqlite":
        query = "SELECT count(*) FROM asset_fts WHERE asset_fts MATCH :word"
    else:
        query = "SELECT count(*) FROM asset_search WHERE terms @@ CAST(:word AS tsquery)"
    with catalog.engine.connect() as conn:
        return bool(conn.scalar(sa.text(query), {"word": word}))


def indexes(catalog: Catalog) -> set[str]:
    """The names of the indexes on the tag and context tables, expression indexes included."""
    if catalog.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
        query += " AND tbl_name IN ('asset_tags', 'asset_context')"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        query += " AND tablename IN ('asset_tags', 'asset_context')"
    with catalog.engine.connect() as conn:
        return set(conn.scalars(sa.text(query)))
