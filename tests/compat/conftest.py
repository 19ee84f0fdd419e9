"""Fixtures: a real Cloudlet server and the real Cloudinary SDK pointed at it.

The suite runs against a server per catalog backend (SQLite, PostgreSQL) with blobs on local
disk, and against a server with blobs in S3 (moto's server on loopback, SQLite catalog). On
S3 only the modules in ``S3_MODULES`` run (upload, delivery, transformations, overwrite,
delete, backup and restore), to keep CI short; ``CLOUDLET_TEST_S3_COMPAT=all`` runs every
module on S3 too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import cloudinary
import pytest
from tests.compat.server import REDIS_URL, Server, point_sdk_at, start_server, stop_server
from tests.conftest import fresh_postgres_schema
from tests.s3server import fresh_storage_url

S3_MODULES = {
    "test_sdk_upload.py",
    "test_sdk_delivery.py",
    "test_sdk_transform.py",
    "test_sdk_delete.py",
    "test_sdk_backups.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run only the representative modules on the S3 server (unless asked for all)."""
    if os.environ.get("CLOUDLET_TEST_S3_COMPAT") == "all":
        return
    dropped = [
        item
        for item in items
        if "[s3" in item.nodeid
        and Path(str(item.fspath)).parent.name == "compat"
        and Path(str(item.fspath)).name not in S3_MODULES
    ]
    if dropped:
        kept = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in kept]
        config.hook.pytest_deselected(items=dropped)


@pytest.fixture(scope="session", params=["sqlite", "postgres", "s3"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One Cloudlet server per catalog backend, and one with its blobs in S3."""
    # upload-from-URL tests fetch from a local HTTP server on 127.0.0.1
    env = {"CLOUDLET_FETCH_ALLOW_PRIVATE": "true"}
    with ExitStack() as stack:
        if request.param == "postgres":
            env["CLOUDLET_DATABASE_URL"] = stack.enter_context(fresh_postgres_schema())
        if request.param == "s3":
            env["CLOUDLET_STORAGE_URL"] = fresh_storage_url(request)
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
