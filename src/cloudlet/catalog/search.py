"""The Search API's reads: compiled predicates, any sort order, keyset cursors, counts and
aggregations, for assets and for folders. Every query is scoped by ``cloud_id``.

A cursor names the last row's sort key (every sort key plus the unique ``assets.id``, or the
folder's path) and the ordering it belongs to, so pages stay exact while rows are added or
removed elsewhere in the ordering: no row that stays put is skipped or repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cloudlet.catalog.assets import load_assets
from cloudlet.catalog.cursor import decode_cursor, encode_cursor
from cloudlet.catalog.db import Database
from cloudlet.catalog.model import Asset
from cloudlet.catalog.schema import assets, folders
from cloudlet.catalog.search_sql import (
    ASSET_COLUMNS,
    FOLDER_COLUMNS,
    FOLDER_NAME,
    Compiler,
    tag_rows_matches,
)
from cloudlet.errors import BadRequestError
from cloudlet.search.predicates import EVERYTHING, Predicate

MAX_RESULTS = 500
# At most this many matches are sorted as a set rather than found by walking an index in
# the sort order (see ``_few_matches``).
SORT_MATCHES_UP_TO = 20_000


def _missing(value: int | None) -> int:
    return 0 if value is None else value


@dataclass(frozen=True)
class SortField:
    """A sortable field: its SQL expression, the type of its cursor value, and how to read
    that value from an Asset."""

    expression: Any
    kind: type
    read: Callable[[Asset], Any]


SORT_FIELDS: dict[str, SortField] = {
    name: SortField(ASSET_COLUMNS[name], kind, getter)
    for name, kind, getter in [
        ("created_at", datetime, lambda a: a.created_at),
        ("uploaded_at", datetime, lambda a: a.uploaded_at),
        ("updated_at", datetime, lambda a: a.updated_at),
        ("public_id", str, lambda a: a.public_id),
        ("asset_id", str, lambda a: a.asset_id),
        ("format", str, lambda a: a.format),
        ("resource_type", str, lambda a: a.resource_type),
        ("type", str, lambda a: a.type),
        ("display_name", str, lambda a: a.display_name),
        ("filename", str, lambda a: a.public_id.rpartition("/")[2]),
        ("asset_folder", str, lambda a: a.asset_folder),
        ("bytes", int, lambda a: a.bytes),
        ("version", int, lambda a: a.version),
    ]
}


def _reader(name: str) -> Callable[[Asset], int]:
    return lambda asset: _missing(getattr(asset, name))


for _name in ("width", "height", "pages"):
    SORT_FIELDS[_name] = SortField(sa.func.coalesce(ASSET_COLUMNS[_name], 0), int, _reader(_name))
SORT_FIELDS["pixels"] = SortField(
    sa.func.coalesce(ASSET_COLUMNS["pixels"], 0),
    int,
    lambda a: 0 if a.width is None or a.height is None else a.width * a.height,
)
SORT_FIELDS["folder"] = SORT_FIELDS["asset_folder"]


@dataclass(frozen=True)
class Bucket:
    """One range of a range aggregation: ``low`` inclusive, ``high`` exclusive, either open."""

    key: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Aggregation:
    """``values`` counts assets per value of ``field`` (format, resource_type, type);
    ``ranges`` counts them per bucket of ``field`` (bytes, pixels, duration), only among
    assets of ``resource_type`` when it is set."""

    name: str
    field: str
    buckets: tuple[Bucket, ...] = ()
    resource_type: str | None = None


@dataclass
class SearchResult:
    """One page of a search, its total and its aggregations."""

    items: list[Any]
    total_count: int
    next_cursor: str | None = None
    aggregations: dict[str, dict[str, int]] = field(default_factory=dict)


_VALUE_FIELDS = {"format", "resource_type", "type"}
_RANGE_FIELDS = {"bytes", "pixels", "duration", "width", "height"}


class SearchStore(Database):
    """Searching assets and folders."""

    def search_assets(
        self,
        cloud_id: int,
        predicate: Predicate,
        *,
        sort: Sequence[tuple[str, bool]] = (("created_at", True),),
        max_results: int = 50,
        cursor: str | None = None,
        aggregations: Sequence[Aggregation] = (),
    ) -> SearchResult:
        """Assets matching ``predicate``, ordered by ``sort`` ((field, descending) pairs,
        then the internal id); ``max_results`` 0 answers only the count and aggregations.
        Unknown sort fields and invalid cursors raise BadRequestError."""
        dialect = self._engine.dialect.name
        condition = Compiler(cloud_id, dialect).compile(predicate)
        where = sa.and_(assets.c.cloud_id == cloud_id, condition)
        keys = _sort_keys(sort)
        ordering = "search:" + ",".join(f"{name}:{'d' if d else 'a'}" for name, d in sort)
        limit = min(max(max_results, 0), MAX_RESULTS)
        after = None
        if cursor and limit:
            types = tuple(SORT_FIELDS[n].kind for n, _ in sort) + (int,)
            after = decode_cursor(cursor, ordering, types)
        with self._read() as conn:
            counts = {a.name: _aggregate(conn, where, a) for a in aggregations}
            found = None
            if predicate != EVERYTHING:  # often few matches: count and page in one pass
                source = tag_rows_matches(cloud_id, predicate, sort)
                if source is None:
                    source = sa.select(*_labelled(keys)).where(where)
                found = _few_matches(conn, source, keys, limit + 1 if limit else 0, after)
            if found is None:
                total = conn.scalar(sa.select(sa.func.count()).select_from(assets).where(where))
                result = SearchResult([], int(total or 0), None, counts)
                if not limit:
                    return result
                bounded = where if after is None else sa.and_(where, _after(keys, after))
                rows = conn.execute(_walk(bounded, keys, limit + 1)).all()
            else:
                total, ids = found
                result = SearchResult([], total, None, counts)
                if not limit:
                    return result
                rows = conn.execute(_by_ids(ids, keys)).all() if ids else []
            result.items = load_assets(conn, rows[:limit])
        if len(rows) > limit:
            last = result.items[-1]
            values = [_cursor_value(SORT_FIELDS[name].read(last)) for name, _ in sort]
            result.next_cursor = encode_cursor(ordering, [*values, last.id])
        return result

    def search_folders(
        self,
        cloud_id: int,
        predicate: Predicate,
        *,
        descending: bool = False,
        by_name: bool = False,
        max_results: int = 50,
        cursor: str | None = None,
    ) -> SearchResult:
        """Folder paths matching ``predicate`` (fields ``name`` and ``path``), ordered by
        path, or by name then path."""
        compiler = Compiler(cloud_id, self._engine.dialect.name, FOLDER_COLUMNS)
        where = sa.and_(folders.c.cloud_id == cloud_id, compiler.compile(predicate))
        keys: list[tuple[Any, bool]] = [(FOLDER_NAME, descending)] if by_name else []
        keys.append((folders.c.path, descending))
        ordering = f"folders:{'name' if by_name else 'path'}:{'d' if descending else 'a'}"
        with self._read() as conn:
            total = conn.scalar(sa.select(sa.func.count()).select_from(folders).where(where))
            result = SearchResult([], int(total or 0))
            if max_results <= 0:
                return result
            limit = min(max_results, MAX_RESULTS)
            query = sa.select(folders.c.path, FOLDER_NAME.label("name")).where(where)
            if cursor:
                types = (str, str) if by_name else (str,)
                query = query.where(_after(keys, decode_cursor(cursor, ordering, types)))
            order = [e.desc() if d else e.asc() for e, d in keys]
            rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
        result.items = [row.path for row in rows[:limit]]
        if len(rows) > limit:
            last = rows[limit - 1]
            key = [last.name, last.path] if by_name else [last.path]
            result.next_cursor = encode_cursor(ordering, key)
        return result


def _walk(where: Any, keys: list[tuple[Any, bool]], limit: int) -> Any:
    """The page as ORDER BY ... LIMIT: the database may walk an index in that order."""
    order = [e.desc() if d else e.asc() for e, d in keys]
    return sa.select(assets).where(where).order_by(*order).limit(limit)


def _labelled(keys: list[tuple[Any, bool]]) -> list[Any]:
    """The sort keys as the columns ``k0``, ``k1``, … (the last one the asset's id)."""
    return [expression.label(f"k{i}") for i, (expression, _) in enumerate(keys)]


def _few_matches(
    conn: Any,
    source: Any,
    keys: list[tuple[Any, bool]],
    limit: int,
    after: list[Any] | None,
) -> tuple[int, list[int]] | None:
    """(the number of matches, the ids of the page's ``limit`` rows) in one statement when
    at most SORT_MATCHES_UP_TO assets match, else None (the caller counts and walks).
    ``source`` selects the matches' sort keys as ``_labelled`` names them, from ``assets``
    or, where they can answer, from the tag rows (``tag_rows_matches``).

    Every match (with its sort keys, at most one more than the limit) is found once, fenced
    by MATERIALIZED, then counted and its top sorted. Without the fence a planner may walk
    the sort order's index and test each asset (it cannot know that a tag and a date range
    rarely meet there), which is slow exactly when the matches are few; and counting
    separately would find every match twice."""
    matches = source.limit(SORT_MATCHES_UP_TO + 1).cte("matches").prefix_with("MATERIALIZED")
    columns = [(matches.c[f"k{i}"], d) for i, (_, d) in enumerate(keys)]
    pk = columns[-1][0]
    total = sa.select(sa.literal(0).label("part"), sa.func.count().label("n"), sa.null())
    parts = [total.select_from(matches)]
    if limit:
        page = sa.select(pk.label("pk")).order_by(*[c.desc() if d else c.asc() for c, d in columns])
        if after is not None:
            page = page.where(_after(columns, after))
        top = page.limit(limit).subquery("page")
        parts.append(sa.select(sa.literal(1).label("part"), sa.null(), top.c.pk))
    rows = conn.execute(sa.union_all(*parts)).all()
    count = next(int(row[1]) for row in rows if row[0] == 0)
    if count > SORT_MATCHES_UP_TO:
        return None
    return count, [int(row[2]) for row in rows if row[0] == 1]


def _by_ids(ids: list[int], keys: list[tuple[Any, bool]]) -> Any:
    """The page's assets, in the page's order."""
    order = [e.desc() if d else e.asc() for e, d in keys]
    return sa.select(assets).where(assets.c.id.in_(ids)).order_by(*order)


def _sort_keys(sort: Sequence[tuple[str, bool]]) -> list[tuple[Any, bool]]:
    """The ORDER BY expressions with their directions; the id breaks ties."""
    if not sort:
        raise BadRequestError("sort_by needs at least one field")
    keys = []
    for name, descending in sort:
        found = SORT_FIELDS.get(name)
        if found is None:
            allowed = ", ".join(sorted(SORT_FIELDS))
            raise BadRequestError(f"Invalid sort_by field {name!r}: use one of {allowed}")
        keys.append((found.expression, descending))
    keys.append((assets.c.id, sort[-1][1]))
    return keys


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _after(keys: list[tuple[Any, bool]], values: list[Any]) -> Any:
    """Rows strictly after ``values`` in the ordering ``keys``. One row-value comparison when
    every key runs the same way (an index can serve it), else the expanded OR form."""
    bound = [sa.literal(v, _type_of(e)) for (e, _), v in zip(keys, values, strict=True)]
    if len({d for _, d in keys}) == 1:
        left, right = sa.tuple_(*[e for e, _ in keys]), sa.tuple_(*bound)
        return left < right if keys[0][1] else left > right
    alternatives = []
    for index, (expression, descending) in enumerate(keys):
        equal = [keys[i][0] == bound[i] for i in range(index)]
        step = expression < bound[index] if descending else expression > bound[index]
        alternatives.append(sa.and_(*equal, step))
    return sa.or_(*alternatives)


def _type_of(expression: Any) -> Any:
    return getattr(expression, "type", None)


def _aggregate(conn: Any, where: Any, aggregation: Aggregation) -> dict[str, int]:
    if aggregation.field in _VALUE_FIELDS and not aggregation.buckets:
        column = ASSET_COLUMNS[aggregation.field]
        query = sa.select(column, sa.func.count()).where(where).group_by(column)
        return {str(value): int(count) for value, count in conn.execute(query)}
    if aggregation.field not in _RANGE_FIELDS:
        raise BadRequestError(f"Invalid aggregation {aggregation.name!r}")
    column = ASSET_COLUMNS[aggregation.field]
    scope = [where, column.is_not(None)]
    if aggregation.resource_type:
        scope.append(assets.c.resource_type == aggregation.resource_type)
    sums = [
        sa.func.coalesce(sa.func.sum(sa.case((_in_bucket(column, b), 1), else_=0)), 0)
        for b in aggregation.buckets
    ]
    if not sums:
        return {}
    row = conn.execute(sa.select(*sums).select_from(assets).where(*scope)).one()
    return {b.key: int(count) for b, count in zip(aggregation.buckets, row, strict=True)}


def _in_bucket(column: Any, bucket: Bucket) -> Any:
    conditions = []
    if bucket.low is not None:
        conditions.append(column >= bucket.low)
    if bucket.high is not None:
        conditions.append(column < bucket.high)
    return sa.and_(*conditions) if conditions else sa.true()
