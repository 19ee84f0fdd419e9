"""Listings over a few thousand generated assets, on every backend: keyset cursors never skip
or repeat while other threads insert and delete, direction and start_at are honoured, and
by-tag and by-context listings agree with a brute-force filter of every asset."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.catalog.catalog_factories import fill_synthetic, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Asset, Cloud
from cloudlet.services.synthetic import TAGS

COUNT = 3000
PAGE = 23  # small: many page boundaries for the writers to fall across
START = datetime(2023, 6, 1, tzinfo=UTC)

LISTINGS: list[dict[str, Any]] = [
    {},
    {"type": "upload", "direction": "asc"},
    {"prefix": "products/"},
    {"prefix": "blog/travel/", "direction": "desc"},  # ignored with a prefix, as Cloudinary
    {"tag": TAGS[0]},
    {"tag": TAGS[3], "direction": "asc"},
    {"tag": TAGS[0], "type": "upload", "start_at": START},
    {"context_key": "photographer"},
    {"context_key": "photographer", "context_value": "ana", "direction": "asc"},
    {"start_at": START},
    {"start_at": START, "direction": "asc"},
]


@pytest.fixture
def filled(catalog: Catalog, cloud: Cloud) -> Cloud:
    fill_synthetic(catalog, cloud, COUNT)
    return cloud


def matches(asset: Asset, options: dict[str, Any]) -> bool:
    """Whether ``asset`` belongs in the image listing ``options`` describe (brute force)."""
    return (
        asset.resource_type == "image"
        and options.get("type", asset.type) == asset.type
        and asset.public_id.startswith(options.get("prefix", ""))
        and ("tag" not in options or options["tag"] in asset.tags)
        and _context_matches(asset, options)
        and _start_matches(asset, options)
    )


def _context_matches(asset: Asset, options: dict[str, Any]) -> bool:
    key = options.get("context_key")
    if key is None:
        return True
    return key in asset.context and options.get("context_value") in (None, asset.context[key])


def _start_matches(asset: Asset, options: dict[str, Any]) -> bool:
    start = options.get("start_at")
    if start is None:
        return True
    return asset.created_at <= start if _descending(options) else asset.created_at >= start


def _descending(options: dict[str, Any]) -> bool:
    return options.get("direction", "desc") == "desc" and "prefix" not in options


def sort_key(options: dict[str, Any]) -> Any:
    if "prefix" in options:
        return lambda a: (a.public_id, a.id)
    return lambda a: (a.created_at, a.id)


def walk(catalog: Catalog, cloud: Cloud, options: dict[str, Any]) -> Iterator[list[Asset]]:
    """The listing's pages, following cursors to the end."""
    cursor = None
    while True:
        page = catalog.list_assets(cloud.id, "image", max_results=PAGE, cursor=cursor, **options)
        yield page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


class Churn(threading.Thread):
    """Inserts assets that match every listing and deletes existing ones, until stopped."""

    def __init__(self, catalog: Catalog, cloud: Cloud, victims: list[Asset]) -> None:
        super().__init__(daemon=True)
        self.catalog, self.cloud = catalog, cloud
        self.victims = victims
        self.deleted: set[int] = set()
        self.inserted: set[int] = set()
        self.stop = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        rng = random.Random(3)
        while not self.stop.is_set() and self.victims:
            self.rounds += 1
            new = new_asset(
                f"products/churn/{self.rounds}",
                tags=[TAGS[0], TAGS[3]],
                context={"photographer": "ana"},
            )
            when = START + timedelta(days=rng.uniform(-900, 900))
            asset, _, _ = self.catalog.create_or_replace_asset(
                self.cloud.id, new, overwrite=False, now=when
            )
            self.inserted.add(asset.id)
            victim = self.victims.pop(rng.randrange(len(self.victims)))
            self.catalog.delete_asset(victim.id)
            self.deleted.add(victim.id)


@pytest.mark.parametrize("options", LISTINGS, ids=lambda o: ",".join(sorted(o)) or "plain")
def test_cursors_neither_skip_nor_repeat_under_concurrent_writes(
    catalog: Catalog, filled: Cloud, options: dict[str, Any]
) -> None:
    before = [a for a in catalog.iter_all_assets(filled.id) if matches(a, options)]
    assert len(before) > PAGE * 2, "the listing must span several pages"
    churn = Churn(catalog, filled, [a for a in before if a.resource_type == "image"])
    churn.start()
    try:
        seen = [asset for page in walk(catalog, filled, options) for asset in page]
    finally:
        churn.stop.set()
        churn.join()
    assert churn.rounds > 0
    ids = [a.id for a in seen]
    assert len(ids) == len(set(ids)), "an asset came twice"
    keys = [sort_key(options)(a) for a in seen]
    assert keys == sorted(keys, reverse=_descending(options)), "the listing is out of order"
    assert all(matches(a, options) for a in seen)
    kept = {a.id for a in before} - churn.deleted
    assert kept <= set(ids), f"{len(kept - set(ids))} assets were skipped"
    assert set(ids) <= {a.id for a in before} | churn.inserted


@pytest.mark.parametrize("options", LISTINGS, ids=lambda o: ",".join(sorted(o)) or "plain")
def test_listing_equals_a_brute_force_sort(
    catalog: Catalog, filled: Cloud, options: dict[str, Any]
) -> None:
    expected = sorted(
        (a for a in catalog.iter_all_assets(filled.id) if matches(a, options)),
        key=sort_key(options),
        reverse=_descending(options),
    )
    pages = list(walk(catalog, filled, options))
    assert [a.id for page in pages for a in page] == [a.id for a in expected]
    assert all(len(page) == PAGE for page in pages[:-1])


def test_tag_and_context_rows_follow_an_overwrite(catalog: Catalog, filled: Cloud) -> None:
    """The listing copies of created_at move with the asset when an upload replaces it."""
    newest = catalog.list_assets(filled.id, "image", max_results=1).items[0]
    target = catalog.list_assets(filled.id, "image", tag=TAGS[3], direction="asc").items[0]
    later = newest.created_at + timedelta(days=1)
    replacement = new_asset(target.public_id, tags=[TAGS[3]], context={"photographer": "zed"})
    catalog.create_or_replace_asset(filled.id, replacement, overwrite=True, now=later)
    for options in ({"tag": TAGS[3]}, {"context_key": "photographer"}):
        first = catalog.list_assets(filled.id, "image", max_results=1, **options).items[0]
        assert first.public_id == target.public_id
        assert first.created_at == later


def search_index(catalog: Catalog) -> list[tuple[Any, ...]]:
    """The Search API's word index (migration 0013), row by row."""
    if catalog.engine.dialect.name == "sqlite":
        query = "SELECT rowid, public_id, filename, display_name, asset_folder, tags, context"
        query += " FROM asset_fts ORDER BY rowid"
    else:
        query = "SELECT asset_pk, terms::text FROM asset_search ORDER BY asset_pk"
    with catalog.engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(query)]


def triggers(catalog: Catalog) -> set[tuple[str, str]]:
    """(name, state) of every trigger (PostgreSQL: user triggers, with enabled state)."""
    if catalog.engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal"
        query += " AND tgrelid::regclass::text IN ('assets', 'asset_tags', 'asset_context')"
    with catalog.engine.connect() as conn:
        return {(str(a), str(b)) for a, b in conn.exec_driver_sql(query)}


def test_bulk_loads_index_for_search_as_the_triggers_do(catalog: Catalog, cloud: Cloud) -> None:
    """bench-catalog sets the search triggers aside and indexes each asset once; the index
    must be what the triggers build when every asset is written again."""
    before = triggers(catalog)
    fill_synthetic(catalog, cloud, 300)
    assert triggers(catalog) == before != set(), "the load must leave every trigger in place"
    loaded = search_index(catalog)
    assert len(loaded) == 300
    with catalog.engine.begin() as conn:  # the index triggers fire on a public_id update
        conn.exec_driver_sql("UPDATE assets SET public_id = public_id")
    assert search_index(catalog) == loaded
    tagged = catalog.list_assets(cloud.id, "image", tag=TAGS[0], max_results=500).items
    assert tagged and all(TAGS[0] in a.tags for a in tagged)


@pytest.mark.parametrize("prefix", [None, "s", "summer", "wine-1"])
def test_tag_listing_equals_the_distinct_tags(
    catalog: Catalog, filled: Cloud, prefix: str | None
) -> None:
    images = [a for a in catalog.iter_all_assets(filled.id) if a.resource_type == "image"]
    expected = sorted({t for a in images for t in a.tags if t.startswith(prefix or "")})
    seen, cursor = [], None
    while True:
        page = catalog.list_tags(filled.id, "image", prefix=prefix, max_results=3, cursor=cursor)
        seen += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected and len(expected) > 3
