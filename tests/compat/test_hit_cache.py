"""Remembered delivery answers never outlive the change that makes them wrong: every URL is
fetched twice first (the second answer comes from the server's memory), then changed through
the SDK or the CLI, then fetched again at once. The last test runs a second server process on
the same data dir and catalog, as a second worker would be."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from tests.compat.helpers import make_png
from tests.compat.server import CLOUD, Server, start_server, stop_server


def url(public_id: str, **options: object) -> str:
    return str(cloudinary.utils.cloudinary_url(public_id, **options)[0])


def twice(address: str, **headers: str) -> httpx.Response:
    """GET twice (to be answered from memory the second time); both answers must agree."""
    first = httpx.get(address, headers=headers)
    second = httpx.get(address, headers=headers)
    assert (first.status_code, first.content) == (second.status_code, second.content)
    assert first.headers.get("etag") == second.headers.get("etag")
    return second


def _height(image: bytes) -> int:
    return int(pyvips.Image.new_from_buffer(image, "").height)


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "h.png", 40, 30)


@pytest.fixture()
def other_png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "other.png", 60, 20)


def test_delete_is_seen_at_once(sdk: object, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="hits/del")
    original, derived = url("hits/del.png"), url("hits/del", width=10, crop="scale", format="png")
    assert twice(original).content == png.read_bytes()
    assert twice(derived).status_code == 200
    assert cloudinary.uploader.destroy("hits/del")["result"] == "ok"
    assert httpx.get(original).status_code == 404
    assert httpx.get(derived).status_code == 404


def test_rename_is_seen_at_once(sdk: object, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="hits/before")
    assert twice(url("hits/before.png")).status_code == 200
    cloudinary.uploader.rename("hits/before", "hits/after")
    assert httpx.get(url("hits/before.png")).status_code == 404
    assert twice(url("hits/after.png")).content == png.read_bytes()


def test_overwrite_is_seen_at_once(sdk: object, png: Path, other_png: Path) -> None:
    first = cloudinary.uploader.upload(str(png), public_id="hits/over")
    plain, scaled = url("hits/over.png"), url("hits/over", width=20, crop="scale", format="png")
    assert twice(plain).headers["etag"] == f'"{first["etag"]}"'
    assert twice(first["url"]).content == png.read_bytes()
    assert _height(twice(scaled).content) == 15
    second = cloudinary.uploader.upload(str(other_png), public_id="hits/over", overwrite=True)
    again = httpx.get(plain)
    assert again.headers["etag"] == f'"{second["etag"]}"'
    assert again.content == other_png.read_bytes()
    assert _height(httpx.get(scaled).content) == 7  # rendered from the new bytes
    # the old version's bytes are dropped (no backups): its versioned URL goes at once
    assert httpx.get(first["url"]).status_code == 404


def test_derivative_delete_and_strict_setting(sdk: object, server: Server, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="hits/strict")
    derived = url("hits/strict", width=12, crop="scale", format="png")
    assert twice(derived).status_code == 200
    assert server.cli("clouds", "settings", CLOUD, "strict_transformations=true").returncode == 0
    try:
        # a derivative that exists is still served under strict transformations
        assert twice(derived).status_code == 200
        cloudinary.api.delete_resources(["hits/strict"], keep_original=True)
        refused = httpx.get(derived)
        assert refused.status_code == 401 and "not allowed" in refused.headers["x-cld-error"]
        assert twice(url("hits/strict.png")).status_code == 200  # the original is kept
    finally:
        server.cli("clouds", "settings", CLOUD, "strict_transformations=false")
    assert twice(derived).status_code == 200


def test_access_is_checked_on_every_request(sdk: object, server: Server, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="hits/private", type="private")
    signed = url("hits/private.png", type="private", sign_url=True)
    assert twice(signed).content == png.read_bytes()
    assert httpx.get(url("hits/private.png", type="private")).status_code == 401
    key, other_key = "00112233FF99AABB", "AABBCCDD00112233"
    assert server.cli("clouds", "settings", CLOUD, f"auth_token_key={key}").returncode == 0
    cloudinary.uploader.upload(str(png), public_id="hits/tokened", type="authenticated")

    def tokened(token_key: str, **token: int) -> str:
        auth = {"key": token_key, "duration": 300, **token}
        return url("hits/tokened.png", type="authenticated", sign_url=True, auth_token=auth)

    assert twice(tokened(key)).status_code == 200
    assert httpx.get(url("hits/tokened.png", type="authenticated")).status_code == 401
    assert httpx.get(tokened(key, start_time=1000, duration=10)).status_code == 401
    # a new token key takes effect at once: the old key's tokens stop working
    assert server.cli("clouds", "settings", CLOUD, f"auth_token_key={other_key}").returncode == 0
    assert httpx.get(tokened(key)).status_code == 401
    assert twice(tokened(other_key)).status_code == 200


def test_conditional_head_and_range_on_remembered_answers(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), public_id="hits/cond")
    etag = twice(result["url"]).headers["etag"]
    for _ in range(2):
        assert httpx.get(result["url"], headers={"If-None-Match": etag}).status_code == 304
        head = httpx.head(result["url"])
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == png.stat().st_size
        part = httpx.get(result["url"], headers={"Range": "bytes=2-5"})
        assert part.status_code == 206 and part.content == png.read_bytes()[2:6]


def test_auto_format_is_remembered_per_accept(sdk: object, png: Path) -> None:
    cloudinary.uploader.upload(str(png), public_id="hits/auto")
    auto = url("hits/auto", width=20, crop="scale", fetch_format="auto")
    kinds = {
        "image/avif,image/webp,*/*": "image/avif",
        "image/webp,*/*": "image/webp",
        "*/*": "image/png",
    }
    for _ in range(2):
        for accept, expected in kinds.items():
            answer = twice(auto, accept=accept)
            assert answer.headers["content-type"] == expected
            assert "Accept" in answer.headers["vary"]


@pytest.fixture()
def second(server: Server) -> Iterator[Server]:
    """Another server process on the same data dir and catalog (like a second worker)."""
    other = start_server(server.data_dir, server.env, create_clouds=False)
    try:
        yield other
    finally:
        stop_server(other)


def test_change_through_one_process_is_seen_by_another(
    sdk: object, second: Server, png: Path, other_png: Path
) -> None:
    cloudinary.uploader.upload(str(png), public_id="hits/shared")
    cloudinary.uploader.upload(str(png), public_id="hits/moved")
    here = url("hits/shared.png")
    there = here.replace(here.split("/")[2], second.base_url.split("://")[1])
    moved_there = there.replace("hits/shared", "hits/moved")
    assert twice(there).content == png.read_bytes()
    assert twice(moved_there).status_code == 200
    cloudinary.uploader.upload(str(other_png), public_id="hits/shared", overwrite=True)
    assert httpx.get(there).content == other_png.read_bytes()
    cloudinary.uploader.rename("hits/moved", "hits/moved_away")
    assert httpx.get(moved_there).status_code == 404
    cloudinary.uploader.destroy("hits/shared")
    assert httpx.get(there).status_code == 404
