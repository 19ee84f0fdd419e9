"""Related assets: one row per direction of each relation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_relations",
        sa.Column("asset_pk", sa.Integer, nullable=False),
        sa.Column("related_pk", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "related_pk", name="pk_asset_relations"),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["assets.id"],
            name="fk_asset_relations_asset_pk_assets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_pk"],
            ["assets.id"],
            name="fk_asset_relations_related_pk_assets",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_asset_relations_related_pk", "asset_relations", ["related_pk"])


def downgrade() -> None:
    op.drop_index("ix_asset_relations_related_pk", table_name="asset_relations")
    op.drop_table("asset_relations")
