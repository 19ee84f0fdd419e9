"""Fixtures: a real Cloudlet server and the real Cloudinary SDK pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import cloudinary
import pytest
from tests.compat.server import REDIS_URL, Server, point_sdk_at, start_server, stop_server
from tests.conftest import fresh_postgres_schema


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One Cloudlet server per catalog backend; the whole SDK suite runs against each."""
    # upload-from-URL tests fetch from a local HTTP server on 127.0.0.1
    env = {"CLOUDLET_FETCH_ALLOW_PRIVATE": "true"}
    with ExitStack() as stack:
        if request.param == "postgres":
            env["CLOUDLET_DATABASE_URL"] = stack.enter_context(fresh_postgres_schema())
        srv = start_server(tmp_path_factory.mktemp(f"cloudlet-{request.param}"), env)
        stack.callback(stop_server, srv)
        yield srv


@pytest.fixture()
def sdk(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The ``cloudinary`` module configured only through ``CLOUDINARY_URL``."""
    point_sdk_at(server, monkeypatch)
    yield cloudinary
    monkeypatch.delenv("CLOUDINARY_URL")
    cloudinary.reset_config()


@pytest.fixture()
def redis_queue() -> Iterator[str]:
    """A fresh queue name on the local Redis; its keys are removed afterwards."""
    from huey import RedisHuey

    name = f"cloudlet-test-{uuid.uuid4().hex[:8]}"
    huey = RedisHuey(name, url=REDIS_URL)
    try:
        huey.storage.conn.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no Redis here
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    yield name
    huey.storage.flush_all()
