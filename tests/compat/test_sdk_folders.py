"""Folders through the real SDK (list, create, delete when empty, rename) and the CLI's
delete-with-contents."""

from __future__ import annotations

from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import httpx
import pytest
from cloudinary.exceptions import BadRequest, NotFound
from tests.compat.helpers import make_png
from tests.compat.server import CLOUD, Server


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "f.png", 4, 4)


def names(listing: dict) -> list[str]:
    return [f["path"] for f in listing["folders"]]


def test_folders_follow_public_ids(sdk: object, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="fold/a/x")
    cloudinary.uploader.upload(str(png), public_id="fold/b/c/y")
    assert "fold" in names(cloudinary.api.root_folders())
    sub = cloudinary.api.subfolders("fold")
    assert sub["folders"] == [{"name": "a", "path": "fold/a"}, {"name": "b", "path": "fold/b"}]
    assert sub["total_count"] == 2
    assert names(cloudinary.api.subfolders("fold/b")) == ["fold/b/c"]
    with pytest.raises(NotFound, match="Can't find folder"):
        cloudinary.api.subfolders("fold/zzz")


def test_create_and_delete_empty_folders(sdk: object, png: Path) -> None:
    created = cloudinary.api.create_folder("made/by/hand")
    assert created == {**created, "success": True, "path": "made/by/hand", "name": "hand"}
    assert names(cloudinary.api.subfolders("made/by")) == ["made/by/hand"]
    cloudinary.uploader.upload(str(png), public_id="made/by/hand/pic")
    with pytest.raises(BadRequest, match="not empty"):
        cloudinary.api.delete_folder("made")
    cloudinary.uploader.destroy("made/by/hand/pic")
    deleted = cloudinary.api.delete_folder("made")
    assert deleted["deleted"] == ["made", "made/by", "made/by/hand"]
    with pytest.raises(NotFound):
        cloudinary.api.delete_folder("made")


def test_a_top_level_folder_is_an_admin_call_not_an_upload_action(sdk: object) -> None:
    # POST /v1_1/{cloud}/folders/{name} has the shape of an Upload API action
    # (/v1_1/{cloud}/{resource_type}/{action}); it must still reach the folders API
    created = cloudinary.api.create_folder("toplevel")
    assert created == {**created, "success": True, "path": "toplevel", "name": "toplevel"}
    assert cloudinary.api.delete_folder("toplevel")["deleted"] == ["toplevel"]


def test_rename_folder_moves_assets(sdk: object, png: Path) -> None:
    old = cloudinary.uploader.upload(str(png), public_id="moving/inner/pic")
    result = cloudinary.api.rename_folder("moving", "moved/here")
    assert result["from"]["path"] == "moving" and result["to"]["path"] == "moved/here"
    moved = cloudinary.api.resource("moved/here/inner/pic")
    assert moved["asset_id"] == old["asset_id"] and moved["asset_folder"] == "moved/here/inner"
    assert httpx.get(old["url"]).status_code == 404
    assert httpx.get(moved["url"]).status_code == 200
    assert names(cloudinary.api.subfolders("moved/here")) == ["moved/here/inner"]
    with pytest.raises(NotFound):
        cloudinary.api.subfolders("moving")


def test_cli_deletes_a_folder_with_its_contents(sdk: object, server: Server, png: Path) -> None:
    for i in range(3):
        cloudinary.uploader.upload(str(png), public_id=f"purge/p{i}")
    cloudinary.uploader.upload(str(png), public_id="purge/deep/raw.txt", resource_type="raw")
    dry = server.cli("folders", "delete", "purge", "--cloud", CLOUD, "--dry-run")
    assert dry.returncode == 0 and "would delete 4 asset(s)" in dry.stdout
    assert cloudinary.api.resource("purge/p0")["public_id"] == "purge/p0"
    done = server.cli("folders", "delete", "purge", "--cloud", CLOUD)
    assert done.returncode == 0, done.stderr
    assert "deleted 4 asset(s)" in done.stdout
    with pytest.raises(NotFound):
        cloudinary.api.resource("purge/p0")
    assert "purge" not in names(cloudinary.api.root_folders())
    assert server.cli("fsck").returncode == 0
