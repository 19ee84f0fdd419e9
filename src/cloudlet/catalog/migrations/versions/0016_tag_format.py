"""Tag and context rows also carry their asset's ``format`` (issue 7, search at scale).

A search such as ``tags=beach AND created_at:[2023-01-01 TO 2025-01-01] AND format=jpg``
sorted by date is then answered from the tag rows alone: one range of the listing index
(cloud, resource type, tag, created_at, asset, and now format) gives the matches, their
count and their order, instead of one lookup in ``assets`` per asset of the tag and period
(at a million assets, tens of thousands per search). The writers keep the copy in step with
the other listing copies of 0014 (``asset_writes.listing_copies``, ``asset_changes``).

The column is added with an empty default (no table rebuild on SQLite) and filled from
``assets``; the search index's triggers are set aside meanwhile, since the fill changes
nothing they index.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_TABLES = ("asset_tags", "asset_context")
_INDEX = "ix_asset_tags_listing"
_LISTED = ["cloud_id", "resource_type", "tag", "created_at", "asset_pk"]


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table, sa.Column("format", sa.Text, nullable=False, server_default=sa.text("''"))
        )
        with _triggers_set_aside(table):
            op.execute(
                f"UPDATE {table} SET format = (SELECT assets.format FROM assets"
                f" WHERE assets.id = {table}.asset_pk)"
            )
    op.drop_index(_INDEX, table_name="asset_tags")
    op.create_index(_INDEX, "asset_tags", [*_LISTED, "format"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="asset_tags")
    op.create_index(_INDEX, "asset_tags", _LISTED)
    for table in _TABLES:  # SQLite 3.35+ drops a column in place, as PostgreSQL does
        with _triggers_set_aside(table):
            op.execute(f"ALTER TABLE {table} DROP COLUMN format")


@contextmanager
def _triggers_set_aside(table: str) -> Iterator[None]:
    """The block without the triggers that watch or read ``table`` (PostgreSQL: the table's
    own, disabled; SQLite: every trigger that names it, dropped and created again)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    query = sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    saved = [row for row in bind.execute(query) if row.sql and table in row.sql]
    for row in saved:
        op.execute(f'DROP TRIGGER "{row.name}"')
    yield
    for row in saved:
        op.execute(row.sql)
