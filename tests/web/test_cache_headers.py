"""Cache headers of deliveries: configurable lifetimes, immutable only for the real version,
ETag and Vary, and delivery errors cached briefly with exponential backoff (A4.5)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from tests.compat.helpers import make_png

from cloudlet.app import build_deps, create_app
from cloudlet.catalog.generation import Generation
from cloudlet.catalog.model import NewAsset
from cloudlet.errors import BadRequestError
from cloudlet.services.deps import Deps
from cloudlet.settings import Settings, load_settings
from cloudlet.web.error_cache import ErrorBackoff, error_cache_control

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Starlette, Deps, int]]:
    """An app with short, recognisable lifetimes and one real PNG; and its version."""
    settings = Settings(
        data_dir=tmp_path / "data",
        cache_max_age_s=1000,
        cache_unversioned_max_age_s=100,
        cache_error_max_age_s=10,
        cache_error_max_age_cap_s=35,
    )
    deps = build_deps(settings)
    cloud = deps.catalog.create_cloud("hdr", "111122223333444", "secret")
    png = make_png(tmp_path / "a.png", 20, 10)
    size = png.stat().st_size
    deps.storage.put_file("hdr/a", png)
    new = NewAsset(
        resource_type="image", type="upload", public_id="f/a", version_id="v" * 32,
        format="png", bytes=size, width=20, height=10, pages=1, duration=None,
        etag="e" * 32, storage_key="hdr/a", original_filename="a", asset_folder="f",
        display_name="a", tags=[], context={}, extra={},
    )  # fmt: skip
    asset, _, _ = deps.catalog.create_or_replace_asset(cloud.id, new, overwrite=False, now=NOW)
    try:
        yield create_app(settings, deps), deps, asset.version
    finally:
        deps.catalog.close()


def get(app: Starlette, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def test_lifetimes_follow_the_settings(served: tuple[Starlette, Deps, int]) -> None:
    app, _deps, version = served
    versioned = get(app, f"/hdr/image/upload/v{version}/f/a.png")
    assert versioned.headers["cache-control"] == "public, max-age=1000, immutable"
    # /v1/ names no version (the SDKs add it to public ids with slashes): its bytes change
    for path in ("/hdr/image/upload/v1/f/a.png", "/hdr/image/upload/f/a.png"):
        assert get(app, path).headers["cache-control"] == "public, max-age=100"
    derived = get(app, f"/hdr/image/upload/c_scale,w_10/v{version}/f/a.png")
    assert derived.headers["cache-control"] == "public, max-age=1000, immutable"
    assert get(app, "/hdr/image/upload/c_scale,w_10/v1/f/a.png").headers["cache-control"] == (
        "public, max-age=100"
    )


def test_etag_and_vary(served: tuple[Starlette, Deps, int]) -> None:
    app, _deps, _version = served
    plain = get(app, "/hdr/image/upload/v1/f/a.png")
    assert plain.headers["etag"] == '"' + "e" * 32 + '"'
    assert "accept" not in plain.headers.get("vary", "").lower()
    auto = get(app, "/hdr/image/upload/f_auto/v1/f/a.png", Accept="image/webp,*/*")
    assert auto.headers["content-type"] == "image/webp"
    assert "Accept" in auto.headers["vary"]
    again = get(app, "/hdr/image/upload/f_auto/v1/f/a.png", Accept="image/webp,*/*")
    assert again.headers["etag"] == auto.headers["etag"]
    plain_again = get(app, "/hdr/image/upload/f_auto/v1/f/a.png", Accept="*/*")
    assert plain_again.headers["content-type"] == "image/png"
    assert plain_again.headers["etag"] != auto.headers["etag"]


def test_errors_are_cached_briefly_and_back_off(served: tuple[Starlette, Deps, int]) -> None:
    app, deps, _version = served
    ages = [get(app, "/hdr/image/upload/nope.png").headers["cache-control"] for _ in range(4)]
    assert ages == [
        "public, max-age=10",
        "public, max-age=20",
        "public, max-age=35",  # the cap
        "public, max-age=35",
    ]
    other = get(app, "/hdr/image/upload/w_0/f/a.png")
    assert other.status_code == 400 and other.headers["cache-control"] == "public, max-age=10"
    deps.catalog.create_cloud("another", "999988887777666", "secret2")  # the catalog changed
    again = get(app, "/hdr/image/upload/nope.png")
    assert again.headers["cache-control"] == "public, max-age=10"  # from the start


def test_api_errors_carry_no_delivery_caching(served: tuple[Starlette, Deps, int]) -> None:
    app, _deps, _version = served
    answer = get(app, "/v1_1/hdr/resources/image")
    assert answer.status_code == 401
    assert "cache-control" not in answer.headers
    assert "x-cld-error" not in answer.headers


def test_backoff_counts_per_url_and_server_errors_are_never_cached(tmp_path: Path) -> None:
    generation = Generation(tmp_path / "g")
    backoff = ErrorBackoff(60, 86400, generation)
    assert [backoff.max_age("/a") for _ in range(3)] == [60, 120, 240]
    assert backoff.max_age("/b") == 60
    assert [backoff.max_age("/c") for _ in range(40)][-1] == 86400
    generation.bump()
    assert backoff.max_age("/a") == 60
    assert error_cache_control(404, 60) == "public, max-age=60"
    assert error_cache_control(500, 60) == error_cache_control(504, 60) == "no-store"
    assert error_cache_control(404, 0) == "no-store"


@pytest.mark.parametrize(
    "env",
    [
        {"CLOUDLET_CACHE_MAX_AGE_S": "-1"},
        {"CLOUDLET_CACHE_ERROR_MAX_AGE_S": "100", "CLOUDLET_CACHE_ERROR_MAX_AGE_CAP_S": "50"},
        {"CLOUDLET_CDN_INVALIDATOR": "akamai"},
        {"CLOUDLET_CDN_INVALIDATOR": "varnish"},  # needs CLOUDLET_CDN_URLS
        {"CLOUDLET_CDN_INVALIDATOR": "nginx", "CLOUDLET_CDN_URLS": "127.0.0.1:80"},
        {"CLOUDLET_CDN_VARNISH_MODE": "xkey"},
        {"CLOUDLET_WEBHOOK_RETRIES": "11"},
    ],
)
def test_bad_caching_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(BadRequestError, match="CLOUDLET_"):
        load_settings(env)


def test_caching_settings_from_the_environment() -> None:
    settings = load_settings(
        {
            "CLOUDLET_CDN_INVALIDATOR": "Varnish",
            "CLOUDLET_CDN_URLS": "http://a:6081, http://b:6081,",
            "CLOUDLET_CDN_VARNISH_MODE": "purge",
            "CLOUDLET_CACHE_UNVERSIONED_MAX_AGE_S": "60",
        }
    )
    assert settings.cdn_invalidator == "varnish"
    assert settings.cdn_urls == ("http://a:6081", "http://b:6081")
    assert (settings.cdn_varnish_mode, settings.cache_unversioned_max_age_s) == ("purge", 60)
