"""Derived assets: one rendered transformation of one version of an asset.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("derived_id", sa.String(32), nullable=False),
        sa.Column("asset_pk", sa.Integer, nullable=False),
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("transformation", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_derived"),
        sa.UniqueConstraint("derived_id", name="uq_derived_derived_id"),
        sa.UniqueConstraint(
            "asset_pk",
            "version_id",
            "transformation",
            "format",
            name="uq_derived_asset_pk_version_id_transformation_format",
        ),
        sa.ForeignKeyConstraint(
            ["asset_pk"], ["assets.id"], name="fk_derived_asset_pk_assets", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("derived")
