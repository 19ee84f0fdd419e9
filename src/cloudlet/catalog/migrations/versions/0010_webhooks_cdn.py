"""Webhook deliveries: what was sent where, how often, and whether it arrived.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("notification_type", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["cloud_id"],
            ["clouds.id"],
            name="fk_webhook_deliveries_cloud_id_clouds",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_webhook_deliveries_status_id", "webhook_deliveries", ["status", "id"])
    op.create_index("ix_webhook_deliveries_cloud_id_id", "webhook_deliveries", ["cloud_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
