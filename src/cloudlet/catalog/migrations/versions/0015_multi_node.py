"""Shared state for several nodes: the delivery generation every node reads (PostgreSQL),
render claims (one render per derivative across nodes), chunked-upload parts, webhook
delivery claims and failed Media Explorer sign-ins.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS delivery_generation")
    op.create_table(
        "render_claims",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_render_claims"),
    )
    op.create_table(
        "upload_chunks",
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("upload_id", sa.String(64), nullable=False),
        sa.Column("first_byte", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("last_byte", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "cloud_id", "upload_id", "first_byte", "last_byte", name="pk_upload_chunks"
        ),
        sa.ForeignKeyConstraint(
            ["cloud_id"],
            ["clouds.id"],
            name="fk_upload_chunks_cloud_id_clouds",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_upload_chunks_created_at", "upload_chunks", ["created_at"])
    op.add_column("webhook_deliveries", sa.Column("claimed_until", sa.DateTime(timezone=True)))
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_key_failed_at", "login_failures", ["key", "failed_at"])
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_failed_at", table_name="login_failures")
    op.drop_index("ix_login_failures_key_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("claimed_until")
    op.drop_index("ix_upload_chunks_created_at", table_name="upload_chunks")
    op.drop_table("upload_chunks")
    op.drop_table("render_claims")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS delivery_generation")
