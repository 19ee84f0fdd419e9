"""Render settings the composition root applies to libvips and to the encoders."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pyvips

from cloudlet.app import build_deps, create_app
from cloudlet.catalog.model import NewAsset
from cloudlet.errors import BadRequestError
from cloudlet.settings import load_settings

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture()
def restore_concurrency() -> Iterator[None]:
    before = pyvips.concurrency_get()
    yield
    pyvips.concurrency_set(before)


@pytest.mark.usefixtures("restore_concurrency")
@pytest.mark.parametrize(("env", "threads"), [({}, 1), ({"CLOUDLET_VIPS_CONCURRENCY": "3"}, 3)])
def test_libvips_threads_per_render_follow_the_setting(
    tmp_path: Path, env: dict[str, str], threads: int
) -> None:
    pyvips.concurrency_set(7)
    build_deps(load_settings({"CLOUDLET_DATA_DIR": str(tmp_path), **env}))
    assert pyvips.concurrency_get() == threads


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_bad_vips_concurrency_is_refused(value: str) -> None:
    with pytest.raises(BadRequestError, match="CLOUDLET_VIPS_CONCURRENCY"):
        load_settings({"CLOUDLET_VIPS_CONCURRENCY": value})


def _webp_derivative(tmp_path: Path, env: dict[str, str]) -> bytes:
    """A WebP derivative of one photograph-like JPEG, delivered in process under ``env``."""
    deps = build_deps(load_settings({"CLOUDLET_DATA_DIR": str(tmp_path), **env}))
    try:
        cloud = deps.catalog.create_cloud("webp", "111122223333444", "secret")
        texture = pyvips.Image.perlin(320, 240, cell_size=16, seed=7).linear(90, 128).cast("uchar")
        photo = texture.bandjoin([texture.flip("horizontal"), texture.flip("vertical")])
        data = bytes(photo.copy(interpretation="srgb").jpegsave_buffer(Q=90))
        deps.storage.put_bytes("webp/photo", data)
        new = NewAsset(
            resource_type="image", type="upload", public_id="photo", version_id="v" * 32,
            format="jpg", bytes=len(data), width=320, height=240, pages=1, duration=None,
            etag="e" * 32, storage_key="webp/photo", original_filename="photo",
            asset_folder="", display_name="photo", tags=[], context={}, extra={},
        )  # fmt: skip
        deps.catalog.create_or_replace_asset(cloud.id, new, overwrite=False, now=NOW)

        async def get() -> httpx.Response:
            transport = httpx.ASGITransport(app=create_app(deps.settings, deps))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.get("/webp/image/upload/f_webp/photo.jpg")

        answer = asyncio.run(get())
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/webp"
        return answer.content
    finally:
        deps.catalog.close()


def test_webp_effort_follows_the_setting(tmp_path: Path) -> None:
    default = _webp_derivative(tmp_path / "default", {})
    fastest = _webp_derivative(tmp_path / "fastest", {"CLOUDLET_WEBP_EFFORT": "0"})
    explicit = _webp_derivative(tmp_path / "four", {"CLOUDLET_WEBP_EFFORT": "4"})
    assert default == explicit  # 4, libwebp's own default, unless set
    assert fastest != default and len(fastest) > len(default)


@pytest.mark.parametrize("value", ["-1", "7", "fast"])
def test_bad_webp_effort_is_refused(value: str) -> None:
    with pytest.raises(BadRequestError, match="CLOUDLET_WEBP_EFFORT"):
        load_settings({"CLOUDLET_WEBP_EFFORT": value})
