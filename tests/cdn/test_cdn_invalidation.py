"""Invalidation through real caches: a live Cloudlet behind Varnish (deploy/varnish/cloudlet.vcl)
and behind nginx with ngx_cache_purge (deploy/nginx/cloudlet.conf), driven by the real SDK.

Every case caches URLs through the cache (a second GET must be a HIT), changes the asset, and
then checks what the cache serves: new bytes (or Cloudlet's 404) where the seed's rules say
the URL is invalidated, the old cached bytes everywhere else.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
from tests.cdn.caches import CACHES, Cache, ensure_nginx, ensure_varnish
from tests.compat.helpers import data_uri, make_noise_png
from tests.compat.server import Server, free_port, start_server, stop_server
from tests.compat.webhooks import webhook_receiver

from cloudlet.app import build_deps
from cloudlet.catalog.catalog import Catalog
from cloudlet.services import manage
from cloudlet.services.auth import UploadAuth
from cloudlet.services.events import Actor
from cloudlet.services.staging import UploadSource
from cloudlet.services.upload import upload
from cloudlet.settings import load_settings

ENSURE = {"varnish": ensure_varnish, "nginx": ensure_nginx}


@dataclass
class Stack:
    """A Cloudlet server and the cache in front of it."""

    kind: str
    server: Server
    cache: Cache


@pytest.fixture(scope="module", params=sorted(CACHES))
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    kind = request.param
    ENSURE[kind]()
    workdir = tmp_path_factory.mktemp(f"cdn-{kind}")
    cache_port = free_port()
    env = {
        "CLOUDLET_CDN_INVALIDATOR": kind,
        "CLOUDLET_CDN_URLS": f"http://127.0.0.1:{cache_port}",
        "CLOUDLET_QUEUE_RETRY_DELAY_S": "1",
    }
    server = start_server(workdir / "data", env)
    try:
        port = int(server.base_url.rsplit(":", 1)[1])
        with CACHES[kind](workdir / kind, port, port=cache_port) as cache:
            yield Stack(kind, server, cache)
    finally:
        stop_server(server)


@dataclass
class Cloud:
    """A cloud of its own for one case, and how the SDK reaches it."""

    stack: Stack
    name: str
    key: str
    secret: str

    @property
    def api(self) -> dict[str, Any]:
        return {
            "cloud_name": self.name,
            "api_key": self.key,
            "api_secret": self.secret,
            "upload_prefix": self.stack.server.base_url,
        }

    def upload(self, path: Path, public_id: str, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = cloudinary.uploader.upload(
            str(path), public_id=public_id, **self.api, **options
        )
        return result

    def url(self, public_id: str, **options: Any) -> str:
        """A delivery URL through the cache, built by the SDK."""
        host = self.stack.cache.base_url.split("://", 1)[1]
        url, _ = cloudinary.utils.cloudinary_url(
            public_id, format="png", cname=host, secure=False, **self.api, **options
        )
        return str(url)


@pytest.fixture(scope="module")
def catalog(stack: Stack) -> Iterator[Catalog]:
    """The live server's catalog, opened in the test process (quicker than the CLI)."""
    settings = load_settings({**stack.server.env, "CLOUDLET_DATA_DIR": str(stack.server.data_dir)})
    opened = Catalog(settings.effective_database_url)
    yield opened
    opened.close()


@pytest.fixture()
def new_cloud(stack: Stack, catalog: Catalog) -> Callable[..., Cloud]:
    def make(**settings: object) -> Cloud:
        name = f"cdn{uuid.uuid4().hex[:10]}"
        key, secret = str(secrets.randbelow(9 * 10**14) + 10**14), secrets.token_urlsafe(20)
        catalog.create_cloud(name, key, secret)
        if settings:
            catalog.update_cloud_settings(name, settings)
        return Cloud(stack, name, key, secret)

    return make


@pytest.fixture()
def images(tmp_path: Path) -> tuple[Path, Path]:
    """Two different PNGs: what is uploaded first, and what overwrites it."""
    return make_noise_png(tmp_path / "old.png", 40, 20), make_noise_png(
        tmp_path / "new.png", 30, 30
    )


def cached(url: str) -> bytes:
    """GET through the cache until it answers from its cache; the body it holds."""
    first = httpx.get(url)
    assert first.status_code == 200, (url, first.status_code, first.text[:200])
    again = httpx.get(url)
    assert again.headers.get("x-cache") == "HIT", (url, dict(again.headers))
    assert again.content == first.content
    return first.content


def still_cached(url: str, body: bytes) -> None:
    answer = httpx.get(url)
    assert answer.headers.get("x-cache") == "HIT", (url, dict(answer.headers))
    assert answer.content == body, url


def wait_gone(urls: dict[str, bytes], timeout: float = 30) -> None:
    """Wait until the cache no longer serves the old body of any of ``urls``."""
    deadline = time.monotonic() + timeout
    left = dict(urls)
    while left and time.monotonic() < deadline:
        left = {u: b for u, b in left.items() if httpx.get(u).content == b}
        if left:
            time.sleep(0.2)
    assert not left, f"still served from the cache: {sorted(left)}"


def forms(cloud: Cloud, public_id: str, version: int) -> dict[str, str]:
    """The URL forms of the original and of a derivative: unversioned, /v1/, versioned."""
    found = {}
    for label, transformation in (("original", {}), ("derived", {"width": 10, "crop": "scale"})):
        found[f"{label} unversioned"] = cloud.url(public_id, force_version=False, **transformation)
        found[f"{label} v1"] = cloud.url(public_id, version=1, **transformation)
        found[f"{label} versioned"] = cloud.url(public_id, version=version, **transformation)
    return found


# the seed's table: (public id, setting "Invalidate versioned URLs", the form invalidated)
CELLS = [
    ("plain", False, "unversioned"),
    ("folder/slashed", False, "v1"),
    ("plain", True, "versioned"),
    ("folder/slashed", True, "versioned"),
]


@pytest.mark.parametrize(("public_id", "setting", "invalidated"), CELLS)
def test_overwrite_with_invalidate_follows_the_seed_table(
    new_cloud: Callable[..., Cloud],
    images: tuple[Path, Path],
    public_id: str,
    setting: bool,
    invalidated: str,
) -> None:
    cloud = new_cloud(invalidate_versioned_urls=setting)
    first = cloud.upload(images[0], public_id)
    urls = forms(cloud, public_id, first["version"])
    before = {label: cached(url) for label, url in urls.items()}
    cloud.upload(images[1], public_id, overwrite=True, invalidate=True)
    gone = {urls[k]: before[k] for k in urls if k.split()[1] == invalidated}
    assert len(gone) == 2  # the original and the derivative
    wait_gone(gone)
    for label, url in urls.items():
        if label.split()[1] != invalidated:
            still_cached(url, before[label])
    fresh = httpx.get(urls[f"original {invalidated}"])
    if invalidated != "versioned":  # the old version's URL has nothing to serve now
        assert fresh.content == images[1].read_bytes()


def test_without_invalidate_the_cache_keeps_the_old_bytes(
    new_cloud: Callable[..., Cloud], images: tuple[Path, Path]
) -> None:
    cloud = new_cloud()
    cloud.upload(images[0], "kept")
    cloud.upload(images[0], "control")
    kept, control = cloud.url("kept", force_version=False), cloud.url("control")
    old = cached(kept)
    cached(control)
    cloud.upload(images[1], "kept", overwrite=True)
    cloud.upload(images[1], "control", overwrite=True, invalidate=True)
    wait_gone({control: old})  # the invalidation queued after the first upload has run
    still_cached(kept, old)


@pytest.mark.parametrize("signed_setting", [False, True])
def test_signed_urls_only_where_the_cloud_allows(
    new_cloud: Callable[..., Cloud], images: tuple[Path, Path], signed_setting: bool
) -> None:
    cloud = new_cloud(invalidate_signed_urls=signed_setting)
    cloud.upload(images[0], "signed")
    plain = cloud.url("signed", force_version=False)
    signed = cloud.url("signed", force_version=False, sign_url=True)
    long_signed = cloud.url(
        "signed", force_version=False, sign_url=True, long_url_signature=True, width=12
    )
    old = {url: cached(url) for url in (plain, signed, long_signed)}
    cloud.upload(images[1], "signed", overwrite=True, invalidate=True)
    wait_gone({plain: old[plain]})
    if signed_setting:
        wait_gone({signed: old[signed], long_signed: old[long_signed]})
    else:
        still_cached(signed, old[signed])
        still_cached(long_signed, old[long_signed])


def test_rename_and_destroy(new_cloud: Callable[..., Cloud], images: tuple[Path, Path]) -> None:
    cloud = new_cloud()
    for public_id in ("ren/a", "ren/b", "gone/c", "gone/d"):
        cloud.upload(images[0], public_id)
    urls = {pid: cloud.url(pid) for pid in ("ren/a", "ren/b", "gone/c", "gone/d")}
    derived = {pid: cloud.url(pid, width=10, crop="scale") for pid in ("ren/a", "gone/c")}
    old = {url: cached(url) for url in [*urls.values(), *derived.values()]}
    cloudinary.uploader.rename("ren/a", "ren/a2", invalidate=True, **cloud.api)
    cloudinary.uploader.rename("ren/b", "ren/b2", **cloud.api)
    cloudinary.uploader.destroy("gone/c", invalidate=True, **cloud.api)
    cloudinary.uploader.destroy("gone/d", **cloud.api)
    invalidated = [urls["ren/a"], urls["gone/c"], derived["ren/a"], derived["gone/c"]]
    wait_gone({url: old[url] for url in invalidated})
    for url in invalidated:
        assert httpx.get(url).status_code == 404
    still_cached(urls["ren/b"], old[urls["ren/b"]])
    still_cached(urls["gone/d"], old[urls["gone/d"]])


def test_bulk_deletes_invalidate_only_where_allowed(
    new_cloud: Callable[..., Cloud], images: tuple[Path, Path]
) -> None:
    refused, allowed = new_cloud(), new_cloud(bulk_invalidation=True)
    for cloud in (refused, allowed):
        cloud.upload(images[0], "bulk/x")
    refused.upload(images[0], "ids/y")
    bulk_refused, bulk_allowed = refused.url("bulk/x"), allowed.url("bulk/x")
    by_id = refused.url("ids/y")
    old = {url: cached(url) for url in (bulk_refused, bulk_allowed, by_id)}
    for cloud in (refused, allowed):
        cloudinary.api.delete_resources_by_prefix("bulk/", invalidate=True, **cloud.api)
    cloudinary.api.delete_resources(["ids/y"], invalidate=True, **refused.api)
    wait_gone({bulk_allowed: old[bulk_allowed], by_id: old[by_id]})
    still_cached(bulk_refused, old[bulk_refused])


def test_the_media_explorer_always_invalidates(
    stack: Stack, new_cloud: Callable[..., Cloud], images: tuple[Path, Path]
) -> None:
    """Use cases called with ``actor=Actor.UI`` (as the Media Explorer will) invalidate
    without being asked, and notify with source "ui"; the jobs run in the live server."""
    cloud = new_cloud()
    for public_id in ("ui/deleted", "ui/renamed", "ui/overwritten"):
        cloud.upload(images[0], public_id)
    urls = {pid: cloud.url(pid) for pid in ("ui/deleted", "ui/renamed", "ui/overwritten")}
    old = {url: cached(url) for url in urls.values()}
    settings = load_settings({**stack.server.env, "CLOUDLET_DATA_DIR": str(stack.server.data_dir)})
    deps = build_deps(settings)
    ui = Actor.UI
    with webhook_receiver() as hook:
        try:
            found = deps.catalog.get_cloud(cloud.name)
            assert found is not None
            url = {"notification_url": hook.url}
            assert manage.destroy(
                deps, found, "image", {"public_id": "ui/deleted", **url}, actor=ui
            ) == {"result": "ok"}
            manage.rename(
                deps, found, "image",
                {"from_public_id": "ui/renamed", "to_public_id": "ui/moved", **url}, actor=ui,
            )  # fmt: skip
            source = UploadSource(text=data_uri(images[1]))
            params = {"public_id": "ui/overwritten", **url}
            upload(deps, found, "image", params, source, UploadAuth(True, None), actor=ui)
        finally:
            deps.catalog.close()
        wait_gone(old)
        for kind in ("delete", "rename", "upload"):
            item = hook.wait_for(lambda b, kind=kind: b["notification_type"] == kind)
            assert item.body["notification_context"]["triggered_by"]["source"] == "ui"
