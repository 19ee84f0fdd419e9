"""The Admin API's deletes through the real SDK: by ids, prefix, tag, all, asset ids; paging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cloudinary
import cloudinary.api
import cloudinary.uploader
import httpx
import pytest
from tests.compat.helpers import make_png
from tests.compat.server import Server, blob_count, point_sdk_at, running_server


@pytest.fixture(scope="module")
def paged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Deletes answer 4 assets per call, so paging shows with a handful of uploads."""
    env = {"CLOUDLET_DELETE_PAGE_SIZE": "4"}
    with running_server(tmp_path_factory.mktemp("paged"), env) as srv:
        yield srv


@pytest.fixture()
def paged(paged_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    yield point_sdk_at(paged_server, monkeypatch)
    cloudinary.reset_config()


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "d.png", 6, 6)


def test_delete_by_public_ids(sdk: object, server: Server, png: Path) -> None:
    urls = [cloudinary.uploader.upload(str(png), public_id=f"del/ids_{i}")["url"] for i in range(3)]
    result = cloudinary.api.delete_resources(["del/ids_0", "del/ids_2", "del/none"])
    assert result["deleted"] == {
        "del/ids_0": "deleted",
        "del/ids_2": "deleted",
        "del/none": "not_found",
    }
    assert result["deleted_counts"]["del/ids_0"] == {"original": 1, "derived": 0}
    assert result["partial"] is False
    assert [httpx.get(u).status_code for u in urls] == [404, 200, 404]
    assert server.cli("fsck").returncode == 0


def test_delete_by_tag_and_asset_ids(sdk: object, server: Server, png: Path) -> None:
    tagged = [cloudinary.uploader.upload(str(png), tags="del_tag") for _ in range(2)]
    other = cloudinary.uploader.upload(str(png))
    result = cloudinary.api.delete_resources_by_tag("del_tag")
    assert set(result["deleted"]) == {r["public_id"] for r in tagged}
    assert cloudinary.api.resources_by_tag("del_tag")["resources"] == []
    by_asset = cloudinary.api.delete_resources_by_asset_ids([other["asset_id"]])
    assert by_asset["deleted"] == {other["asset_id"]: "deleted"}
    assert httpx.get(other["url"]).status_code == 404


def test_keep_original_deletes_no_original(sdk: object, server: Server, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="del/kept")
    cloudinary.api.delete_resources(["del/kept"], keep_original=True)
    assert cloudinary.api.resource("del/kept")["public_id"] == "del/kept"


def test_delete_by_prefix_in_pages(paged: Server, png: Path) -> None:
    for i in range(10):
        cloudinary.uploader.upload(str(png), public_id=f"bulk/p{i}")
    cloudinary.uploader.upload(str(png), public_id="bulkother")
    seen: list[str] = []
    cursor = None
    calls = 0
    while True:
        result = cloudinary.api.delete_resources_by_prefix("bulk/", next_cursor=cursor)
        calls += 1
        seen += list(result["deleted"])
        if not result["partial"]:
            break
        cursor = result["next_cursor"]
    assert calls == 3 and sorted(seen) == sorted(f"bulk/p{i}" for i in range(10))
    remaining = cloudinary.api.resources(max_results=50)["resources"]
    assert [r["public_id"] for r in remaining] == ["bulkother"]
    assert blob_count(paged) == 1 and paged.cli("fsck").returncode == 0


def test_delete_all_in_pages(paged: Server, png: Path) -> None:
    for i in range(6):
        cloudinary.uploader.upload(str(png), public_id=f"all/{i}")
    first = cloudinary.api.delete_all_resources()
    assert first["partial"] is True and len(first["deleted"]) == 4
    second = cloudinary.api.delete_all_resources(next_cursor=first["next_cursor"])
    assert second["partial"] is False
    assert cloudinary.api.resources()["resources"] == []
    assert blob_count(paged) == 0


def test_bad_delete_requests(sdk: object) -> None:
    with pytest.raises(cloudinary.exceptions.BadRequest, match="at most 100"):
        cloudinary.api.delete_resources([f"x{i}" for i in range(101)])
    with pytest.raises(cloudinary.exceptions.BadRequest, match="next_cursor"):
        cloudinary.api.delete_resources_by_prefix("x", next_cursor="garbage!")
