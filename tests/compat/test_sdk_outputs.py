"""Tag-based outputs through the real SDK: sprites, multi (GIF, WebP, PDF), archives (created
and downloaded) and the JSON list of a tag."""

from __future__ import annotations

import io
import json
import re
import signal
import uuid
import zipfile
from pathlib import Path
from typing import Any

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from cloudinary.exceptions import BadRequest, NotFound
from tests.compat.helpers import make_png
from tests.compat.server import Server, point_sdk_at, start_server, stop_server

SIZES = {"a_one": (30, 20), "b_two": (50, 10), "c_three": (40, 40)}


def _tagged(tmp_path: Path, sizes: dict[str, tuple[int, int]] = SIZES) -> tuple[str, list[str]]:
    """Upload one PNG per entry with a fresh tag; returns the tag and the public ids."""
    tag = f"tag{uuid.uuid4().hex[:10]}"
    ids = []
    for name, (width, height) in sizes.items():
        public_id = f"{tag}/{name}"
        path = make_png(tmp_path / f"{name}.png", width, height)
        cloudinary.uploader.upload(str(path), public_id=public_id, tags=[tag])
        ids.append(public_id)
    return tag, ids


def _get(url: str) -> httpx.Response:
    response = httpx.get(url)
    assert response.status_code == 200, (url, response.headers.get("x-cld-error"))
    return response


def _image(url: str, **options: Any) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(_get(url).content, "", **options)


def _output_ids(kind: str) -> set[str]:
    found = cloudinary.api.resources(type=kind, max_results=500)["resources"]
    return {r["public_id"] for r in found}


# ------------------------------------------------------------------------------ sprite


def test_sprite_packs_tagged_images_with_css_and_json(sdk: object, tmp_path: Path) -> None:
    tag, ids = _tagged(tmp_path)
    result = cloudinary.uploader.generate_sprite(tag)
    assert result["public_id"] == tag and result["version"] > 0
    infos = result["image_infos"]
    assert list(infos) == ids  # by public id
    expected_y = 0
    for public_id, (width, height) in zip(ids, SIZES.values(), strict=True):
        assert infos[public_id] == {"width": width, "height": height, "x": 0, "y": expected_y}
        expected_y += height
    assert result["image_url"].endswith(f"/image/sprite/v{result['version']}/{tag}.png")
    assert result["secure_image_url"].startswith("https://")
    sprite = _image(result["image_url"])
    assert (sprite.width, sprite.height) == (50, 70)
    # every packed image is where image_infos says: compare its pixels with the original
    for public_id in ids:
        box = infos[public_id]
        original = _image(cloudinary.utils.cloudinary_url(public_id, format="png")[0])
        part = sprite.crop(box["x"], box["y"], box["width"], box["height"])
        assert (part.extract_band(0, n=3) - original.extract_band(0, n=3)).abs().max() == 0
    css = _get(result["css_url"])
    assert css.headers["content-type"].startswith("text/css")
    rule = re.search(rf"\.{tag}-{tag}_b_two \{{([^}}]*)\}}", css.text)
    assert rule is not None, css.text
    assert f"url('{result['image_url']}') no-repeat" in rule.group(1)
    assert "width: 50px; height: 10px; background-position: 0 -20px;" in rule.group(1)
    assert json.loads(_get(result["json_url"]).text) == {"image_infos": infos}
    assert tag in _output_ids("sprite")


def test_sprite_with_transformation_and_format(sdk: object, tmp_path: Path) -> None:
    tag, ids = _tagged(tmp_path)
    first = cloudinary.uploader.generate_sprite(tag, width=20, crop="scale")
    assert "c_scale,w_20" in first["css_url"]
    assert all(info["width"] == 20 for info in first["image_infos"].values())
    assert first["image_infos"][ids[1]]["height"] == 4  # 50x10 scaled to width 20
    assert _image(first["image_url"]).width == 20
    jpg = cloudinary.uploader.generate_sprite(tag, width=20, crop="scale", format="jpg")
    assert "c_scale,f_jpg,w_20" in jpg["css_url"] and jpg["image_url"].endswith(".jpg")
    assert _get(jpg["image_url"]).content[:3] == b"\xff\xd8\xff"
    assert jpg["version"] > first["version"]
    # one sprite per tag: generating again replaces the previous one
    assert httpx.get(first["image_url"]).status_code == 404
    assert httpx.get(first["css_url"]).status_code == 404


def test_sprite_bad_input_changes_nothing(sdk: object) -> None:
    missing = f"tag{uuid.uuid4().hex[:10]}"
    with pytest.raises(NotFound, match="No images found with tag"):
        cloudinary.uploader.generate_sprite(missing)
    with pytest.raises(BadRequest, match="urls"):
        cloudinary.uploader.generate_sprite(urls=["http://127.0.0.1:1/x.png"])
    with pytest.raises(BadRequest, match="Invalid sprite format"):
        cloudinary.uploader.generate_sprite(missing, format="pdf")
    download = httpx.get(cloudinary.uploader.download_generated_sprite(missing))
    assert download.status_code == 404 and "error" in download.json()
    assert missing not in _output_ids("sprite")


# ------------------------------------------------------------------------------- multi


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_multi_animation_has_one_frame_per_image(sdk: object, tmp_path: Path, fmt: str) -> None:
    tag, ids = _tagged(tmp_path)
    result = cloudinary.uploader.multi(tag, format=fmt, delay=250)
    assert result["public_id"] == tag and result["asset_id"]
    assert result["url"].endswith(f"/image/multi/dl_250,f_{fmt}/v{result['version']}/{tag}.{fmt}")
    animation = _image(result["url"], n=-1)
    assert animation.get("n-pages") == len(ids)
    assert (animation.width, animation.get("page-height")) == SIZES["a_one"]  # the first's size
    assert animation.get("delay") == [250] * len(ids)
    stored = cloudinary.api.resource(tag, type="multi")
    assert stored["format"] == fmt and stored["pages"] == len(ids)


def test_multi_pdf_has_one_page_per_image(sdk: object, tmp_path: Path) -> None:
    tag, ids = _tagged(tmp_path)
    result = cloudinary.uploader.multi(tag, format="pdf", width=0.5, crop="scale")
    assert "w_0.5" in result["url"] and result["url"].endswith(".pdf")
    response = _get(result["url"])
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page ", pdf)) == len(ids)
    assert b"/Count %d" % len(ids) in pdf
    # the cross-reference table points at the objects
    xref = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[xref:].startswith(b"xref")
    offsets = [int(line[:10]) for line in pdf[xref:].split(b"\n")[3:] if line[10:16] == b" 00000"]
    assert all(pdf[o:].startswith(b"%d 0 obj" % n) for n, o in enumerate(offsets, start=1))
    assert b"/MediaBox [0 0 15 10]" in pdf  # 30x20 at half size


def test_multi_bad_input_changes_nothing(sdk: object) -> None:
    missing = f"tag{uuid.uuid4().hex[:10]}"
    with pytest.raises(NotFound):
        cloudinary.uploader.multi(missing)
    with pytest.raises(BadRequest, match="Invalid multi format"):
        cloudinary.uploader.multi(missing, format="png")
    assert missing not in _output_ids("multi")


# ----------------------------------------------------------------------------- archives


def _zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return sorted(archive.namelist())


def test_create_zip_by_tag_stores_a_raw_asset(sdk: object, tmp_path: Path) -> None:
    tag, ids = _tagged(tmp_path)
    result = cloudinary.uploader.create_zip(
        tags=[tag], target_public_id=f"{tag}_all", target_tags=["archives"]
    )
    assert result["resource_type"] == "raw" and result["public_id"] == f"{tag}_all.zip"
    assert result["file_count"] == 3 and result["resource_count"] == 3
    assert result["tags"] == ["archives"]
    data = _get(result["secure_url"].replace("https://", "http://", 1)).content
    assert len(data) == result["bytes"]
    assert _zip_names(data) == [f"{public_id}.png" for public_id in ids]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        original = _get(cloudinary.utils.cloudinary_url(ids[0], format="png")[0]).content
        assert archive.read(f"{ids[0]}.png") == original
    stored = cloudinary.api.resource(f"{tag}_all.zip", resource_type="raw")
    assert stored["bytes"] == result["bytes"]


def test_create_archive_with_transformations(sdk: object, tmp_path: Path) -> None:
    tag, ids = _tagged(tmp_path, {"a_one": (30, 20), "b_two": (50, 10)})
    result = cloudinary.uploader.create_archive(
        tags=[tag],
        transformations=[
            {"width": 10, "crop": "scale"},
            {"width": 20, "crop": "scale", "format": "jpg"},
        ],
        flatten_folders=True,
    )
    assert result["file_count"] == 4 and result["resource_count"] == 2
    data = _get(result["url"]).content
    assert _zip_names(data) == [
        "c_scale,w_10/a_one.png",
        "c_scale,w_10/b_two.png",
        "c_scale,w_20/a_one.jpg",
        "c_scale,w_20/b_two.jpg",
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        small = pyvips.Image.new_from_buffer(archive.read("c_scale,w_10/b_two.png"), "")
    assert (small.width, small.height) == (10, 2)


def test_download_archive_url_streams_a_zip(sdk: object, server: Server, tmp_path: Path) -> None:
    tag, ids = _tagged(tmp_path)
    url = cloudinary.utils.download_zip_url(
        public_ids=[ids[0], ids[2]], prefixes=[f"{tag}/b_"], flatten_folders=True
    )
    assert "public_ids%5B%5D=" in url and "mode=download" in url
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert _zip_names(response.content) == ["a_one.png", "b_two.png", "c_three.png"]
    names = cloudinary.utils.download_archive_url(
        tags=[tag], transformations=[{"width": 5, "crop": "scale"}], skip_transformation_name=True
    )
    assert _zip_names(_get(names).content) == [f"{public_id}.png" for public_id in ids]
    tampered = re.sub(r"signature=[0-9a-f]+", "signature=" + "0" * 40, url)
    assert httpx.get(tampered).status_code == 401
    expired = cloudinary.utils.download_zip_url(tags=[tag], expires_at=1)
    assert httpx.get(expired).status_code == 401


def test_archive_bad_input_changes_nothing(sdk: object, tmp_path: Path) -> None:
    tag, ids = _tagged(tmp_path, {"only": (8, 8)})
    before = cloudinary.api.resources(resource_type="raw", max_results=500)["resources"]
    with pytest.raises(BadRequest, match="at least one of"):
        cloudinary.uploader.create_zip()
    with pytest.raises(NotFound):
        cloudinary.uploader.create_zip(tags=[f"nothing{uuid.uuid4().hex}"])
    with pytest.raises(NotFound, match="missing_one"):
        cloudinary.uploader.create_zip(public_ids=[ids[0], "missing_one"])
    with pytest.raises(BadRequest, match="tgz"):
        cloudinary.uploader.create_archive(tags=[tag], target_format="tgz")
    with pytest.raises(BadRequest):
        cloudinary.uploader.create_zip(tags=[tag], transformations=[{"width": "nonsense"}])
    after = cloudinary.api.resources(resource_type="raw", max_results=500)["resources"]
    assert len(after) == len(before)
    allowed = cloudinary.uploader.create_zip(public_ids=[ids[0], "missing_one"], allow_missing=True)
    assert allowed["file_count"] == 1


# ----------------------------------------------------------------------------- list JSON


def test_list_json_is_refused_until_the_cloud_allows_it(
    sdk: object, server: Server, tmp_path: Path
) -> None:
    tag, ids = _tagged(tmp_path, {"one": (8, 6), "two": (4, 4)})
    cloudinary.uploader.add_context({"alt": "first"}, [ids[0]])
    url = cloudinary.utils.cloudinary_url(tag, type="list", format="json")[0]
    assert url.endswith(f"/image/list/{tag}.json")
    refused = httpx.get(url)
    assert refused.status_code == 401 and "restricted" in refused.json()["error"]["message"]
    signed = cloudinary.utils.cloudinary_url(tag, type="list", format="json", sign_url=True)[0]
    assert httpx.get(signed).status_code == 200  # a signed URL is served anyway
    done = server.cli("clouds", "settings", "compat", "resource_list=true")
    assert done.returncode == 0, done.stderr
    try:
        response = httpx.get(url)
        assert response.status_code == 200
        body = response.json()
        assert [r["public_id"] for r in body["resources"]] == ids
        first = body["resources"][0]
        assert {k: first[k] for k in ("format", "width", "height", "type")} == {
            "format": "png", "width": 8, "height": 6, "type": "upload"
        }  # fmt: skip
        assert first["context"] == {"custom": {"alt": "first"}}
        assert "url" not in first and "context" not in body["resources"][1]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["updated_at"])
        assert httpx.get(url.replace(tag, f"none{tag}")).status_code == 404
    finally:
        server.cli("clouds", "settings", "compat", "resource_list=false")
    assert httpx.get(url).status_code == 401


# ------------------------------------------------------------------------------ crashes


def test_sprite_killed_before_commit_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    crashing = start_server(data_dir, {"CLOUDLET_CRASH_AT": "output_after_blob_write"})
    try:
        point_sdk_at(crashing, monkeypatch)
        tag, _ = _tagged(tmp_path, {"one": (8, 6), "two": (4, 4)})
        with pytest.raises(Exception):  # noqa: B017 - the connection dies with the server
            cloudinary.uploader.generate_sprite(tag)
        crashing.process.wait(timeout=20)
        assert crashing.process.returncode == -signal.SIGKILL
    finally:
        stop_server(crashing)
    blobs = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 3  # two originals and the orphaned sprite
    server = start_server(data_dir, create_clouds=False)
    try:
        point_sdk_at(server, monkeypatch)
        assert len([p for p in (data_dir / "blobs").rglob("*") if p.is_file()]) == 2
        with pytest.raises(NotFound):
            cloudinary.api.resource(tag, type="sprite")
        check = server.cli("fsck")
        assert check.returncode == 0, check.stdout + check.stderr
        assert len(cloudinary.uploader.generate_sprite(tag)["image_infos"]) == 2
    finally:
        stop_server(server)
