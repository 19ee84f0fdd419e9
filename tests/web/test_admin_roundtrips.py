"""An Admin API call does not ask the catalog for its cloud again while nothing has changed,
and a changed secret is honoured by the very next call."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from tests.web.recording import recorded_app

from cloudlet.app import build_deps
from cloudlet.services.deps import Deps
from cloudlet.settings import Settings

KEY = "111122223333444"
LISTING = "/v1_1/rt/resources/image/upload"


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Starlette, Deps, list[str]]]:
    deps = build_deps(Settings(data_dir=tmp_path / "data", access_log=False))
    deps.catalog.create_cloud("rt", KEY, "secret")
    with recorded_app(deps) as served:
        yield served


def _get(app: Starlette, secret: str, times: int = 1) -> list[int]:
    auth = "Basic " + base64.b64encode(f"{KEY}:{secret}".encode()).decode()

    async def go() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [
                (await client.get(LISTING, headers={"Authorization": auth})).status_code
                for _ in range(times)
            ]

    return asyncio.run(go())


def _cloud_lookups(statements: list[str]) -> int:
    return sum("FROM clouds" in s for s in statements)


def test_repeated_calls_look_the_cloud_up_once(
    served: tuple[Starlette, Deps, list[str]],
) -> None:
    app, _deps, statements = served
    assert _get(app, "secret", times=3) == [200, 200, 200]
    assert _cloud_lookups(statements) == 1, statements


def test_a_new_secret_counts_at_once(served: tuple[Starlette, Deps, list[str]]) -> None:
    app, deps, statements = served
    assert _get(app, "secret") == [200]
    deps.catalog.set_cloud_secret("rt", "rotated")
    statements.clear()
    assert _get(app, "secret") == [401]
    assert _get(app, "rotated") == [200]
    assert _cloud_lookups(statements) == 1, statements  # asked again once, then remembered
