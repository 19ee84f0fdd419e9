"""Named transformations (``t_name``), per cloud.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "named_transformations",
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("transformation", sa.Text, nullable=False),
        sa.Column("allowed_for_strict", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cloud_id", "name", name="pk_named_transformations"),
        sa.ForeignKeyConstraint(
            ["cloud_id"],
            ["clouds.id"],
            name="fk_named_transformations_cloud_id_clouds",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("named_transformations")
