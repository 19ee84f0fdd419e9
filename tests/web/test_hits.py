"""The delivery hit path asks the catalog nothing, and sends what the full path sends."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from tests.web.recording import recorded_app

from cloudlet.app import build_deps
from cloudlet.catalog.model import NewAsset
from cloudlet.services.deps import Deps
from cloudlet.settings import Settings

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BODY = b"\x89PNG fake bytes are fine: originals are sent as stored"


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Starlette, Deps, list[str]]]:
    """An app on a fresh data dir with one original, and the SQL statements it runs."""
    deps = build_deps(Settings(data_dir=tmp_path / "data"))
    cloud = deps.catalog.create_cloud("hits", "111122223333444", "secret")
    deps.storage.put_bytes("hits/one", BODY)
    new = NewAsset(
        resource_type="image", type="upload", public_id="one", version_id="v" * 32,
        format="png", bytes=len(BODY), width=1, height=1, pages=1, duration=None,
        etag="e" * 32, storage_key="hits/one", original_filename="one", asset_folder="",
        display_name="one", tags=[], context={}, extra={},
    )  # fmt: skip
    deps.catalog.create_or_replace_asset(cloud.id, new, overwrite=False, now=NOW)
    with recorded_app(deps) as served:
        yield served


def _get(app: Starlette, path: str, **headers: str) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.get(path, headers=headers) for _ in range(3)]

    return asyncio.run(go())


def test_repeated_delivery_runs_no_query(served: tuple[Starlette, Deps, list[str]]) -> None:
    app, _deps, statements = served
    first, *again = _get(app, "/hits/image/upload/one.png")
    asked = len(statements)
    assert asked > 0 and first.status_code == 200 and first.content == BODY
    assert len(statements) == asked  # the two repeats asked nothing
    for response in again:
        assert response.status_code == 200 and response.content == BODY
        assert _comparable(response.headers) == _comparable(first.headers)


def test_a_write_makes_the_next_delivery_ask_again(
    served: tuple[Starlette, Deps, list[str]],
) -> None:
    app, deps, statements = served
    _get(app, "/hits/image/upload/one.png")
    cloud = deps.catalog.get_cloud("hits")
    assert cloud is not None
    asset = deps.catalog.get_asset(cloud.id, "image", "upload", "one")
    assert asset is not None
    deps.catalog.delete_asset(asset.id)
    asked = len(statements)
    gone = _get(app, "/hits/image/upload/one.png")
    assert [r.status_code for r in gone] == [404, 404, 404]
    assert len(statements) > asked


def test_conditional_get_from_memory(served: tuple[Starlette, Deps, list[str]]) -> None:
    app, _deps, _statements = served
    etag = _get(app, "/hits/image/upload/one.png")[0].headers["etag"]
    not_modified = _get(app, "/hits/image/upload/one.png", **{"If-None-Match": etag})
    assert all(r.status_code == 304 and r.content == b"" for r in not_modified)
    assert not_modified[-1].headers["etag"] == etag
    # a date-only revalidation takes the full path: the same headers either way
    since = {"If-Modified-Since": not_modified[0].headers["last-modified"]}
    dated = _get(app, "/hits/image/upload/one.png", **since)[-1]
    assert dated.status_code == 304
    assert _comparable(dated.headers) == _comparable(not_modified[-1].headers)


def _comparable(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "x-request-id"}


def test_a_blob_gone_after_lookup_is_a_404_not_a_500(
    served: tuple[Starlette, Deps, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, deps, _statements = served
    local_path = deps.storage.local_path
    calls: list[str] = []

    def found_then_lost(key: str) -> Path | None:
        path = local_path(key)
        calls.append(key)
        if len(calls) == 2:  # the route's own lookup: a concurrent delete wins the race
            deps.storage.delete(key)
        return path

    monkeypatch.setattr(deps.storage, "local_path", found_then_lost)
    # a byte range is sent from the file (a plain GET sends the bytes the lookup just read)
    first = _get(app, "/hits/image/upload/one.png", Range="bytes=0-3")[0]
    assert len(calls) >= 2
    assert first.status_code == 404
    assert "one" in first.headers["x-cld-error"]
