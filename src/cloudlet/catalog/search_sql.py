"""Search predicates (``cloudlet.search.predicates``) compiled to SQLAlchemy Core conditions.

Nothing is evaluated in Python: each predicate becomes a condition on ``assets`` (or
``folders``), an EXISTS on the tag, context or metadata tables, or a lookup in the word index
that migration 0013 keeps (FTS5 on SQLite, a tsvector with GIN on PostgreSQL). Values always
travel as bound parameters. Conditions on nullable columns test for NULL first, so that every
condition is true or false, never NULL, and ``NOT`` means "does not match".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from cloudlet.catalog.assets import prefix_condition
from cloudlet.catalog.schema import (
    asset_context,
    asset_metadata,
    asset_tags,
    assets,
    folders,
    metadata_fields,
)
from cloudlet.search import predicates as p

# The word index, as the code reaches it (schema.SEARCH_INDEX_TABLES).
_fts = sa.table("asset_fts", sa.column("rowid", sa.Integer))
_asset_search = sa.table(
    "asset_search", sa.column("asset_pk", sa.Integer), sa.column("terms", postgresql.TSVECTOR)
)
# Predicate columns as FTS5 columns, and as tsvector weights (migration 0013).
_WORD_COLUMNS = {"public_id": "public_id", "filename": "filename", "display_name": "display_name"}
_WEIGHTS = {"public_id": "A", "filename": "B", "display_name": "C"}

# The public id's last segment (Cloudinary's ``filename``): rtrim strips every trailing
# character that is not '/', leaving the folder part to remove (same SQL as migration 0013).
FILENAME = sa.func.replace(
    assets.c.public_id,
    sa.func.rtrim(assets.c.public_id, sa.func.replace(assets.c.public_id, "/", "")),
    "",
)
ASSET_COLUMNS: dict[str, Any] = {
    "resource_type": assets.c.resource_type,
    "type": assets.c.type,
    "format": assets.c.format,
    "asset_id": assets.c.asset_id,
    "access_mode": assets.c.access_mode,
    "public_id": assets.c.public_id,
    "filename": FILENAME,
    "display_name": assets.c.display_name,
    "asset_folder": assets.c.asset_folder,
    "bytes": assets.c.bytes,
    "width": assets.c.width,
    "height": assets.c.height,
    "pixels": assets.c.width * assets.c.height,
    "pages": assets.c.pages,
    "version": assets.c.version,
    "duration": assets.c.duration,
    "created_at": assets.c.created_at,
    "uploaded_at": assets.c.uploaded_at,
    "updated_at": assets.c.updated_at,
}
_NULLABLE = {"width", "height", "pixels", "pages", "duration"}

FOLDER_NAME = sa.case(
    (folders.c.parent == "", folders.c.path),
    else_=sa.func.substr(folders.c.path, sa.func.length(folders.c.parent) + 2),
)
FOLDER_COLUMNS: dict[str, Any] = {"name": FOLDER_NAME, "path": folders.c.path}

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


# Every resource type a tag row can have: naming them lets the listing index, which starts
# with (cloud_id, resource_type), serve a tag and date range whatever the type.
LISTED_RESOURCE_TYPES = ("image", "video", "raw")
_BOUND_OPS = frozenset({"<", "<=", ">", ">="})


def _date_bounds(predicate: p.All) -> tuple[p.Compare, ...]:
    """The created_at bounds every match of ``predicate`` must meet: comparisons among its
    items, also inside nested ``All`` (a range is planned as one)."""
    return tuple(
        item
        for item in _conjuncts(predicate)
        if isinstance(item, p.Compare) and item.column == "created_at" and item.op in _BOUND_OPS
    )


# The asset columns a tag row carries a copy of (schema._listing_copies).
_TAG_ROW_COLUMNS = frozenset({"resource_type", "created_at", "format"})


def tag_rows_matches(cloud_id: int, predicate: p.Predicate, sort: Any) -> Any | None:
    """The matches of ``predicate`` as (created_at AS k0, asset id AS k1) read from the tag
    rows alone, when they can answer it: one exact tag ANDed only with comparisons of the
    columns tag rows copy (created_at, format, resource_type), sorted by created_at. Else
    None. A tag row per (asset, tag) makes it one row per match, and the listing index
    (cloud, resource type, tag, created_at, asset, format) holds all it reads: no lookup in
    ``assets`` per match (migration 0016)."""
    if [name for name, _ in sort] != ["created_at"]:
        return None
    items = _conjuncts(predicate)
    tags = [item for item in items if isinstance(item, p.Tag)]
    if len(tags) != 1 or tags[0].prefix:
        return None
    conditions = [
        asset_tags.c.cloud_id == cloud_id,
        asset_tags.c.resource_type.in_(LISTED_RESOURCE_TYPES),
        asset_tags.c.tag == tags[0].value,
    ]
    for item in items:
        if item is tags[0]:
            continue
        if not isinstance(item, p.Compare) or item.column not in _TAG_ROW_COLUMNS:
            return None
        column = asset_tags.c[item.column]
        conditions.append(_OPS[item.op](column, sa.literal(item.value, column.type)))
    return sa.select(asset_tags.c.created_at.label("k0"), asset_tags.c.asset_pk.label("k1")).where(
        *conditions
    )


def _conjuncts(predicate: p.Predicate) -> list[p.Predicate]:
    """The items that must all hold: ``predicate`` itself, or its ``All``'s, flattened."""
    if not isinstance(predicate, p.All):
        return [predicate]
    return [leaf for item in predicate.items for leaf in _conjuncts(item)]


class Compiler:
    """Compiles predicates for one cloud on one dialect (``postgresql`` or ``sqlite``)."""

    def __init__(
        self, cloud_id: int, dialect: str, columns: Mapping[str, Any] = ASSET_COLUMNS
    ) -> None:
        self.cloud_id = cloud_id
        self.postgres = dialect == "postgresql"
        self.columns = columns

    def compile(self, predicate: p.Predicate) -> Any:
        """The SQL condition for ``predicate``."""
        handler: Callable[[Any], Any] = getattr(self, "_" + type(predicate).__name__.lower())
        return handler(predicate)

    # -- logic -----------------------------------------------------------------------------
    def _all(self, predicate: p.All) -> Any:
        bounds = _date_bounds(predicate) if self.columns is ASSET_COLUMNS else ()
        items = [
            self._tag(item, bounds) if isinstance(item, p.Tag) else self.compile(item)
            for item in predicate.items
        ]
        return sa.and_(*items) if items else sa.true()

    def _any(self, predicate: p.Any) -> Any:
        items = [self.compile(item) for item in predicate.items]
        return sa.or_(*items) if items else sa.false()

    def _not(self, predicate: p.Not) -> Any:
        return sa.not_(self.compile(predicate.item))

    # -- columns ---------------------------------------------------------------------------
    def _column(self, name: str) -> Any:
        return self.columns[name]

    def _compare(self, predicate: p.Compare) -> Any:
        column = self._column(predicate.column)
        condition = _OPS[predicate.op](column, sa.literal(predicate.value, column.type))
        if predicate.column in _NULLABLE:
            return sa.and_(column.is_not(None), condition)
        return condition

    def _prefix(self, predicate: p.Prefix) -> Any:
        return prefix_condition(self._column(predicate.column), predicate.prefix)

    def _present(self, predicate: p.Present) -> Any:
        return self._column(predicate.column).is_not(None)

    def _ratio(self, predicate: p.Ratio) -> Any:
        width, height = assets.c.width, assets.c.height
        left = width * sa.literal(predicate.denominator, sa.Float)
        right = height * sa.literal(predicate.numerator, sa.Float)
        known = sa.and_(width.is_not(None), height.is_not(None), height > 0)
        return sa.and_(known, _OPS[predicate.op](left, right))

    # -- related tables --------------------------------------------------------------------
    # The related tables are reached as ``assets.id IN (SELECT asset_pk ...)``: both planners
    # can then drive the query from the (tag, asset_pk) or (key, value) index when it is the
    # selective part, instead of probing it once per asset of the cloud.
    #
    # A tag ANDed with a created_at range (``tags=beach AND created_at>1w``) also takes the
    # range on the tag rows' own copy of created_at, through the listing index (cloud,
    # resource type, tag, created_at): the subquery then yields only the tag's assets of
    # that period instead of all of them, each to be looked up in ``assets`` (at a million
    # assets a common tag has tens of thousands). The range stays on ``assets`` too.
    def _tag(self, predicate: p.Tag, bounds: tuple[p.Compare, ...] = ()) -> Any:
        tag = asset_tags.c.tag
        if predicate.prefix:
            match = [prefix_condition(tag, predicate.value)]
        else:
            match = [tag == predicate.value]
        if bounds:
            match += [
                asset_tags.c.cloud_id == self.cloud_id,
                asset_tags.c.resource_type.in_(LISTED_RESOURCE_TYPES),
                *(_OPS[b.op](asset_tags.c.created_at, b.value) for b in bounds),
            ]
        return assets.c.id.in_(sa.select(asset_tags.c.asset_pk).where(*match))

    def _context(self, predicate: p.Context) -> Any:
        value = asset_context.c.value
        match = [asset_context.c.key == predicate.key]
        if predicate.value is not None and predicate.prefix:
            match.append(prefix_condition(value, predicate.value))
        elif predicate.value is not None and predicate.fold_case:
            # the same lower() on both sides; the (key, lower(value)) index serves it
            match.append(sa.func.lower(value) == sa.func.lower(sa.literal(predicate.value)))
        elif predicate.value is not None:
            match.append(value == predicate.value)
        return assets.c.id.in_(sa.select(asset_context.c.asset_pk).where(*match))

    def _metadata(self, predicate: p.Metadata) -> Any:
        fields = metadata_fields
        match = [
            asset_metadata.c.asset_pk == assets.c.id,
            asset_metadata.c.field_id == fields.c.id,
            fields.c.cloud_id == self.cloud_id,
            fields.c.external_id == predicate.external_id,
        ]
        if predicate.values is not None:
            stored = sa.type_coerce(asset_metadata.c.value, sa.Text)
            match.append(stored.in_(list(predicate.values)))
        return sa.exists().where(*match)

    # -- words -----------------------------------------------------------------------------
    def _words(self, predicate: p.Words) -> Any:
        if self.columns is not ASSET_COLUMNS:
            raise ValueError("word matches are only planned for assets")
        if self.postgres:
            query = _tsquery(predicate)
            found = sa.select(_asset_search.c.asset_pk).where(
                _asset_search.c.terms.op("@@")(sa.cast(sa.literal(query), postgresql.TSQUERY))
            )
        else:
            match = sa.literal_column("asset_fts").op("MATCH")(sa.literal(_fts_query(predicate)))
            found = sa.select(_fts.c.rowid).where(match)
        return assets.c.id.in_(found)


def _tsquery(predicate: p.Words) -> str:
    """A tsquery of quoted lexemes (words are letters and digits only: nothing to escape),
    each limited to the field's weight when there is a field: ``'shirt':A``, ``'sh':*``."""
    weight = _WEIGHTS.get(predicate.column or "", "")
    lexemes = [f"'{word}'" for word in predicate.words]
    if predicate.prefix:
        lexemes[-1] += ":*"
    if weight:
        lexemes = [item + weight if item.endswith("*") else f"{item}:{weight}" for item in lexemes]
    return " & ".join(lexemes)


def _fts_query(predicate: p.Words) -> str:
    """An FTS5 query: every word as a string, in the field's column when there is one."""
    column = _WORD_COLUMNS.get(predicate.column or "")
    strings = [f'"{word}"' for word in predicate.words]
    if predicate.prefix:
        strings[-1] += " *"
    if column:
        strings = [f"{column} : {item}" for item in strings]
    return " AND ".join(strings)
