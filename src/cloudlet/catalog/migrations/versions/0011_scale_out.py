"""Shared state for several nodes: Admin API call counts per cloud and hour.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_call_counts",
        sa.Column("cloud", sa.Text, nullable=False),
        sa.Column("window", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("cloud", "window", name="pk_api_call_counts"),
    )


def downgrade() -> None:
    op.drop_table("api_call_counts")
