"""Index delete tokens by asset, so deleting assets never scans the token table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_delete_tokens_asset_pk", "delete_tokens", ["asset_pk"])


def downgrade() -> None:
    op.drop_index("ix_delete_tokens_asset_pk", table_name="delete_tokens")
