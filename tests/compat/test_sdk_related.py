"""Related assets through the real SDK: bidirectional, one-to-many, kept through renames and
dropped with deletes."""

from __future__ import annotations

from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import pytest
from cloudinary.exceptions import BadRequest, NotFound
from tests.compat.helpers import make_png


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "r.png", 5, 5)


def related_ids(public_id: str, resource_type: str = "image") -> list[str]:
    res = cloudinary.api.resource(public_id, resource_type=resource_type, related=True)
    return sorted(a["public_id"] for a in res["related_assets"])


def test_relate_is_bidirectional_and_one_to_many(sdk: object, png: Path, tmp_path: Path) -> None:
    for name in ("rel/dog", "rel/cat", "rel/fish"):
        cloudinary.uploader.upload(str(png), public_id=name)
    note = tmp_path / "dog.txt"
    note.write_text("woof")
    cloudinary.uploader.upload(str(note), public_id="rel/dog.txt", resource_type="raw")
    fish_id = cloudinary.api.resource("rel/fish")["asset_id"]
    result = cloudinary.api.add_related_assets(
        "rel/dog", ["image/upload/rel/cat", "raw/upload/rel/dog.txt", fish_id]
    )
    assert [e["code"] for e in result["success"]] == ["success_ids"] * 3
    assert result["success"][0]["asset"] == "image/upload/rel/cat"
    assert result["failed"] == []
    assert related_ids("rel/dog") == ["rel/cat", "rel/dog.txt", "rel/fish"]
    assert related_ids("rel/cat") == ["rel/dog"]  # not related to the other two
    assert related_ids("rel/dog.txt", "raw") == ["rel/dog"]
    again = cloudinary.api.add_related_assets("rel/dog", ["image/upload/rel/cat"])
    assert again["success"][0]["code"] == "already_exists_ids"
    assert "related_assets" not in cloudinary.api.resource("rel/dog")


def test_failures_and_limits(sdk: object, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="rel/self")
    result = cloudinary.api.add_related_assets(
        "rel/self", ["image/upload/rel/self", "image/upload/rel/nope", "bad/ref"]
    )
    codes = [e["code"] for e in result["failed"]]
    assert codes == ["invalid_relate_to_self_id", "non_existing_ids", "invalid_ids"]
    assert result["success"] == []
    with pytest.raises(BadRequest, match="at most 10"):
        cloudinary.api.add_related_assets("rel/self", [f"image/upload/x{i}" for i in range(11)])
    with pytest.raises(NotFound):
        cloudinary.api.add_related_assets("rel/missing", ["image/upload/rel/self"])


def test_unrelate_by_asset_ids_and_relations_follow_renames_and_deletes(
    sdk: object, png: Path
) -> None:
    a = cloudinary.uploader.upload(str(png), public_id="rel/a")
    b = cloudinary.uploader.upload(str(png), public_id="rel/b")
    c = cloudinary.uploader.upload(str(png), public_id="rel/c")
    cloudinary.api.add_related_assets_by_asset_ids(a["asset_id"], [b["asset_id"], c["asset_id"]])
    cloudinary.uploader.rename("rel/b", "rel/b2")
    assert related_ids("rel/a") == ["rel/b2", "rel/c"]
    removed = cloudinary.api.delete_related_assets_by_asset_ids(a["asset_id"], [c["asset_id"]])
    assert removed["success"][0]["code"] == "success_ids"
    missing = cloudinary.api.delete_related_assets("rel/a", ["image/upload/rel/c"])
    assert missing["failed"][0]["code"] == "relation_does_not_exist_ids"
    assert related_ids("rel/c") == []
    cloudinary.uploader.destroy("rel/b2")
    assert related_ids("rel/a") == []
