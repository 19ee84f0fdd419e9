"""Destroy, delete tokens, rename, tags and context through the real SDK; state checked after."""

from __future__ import annotations

from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
from cloudinary.exceptions import AuthorizationRequired, BadRequest, NotFound
from tests.compat.helpers import make_png
from tests.compat.server import CLOUD, Server, blob_keys


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "m.png", 12, 9)


def blobs(server: Server) -> set[str]:
    return blob_keys(server)


def fsck_clean(server: Server) -> bool:
    return server.cli("fsck").returncode == 0


def test_destroy_removes_asset_blob_and_url(sdk: object, server: Server, png: Path) -> None:
    before = blobs(server)
    uploaded = cloudinary.uploader.upload(str(png), public_id="manage/destroy_me")
    assert len(blobs(server) - before) == 1
    assert cloudinary.uploader.destroy("manage/destroy_me", invalidate=True)["result"] == "ok"
    assert blobs(server) == before
    assert httpx.get(uploaded["url"]).status_code == 404
    with pytest.raises(NotFound):
        cloudinary.api.resource("manage/destroy_me")
    assert cloudinary.uploader.destroy("manage/destroy_me")["result"] == "not found"
    assert fsck_clean(server)


def test_destroy_needs_a_signature(sdk: object, server: Server) -> None:
    response = httpx.post(f"{server.base_url}/v1_1/{CLOUD}/image/destroy", data={"public_id": "x"})
    assert response.status_code == 401


def test_delete_by_token_once(sdk: object, server: Server, png: Path) -> None:
    uploaded = cloudinary.uploader.upload(str(png), return_delete_token=True)
    url = f"{server.base_url}/v1_1/{CLOUD}/delete_by_token"
    first = httpx.post(url, data={"token": uploaded["delete_token"]})
    assert first.status_code == 200 and first.json() == {"result": "ok"}
    assert httpx.get(uploaded["url"]).status_code == 404
    again = httpx.post(url, data={"token": uploaded["delete_token"]})
    assert again.status_code == 400 and "delete token" in again.json()["error"]["message"]
    assert httpx.post(url, data={"token": "0" * 128}).status_code == 400
    assert fsck_clean(server)


def test_rename_moves_urls_and_refuses_clashes(sdk: object, server: Server, png: Path) -> None:
    first = cloudinary.uploader.upload(str(png), public_id="manage/old_name", tags="keep")
    cloudinary.uploader.upload(str(png), public_id="manage/taken")
    renamed = cloudinary.uploader.rename("manage/old_name", "manage/new_name")
    assert renamed["public_id"] == "manage/new_name"
    assert renamed["asset_id"] == first["asset_id"] and renamed["tags"] == ["keep"]
    assert httpx.get(first["url"]).status_code == 404
    assert httpx.get(renamed["url"]).content == png.read_bytes()
    with pytest.raises(BadRequest, match="already exists"):
        cloudinary.uploader.rename("manage/new_name", "manage/taken")
    assert cloudinary.api.resource("manage/taken")["public_id"] == "manage/taken"
    replaced = cloudinary.uploader.rename("manage/new_name", "manage/taken", overwrite=True)
    assert replaced["asset_id"] == first["asset_id"]
    with pytest.raises(NotFound):
        cloudinary.api.resource("manage/new_name")
    with pytest.raises(NotFound):
        cloudinary.uploader.rename("manage/missing", "manage/whatever")
    assert fsck_clean(server)


def test_rename_to_private_type(sdk: object, server: Server, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="manage/to_private")
    moved = cloudinary.uploader.rename("manage/to_private", "manage/now_private", to_type="private")
    assert moved["type"] == "private"
    assert httpx.get(moved["url"]).status_code == 401
    signed, _ = cloudinary.utils.cloudinary_url(
        "manage/now_private.png", type="private", sign_url=True
    )
    assert httpx.get(signed).content == png.read_bytes()


def test_tag_commands(sdk: object, server: Server, png: Path) -> None:
    ids = [f"manage/tag_{i}" for i in range(3)]
    for public_id in ids:
        cloudinary.uploader.upload(str(png), public_id=public_id, tags="start")
    assert cloudinary.uploader.add_tag("red", ids[:2])["public_ids"] == ids[:2]
    assert cloudinary.api.resource(ids[0])["tags"] == ["red", "start"]
    cloudinary.uploader.add_tag(["blue", "green"], ids)
    assert cloudinary.api.resource(ids[2])["tags"] == ["blue", "green", "start"]
    cloudinary.uploader.remove_tag("blue", ids)
    assert "blue" not in cloudinary.api.resource(ids[1])["tags"]
    cloudinary.uploader.replace_tag("only", ids[0])
    assert cloudinary.api.resource(ids[0])["tags"] == ["only"]
    cloudinary.uploader.add_tag("solo", ids[1:], exclusive=True)
    cloudinary.uploader.add_tag("solo", [ids[0]], exclusive=True)
    tagged = cloudinary.api.resources_by_tag("solo")["resources"]
    assert [r["public_id"] for r in tagged] == [ids[0]]
    cloudinary.uploader.remove_all_tags(ids)
    assert cloudinary.api.resource(ids[1])["tags"] == []
    missing = cloudinary.uploader.add_tag("x", [ids[0], "manage/nope"])
    assert missing["public_ids"] == [ids[0]]


def test_tag_limits_change_nothing(sdk: object, server: Server, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="manage/limits", tags="a")
    with pytest.raises(BadRequest, match="255"):
        cloudinary.uploader.add_tag("t" * 256, ["manage/limits"])
    many = [f"t{i}" for i in range(999)]
    cloudinary.uploader.add_tag(many, ["manage/limits"])
    assert len(cloudinary.api.resource("manage/limits")["tags"]) == 1000
    with pytest.raises(BadRequest, match="more than 1000 tags"):
        cloudinary.uploader.add_tag("one_too_many", ["manage/limits"])
    assert "one_too_many" not in cloudinary.api.resource("manage/limits")["tags"]
    with pytest.raises(BadRequest, match="1000 tags"):
        cloudinary.uploader.upload(str(png), tags=[f"u{i}" for i in range(1001)])


def test_context_commands(sdk: object, server: Server, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="manage/ctx", context={"a": "1"})
    cloudinary.uploader.add_context({"b": "x=y|z"}, ["manage/ctx"])
    assert cloudinary.api.resource("manage/ctx")["context"] == {"custom": {"a": "1", "b": "x=y|z"}}
    cloudinary.uploader.remove_all_context(["manage/ctx"])
    assert "context" not in cloudinary.api.resource("manage/ctx")


def test_manage_calls_refuse_other_clouds_keys(sdk: object, server: Server, png: Path) -> None:
    from tests.compat.server import OTHER_KEY, OTHER_SECRET

    cloudinary.uploader.upload(str(png), public_id="manage/guarded")
    with pytest.raises(AuthorizationRequired):
        cloudinary.uploader.destroy("manage/guarded", api_key=OTHER_KEY, api_secret=OTHER_SECRET)
    assert cloudinary.api.resource("manage/guarded")["public_id"] == "manage/guarded"
