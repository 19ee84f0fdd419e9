"""Backed-up versions of overwritten and deleted assets.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_INDEX = "ix_asset_backups_cloud_id_resource_type_type_public_id_version"


def _binary_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "asset_backups",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("asset_id", sa.String(32), nullable=False),
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("public_id", _binary_text(), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("pages", sa.Integer),
        sa.Column("duration", sa.Float),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("backed_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_backups"),
        sa.UniqueConstraint("storage_key", name="uq_asset_backups_storage_key"),
        sa.ForeignKeyConstraint(
            ["cloud_id"], ["clouds.id"], name="fk_asset_backups_cloud_id_clouds", ondelete="CASCADE"
        ),
    )
    op.create_index(
        _INDEX, "asset_backups", ["cloud_id", "resource_type", "type", "public_id", "version"]
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="asset_backups")
    op.drop_table("asset_backups")
