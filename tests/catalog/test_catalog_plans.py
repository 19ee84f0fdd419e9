"""The listing queries read an index in the listing's order, on every backend: the plan of
each (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) names the index and neither
scans a whole table nor sorts every match. Dropping or reordering one of those indexes
fails here, not at a million assets in production."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from tests.catalog.catalog_factories import fill_synthetic

from cloudlet.catalog.asset_deletes import Selection
from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud
from cloudlet.search import parse
from cloudlet.search import plan as plan_search
from cloudlet.services.synthetic import TAGS

START = datetime(2023, 6, 1, tzinfo=UTC)
TYPED = "ix_assets_cloud_id_resource_type_type_created_at_id"
UNTYPED = "ix_assets_cloud_id_resource_type_created_at_id"
BY_PUBLIC_ID = ("uq_assets_cloud_id_resource_type_type_public_id", "ix_assets_cloud_id_public_id")
BY_TAG = "ix_asset_tags_listing"
BY_CONTEXT = "ix_asset_context_listing"

# (name, list_assets options, the indexes that may drive the query)
LISTINGS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("all types", {}, (UNTYPED,)),
    ("one type", {"type": "upload"}, (TYPED, UNTYPED)),
    ("ascending from start_at", {"type": "upload", "direction": "asc", "start_at": START},
     (TYPED, UNTYPED)),
    ("prefix", {"type": "upload", "prefix": "products/"}, BY_PUBLIC_ID),
    ("prefix of any type", {"prefix": "blog/travel/"}, BY_PUBLIC_ID),
    ("tag", {"tag": TAGS[0]}, (BY_TAG,)),
    ("rarer tag, ascending", {"tag": TAGS[60], "direction": "asc"}, (BY_TAG,)),
    ("context key", {"context_key": "photographer"}, (BY_CONTEXT,)),
    ("context value", {"context_key": "license", "context_value": "stock"}, (BY_CONTEXT,)),
]  # fmt: skip


@pytest.fixture
def filled(catalog: Catalog, cloud: Cloud) -> Cloud:
    fill_synthetic(catalog, cloud, 1500)
    return cloud


@contextmanager
def statements(catalog: Catalog) -> Iterator[list[tuple[str, Any]]]:
    """The queries (SELECT, WITH) the catalog sends meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    sa.event.listen(catalog.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(catalog.engine, "before_cursor_execute", record)


def first_select(catalog: Catalog, call: Callable[[], Any]) -> tuple[str, Any]:
    with statements(catalog) as seen:
        call()
    return seen[0]


def plan(catalog: Catalog, statement: str, params: Any) -> str:
    """The plan as text: SQLite's EXPLAIN QUERY PLAN details, PostgreSQL's JSON plan with
    sequential and bitmap scans priced out (at test sizes a table scan would be cheapest;
    what matters is that an index *can* answer in order)."""
    with catalog.engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if catalog.engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params)
            return "\n".join(row[3] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", params)
        return json.dumps(cursor.fetchone()[0])


def assert_ordered_index_read(text: str, indexes: tuple[str, ...], dialect: str) -> None:
    assert any(name in text for name in indexes) or _sqlite_unique(text, indexes), text
    if dialect == "sqlite":
        assert "TEMP B-TREE" not in text, f"sorts every match:\n{text}"
        assert not any(line.startswith("SCAN") for line in text.splitlines()), text
    else:
        nodes = _pg_nodes(json.loads(text)[0]["Plan"])
        assert "Seq Scan" not in nodes, text
        assert "Sort" not in nodes, f"sorts every match: {nodes}"  # Incremental Sort is fine


def _sqlite_unique(text: str, indexes: tuple[str, ...]) -> bool:
    """SQLite names the index of a UNIQUE constraint sqlite_autoindex_<table>_N."""
    return any(name.startswith("uq_assets") for name in indexes) and (
        "USING INDEX sqlite_autoindex_assets_" in text
    )


def _pg_nodes(node: dict[str, Any]) -> list[str]:
    found = [node["Node Type"]]
    for child in node.get("Plans", []):
        found += _pg_nodes(child)
    return found


@pytest.mark.parametrize(("name", "options", "indexes"), LISTINGS, ids=[c[0] for c in LISTINGS])
def test_listing_reads_an_index_in_order(
    catalog: Catalog, filled: Cloud, name: str, options: dict[str, Any], indexes: tuple[str, ...]
) -> None:
    def page(cursor: str | None = None) -> Any:
        return catalog.list_assets(filled.id, "image", max_results=2, cursor=cursor, **options)

    dialect = catalog.engine.dialect.name
    assert_ordered_index_read(plan(catalog, *first_select(catalog, page)), indexes, dialect)
    cursor = page().next_cursor
    assert cursor, f"{name}: the listing must have a second page"
    later = first_select(catalog, lambda: page(cursor))
    assert_ordered_index_read(plan(catalog, *later), indexes, dialect)


def test_prefix_delete_pages_read_the_prefix_index(catalog: Catalog, filled: Cloud) -> None:
    selection = Selection("image", "upload", prefix="archive/")
    first = catalog.delete_assets_page(filled.id, selection, limit=5)
    assert first.partial and first.last_public_id
    statement = first_select(
        catalog,
        lambda: catalog.delete_assets_page(
            filled.id,
            selection,
            after_pk=first.last_pk or 0,
            after_public_id=first.last_public_id,
            limit=5,
        ),
    )
    text = plan(catalog, *statement)
    assert_ordered_index_read(text, BY_PUBLIC_ID, catalog.engine.dialect.name)


def test_the_checks_catch_a_missing_index(catalog: Catalog, filled: Cloud) -> None:
    """Without the tag listing index the plan check fails (so the test above can fail)."""
    with catalog.engine.begin() as conn:
        conn.execute(sa.text(f"DROP INDEX {BY_TAG}"))
    statement = first_select(catalog, lambda: catalog.list_assets(filled.id, "image", tag="x"))
    with pytest.raises(AssertionError):
        assert_ordered_index_read(plan(catalog, *statement), (BY_TAG,), catalog.engine.dialect.name)


def test_tag_listing_probes_the_tag_index(catalog: Catalog, filled: Cloud) -> None:
    """``list_tags`` walks the distinct tags with one index probe each (no scan of the tag
    rows, no sort)."""
    statement = first_select(catalog, lambda: catalog.list_tags(filled.id, "image", prefix="s"))
    text = plan(catalog, *statement)
    assert BY_TAG in text, text
    if catalog.engine.dialect.name == "sqlite":
        assert "SCAN t" not in text and "SCAN asset_tags" not in text, text
    else:
        nodes = _pg_nodes(json.loads(text)[0]["Plan"])
        # the one sort allowed: of the page's own tags, walked in order already
        assert "Seq Scan" not in nodes and "Sort" not in nodes[1:], nodes


def test_lookups_by_id_use_the_unique_indexes(catalog: Catalog, filled: Cloud) -> None:
    some = catalog.list_assets(filled.id, "image", "upload", max_results=5).items
    by_public_id = first_select(
        catalog,
        lambda: catalog.get_assets_by_public_ids(
            filled.id, "image", "upload", [a.public_id for a in some]
        ),
    )
    by_asset_id = first_select(
        catalog, lambda: catalog.get_assets_by_asset_ids(filled.id, [a.asset_id for a in some])
    )
    sqlite = catalog.engine.dialect.name == "sqlite"
    for statement, index in ((by_public_id, BY_PUBLIC_ID[0]), (by_asset_id, "uq_assets_asset_id")):
        text = plan(catalog, *statement)
        if sqlite:
            assert "USING INDEX sqlite_autoindex_assets_" in text, text
        else:
            assert index in text, text


def test_a_tag_and_date_search_reads_the_tag_rows_of_that_period(
    catalog: Catalog, filled: Cloud
) -> None:
    """``tags=X AND created_at>…`` takes the range on the tag rows through the tag listing
    index (cloud, resource type, tag, created_at), then looks the few assets up by primary
    key: no pass over the cloud's assets, in the one statement that counts and pages."""
    expression = f'tags={TAGS[0]} AND created_at>"2023-06-01T00:00:00Z" AND format:jpg'
    predicate = plan_search(parse(expression), datetime(2024, 1, 1, tzinfo=UTC))
    with statements(catalog) as seen:
        catalog.search_assets(filled.id, predicate, max_results=5)
    assert not any("count(" in s.lower() for s, _ in seen[1:]), seen  # counted in the first
    statement, params = seen[0]
    assert statement.lstrip().upper().startswith("WITH"), statement
    assert any(value == TAGS[0] for value in _values(params)), params
    text = plan(catalog, statement, params)
    assert BY_TAG in text, text
    if catalog.engine.dialect.name == "sqlite":
        assert not any(line.startswith("SCAN assets") for line in text.splitlines()), text
    else:
        scans = _pg_scans(json.loads(text)[0]["Plan"])
        assert ("Seq Scan", "assets") not in scans, scans


def test_a_tag_date_and_format_search_by_date_reads_only_the_tag_index(
    catalog: Catalog, filled: Cloud
) -> None:
    """``tags=X AND created_at… AND format=…`` sorted by date is counted and paged from the
    tag listing index alone (it holds created_at and format: migration 0016): the statement
    that counts and pages does not read ``assets`` at all; only the page's assets are loaded
    after it, by primary key."""
    expression = f'tags={TAGS[0]} AND created_at>"2023-06-01T00:00:00Z" AND format=jpg'
    predicate = plan_search(parse(expression), datetime(2024, 1, 1, tzinfo=UTC))
    with statements(catalog) as seen:
        found = catalog.search_assets(filled.id, predicate, max_results=5)
    assert found.total_count > 5 and len(found.items) == 5  # a real count, a full page
    statement, params = seen[0]
    assert statement.lstrip().upper().startswith("WITH"), statement
    assert "assets." not in statement.replace("asset_tags.", ""), statement
    text = plan(catalog, statement, params)
    if catalog.engine.dialect.name == "sqlite":
        assert f"USING COVERING INDEX {BY_TAG}" in text, text
    else:
        scans = _pg_scans(json.loads(text)[0]["Plan"])
        assert ("Index Only Scan", "asset_tags") in scans, scans
        assert not [scan for scan in scans if scan[1] == "assets"], scans


def _values(params: Any) -> list[Any]:
    return list(params.values()) if isinstance(params, dict) else list(params)


def _pg_scans(node: dict[str, Any]) -> list[tuple[str, str]]:
    found = [(node["Node Type"], node.get("Relation Name", ""))]
    for child in node.get("Plans", []):
        found += _pg_scans(child)
    return found
