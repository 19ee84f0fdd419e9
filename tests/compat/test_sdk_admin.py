"""The real SDK's Admin API calls against Cloudlet: resources, paging, by ids, update, tags."""

from __future__ import annotations

from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import pytest
from cloudinary.exceptions import NotFound
from tests.compat.helpers import make_png


@pytest.fixture(scope="module")
def library(server: object, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """30 images under the prefix ``lib/``, tagged in two groups."""
    import os

    from tests.compat.server import Server

    assert isinstance(server, Server)
    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    cloudinary.reset_config()
    png = make_png(tmp_path_factory.mktemp("lib") / "x.png", 20, 10)
    uploaded = [
        cloudinary.uploader.upload(
            str(png), public_id=f"lib/item_{i:02d}", tags=["lib", f"group{i % 2}"]
        )
        for i in range(30)
    ]
    del os.environ["CLOUDINARY_URL"]
    return uploaded


def test_ping_and_rate_limit_headers(sdk: object) -> None:
    response = cloudinary.api.ping()
    assert response["status"] == "ok"
    assert response.rate_limit_allowed > 0 and response.rate_limit_remaining > 0
    assert response.rate_limit_reset_at is not None
    assert response.request_id and "request_id" not in response


def test_resource_returns_full_details(sdk: object, library: list[dict]) -> None:
    res = cloudinary.api.resource("lib/item_03")
    assert res["public_id"] == "lib/item_03" and res["width"] == 20
    assert res["tags"] == ["group1", "lib"]
    assert res["asset_id"] == library[3]["asset_id"]
    for absent in ("exif", "faces", "colors", "accessibility_analysis"):
        assert absent not in res


def test_resource_not_found(sdk: object) -> None:
    with pytest.raises(NotFound, match="Resource not found"):
        cloudinary.api.resource("no/such/thing")


def test_resources_pages_through_every_asset_once(sdk: object, library: list[dict]) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = cloudinary.api.resources(
            type="upload", prefix="lib/", max_results=7, next_cursor=cursor
        )
        seen += [r["public_id"] for r in page["resources"]]
        pages += 1
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert pages == 5
    assert seen == sorted(f"lib/item_{i:02d}" for i in range(30))


def test_resources_direction_and_default_page(sdk: object, library: list[dict]) -> None:
    desc = cloudinary.api.resources(max_results=30, tags=True)["resources"]
    asc = cloudinary.api.resources(max_results=30, direction="asc")["resources"]
    assert [r["public_id"] for r in desc][::-1] == [r["public_id"] for r in asc][-len(desc) :] or (
        desc[0]["created_at"] >= desc[-1]["created_at"]
    )
    assert "tags" in desc[0]
    assert len(cloudinary.api.resources()["resources"]) == 10


def test_resources_by_ids_and_asset_ids(sdk: object, library: list[dict]) -> None:
    ids = ["lib/item_05", "lib/item_01", "lib/missing"]
    found = cloudinary.api.resources_by_ids(ids)["resources"]
    assert [r["public_id"] for r in found] == ["lib/item_05", "lib/item_01"]
    by_asset = cloudinary.api.resources_by_asset_ids([library[7]["asset_id"]])["resources"]
    assert by_asset[0]["public_id"] == "lib/item_07"
    single = cloudinary.api.resource_by_asset_id(library[8]["asset_id"])
    assert single["public_id"] == "lib/item_08"


def test_resources_by_tag(sdk: object, library: list[dict]) -> None:
    tagged = cloudinary.api.resources_by_tag("group0", max_results=500)["resources"]
    assert len(tagged) == 15


def test_update_tags_context_and_coordinates(sdk: object, library: list[dict]) -> None:
    updated = cloudinary.api.update(
        "lib/item_10",
        tags=["new", "tags"],
        context={"caption": "some caption", "alt": "alternative|alt=a"},
        face_coordinates=[[1, 2, 3, 4]],
    )
    assert updated["tags"] == ["new", "tags"]
    again = cloudinary.api.resource("lib/item_10")
    assert again["context"] == {"custom": {"caption": "some caption", "alt": "alternative|alt=a"}}
    by_context = cloudinary.api.resources_by_context("caption", "some caption")["resources"]
    assert [r["public_id"] for r in by_context] == ["lib/item_10"]


def test_tags_listing_with_prefix(sdk: object, library: list[dict]) -> None:
    tags = cloudinary.api.tags(prefix="group")["tags"]
    assert tags == ["group0", "group1"]
    first = cloudinary.api.tags(max_results=1)
    assert len(first["tags"]) == 1 and first["next_cursor"]


def test_usage_and_config(sdk: object, library: list[dict]) -> None:
    usage = cloudinary.api.usage()
    for key in (
        "plan", "last_updated", "transformations", "objects", "bandwidth", "storage",
        "requests", "resources", "derived_resources", "media_limits",
    ):  # fmt: skip
        assert key in usage
    assert usage["resources"] >= 30
    assert cloudinary.api.config()["cloud_name"] == "compat"
    assert "settings" not in cloudinary.api.config()
    assert cloudinary.api.config(settings=True)["settings"]["folder_mode"]


def test_resource_types(sdk: object) -> None:
    assert cloudinary.api.resource_types()["resource_types"] == ["image", "video", "raw"]


def test_upload_presets_and_unsigned_upload(sdk: object, tmp_path: Path) -> None:
    cloudinary.api.create_upload_preset(
        name="unsigned_p", unsigned=True, folder="from_preset", tags="p"
    )
    preset = cloudinary.api.upload_preset("unsigned_p")
    assert preset["unsigned"] is True and preset["settings"]["folder"] == "from_preset"
    png = make_png(tmp_path / "u.png", 8, 8)
    result = cloudinary.uploader.unsigned_upload(str(png), "unsigned_p")
    assert result["public_id"].startswith("from_preset/") and result["tags"] == ["p"]
    names = [p["name"] for p in cloudinary.api.upload_presets()["presets"]]
    assert "unsigned_p" in names
    cloudinary.api.update_upload_preset("unsigned_p", tags="q")
    assert cloudinary.api.upload_preset("unsigned_p")["settings"]["tags"] == "q"
    cloudinary.api.delete_upload_preset("unsigned_p")
    with pytest.raises(NotFound):
        cloudinary.api.upload_preset("unsigned_p")
