"""The Search API through the real SDK's builders (``cloudinary.Search`` and
``SearchFolders``) against a live server, on SQLite and PostgreSQL: expressions, sort_by,
max_results, next_cursor, with_field, fields, aggregate, the signed GET form of
``Search.to_url``, errors and cloud isolation. Every test tags or prefixes its own assets
(the server is shared by the session)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api
import cloudinary.uploader
import httpx
import pytest
from cloudinary import Search
from cloudinary.exceptions import BadRequest
from cloudinary.search_folders import SearchFolders
from tests.compat.helpers import make_png
from tests.compat.server import OTHER_CLOUD, OTHER_KEY, OTHER_SECRET, Server


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "s.png", 8, 6)


@pytest.fixture()
def seeded(sdk: object, png: Path) -> dict[str, Any]:
    """Three assets under a fresh folder with a fresh tag: two PNGs and one raw file."""
    mark = uuid.uuid4().hex[:10]
    folder = f"srch{mark}"
    for name, extra in (
        ("alpha_shirt", {"context": "color=Blue|size=M", "tags": [mark, "shirt"]}),
        ("beta_pants", {"context": "color=red", "tags": [mark, "pants"]}),
    ):
        cloudinary.uploader.upload(str(png), public_id=f"{folder}/{name}", **extra)
    cloudinary.uploader.upload(
        str(png), public_id=f"{folder}/gamma.bin", resource_type="raw", tags=[mark]
    )
    return {"tag": mark, "folder": folder}


def ids(answer: dict[str, Any]) -> list[str]:
    return [r["public_id"] for r in answer["resources"]]


def test_expression_sort_and_shape(seeded: dict[str, Any]) -> None:
    tag, folder = seeded["tag"], seeded["folder"]
    answer = Search().expression(f"tags={tag} AND resource_type:image").sort_by("public_id", "asc")
    found = answer.execute()
    assert ids(found) == [f"{folder}/alpha_shirt", f"{folder}/beta_pants"]
    assert found["total_count"] == 2 and isinstance(found["time"], int)
    assert "next_cursor" not in found
    first = found["resources"][0]
    assert first["filename"] == "alpha_shirt" and first["folder"] == folder
    assert (first["width"], first["height"], first["pixels"]) == (8, 6, 48)
    assert first["aspect_ratio"] == pytest.approx(8 / 6, rel=1e-4)
    assert first["status"] == "active" and "uploaded_at" in first
    assert "tags" not in first and "context" not in first
    newest = Search().expression(f"tags={tag}").execute()  # default: created_at desc
    assert ids(newest)[0] == f"{folder}/gamma.bin"


def test_cursor_walks_the_set_in_order(seeded: dict[str, Any]) -> None:
    tag = seeded["tag"]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        search = Search().expression(f"tags:{tag}").sort_by("public_id", "asc").max_results(1)
        if cursor:
            search = search.next_cursor(cursor)
        page = search.execute()
        assert page["total_count"] == 3
        seen += ids(page)
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 3


def test_with_field_fields_and_counts_only(seeded: dict[str, Any]) -> None:
    tag, folder = seeded["tag"], seeded["folder"]
    found = (
        Search()
        .expression(f"tags={tag} AND context.color:blue")
        .with_field("tags")
        .with_field("context")
        .execute()
    )
    (resource,) = found["resources"]
    assert resource["public_id"] == f"{folder}/alpha_shirt"
    assert sorted(resource["tags"]) == sorted([tag, "shirt"])
    assert resource["context"] == {"color": "Blue", "size": "M"}  # flat in search answers
    limited = Search().expression(f"tags={tag}").fields("tags").fields("bytes").execute()
    for item in limited["resources"]:
        assert set(item) == {
            "public_id", "asset_id", "asset_folder", "created_at", "status", "type",
            "resource_type", "tags", "bytes",
        }  # fmt: skip
    counted = Search().expression(f"tags={tag}").max_results(0).aggregate("format").execute()
    assert counted["resources"] == [] and counted["total_count"] == 3
    assert counted["aggregations"]["format"] == {"png": 3}


def test_aggregations(seeded: dict[str, Any]) -> None:
    tag = seeded["tag"]
    ranges = {"type": "bytes", "ranges": [{"key": "small", "to": 10}, {"key": "big", "from": 10}]}
    found = (
        Search()
        .expression(f"tags={tag}")
        .aggregate("resource_type")
        .aggregate("type")
        .aggregate(ranges)
        .execute()
    )
    aggregations = found["aggregations"]
    assert aggregations["resource_type"] == {"image": 2, "raw": 1}
    assert aggregations["type"] == {"upload": 3}
    assert aggregations["bytes"] == {"small": 0, "big": 3}


def test_free_text_prefix_and_boolean_logic(seeded: dict[str, Any]) -> None:
    tag, folder = seeded["tag"], seeded["folder"]
    scope = f"tags={tag}"
    assert ids(Search().expression(f"{scope} AND shirt").execute()) == [f"{folder}/alpha_shirt"]
    assert ids(Search().expression(f"{scope} -pants -gamma").execute()) == [f"{folder}/alpha_shirt"]
    both = Search().expression(f"{scope} (public_id:alpha* OR beta*)").sort_by("public_id", "asc")
    # a public_id prefix is on the whole id (none starts with alpha); free text on words
    assert ids(both.execute()) == [f"{folder}/beta_pants"]
    pid = Search().expression(f"public_id:{folder}/b* OR public_id={folder}/alpha_shirt")
    assert sorted(ids(pid.execute())) == [f"{folder}/alpha_shirt", f"{folder}/beta_pants"]
    sized = Search().expression(f"{scope} AND bytes>10 AND uploaded_at>1d AND width<100")
    assert len(ids(sized.execute())) == 2


def test_bad_expressions_are_400_with_a_position(sdk: object) -> None:
    for expression in ("tags=(a", 'public_id:"open', "nosuchfield:1", "bytes>lots", "a~1"):
        with pytest.raises(BadRequest, match="position"):
            Search().expression(expression).execute()
    with pytest.raises(BadRequest, match="sort_by"):
        Search().expression("").sort_by("nosuch").execute()
    with pytest.raises(BadRequest, match="max_results"):
        Search().max_results(501).execute()
    with pytest.raises(BadRequest, match="next_cursor"):
        Search().next_cursor("garbage!").execute()


def test_signed_search_url(seeded: dict[str, Any], server: Server) -> None:
    tag = seeded["tag"]
    search = Search().expression(f"tags={tag}").sort_by("public_id", "asc").max_results(2)
    url = search.to_url()
    assert url.startswith(f"{server.base_url}/") and "/search/" in url
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    assert ids(answer.json()) == ids(search.execute())
    assert answer.headers["cache-control"] == "public, max-age=300"
    second = httpx.get(search.to_url(next_cursor=answer.json()["next_cursor"]))
    assert len(ids(second.json())) == 1
    tampered = url.replace("/300/", "/301/")
    assert httpx.get(tampered).status_code == 401


def test_folder_search(seeded: dict[str, Any], png: Path) -> None:
    folder = seeded["folder"]
    cloudinary.uploader.upload(str(png), public_id=f"{folder}/sub/deeper/pic")
    found = SearchFolders().expression(f"path:{folder}/*").sort_by("path", "asc").execute()
    paths = [folder, f"{folder}/sub", f"{folder}/sub/deeper"]  # a/* is a and all below it
    assert [f["path"] for f in found["folders"]] == paths
    assert found["folders"][2] == {"name": "deeper", "path": f"{folder}/sub/deeper"}
    named = SearchFolders().expression(f"name=deeper AND path:{folder}*").execute()
    assert named["total_count"] == 1


def test_another_cloud_sees_nothing(seeded: dict[str, Any], server: Server) -> None:
    tag = seeded["tag"]
    assert Search().expression(f"tags={tag}").execute()["total_count"] == 3
    cloudinary.config(cloud_name=OTHER_CLOUD, api_key=OTHER_KEY, api_secret=OTHER_SECRET)
    for expression in (
        f"tags={tag}",
        "",
        "*",
        f'tags="{tag}\' OR 1=1 --"',
        f"tags={tag}' OR *",
        f'public_id:"{seeded["folder"]}/alpha_shirt\\" OR cloud_id>0"',
        f'tags=\\"{tag}\\" OR asset_id:*',
    ):
        found = Search().expression(expression).with_field("tags").execute()
        assert all(tag not in r.get("tags", []) for r in found["resources"]), expression
    assert Search().expression(f"tags={tag}").execute()["total_count"] == 0
