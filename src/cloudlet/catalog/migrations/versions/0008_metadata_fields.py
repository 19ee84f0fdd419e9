"""Structured metadata fields, datasource values and asset values.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _field_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["field_id"],
        ["metadata_fields.id"],
        name=f"fk_{table}_field_id_metadata_fields",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "metadata_fields",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("external_id", sa.Text, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("mandatory", sa.Boolean, nullable=False),
        sa.Column("default_value", sa.Text),
        sa.Column("default_disabled", sa.Boolean, nullable=False),
        sa.Column("validation", sa.Text),
        sa.Column("restrictions", sa.Text),
        sa.Column("allow_dynamic_list_values", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metadata_fields"),
        sa.UniqueConstraint(
            "cloud_id", "external_id", name="uq_metadata_fields_cloud_id_external_id"
        ),
        sa.ForeignKeyConstraint(
            ["cloud_id"],
            ["clouds.id"],
            name="fk_metadata_fields_cloud_id_clouds",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "metadata_datasource",
        sa.Column("field_id", sa.Integer, nullable=False),
        sa.Column("external_id", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("field_id", "external_id", name="pk_metadata_datasource"),
        _field_fk("metadata_datasource"),
    )
    op.create_table(
        "asset_metadata",
        sa.Column("asset_pk", sa.Integer, nullable=False),
        sa.Column("field_id", sa.Integer, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "field_id", name="pk_asset_metadata"),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["assets.id"],
            name="fk_asset_metadata_asset_pk_assets",
            ondelete="CASCADE",
        ),
        _field_fk("asset_metadata"),
    )
    op.create_index("ix_asset_metadata_field_id", "asset_metadata", ["field_id"])


def downgrade() -> None:
    op.drop_index("ix_asset_metadata_field_id", table_name="asset_metadata")
    op.drop_table("asset_metadata")
    op.drop_table("metadata_datasource")
    op.drop_table("metadata_fields")
