"""The Search API's indexes: full text kept by triggers, and sort/filter indexes.

Free text and ``field:word`` matches read a word index that the database keeps itself, with
triggers on ``assets``, ``asset_tags`` and ``asset_context``, so no write path in Python has to
remember it (and rows written by other tools are indexed too):

- SQLite: the FTS5 table ``asset_fts`` (rowid = ``assets.id``), one column per text field.
- PostgreSQL: ``asset_search(asset_pk, terms tsvector)`` with a GIN index, built with
  ``to_tsvector('simple', …)`` from text whose non-alphanumeric runs became spaces; the
  weight tells the field: A public_id, B filename, C display_name, D folder, tags and
  context (``'shirt':A`` is ``public_id:shirt``). Its
  triggers are per statement (transition tables), so a statement that writes many rows
  refreshes each asset it touched once. (SQLite triggers are per row.)

Both split text into lowercase runs of letters and digits, as ``cloudlet.search.values.words``
does for the expression's side. ``schema.SEARCH_INDEX_TABLES`` names these objects (they are
not in ``schema.metadata``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("public_id", "filename", "display_name", "asset_folder", "tags", "context")
# The public id's last segment (Cloudinary's ``filename``) in SQL both backends speak: rtrim
# strips every trailing character that is not '/', leaving the folder part to remove.
LAST_SEGMENT = "replace({0}, rtrim({0}, replace({0}, '/', '')), '')"
_FILENAME = LAST_SEGMENT.format("a.public_id")
_DOCUMENT = f"""a.id, a.public_id, {_FILENAME}, a.display_name, a.asset_folder,
    (SELECT group_concat(tag, ' ') FROM asset_tags WHERE asset_pk = a.id),
    (SELECT group_concat(value, ' ') FROM asset_context WHERE asset_pk = a.id)"""
_COLUMNS = "rowid, " + ", ".join(TEXT_COLUMNS)


def _sqlite_refresh(pk: str) -> str:
    return (
        f"DELETE FROM asset_fts WHERE rowid = {pk}; "
        f"INSERT INTO asset_fts ({_COLUMNS}) SELECT {_DOCUMENT} FROM assets a WHERE a.id = {pk};"
    )


SQLITE_UP = [
    "CREATE VIRTUAL TABLE asset_fts USING fts5("
    + ", ".join(TEXT_COLUMNS)
    + ", tokenize = 'unicode61 remove_diacritics 0')",
    f"INSERT INTO asset_fts ({_COLUMNS}) SELECT {_DOCUMENT} FROM assets a",
    f"CREATE TRIGGER asset_fts_insert AFTER INSERT ON assets BEGIN {_sqlite_refresh('NEW.id')} END",
    "CREATE TRIGGER asset_fts_update AFTER UPDATE OF public_id, display_name,"
    f" asset_folder ON assets BEGIN {_sqlite_refresh('NEW.id')} END",
    "CREATE TRIGGER asset_fts_delete AFTER DELETE ON assets"
    " BEGIN DELETE FROM asset_fts WHERE rowid = OLD.id; END",
]
for _table in ("asset_tags", "asset_context"):
    SQLITE_UP += [
        f"CREATE TRIGGER asset_fts_{_table}_insert AFTER INSERT ON {_table}"
        f" BEGIN {_sqlite_refresh('NEW.asset_pk')} END",
        f"CREATE TRIGGER asset_fts_{_table}_delete AFTER DELETE ON {_table}"
        f" BEGIN {_sqlite_refresh('OLD.asset_pk')} END",
        f"CREATE TRIGGER asset_fts_{_table}_update AFTER UPDATE ON {_table}"
        f" BEGIN {_sqlite_refresh('OLD.asset_pk')} {_sqlite_refresh('NEW.asset_pk')} END",
    ]

POSTGRES_UP = [
    """CREATE TABLE asset_search (
        asset_pk integer NOT NULL,
        terms tsvector NOT NULL,
        CONSTRAINT pk_asset_search PRIMARY KEY (asset_pk),
        CONSTRAINT fk_asset_search_asset_pk_assets FOREIGN KEY (asset_pk)
            REFERENCES assets (id) ON DELETE CASCADE)""",
    "CREATE INDEX ix_asset_search_terms ON asset_search USING gin (terms)",
    # Text as the words the index holds: runs of letters and digits (the rest a space).
    """CREATE FUNCTION cloudlet_search_text(value text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
        SELECT regexp_replace(coalesce(value, ''), '[^[:alnum:]]+', ' ', 'g')
    $$""",
    """CREATE FUNCTION cloudlet_refresh_search(pks integer[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM asset_search WHERE asset_pk = ANY(pks);
        INSERT INTO asset_search (asset_pk, terms)
        SELECT a.id,
            setweight(to_tsvector('simple', cloudlet_search_text(a.public_id)), 'A')
            || setweight(to_tsvector('simple', cloudlet_search_text("""
    + LAST_SEGMENT.format("a.public_id")
    + """)), 'B')
            || setweight(to_tsvector('simple', cloudlet_search_text(a.display_name)), 'C')
            || to_tsvector('simple', cloudlet_search_text(concat_ws(' ', a.asset_folder,
                (SELECT string_agg(tag, ' ') FROM asset_tags WHERE asset_pk = a.id),
                (SELECT string_agg(value, ' ') FROM asset_context WHERE asset_pk = a.id))))
        FROM assets a WHERE a.id = ANY(pks);
    END $$""",
    # Statement-level triggers with transition tables: a statement writing many rows (a
    # bulk tag, a bulk load) refreshes each asset it touched once, set-wise.
    """CREATE FUNCTION cloudlet_assets_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM cloudlet_refresh_search(ARRAY(SELECT id FROM changed_rows));
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION cloudlet_assets_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM cloudlet_refresh_search(ARRAY(
            SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (n.public_id, n.display_name, n.asset_folder)
                IS DISTINCT FROM (o.public_id, o.display_name, o.asset_folder)));
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION cloudlet_children_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM cloudlet_refresh_search(ARRAY(SELECT DISTINCT asset_pk FROM changed_rows));
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION cloudlet_children_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM cloudlet_refresh_search(ARRAY(
            SELECT asset_pk FROM old_rows UNION SELECT asset_pk FROM new_rows));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER asset_search_assets_insert AFTER INSERT ON assets
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cloudlet_assets_inserted()""",
    """CREATE TRIGGER asset_search_assets_update AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cloudlet_assets_updated()""",
]
for _table in ("asset_tags", "asset_context"):
    POSTGRES_UP += [
        f"""CREATE TRIGGER asset_search_{_table}_insert AFTER INSERT ON {_table}
        REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cloudlet_children_changed()""",
        f"""CREATE TRIGGER asset_search_{_table}_delete AFTER DELETE ON {_table}
        REFERENCING OLD TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cloudlet_children_changed()""",
        f"""CREATE TRIGGER asset_search_{_table}_update AFTER UPDATE ON {_table}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cloudlet_children_updated()""",
    ]
POSTGRES_UP.append("SELECT cloudlet_refresh_search(ARRAY(SELECT id FROM assets))")

POSTGRES_DOWN = [
    *[
        f"DROP TRIGGER IF EXISTS asset_search_{_table}_{_event} ON {_table}"
        for _table in ("asset_tags", "asset_context")
        for _event in ("insert", "delete", "update")
    ],
    "DROP TRIGGER IF EXISTS asset_search_assets_insert ON assets",
    "DROP TRIGGER IF EXISTS asset_search_assets_update ON assets",
    "DROP FUNCTION IF EXISTS cloudlet_children_updated()",
    "DROP FUNCTION IF EXISTS cloudlet_children_changed()",
    "DROP FUNCTION IF EXISTS cloudlet_assets_updated()",
    "DROP FUNCTION IF EXISTS cloudlet_assets_inserted()",
    "DROP FUNCTION IF EXISTS cloudlet_refresh_search(integer[])",
    "DROP FUNCTION IF EXISTS cloudlet_search_text(text)",
    "DROP TABLE IF EXISTS asset_search",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS asset_fts_{_table}_{_event}"
    for _table in ("asset_tags", "asset_context")
    for _event in ("insert", "delete", "update")
] + [
    "DROP TRIGGER IF EXISTS asset_fts_insert",
    "DROP TRIGGER IF EXISTS asset_fts_update",
    "DROP TRIGGER IF EXISTS asset_fts_delete",
    "DROP TABLE IF EXISTS asset_fts",
]

# Searches sort every resource type together by date, and filter on the upload date; a tag
# or a context value finds its assets from an index holding the asset's pk.
INDEXES = {
    "ix_assets_cloud_id_created_at_id": ("assets", ["cloud_id", "created_at", "id"]),
    "ix_assets_cloud_id_uploaded_at_id": ("assets", ["cloud_id", "uploaded_at", "id"]),
    "ix_asset_tags_tag_asset_pk": ("asset_tags", ["tag", "asset_pk"]),
    "ix_asset_context_key_value": ("asset_context", ["key", "value"]),
}
# ``context.KEY:value`` ignores case: an expression index (not in schema.metadata either).
CONTEXT_INDEX = "CREATE INDEX ix_asset_context_key_lower_value ON asset_context (key, lower(value))"


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    op.execute(CONTEXT_INDEX)
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    op.execute("DROP INDEX ix_asset_context_key_lower_value")
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table)
