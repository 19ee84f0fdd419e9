"""Initial catalog schema.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Hand-written; it must build exactly what ``cloudlet.catalog.schema`` describes (a test compares
them). Plain SQLAlchemy types only, so later changes to the application's column types cannot
change what this revision does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _binary_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _asset_pk(table: str) -> list[Any]:
    return [
        sa.Column("asset_pk", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_pk"], ["assets.id"], name=f"fk_{table}_asset_pk_assets", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "clouds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("api_key", sa.Text, nullable=False),
        sa.Column("api_secret", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_clouds"),
        sa.UniqueConstraint("name", name="uq_clouds_name"),
        sa.UniqueConstraint("api_key", name="uq_clouds_api_key"),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("asset_id", sa.String(32), nullable=False),
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("public_id", _binary_text(), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("pages", sa.Integer),
        sa.Column("duration", sa.Float),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("original_filename", sa.Text, nullable=False),
        sa.Column("asset_folder", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("placeholder", sa.Boolean, nullable=False),
        sa.Column("access_mode", sa.String(16), nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
        _when("created_at"),
        _when("uploaded_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_assets"),
        sa.ForeignKeyConstraint(["cloud_id"], ["clouds.id"], name="fk_assets_cloud_id_clouds"),
        sa.UniqueConstraint("asset_id", name="uq_assets_asset_id"),
        sa.UniqueConstraint(
            "cloud_id",
            "resource_type",
            "type",
            "public_id",
            name="uq_assets_cloud_id_resource_type_type_public_id",
        ),
    )
    op.create_index(
        "ix_assets_cloud_id_resource_type_type_created_at_id",
        "assets",
        ["cloud_id", "resource_type", "type", "created_at", "id"],
    )
    op.create_index(
        "ix_assets_cloud_id_resource_type_created_at_id",
        "assets",
        ["cloud_id", "resource_type", "created_at", "id"],
    )
    op.create_table(
        "asset_tags",
        *_asset_pk("asset_tags"),
        sa.Column("tag", _binary_text(), nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "tag", name="pk_asset_tags"),
    )
    op.create_index("ix_asset_tags_tag", "asset_tags", ["tag"])
    op.create_table(
        "asset_context",
        *_asset_pk("asset_context"),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "key", name="pk_asset_context"),
    )
    op.create_table(
        "asset_versions",
        *_asset_pk("asset_versions"),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("storage_key", sa.Text),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        _when("created_at"),
        sa.PrimaryKeyConstraint("asset_pk", "version", name="pk_asset_versions"),
    )
    op.create_table(
        "upload_presets",
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("name", _binary_text(), nullable=False),
        sa.Column("unsigned", sa.Boolean, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("cloud_id", "name", name="pk_upload_presets"),
        sa.ForeignKeyConstraint(
            ["cloud_id"],
            ["clouds.id"],
            name="fk_upload_presets_cloud_id_clouds",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "delete_tokens",
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("cloud_id", sa.Integer, nullable=False),
        *_asset_pk("delete_tokens"),
        _when("expires_at"),
        _when("used_at", nullable=True),
        sa.PrimaryKeyConstraint("token", name="pk_delete_tokens"),
        sa.ForeignKeyConstraint(
            ["cloud_id"],
            ["clouds.id"],
            name="fk_delete_tokens_cloud_id_clouds",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "blob_journal",
        sa.Column("storage_key", sa.Text, nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("storage_key", name="pk_blob_journal"),
    )


def downgrade() -> None:
    for table in (
        "blob_journal",
        "delete_tokens",
        "upload_presets",
        "asset_versions",
        "asset_context",
        "asset_tags",
        "assets",
        "clouds",
    ):
        op.drop_table(table)
