"""Keyset-paginated listings and their filters, on every backend."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.catalog.catalog_factories import at, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Asset, Cloud, Page
from cloudlet.errors import BadRequestError


def walk(fetch: Callable[[str | None], Page]) -> list[Any]:
    """Every item of a paginated listing, following cursors to the end."""
    items: list[Any] = []
    cursor = None
    for _ in range(1000):
        page = fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
    raise AssertionError("the listing never ended")


def ids(assets: list[Asset]) -> list[str]:
    return [a.public_id for a in assets]


@pytest.fixture
def thirty(upload: Callable[..., Asset]) -> list[Asset]:
    """30 assets, oldest first; some share a created_at (ties are broken by id), the rest
    are a microsecond apart."""
    made = []
    for i in range(30):
        seconds = 10 if 10 <= i < 15 else i * 1e-6 + i
        made.append(upload(f"asset_{i:02d}", seconds))
    return made


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_paging_returns_every_asset_once_in_order(
    catalog: Catalog, cloud: Cloud, thirty: list[Asset], direction: str
) -> None:
    listed = walk(
        lambda c: catalog.list_assets(
            cloud.id, "image", "upload", direction=direction, max_results=10, cursor=c
        )
    )
    expected = sorted(thirty, key=lambda a: (a.created_at, a.id), reverse=direction == "desc")
    assert ids(listed) == ids(expected)
    first = catalog.list_assets(cloud.id, "image", direction=direction, max_results=10)
    assert len(first.items) == 10 and first.next_cursor


def test_last_page_has_no_cursor(catalog: Catalog, cloud: Cloud, thirty: list[Asset]) -> None:
    page = catalog.list_assets(cloud.id, "image", max_results=30)
    assert len(page.items) == 30 and page.next_cursor is None
    assert catalog.list_assets(cloud.id, "video").items == []


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_paging_is_stable_under_inserts_and_deletes(
    catalog: Catalog,
    cloud: Cloud,
    thirty: list[Asset],
    upload: Callable[..., Asset],
    direction: str,
) -> None:
    def page(cursor: str | None) -> Page:
        return catalog.list_assets(
            cloud.id, "image", direction=direction, max_results=10, cursor=cursor
        )

    ordered = sorted(thirty, key=lambda a: (a.created_at, a.id), reverse=direction == "desc")
    first = page(None)
    assert ids(first.items) == ids(ordered[:10])
    cursor_row = first.items[-1]
    # before the cursor (already passed), after it (still to come), the cursor row deleted
    passed_seconds, coming_seconds = (1000, -1000) if direction == "desc" else (-1000, 1000)
    upload("inserted_passed", passed_seconds)
    coming = upload("inserted_coming", coming_seconds)
    upload("tie_with_cursor", (cursor_row.created_at - at(0)).total_seconds())
    catalog.delete_asset(cursor_row.id)
    catalog.delete_asset(ordered[15].id)
    rest = walk(lambda c: page(c or first.next_cursor))
    # a row inserted at the cursor's time has a larger id: it sorts after the cursor row
    tie = ["tie_with_cursor"] if direction == "asc" else []
    unseen = [a.public_id for a in ordered[10:] if a is not ordered[15]]
    assert ids(rest) == [*tie, *unseen, coming.public_id]


def test_prefix_matches_literally_and_orders_by_public_id(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]
) -> None:
    names = ["a_b%2", "a_b%", "a_bc", "aXb%1", "a_b%1", "A_b%3", "a_b\\%", "a_b%/deep", "b"]
    for i, name in enumerate(names):
        upload(name, -i)  # newest first would be a different order
    listed = walk(
        lambda c: catalog.list_assets(
            cloud.id, "image", "upload", prefix="a_b%", max_results=2, cursor=c
        )
    )
    assert ids(listed) == ["a_b%", "a_b%/deep", "a_b%1", "a_b%2"]
    asc = catalog.list_assets(cloud.id, "image", prefix="a_b%", direction="asc", max_results=10)
    assert ids(asc.items) == ids(listed)
    assert ids(catalog.list_assets(cloud.id, "image", prefix="a_b\\").items) == ["a_b\\%"]
    assert ids(catalog.list_assets(cloud.id, "image", prefix="A").items) == ["A_b%3"]
    everything = catalog.list_assets(cloud.id, "image", prefix="", max_results=100).items
    assert ids(everything) == sorted(names)


def test_prefix_with_non_ascii(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]
) -> None:
    for name in ["café/1", "café/2", "cafe/1", "caféx", "日本/猫", "日本/犬", "日本語"]:
        upload(name)
    assert ids(catalog.list_assets(cloud.id, "image", prefix="café/").items) == [
        "café/1",
        "café/2",
    ]
    assert ids(catalog.list_assets(cloud.id, "image", prefix="日本/").items) == [
        "日本/犬",
        "日本/猫",
    ]


def test_tag_filter(catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]) -> None:
    for i in range(12):
        upload(f"p{i:02d}", i, tags=["even" if i % 2 == 0 else "odd", "all"])
    evens = walk(
        lambda c: catalog.list_assets(cloud.id, "image", tag="even", max_results=4, cursor=c)
    )
    assert ids(evens) == [f"p{i:02d}" for i in range(10, -1, -2)]
    assert len(catalog.list_assets(cloud.id, "image", tag="all", max_results=100).items) == 12
    assert catalog.list_assets(cloud.id, "image", tag="al").items == []
    assert catalog.list_assets(cloud.id, "image", tag="%").items == []


def test_context_filter(catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]) -> None:
    upload("a", 1, context={"color": "red", "size": "big"})
    upload("b", 2, context={"color": "blue"})
    upload("c", 3, context={"colour": "red"})
    upload("d", 4, context={"color": "reddish"})
    upload("e", 5)
    assert ids(catalog.list_assets(cloud.id, "image", context_key="color").items) == ["d", "b", "a"]
    by_value = catalog.list_assets(cloud.id, "image", context_key="color", context_value="red")
    assert ids(by_value.items) == ["a"]
    assert catalog.list_assets(cloud.id, "image", context_key="col").items == []
    paged = walk(
        lambda c: catalog.list_assets(
            cloud.id, "image", context_key="color", max_results=1, cursor=c
        )
    )
    assert ids(paged) == ["d", "b", "a"]


def test_filters_combine(catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]) -> None:
    upload("x/1", 1, tags=["t"], context={"k": "v"})
    upload("x/2", 2, tags=["t"])
    upload("y/1", 3, tags=["t"], context={"k": "v"})
    found = catalog.list_assets(cloud.id, "image", "upload", prefix="x/", tag="t", context_key="k")
    assert ids(found.items) == ["x/1"]


def test_start_at(catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]) -> None:
    for i in range(6):
        upload(f"p{i}", i)
    asc = catalog.list_assets(cloud.id, "image", start_at=at(3), direction="asc")
    assert ids(asc.items) == ["p3", "p4", "p5"]
    desc = catalog.list_assets(cloud.id, "image", start_at=at(3), direction="desc")
    assert ids(desc.items) == ["p3", "p2", "p1", "p0"]
    paged = walk(
        lambda c: catalog.list_assets(
            cloud.id, "image", start_at=at(2.5), direction="asc", max_results=1, cursor=c
        )
    )
    assert ids(paged) == ["p3", "p4", "p5"]


def test_type_and_resource_type_filters(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]
) -> None:
    upload("a", 1)
    upload("b", 2, type="private")
    upload("c", 3, resource_type="video", format="mp4")
    assert ids(catalog.list_assets(cloud.id, "image").items) == ["b", "a"]
    assert ids(catalog.list_assets(cloud.id, "image", "private").items) == ["b"]
    assert ids(catalog.list_assets(cloud.id, None).items) == ["c", "b", "a"]


def test_max_results_is_clamped(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Asset]
) -> None:
    upload("a", 1)
    upload("b", 2)
    page = catalog.list_assets(cloud.id, "image", max_results=0)
    assert len(page.items) == 1 and page.next_cursor
    assert len(catalog.list_assets(cloud.id, "image", max_results=10_000).items) == 2


def _forge(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def test_invalid_cursors(catalog: Catalog, cloud: Cloud, thirty: list[Asset]) -> None:
    desc = catalog.list_assets(cloud.id, "image", max_results=5).next_cursor
    by_name = catalog.list_assets(cloud.id, "image", prefix="asset", max_results=5).next_cursor
    assert desc and by_name
    bad = [
        "garbage!",
        "bm90IGpzb24",  # "not json"
        _forge([1, 2]),
        _forge({"o": "created_at:desc", "k": ["yesterday", 1]}),
        _forge({"o": "created_at:desc", "k": ["2024-01-01T00:00:00", 1]}),  # naive
        _forge({"o": "created_at:desc", "k": ["2024-01-01T00:00:00+00:00", "1"]}),
        _forge({"o": "created_at:desc", "k": ["2024-01-01T00:00:00+00:00"]}),
        _forge({"o": "public_id", "k": [None, 1]}),
        "\u00e9t\u00e9",
    ]
    for cursor in bad:
        with pytest.raises(BadRequestError, match="Invalid next_cursor"):
            catalog.list_assets(cloud.id, "image", cursor=cursor)
    with pytest.raises(BadRequestError, match="Invalid next_cursor"):
        catalog.list_assets(cloud.id, "image", direction="asc", cursor=desc)
    with pytest.raises(BadRequestError, match="Invalid next_cursor"):
        catalog.list_assets(cloud.id, "image", cursor=by_name)
    with pytest.raises(BadRequestError, match="Invalid next_cursor"):
        catalog.list_assets(cloud.id, "image", prefix="asset", cursor=desc)
    with pytest.raises(BadRequestError, match="Invalid next_cursor"):
        catalog.list_tags(cloud.id, "image", cursor=desc)
    with pytest.raises(BadRequestError, match="Invalid next_cursor"):
        catalog.list_presets(cloud.id, cursor=desc)


def test_invalid_direction(catalog: Catalog, cloud: Cloud) -> None:
    with pytest.raises(BadRequestError):
        catalog.list_assets(cloud.id, "image", direction="sideways")


def test_list_tags(
    catalog: Catalog, cloud: Cloud, other_cloud: Cloud, upload: Callable[..., Asset]
) -> None:
    upload("a", tags=["cat", "animal", "Cute"])
    upload("b", tags=["cat", "car", "c_r"])
    upload("v", resource_type="video", tags=["clip"])
    catalog.create_or_replace_asset(
        other_cloud.id, new_asset("z", tags=["secret"]), overwrite=False, now=at(0)
    )
    everything = walk(lambda c: catalog.list_tags(cloud.id, "image", max_results=2, cursor=c))
    assert everything == ["Cute", "animal", "c_r", "car", "cat"]
    assert catalog.list_tags(cloud.id, "image", prefix="ca").items == ["car", "cat"]
    assert catalog.list_tags(cloud.id, "image", prefix="c_").items == ["c_r"]
    paged = walk(
        lambda c: catalog.list_tags(cloud.id, "image", prefix="c", max_results=1, cursor=c)
    )
    assert paged == ["c_r", "car", "cat"]
    assert catalog.list_tags(cloud.id, "video").items == ["clip"]
