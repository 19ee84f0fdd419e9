"""Delivery of originals through SDK-built URLs: caching, 304, ranges, private and signed."""

from __future__ import annotations

from pathlib import Path

import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
from tests.compat.helpers import make_png


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "d.png", 30, 20)


def test_versioned_url_is_immutable_and_unversioned_is_not(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), public_id="cachey")
    versioned = httpx.get(result["url"])
    assert "immutable" in versioned.headers["cache-control"]
    plain = httpx.get(cloudinary.utils.cloudinary_url("cachey.png")[0])
    assert "immutable" not in plain.headers["cache-control"]
    assert plain.headers["etag"] == f'"{result["etag"]}"'
    assert plain.headers["last-modified"]


def test_conditional_get_and_ranges(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), public_id="cond")
    etag = httpx.get(result["url"]).headers["etag"]
    assert httpx.get(result["url"], headers={"If-None-Match": etag}).status_code == 304
    partial = httpx.get(result["url"], headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206 and partial.content == png.read_bytes()[:10]


def test_unknown_asset_is_404_with_x_cld_error(sdk: object) -> None:
    response = httpx.get(cloudinary.utils.cloudinary_url("nope/never.jpg")[0])
    assert response.status_code == 404
    assert "Resource not found" in response.headers["x-cld-error"]
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("kind", ["private", "authenticated"])
def test_signed_url_required_for_restricted_types(sdk: object, png: Path, kind: str) -> None:
    cloudinary.uploader.upload(str(png), public_id=f"secret_{kind}", type=kind)
    unsigned, _ = cloudinary.utils.cloudinary_url(f"secret_{kind}.png", type=kind)
    assert httpx.get(unsigned).status_code == 401
    signed, _ = cloudinary.utils.cloudinary_url(f"secret_{kind}.png", type=kind, sign_url=True)
    assert "/s--" in signed
    response = httpx.get(signed)
    assert response.status_code == 200 and response.content == png.read_bytes()
    tampered = signed.replace("/s--", "/s--x")[: len(signed)]
    assert httpx.get(tampered).status_code in (401, 404)


def test_upload_response_url_works_for_raw_and_folders(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), public_id="a/b/c d+é")
    assert httpx.get(result["url"]).content == png.read_bytes()
    url, _ = cloudinary.utils.cloudinary_url("a/b/c d+é", format="png")
    assert httpx.get(url).content == png.read_bytes()


def test_token_protected_delivery(sdk: object, png: Path, server: object) -> None:
    from tests.compat.server import CLOUD, Server

    assert isinstance(server, Server)
    key = "00112233FF99AABB"
    done = server.cli("clouds", "settings", CLOUD, f"auth_token_key={key}")
    assert done.returncode == 0 and f"auth_token_key={key}" in done.stdout
    cloudinary.uploader.upload(str(png), public_id="tokened", type="authenticated")
    url, _ = cloudinary.utils.cloudinary_url(
        "tokened.png", type="authenticated", sign_url=True, auth_token={"key": key, "duration": 300}
    )
    assert "__cld_token__=" in url and "/s--" not in url
    assert httpx.get(url).content == png.read_bytes()
    expired, _ = cloudinary.utils.cloudinary_url(
        "tokened.png",
        type="authenticated",
        sign_url=True,
        auth_token={"key": key, "start_time": 1000, "duration": 10},
    )
    assert httpx.get(expired).status_code == 401
    wrong, _ = cloudinary.utils.cloudinary_url(
        "tokened.png",
        type="authenticated",
        sign_url=True,
        auth_token={"key": "ab" * 8, "duration": 300},
    )
    assert httpx.get(wrong).status_code == 401
