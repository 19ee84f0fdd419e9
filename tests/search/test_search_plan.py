"""Planning: fields resolved, values typed (sizes, dates, relative dates, ratios), and
errors at the position of the term."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cloudlet.search import SearchError, parse, plan, plan_folders
from cloudlet.search import predicates as p

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
JAN1 = datetime(2024, 1, 1, tzinfo=UTC)


def ON_OR_AFTER(moment: datetime) -> p.Compare:  # noqa: N802
    return p.Compare("created_at", ">=", moment)


def BEFORE(moment: datetime) -> p.Compare:  # noqa: N802
    return p.Compare("created_at", "<", moment)


def planned(text: str) -> p.Predicate:
    return plan(parse(text), NOW)


CASES: list[tuple[str, p.Predicate]] = [
    ("", p.EVERYTHING),
    ("*", p.EVERYTHING),
    ("resource_type:image", p.Compare("resource_type", "=", "image")),
    ("type=upload", p.Compare("type", "=", "upload")),
    ("format:PNG", p.Compare("format", "=", "png")),
    ("asset_id=abc", p.Compare("asset_id", "=", "abc")),
    ("public_id=a/b", p.Compare("public_id", "=", "a/b")),
    ("public_id:a/b", p.Words("public_id", ("a", "b"))),
    ("public_id:shirts*", p.Prefix("public_id", "shirts")),
    ("filename:Red_Shirt", p.Words("filename", ("red", "shirt"))),
    ('display_name="My Pic"', p.Compare("display_name", "=", "My Pic")),
    ("folder:products", p.Compare("asset_folder", "=", "products")),
    ("asset_folder=a/b", p.Compare("asset_folder", "=", "a/b")),
    (
        "folder:a/*",
        p.Any((p.Compare("asset_folder", "=", "a"), p.Prefix("asset_folder", "a/"))),
    ),
    ("folder:a*", p.Prefix("asset_folder", "a")),
    ("tags=kitten", p.Tag("kitten")),
    ("tag:dog", p.Tag("dog")),
    ("tags:ki*", p.Tag("ki", prefix=True)),
    ("tags:*", p.Tag("", prefix=True)),
    ("context.color:blue", p.Context("color", "blue", fold_case=True)),
    ("context.color=Blue", p.Context("color", "Blue")),
    ("context.color:bl*", p.Context("color", "bl", prefix=True, fold_case=True)),
    ("context.color:*", p.Context("color")),
    ("metadata.size=10", p.Metadata("size", ('"10"', "10"))),
    ("metadata.size:big", p.Metadata("size", ('"big"',))),
    ("metadata.size:*", p.Metadata("size")),
    ("status:active", p.EVERYTHING),
    ("status:deleted", p.NOTHING),
    ("bytes>1m", p.Compare("bytes", ">", 1024**2)),
    ("bytes>1mb", p.Compare("bytes", ">", 1024**2)),
    ("bytes<10kb", p.Compare("bytes", "<", 10 * 1024)),
    ("bytes>=1.5GB", p.Compare("bytes", ">=", int(1.5 * 1024**3))),
    ("bytes:1000", p.Compare("bytes", "=", 1000)),
    ("bytes:*", p.Present("bytes")),
    ("width>2048", p.Compare("width", ">", 2048)),
    ("height<=100", p.Compare("height", "<=", 100)),
    ("pixels>1000000", p.Compare("pixels", ">", 1_000_000)),
    ("duration>1.5", p.Compare("duration", ">", 1.5)),
    (
        "width:[100 TO 200}",
        p.All((p.Compare("width", ">=", 100), p.Compare("width", "<", 200))),
    ),
    ("width:[* TO *]", p.Present("width")),
    ('aspect_ratio>="4:3"', p.Ratio(">=", 4.0, 3.0)),
    ("aspect_ratio=1.5", p.Ratio("=", 1.5, 1.0)),
    # relative dates: "within the last ..." (m is a month for dates)
    ("uploaded_at>1d", p.Compare("uploaded_at", ">", NOW - DAY)),
    ("uploaded_at>3d", p.Compare("uploaded_at", ">", NOW - 3 * DAY)),
    ("uploaded_at>1w", p.Compare("uploaded_at", ">", NOW - 7 * DAY)),
    ("uploaded_at>1m", p.Compare("uploaded_at", ">", NOW - 30 * DAY)),
    ("uploaded_at>1y", p.Compare("uploaded_at", ">", NOW - 365 * DAY)),
    ("uploaded_at>12h", p.Compare("uploaded_at", ">", NOW - DAY / 2)),
    ("created_at<2d", p.Compare("created_at", "<", NOW - 2 * DAY)),
    ("uploaded_at:1d", p.Compare("uploaded_at", ">=", NOW - DAY)),
    # absolute dates: a day is the whole day
    ("created_at:2024-01-01", p.All((ON_OR_AFTER(JAN1), BEFORE(JAN1 + DAY)))),
    ('created_at>"2024-01-01"', p.All((p.Compare("created_at", ">=", JAN1 + DAY),))),
    ("created_at>=2024-01-01", p.All((p.Compare("created_at", ">=", JAN1),))),
    ("created_at<2024-01-01", p.All((p.Compare("created_at", "<", JAN1),))),
    ("created_at<=2024-01-01", p.All((p.Compare("created_at", "<", JAN1 + DAY),))),
    (
        'created_at>"2024-01-01T10:00:00Z"',
        p.Compare("created_at", ">", JAN1 + timedelta(hours=10)),
    ),
    (
        'created_at>"2024-01-01T12:00:00+02:00"',
        p.Compare("created_at", ">", JAN1 + timedelta(hours=10)),
    ),
    (
        "created_at:[2024-01-01 TO 2024-01-31]",
        p.All((ON_OR_AFTER(JAN1), BEFORE(JAN1 + 31 * DAY))),
    ),
    (
        "created_at:{2024-01-01 TO 2024-01-31}",
        p.All((ON_OR_AFTER(JAN1 + DAY), BEFORE(JAN1 + 30 * DAY))),
    ),
    (
        "uploaded_at:[4w TO 1w]",
        p.All(
            (
                p.Compare("uploaded_at", ">=", NOW - 28 * DAY),
                p.Compare("uploaded_at", "<=", NOW - 7 * DAY),
            )
        ),
    ),
    # free text
    ("shirt", p.Words(None, ("shirt",))),
    ('"Long Pants"', p.Words(None, ("long", "pants"))),
    ("sh*", p.Words(None, ("sh",), prefix=True)),
    ('"long pa*"', p.Words(None, ("long", "pa"), prefix=True)),
    ('"!!!"', p.NOTHING),  # no word at all
    # logic
    ("a OR b", p.Any((p.Words(None, ("a",)), p.Words(None, ("b",))))),
    ("-tags=x", p.Not(p.Tag("x"))),
    ("a b", p.All((p.Words(None, ("a",)), p.Words(None, ("b",))))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_plan(text: str, expected: p.Predicate) -> None:
    assert planned(text) == expected


def test_the_reference_examples_plan() -> None:
    planned("resource_type:image AND tags=kitten AND uploaded_at>1d AND bytes>1m")
    planned('tag:dog uploaded_at>1m aspect_ratio>="4:3" width>2048')
    planned("tags:shirt AND uploaded_at>1d")
    planned("resource_type:image AND bytes>1000000")
    planned("folder:products OR context.category:electronics")
    planned("public_id=abc asset_id=abc tags=abc")
    planned('display_name:"shirt:blue" \\~shirt')


FOLDERS = [
    ("name=shoes", p.Compare("name", "=", "shoes")),
    ("path:shoes*", p.Prefix("path", "shoes")),
    ("path:shoes/*", p.Any((p.Compare("path", "=", "shoes"), p.Prefix("path", "shoes/")))),
    ("shoes", p.Compare("name", "=", "shoes")),
]


@pytest.mark.parametrize(("text", "expected"), FOLDERS)
def test_plan_folders(text: str, expected: p.Predicate) -> None:
    assert plan_folders(parse(text), NOW) == expected


ERRORS = [
    ("nosuch:1", 0, "unknown field 'nosuch'"),
    ("a AND nosuch:1", 6, "unknown field"),
    ("context.:x", 0, "needs a key"),
    ("tags>3", 0, "cannot be compared with '>'"),
    ("public_id<a", 0, "cannot be compared"),
    ("bytes>lots", 0, "is not a size"),
    ("width>wide", 0, "is not a number"),
    ("width>1.5", 0, "not a whole number"),
    ("created_at>yesterday", 0, "is not a date"),
    ("created_at>2024-13-01", 0, "is not a date"),
    ('aspect_ratio>"1:2:3"', 0, "not an aspect ratio"),
    ('aspect_ratio>"4:0"', 0, "not an aspect ratio"),
    ("bytes>1*", 0, "cannot end in '*'"),
    ("public_id:[a TO b]", 0, "does not take a range"),
    ("width:[a TO 3]", 0, "is not a number"),
    ("uploaded_at>999999y", 0, "out of range"),
    ("metadata.x:a*", 0, "cannot end in '*'"),
]


@pytest.mark.parametrize(("text", "position", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_plan_errors(text: str, position: int, message: str) -> None:
    with pytest.raises(SearchError) as caught:
        planned(text)
    assert caught.value.position == position
    assert message in caught.value.message


def test_folder_fields_are_their_own() -> None:
    with pytest.raises(SearchError, match="unknown field 'tags'"):
        plan_folders(parse("tags:x"), NOW)
