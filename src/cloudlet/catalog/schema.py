"""The catalog's tables as SQLAlchemy Core metadata.

This is the model the code queries against; ``migrations/versions`` builds the same schema by
hand, and ``tests/catalog/test_schema.py`` checks that the two agree.

Two column types smooth over backend differences:

- ``UTCDateTime`` stores aware datetimes as UTC and always hands back aware UTC datetimes
  (SQLite has no time zone support: it stores naive UTC text with microseconds).
- ``JSONText`` keeps small JSON documents (settings, context, extra) as plain text, so both
  backends store the same thing and nothing depends on a JSON column type.

``public_id`` and ``tag`` use the "C" collation on PostgreSQL so that ordering and ranges
compare code points, exactly as SQLite's BINARY collation and Python's ``str`` do; keyset
cursors and prefix ranges depend on all three agreeing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (naive input is taken as UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = to_utc(value)
        # SQLite's DATETIME text has no offset; the value is UTC by construction.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)


def to_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class JSONText(sa.TypeDecorator[Any]):
    """A JSON document stored as text."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def binary_text() -> sa.types.TypeEngine[str]:
    """Text compared by code point on both backends (see the module docstring)."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _asset_fk() -> sa.ForeignKey:
    return sa.ForeignKey("assets.id", ondelete="CASCADE")


def _cloud_fk() -> sa.ForeignKey:
    return sa.ForeignKey("clouds.id", ondelete="CASCADE")


clouds = sa.Table(
    "clouds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("api_key", sa.Text, nullable=False, unique=True),
    sa.Column("api_secret", sa.Text, nullable=False),
    sa.Column("settings", JSONText, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cloud_id", sa.Integer, sa.ForeignKey("clouds.id"), nullable=False),
    sa.Column("asset_id", sa.String(32), nullable=False, unique=True),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("public_id", binary_text(), nullable=False),
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
    sa.Column("context", JSONText, nullable=False),
    sa.Column("extra", JSONText, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("uploaded_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Also serves lookups and the public_id-ordered listing of one type.
    sa.UniqueConstraint("cloud_id", "resource_type", "type", "public_id"),
    # The created_at-ordered listings, with and without a type filter.
    sa.Index(None, "cloud_id", "resource_type", "type", "created_at", "id"),
    sa.Index(None, "cloud_id", "resource_type", "created_at", "id"),
    # Searches sort every resource type together by date, and filter on the upload date.
    sa.Index(None, "cloud_id", "created_at", "id"),
    sa.Index(None, "cloud_id", "uploaded_at", "id"),
)

# The Search API's word index is kept by database triggers (migration 0013): on SQLite the
# FTS5 table ``asset_fts`` (and the shadow tables FTS5 makes for it), on PostgreSQL
# ``asset_search`` with a tsvector column; and an expression index for case-insensitive
# context values. They are not in ``metadata``: the code reaches them through
# ``catalog.search_sql``, and the schema comparison leaves them out.
SEARCH_INDEX_TABLES = frozenset(
    {
        "asset_fts",
        "asset_fts_config",
        "asset_fts_content",
        "asset_fts_data",
        "asset_fts_docsize",
        "asset_fts_idx",
        "asset_search",
        "ix_asset_context_key_lower_value",  # an expression index: (key, lower(value))
    }
)


def include_in_comparison(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
    """Alembic's ``include_object`` hook: everything but the search index tables."""
    table = getattr(obj, "table", None) if kind != "table" else obj
    table_name = getattr(table, "name", name)
    return table_name not in SEARCH_INDEX_TABLES and name not in SEARCH_INDEX_TABLES


def _listing_copies() -> list[sa.Column[Any]]:
    """The asset's own columns copied into a side table, so that listings by tag or context
    read one index range in date order (migration 0014 explains why), and a search by tag,
    date and format is answered from the tag rows alone (migration 0016)."""
    return [
        sa.Column("cloud_id", sa.Integer, nullable=False),
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("format", sa.Text, nullable=False, server_default=sa.text("''")),
    ]


asset_tags = sa.Table(
    "asset_tags",
    metadata,
    sa.Column("asset_pk", sa.Integer, _asset_fk(), primary_key=True),
    sa.Column("tag", binary_text(), primary_key=True),
    *_listing_copies(),
    sa.Index(None, "tag"),
    sa.Index(None, "tag", "asset_pk"),  # searches: a tag's assets from the index alone
    sa.Index(
        "ix_asset_tags_listing",
        "cloud_id",
        "resource_type",
        "tag",
        "created_at",
        "asset_pk",
        "format",
    ),  # fmt: skip
)

asset_context = sa.Table(
    "asset_context",
    metadata,
    sa.Column("asset_pk", sa.Integer, _asset_fk(), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index(None, "key", "value"),  # searches by context value
    *_listing_copies(),
    sa.Index(
        "ix_asset_context_listing", "cloud_id", "resource_type", "key", "created_at", "asset_pk"
    ),
)

asset_versions = sa.Table(
    "asset_versions",
    metadata,
    sa.Column("asset_pk", sa.Integer, _asset_fk(), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("version_id", sa.String(32), nullable=False),
    sa.Column("storage_key", sa.Text),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("etag", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

asset_relations = sa.Table(
    "asset_relations",
    metadata,
    sa.Column("asset_pk", sa.Integer, _asset_fk(), primary_key=True),
    sa.Column("related_pk", sa.Integer, _asset_fk(), primary_key=True),
    sa.Index(None, "related_pk"),
)

folders = sa.Table(
    "folders",
    metadata,
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), primary_key=True),
    sa.Column("path", binary_text(), primary_key=True),
    sa.Column("parent", binary_text(), nullable=False),  # "" for root folders
    sa.Index(None, "cloud_id", "parent", "path"),
)

derived = sa.Table(
    "derived",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("derived_id", sa.String(32), nullable=False, unique=True),
    sa.Column("asset_pk", sa.Integer, _asset_fk(), nullable=False),
    sa.Column("version_id", sa.String(32), nullable=False),
    sa.Column("transformation", sa.Text, nullable=False),  # canonical form
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("storage_key", sa.Text, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("etag", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("asset_pk", "version_id", "transformation", "format"),
)

named_transformations = sa.Table(
    "named_transformations",
    metadata,
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("transformation", sa.Text, nullable=False),  # canonical form
    sa.Column("allowed_for_strict", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Backed-up versions of overwritten or deleted assets. No foreign key to ``assets``: a backup
# outlives the asset row. Each row owns its blob (``storage_key``) until it is restored.
asset_backups = sa.Table(
    "asset_backups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), nullable=False),
    sa.Column("asset_id", sa.String(32), nullable=False),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("public_id", binary_text(), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("version_id", sa.String(32), nullable=False),
    sa.Column("storage_key", sa.Text, nullable=False, unique=True),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("pages", sa.Integer),
    sa.Column("duration", sa.Float),
    sa.Column("etag", sa.Text, nullable=False),
    sa.Column("details", JSONText, nullable=False),  # names, folder, tags, context, extra
    sa.Column("created_at", UTCDateTime, nullable=False),  # when this version was uploaded
    sa.Column("backed_up_at", UTCDateTime, nullable=False),  # when it was overwritten/deleted
    sa.Index(None, "cloud_id", "resource_type", "type", "public_id", "version"),
)

upload_presets = sa.Table(
    "upload_presets",
    metadata,
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), primary_key=True),
    sa.Column("name", binary_text(), primary_key=True),
    sa.Column("unsigned", sa.Boolean, nullable=False),
    sa.Column("settings", JSONText, nullable=False),
)

delete_tokens = sa.Table(
    "delete_tokens",
    metadata,
    sa.Column("token", sa.Text, primary_key=True),
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), nullable=False),
    sa.Column("asset_pk", sa.Integer, _asset_fk(), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
    sa.Index(None, "asset_pk"),
)

blob_journal = sa.Table(
    "blob_journal",
    metadata,
    sa.Column("storage_key", sa.Text, primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Structured metadata: field definitions, the values of enum/set fields, and asset values.
metadata_fields = sa.Table(
    "metadata_fields",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), nullable=False),
    sa.Column("external_id", sa.Text, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("mandatory", sa.Boolean, nullable=False),
    sa.Column("default_value", JSONText),
    sa.Column("default_disabled", sa.Boolean, nullable=False),
    sa.Column("validation", JSONText),
    sa.Column("restrictions", JSONText),
    sa.Column("allow_dynamic_list_values", sa.Boolean, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("cloud_id", "external_id"),
)

metadata_datasource = sa.Table(
    "metadata_datasource",
    metadata,
    sa.Column(
        "field_id",
        sa.Integer,
        sa.ForeignKey("metadata_fields.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("external_id", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # active | inactive
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

asset_metadata = sa.Table(
    "asset_metadata",
    metadata,
    sa.Column("asset_pk", sa.Integer, _asset_fk(), primary_key=True),
    sa.Column(
        "field_id",
        sa.Integer,
        sa.ForeignKey("metadata_fields.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("value", JSONText, nullable=False),
    sa.Index(None, "field_id"),
)

# Admin API calls per cloud and clock hour, counted here by every node that shares the catalog
# (when no Redis is configured; see web/ratelimit.py). ``window`` is the hour's start, in Unix
# seconds.
api_call_counts = sa.Table(
    "api_call_counts",
    metadata,
    sa.Column("cloud", sa.Text, primary_key=True),
    sa.Column("window", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("calls", sa.BigInteger, nullable=False),
)

# Webhook notifications, one row per delivery: queued, delivered, or failed after retries.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), nullable=False),
    sa.Column("notification_type", sa.String(64), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("body", JSONText, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False),  # made so far
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # while set and in the future, one worker is sending this attempt (several workers)
    sa.Column("claimed_until", UTCDateTime),
    sa.Index(None, "status", "id"),
    sa.Index(None, "cloud_id", "id"),
)

# Several nodes (migration 0015). On PostgreSQL the sequence ``delivery_generation`` (not
# declared here: Alembic does not compare sequences) is the cluster's part of the delivery
# generation (``catalog.generation``).

# One row while a node renders a derivative, so identical requests on other nodes wait for
# it instead of rendering again; ``key`` is the SHA-256 of the derivative's identity.
render_claims = sa.Table(
    "render_claims",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(32), nullable=False),
    sa.Column("claimed_at", UTCDateTime, nullable=False),
)

# The parts of chunked uploads received so far, on whichever node; their bytes are blobs.
upload_chunks = sa.Table(
    "upload_chunks",
    metadata,
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), primary_key=True),
    sa.Column("upload_id", sa.String(64), primary_key=True),
    sa.Column("first_byte", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("last_byte", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("storage_key", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index(None, "created_at"),
)

# Failed Media Explorer sign-ins, counted by every node (``key``: cloud and user, or address).
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("failed_at", UTCDateTime, nullable=False),
    sa.Index(None, "key", "failed_at"),
    sa.Index(None, "failed_at"),
)

# The Media Explorer's folder pages list every resource type of a folder by public id.
sa.Index("ix_assets_cloud_id_public_id", assets.c.cloud_id, assets.c.public_id)

# Media Explorer (``/console``): users of one cloud, and their signed-in sessions. A session
# row is found by the SHA-256 of its cookie token (the token itself is never stored).
console_users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), nullable=False),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("cloud_id", "username"),
)

console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("console_users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("cloud_id", sa.Integer, _cloud_fk(), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("inspect", JSONText, nullable=False),  # {"on": bool, "calls": [...]}
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index(None, "user_id"),
)
