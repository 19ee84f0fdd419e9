"""Folders: every folder an asset's public id implies, plus folders created empty.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _binary_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    folders = op.create_table(
        "folders",
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("path", _binary_text(), nullable=False),
        sa.Column("parent", _binary_text(), nullable=False),
        sa.PrimaryKeyConstraint("cloud_id", "path", name="pk_folders"),
        sa.ForeignKeyConstraint(
            ["cloud_id"], ["clouds.id"], name="fk_folders_cloud_id_clouds", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_folders_cloud_id_parent_path", "folders", ["cloud_id", "parent", "path"])
    _backfill(folders)


def _backfill(folders: sa.Table) -> None:
    """Folders of the assets that exist already."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT DISTINCT cloud_id, public_id FROM assets")).all()
    seen: set[tuple[int, str]] = set()
    for cloud_id, public_id in rows:
        parts = public_id.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            seen.add((cloud_id, "/".join(parts[:depth])))
    values = [{"cloud_id": c, "path": p, "parent": p.rpartition("/")[0]} for c, p in sorted(seen)]
    if values:
        op.bulk_insert(folders, values)


def downgrade() -> None:
    op.drop_index("ix_folders_cloud_id_parent_path", table_name="folders")
    op.drop_table("folders")
