"""Listings by tag and by context that stay fast at a million assets (issue 7, scale work).

``asset_tags`` and ``asset_context`` also carry their asset's ``cloud_id``,
``resource_type`` and ``created_at``, so that one index range, read in ``created_at`` order,
answers "assets of this cloud and resource type with this tag (or context key), newest
first" and its keyset cursor, however rare or common the tag is. Without them the listing
walked every asset in date order probing for the tag (slow for rare tags) or fetched every
tagged asset and sorted them (slow for common ones). The writers keep the copies in step
(``asset_writes.replace_tags``/``replace_context``, ``asset_changes.change_tags``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_COPIED = ("cloud_id", "resource_type", "created_at")
_LISTING = {
    "asset_tags": ("ix_asset_tags_listing", "tag"),
    "asset_context": ("ix_asset_context_listing", "key"),
}


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("cloud_id", sa.Integer, nullable=True),
        sa.Column("resource_type", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    for table, (index, key) in _LISTING.items():
        with _triggers_set_aside(table):
            for column in _columns():
                op.add_column(table, column)
            for copied_name in _COPIED:  # existing rows take their asset's values
                op.execute(
                    f"UPDATE {table} SET {copied_name} = (SELECT assets.{copied_name}"
                    f" FROM assets WHERE assets.id = {table}.asset_pk)"
                )
            with op.batch_alter_table(table) as batch:
                for copied in _columns():
                    batch.alter_column(copied.name, existing_type=copied.type, nullable=False)
        op.create_index(index, table, ["cloud_id", "resource_type", key, "created_at", "asset_pk"])


def downgrade() -> None:
    for table, (index, _name) in _LISTING.items():
        op.drop_index(index, table_name=table)
        with _triggers_set_aside(table), op.batch_alter_table(table) as batch:
            for column in _COPIED:
                batch.drop_column(column)


@contextmanager
def _triggers_set_aside(table: str) -> Iterator[None]:
    """Run the block without the triggers that watch or read the table (such as the search
    index's, 0013): the backfill changes nothing they index, and on SQLite the batch
    rebuild of the table (a copy, DROP TABLE, a rename) would drop those on it and break
    those that read it. They are put back as they were. (SQLite: every trigger that names
    the table; PostgreSQL: the table's own, disabled meanwhile.) SQLite indexes the rebuild
    cannot reflect (expression indexes) are created again too."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    query = sa.text("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL")
    objects = bind.execute(query).all()
    triggers = [row for row in objects if row.type == "trigger" and table in row.sql]
    # the rebuild recreates the indexes it can reflect; not expression indexes (0013 has one)
    indexes = [row for row in objects if row.type == "index" and row.tbl_name == table]
    for row in triggers:
        op.execute(f'DROP TRIGGER "{row.name}"')
    yield
    for row in triggers:
        op.execute(row.sql)
    present = set(bind.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")))
    for row in indexes:
        if row.name not in present:
            op.execute(row.sql)
