"""The Search API's catalog part on SQLite and PostgreSQL: one suite, both backends.

Expressions go through the real parser and planner; what is checked is which assets the
compiled SQL returns, that the word index follows every kind of write, that keyset cursors
walk any ordering exactly (also while rows are written between pages), aggregations, folder
search, and that no expression reads another cloud's assets."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.catalog.catalog_factories import at, new_asset

from cloudlet.catalog import search as search_store
from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud
from cloudlet.catalog.search import Aggregation, Bucket
from cloudlet.catalog.search_sql import tag_rows_matches
from cloudlet.errors import BadRequestError
from cloudlet.search import parse, plan, plan_folders

NOW = datetime(2024, 5, 20, tzinfo=UTC)  # three days after the factories' T0


def find(catalog: Catalog, cloud: Cloud, expression: str, **options: Any) -> list[str]:
    options.setdefault("sort", [("public_id", False)])
    found = catalog.search_assets(cloud.id, plan(parse(expression), NOW), **options)
    return [asset.public_id for asset in found.items]


@pytest.fixture
def corpus(upload: Callable[..., Any]) -> None:
    """Five assets with different fields (created one second apart, in this order)."""
    upload(
        "shirts/blue_shirt",
        1,
        tags=["shirt", "blue", "sale"],
        context={"color": "Blue", "size": "M"},
        bytes=2_000,
        asset_folder="shirts",
    )
    upload(
        "shirts/red-shirt",
        2,
        tags=["shirt"],
        context={"color": "red"},
        format="png",
        width=300,
        height=300,
        bytes=2_000_000,
        asset_folder="shirts",
    )
    upload(
        "pants/Long Pants",
        3,
        tags=["pants", "winter sale"],
        display_name="Cosy pants",
        width=480,
        height=640,
        bytes=50_000,
        asset_folder="pants/winter",
    )
    upload(
        "docs/manual.pdf",
        4,
        resource_type="raw",
        format="",
        width=None,
        height=None,
        bytes=10,
        asset_folder="docs",
    )
    upload("clips/intro", 5, resource_type="video", format="mp4", duration=12.5,
           width=1920, height=1080, bytes=9_000_000, type="private")  # fmt: skip


CASES = [
    ("", ["clips/intro", "docs/manual.pdf", "pants/Long Pants", "shirts/blue_shirt",
          "shirts/red-shirt"]),
    ("resource_type:image", ["pants/Long Pants", "shirts/blue_shirt", "shirts/red-shirt"]),
    ("resource_type:raw OR resource_type:video", ["clips/intro", "docs/manual.pdf"]),
    ("type=private", ["clips/intro"]),
    ("format:png", ["shirts/red-shirt"]),
    ("format:PNG", ["shirts/red-shirt"]),
    ("-format:jpg", ["clips/intro", "docs/manual.pdf", "shirts/red-shirt"]),
    ("public_id=shirts/red-shirt", ["shirts/red-shirt"]),
    ("public_id:shirts*", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("public_id:Shirts*", []),  # prefixes are exact
    ("public_id:red", ["shirts/red-shirt"]),  # a word of the id
    ("public_id:SHIRT", ["shirts/blue_shirt", "shirts/red-shirt"]),  # words ignore case
    ('public_id:"long pants"', ["pants/Long Pants"]),
    ("filename=manual.pdf", ["docs/manual.pdf"]),
    ("filename:pdf", ["docs/manual.pdf"]),
    ("filename:shirts", []),  # the folder is not part of the filename
    ("display_name:cosy", ["pants/Long Pants"]),
    ("folder:shirts", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("folder:pants", []),
    ("folder:pants/*", ["pants/Long Pants"]),
    ("asset_folder=pants/winter", ["pants/Long Pants"]),
    ("tags=shirt", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("tags:sale", ["shirts/blue_shirt"]),
    ('tags="winter sale"', ["pants/Long Pants"]),
    ("tags:sh*", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("tags:*", ["pants/Long Pants", "shirts/blue_shirt", "shirts/red-shirt"]),
    ("-tags:*", ["clips/intro", "docs/manual.pdf"]),
    ("tags:(pants OR blue)", ["pants/Long Pants", "shirts/blue_shirt"]),
    ("context.color:blue", ["shirts/blue_shirt"]),
    ("context.color=blue", []),
    ("context.color=Blue", ["shirts/blue_shirt"]),
    ("context.color:*", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("context.size:M OR context.color:red", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("bytes>1m", ["clips/intro", "shirts/red-shirt"]),
    ("bytes<1kb", ["docs/manual.pdf"]),
    ("bytes:[1000 TO 50000]", ["pants/Long Pants", "shirts/blue_shirt"]),
    ("bytes:{2000 TO 50000]", ["pants/Long Pants"]),
    ("bytes=10", ["docs/manual.pdf"]),
    ("width>400", ["clips/intro", "pants/Long Pants", "shirts/blue_shirt"]),
    ("-width>400", ["docs/manual.pdf", "shirts/red-shirt"]),  # no width: not > 400
    ("width:*", ["clips/intro", "pants/Long Pants", "shirts/blue_shirt", "shirts/red-shirt"]),
    ("height<=300", ["shirts/red-shirt"]),
    ("pixels>=307200", ["clips/intro", "pants/Long Pants", "shirts/blue_shirt"]),
    ('aspect_ratio="4:3"', ["shirts/blue_shirt"]),
    ("aspect_ratio:1", ["shirts/red-shirt"]),
    ('aspect_ratio>"4:3"', ["clips/intro"]),
    ("aspect_ratio<1", ["pants/Long Pants"]),
    ("duration>10", ["clips/intro"]),
    ("created_at>=2024-05-17", ["clips/intro", "docs/manual.pdf", "pants/Long Pants",
                                "shirts/blue_shirt", "shirts/red-shirt"]),
    ("created_at<2024-05-17", []),
    ("created_at:2024-05-17", ["clips/intro", "docs/manual.pdf", "pants/Long Pants",
                               "shirts/blue_shirt", "shirts/red-shirt"]),
    ('created_at>"2024-05-17T12:00:03Z"', ["clips/intro", "docs/manual.pdf",
                                           "pants/Long Pants"]),
    ('uploaded_at:["2024-05-17T12:00:02Z" TO "2024-05-17T12:00:04Z"}',
     ["pants/Long Pants", "shirts/red-shirt"]),
    ("uploaded_at>1w", ["clips/intro", "docs/manual.pdf", "pants/Long Pants",
                        "shirts/blue_shirt", "shirts/red-shirt"]),
    ("uploaded_at>1d", []),
    ("status:active", ["clips/intro", "docs/manual.pdf", "pants/Long Pants",
                       "shirts/blue_shirt", "shirts/red-shirt"]),
    ("shirt", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("SALE", ["pants/Long Pants", "shirts/blue_shirt"]),  # tags are text too
    ("cosy", ["pants/Long Pants"]),  # display name
    ("m", ["shirts/blue_shirt"]),  # a context value
    ("winter", ["pants/Long Pants"]),  # folder and tag
    ('"long pants"', ["pants/Long Pants"]),
    ("man*", ["docs/manual.pdf"]),
    ("pa* -sale", []),
    ("shirt AND NOT blue", ["shirts/red-shirt"]),
    ("(shirt OR pants) AND bytes<100000", ["pants/Long Pants", "shirts/blue_shirt"]),
    # a tag ANDed with a date range: the range also narrows the tag rows (pushed down)
    ('tags=shirt AND created_at>"2024-05-17T12:00:02Z"', ["shirts/red-shirt"]),
    ('tags:* AND created_at<"2024-05-17T12:00:03Z"', ["shirts/blue_shirt", "shirts/red-shirt"]),
    ('tags:sh* AND uploaded_at:["2024-05-17T12:00:01Z" TO "2024-05-17T12:00:02Z"}',
     ["shirts/blue_shirt"]),
    ('tags=shirt AND created_at:["2024-05-17T12:00:01Z" TO "2024-05-17T12:00:03Z"] '
     'AND format:png', ["shirts/red-shirt"]),
    ('tags=shirt AND -created_at>"2024-05-17T12:00:02Z"', ["shirts/blue_shirt"]),  # not pushed
    ('tags=shirt OR created_at>"2024-05-17T12:00:04Z"',  # OR: not pushed
     ["clips/intro", "docs/manual.pdf", "shirts/blue_shirt", "shirts/red-shirt"]),
    ('(tags=pants OR tags=blue) AND created_at>"2024-05-17T12:00:02Z"', ["pants/Long Pants"]),
    ("tags=pants AND created_at>=2024-05-18", []),
    ("tags=shirt AND created_at>1d", []),
    ("tags=shirt AND created_at>1w", ["shirts/blue_shirt", "shirts/red-shirt"]),
    ("nothing_like_this", []),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] or "all" for c in CASES])
def test_expressions(catalog: Catalog, cloud: Cloud, corpus: None, expression: str,
                     expected: list[str]) -> None:  # fmt: skip
    assert find(catalog, cloud, expression) == expected


# Searches the tag rows answer alone (one exact tag ANDed with created_at, format and
# resource_type, sorted by created_at) give what the assets give; the rest take the
# general path (last column: answered from the tag rows).
BY_TAG_ROWS = [
    ("tags=shirt", ["shirts/red-shirt", "shirts/blue_shirt"], True),
    ("tags=shirt AND format=png", ["shirts/red-shirt"], True),
    ('tags=shirt AND created_at<"2024-05-17T12:00:02Z" AND format=jpg', ["shirts/blue_shirt"],
     True),
    ('tags="winter sale" AND (resource_type=image AND created_at>=2024-05-17)',
     ["pants/Long Pants"], True),
    ("tags=pants AND resource_type=video", [], True),
    ("tags=shirt AND bytes>1000", ["shirts/red-shirt", "shirts/blue_shirt"], False),
    ("tags:sh* AND format=png", ["shirts/red-shirt"], False),
    ("tags=shirt AND -format=png", ["shirts/blue_shirt"], False),
]  # fmt: skip


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize(("expression", "newest_first", "from_tag_rows"), BY_TAG_ROWS,
                         ids=[c[0] for c in BY_TAG_ROWS])  # fmt: skip
def test_tag_rows_answer_as_the_assets_would(
    catalog: Catalog, cloud: Cloud, corpus: None, expression: str, newest_first: list[str],
    from_tag_rows: bool, descending: bool,
) -> None:  # fmt: skip
    sort = [("created_at", descending)]
    source = tag_rows_matches(cloud.id, plan(parse(expression), NOW), sort)
    assert (source is not None) == from_tag_rows
    expected = newest_first if descending else newest_first[::-1]
    assert find(catalog, cloud, expression, sort=sort) == expected
    assert find(catalog, cloud, expression, sort=sort, max_results=1) == expected[:1]


def test_tag_rows_follow_their_assets_format(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Any]
) -> None:
    def newest(expression: str) -> list[str]:
        return find(catalog, cloud, expression, sort=[("created_at", True)])

    upload("f/one", 1, tags=["x"])
    assert newest("tags=x AND format=jpg") == ["f/one"]
    asset = upload("f/one", 2, tags=["x"], format="png")  # overwritten by a PNG
    assert newest("tags=x AND format=jpg") == [] and newest("tags=x AND format=png") == ["f/one"]
    catalog.change_tags(cloud.id, "image", "upload", ["f/one"], "add", ["y"], at(3))
    assert newest("tags=y AND format=png") == ["f/one"]
    catalog.update_asset(asset.id, tags=["z"], now=at(4))
    assert newest("tags=z AND format=png AND created_at<2024-05-18") == ["f/one"]
    assert newest("tags=x AND format=png") == []


def test_metadata_values(catalog: Catalog, cloud: Cloud, upload: Callable[..., Any]) -> None:
    first, second = upload("m/one"), upload("m/two")
    values = {"external_id": "size", "type": "string", "label": "Size", "mandatory": False,
              "default_disabled": False, "allow_dynamic_list_values": False}  # fmt: skip
    field = catalog.create_metadata_field(cloud.id, values, [], at(0))
    count = catalog.create_metadata_field(
        cloud.id, {**values, "external_id": "count", "type": "integer", "label": "N"}, [], at(0)
    )
    catalog.change_asset_metadata([(first.id, {field.id: "big", count.id: 7})], at(1))
    catalog.change_asset_metadata([(second.id, {field.id: "small"})], at(1))
    assert find(catalog, cloud, "metadata.size=big") == ["m/one"]
    assert find(catalog, cloud, "metadata.size:*") == ["m/one", "m/two"]
    assert find(catalog, cloud, "metadata.count=7") == ["m/one"]
    assert find(catalog, cloud, "metadata.nosuch:*") == []


def test_the_word_index_follows_every_write(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Any]
) -> None:
    asset = upload("idx/first_name", tags=["apple"], context={"k": "banana"})
    assert find(catalog, cloud, "apple banana first") == ["idx/first_name"]
    catalog.change_tags(cloud.id, "image", "upload", ["idx/first_name"], "add", ["cherry"], at(1))
    catalog.change_tags(cloud.id, "image", "upload", ["idx/first_name"], "remove", ["apple"], at(1))
    assert find(catalog, cloud, "cherry") == ["idx/first_name"]
    assert find(catalog, cloud, "apple") == []
    catalog.change_context(cloud.id, "image", "upload", ["idx/first_name"], "add",
                           {"k": "date"}, at(2))  # fmt: skip
    assert find(catalog, cloud, "banana") == [] and find(catalog, cloud, "date") == [
        "idx/first_name"
    ]
    catalog.update_asset(asset.id, tags=["elder"], context={}, now=at(3))
    assert find(catalog, cloud, "elder") == ["idx/first_name"]
    assert find(catalog, cloud, "cherry OR date") == []
    catalog.rename_asset(asset.id, "idx/second_name", to_type=None, overwrite=False, now=at(4))
    assert find(catalog, cloud, "public_id:first") == []  # (the display name stays)
    assert find(catalog, cloud, "public_id:second") == ["idx/second_name"]
    upload("idx/second_name", 5, tags=["fig"])  # overwritten: words of the new version
    assert find(catalog, cloud, "fig") == ["idx/second_name"]
    assert find(catalog, cloud, "elder") == []
    renamed = catalog.get_asset(cloud.id, "image", "upload", "idx/second_name")
    assert renamed is not None
    catalog.delete_asset(renamed.id)
    assert find(catalog, cloud, "fig OR second OR first") == []


SORTS = [
    [("created_at", True)],
    [("created_at", False)],
    [("public_id", False)],
    [("public_id", True)],
    [("bytes", True), ("public_id", False)],
    [("format", False), ("created_at", True)],
    [("width", False)],
    [("resource_type", True), ("filename", False)],
    [("uploaded_at", False), ("asset_id", True)],
    [("pixels", True)],
]


@pytest.mark.parametrize("strategy", ["sorted", "walk"])
@pytest.mark.parametrize("sort", SORTS, ids=lambda s: ",".join(f"{n}:{d}" for n, d in s))
def test_cursors_walk_any_ordering(
    catalog: Catalog,
    cloud: Cloud,
    upload: Callable[..., Any],
    sort: list[tuple[str, bool]],
    strategy: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both ways a page is read (few matches sorted as a set, many by walking the order)."""
    if strategy == "walk":
        monkeypatch.setattr(search_store, "SORT_MATCHES_UP_TO", 0)
    for n in range(13):  # equal values in every field but the id: the tie-break matters
        upload(f"walk/{n:02d}", n % 3, bytes=100 * (n % 4), format=["jpg", "png"][n % 2],
               width=None if n % 5 == 0 else 10 * (n % 3))  # fmt: skip
    everything = find(catalog, cloud, "resource_type:image", sort=sort, max_results=500)
    assert len(everything) == 13
    predicate = plan(parse("resource_type:image"), NOW)
    for size in (1, 4, 5):
        walked, cursor = [], None
        while True:
            page = catalog.search_assets(
                cloud.id, predicate, sort=sort, max_results=size, cursor=cursor
            )
            assert page.total_count == 13
            walked += [a.public_id for a in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert walked == everything


def test_cursors_stay_exact_while_rows_come_and_go(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Any]
) -> None:
    for n in range(10):
        upload(f"live/{n:02d}", n, tags=["live"])
    predicate = plan(parse("tags=live"), NOW)
    sort = [("created_at", True)]
    page = catalog.search_assets(cloud.id, predicate, sort=sort, max_results=4)
    seen = [a.public_id for a in page.items]
    assert seen == ["live/09", "live/08", "live/07", "live/06"]
    upload("live/new", 20, tags=["live"])  # newer than the cursor: not on later pages
    gone = catalog.get_asset(cloud.id, "image", "upload", "live/04")
    assert gone is not None
    catalog.delete_asset(gone.id)  # not yet seen: simply missing
    catalog.delete_asset(page.items[0].id)  # already seen: changes nothing ahead
    while page.next_cursor:
        page = catalog.search_assets(
            cloud.id, predicate, sort=sort, max_results=4, cursor=page.next_cursor
        )
        seen += [a.public_id for a in page.items]
    assert seen == [f"live/{n:02d}" for n in (9, 8, 7, 6, 5, 3, 2, 1, 0)]


def test_bad_cursors_and_sorts(catalog: Catalog, cloud: Cloud, corpus: None) -> None:
    predicate = plan(parse(""), NOW)
    page = catalog.search_assets(cloud.id, predicate, sort=[("public_id", False)], max_results=1)
    assert page.next_cursor
    with pytest.raises(BadRequestError, match="next_cursor"):  # another ordering's cursor
        catalog.search_assets(cloud.id, predicate, sort=[("bytes", False)],
                              cursor=page.next_cursor)  # fmt: skip
    with pytest.raises(BadRequestError, match="next_cursor"):
        catalog.search_assets(cloud.id, predicate, cursor="not-a-cursor")
    with pytest.raises(BadRequestError, match="sort_by"):
        catalog.search_assets(cloud.id, predicate, sort=[("nosuch", False)])


def test_counts_only_and_aggregations(catalog: Catalog, cloud: Cloud, corpus: None) -> None:
    sizes = (Bucket("small", None, 1000), Bucket("mid", 1000, 1_000_000), Bucket("big", 1_000_000))
    aggregations = [
        Aggregation("format", "format"),
        Aggregation("resource_type", "resource_type"),
        Aggregation("type", "type"),
        Aggregation("bytes", "bytes", sizes),
        Aggregation("image_pixels", "pixels", (Bucket("sd", None, 200_000), Bucket("hd", 200_000)),
                    "image"),
        Aggregation("duration", "duration", (Bucket("short", None, 60),)),
    ]  # fmt: skip
    found = catalog.search_assets(
        cloud.id, plan(parse("-tags=blue"), NOW), max_results=0, aggregations=aggregations
    )
    assert found.items == [] and found.total_count == 4 and found.next_cursor is None
    assert found.aggregations == {
        "format": {"png": 1, "jpg": 1, "": 1, "mp4": 1},
        "resource_type": {"image": 2, "raw": 1, "video": 1},
        "type": {"upload": 3, "private": 1},
        "bytes": {"small": 1, "mid": 1, "big": 2},
        "image_pixels": {"sd": 1, "hd": 1},
        "duration": {"short": 1},
    }


def test_folder_search(catalog: Catalog, cloud: Cloud, upload: Callable[..., Any]) -> None:
    for public_id in ("shoes/red/a", "shoes/blue/b", "bags/red/c", "top"):
        upload(public_id)
    catalog.create_folder(cloud.id, "empty/red")

    def folders(expression: str, **options: Any) -> list[str]:
        found = catalog.search_folders(cloud.id, plan_folders(parse(expression), NOW), **options)
        return list(found.items)

    assert folders("") == ["bags", "bags/red", "empty", "empty/red", "shoes", "shoes/blue",
                           "shoes/red"]  # fmt: skip
    assert folders("name=red") == ["bags/red", "empty/red", "shoes/red"]
    assert folders("red", descending=True) == ["shoes/red", "empty/red", "bags/red"]
    assert folders("path:shoes/*") == ["shoes", "shoes/blue", "shoes/red"]
    assert folders("path:sh*") == ["shoes", "shoes/blue", "shoes/red"]
    assert folders("name:b* -path:bags*", by_name=True) == ["shoes/blue"]
    first = catalog.search_folders(cloud.id, plan_folders(parse(""), NOW), max_results=3,
                                   by_name=True)  # fmt: skip
    assert first.total_count == 7 and first.next_cursor
    rest = catalog.search_folders(cloud.id, plan_folders(parse(""), NOW), max_results=10,
                                  by_name=True, cursor=first.next_cursor)  # fmt: skip
    assert len(first.items) + len(rest.items) == 7 and rest.next_cursor is None


HOSTILE = [
    "",
    "*",
    "shirt",
    "tags:*",
    "public_id:*",
    '"\' OR 1=1 --"',
    "' OR public_id:*",
    "\"') OR cloud_id = 2 OR ('\"",
    'public_id="x\\" OR 1=1"',
    'tags="shirt\'; DROP TABLE assets; --"',
    "context.color';--:*",
    "metadata.x';--:*",
    "asset_id:*",
    '"*"',
]


@pytest.mark.parametrize("expression", HOSTILE)
def test_an_expression_never_reads_another_cloud(
    catalog: Catalog, cloud: Cloud, other_cloud: Cloud, corpus: None, expression: str
) -> None:
    catalog.create_or_replace_asset(
        other_cloud.id, new_asset("theirs/shirt", tags=["shirt"]), overwrite=True, now=at(9)
    )
    theirs = catalog.search_assets(other_cloud.id, plan(parse(expression), NOW))
    assert all(a.cloud_id == other_cloud.id for a in theirs.items)
    assert theirs.total_count <= 1
    ours = catalog.search_assets(cloud.id, plan(parse(expression), NOW), max_results=500)
    assert all(a.cloud_id == cloud.id for a in ours.items)
    assert "theirs/shirt" not in [a.public_id for a in ours.items]
    assert catalog.get_asset(cloud.id, "image", "upload", "shirts/red-shirt") is not None


def test_many_terms_compile(catalog: Catalog, cloud: Cloud, corpus: None) -> None:
    words = " OR ".join(f"tags=t{n}" for n in range(150))
    assert find(catalog, cloud, f"({words}) OR tags=shirt") == [
        "shirts/blue_shirt", "shirts/red-shirt"
    ]  # fmt: skip
    chain = " ".join(itertools.repeat("-nothing_here", 100))
    assert len(find(catalog, cloud, chain)) == 5
