"""The Admin API's hourly limit is counted once for all server processes: two Cloudlet
servers (as two nodes would be) share the count through the catalog database or Redis."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import cloudinary
import cloudinary.api
import httpx
import pytest
from cloudinary.exceptions import RateLimited
from tests.compat.server import (
    API_KEY,
    API_SECRET,
    CLOUD,
    OTHER_CLOUD,
    OTHER_KEY,
    OTHER_SECRET,
    Server,
    point_sdk_at,
    start_server,
    stop_server,
)
from tests.conftest import fresh_postgres_schema

from cloudlet.catalog.catalog import Catalog

LIMIT = 5
REDIS_URL = "redis://127.0.0.1:6379/0"
AUTH = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
OTHER_AUTH = "Basic " + base64.b64encode(f"{OTHER_KEY}:{OTHER_SECRET}".encode()).decode()


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no Redis here
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")


@pytest.fixture(scope="module", params=["catalog", "redis"])
def two_nodes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two servers, each with its own data dir, sharing a PostgreSQL catalog (and, for
    ``redis``, a Redis whose counter they use instead of the catalog's). Each test counts
    against a cloud of its own."""
    tmp_path = tmp_path_factory.mktemp(f"nodes-{request.param}")
    env = {"CLOUDLET_ADMIN_RATE_LIMIT": str(LIMIT)}
    with ExitStack() as stack:
        env["CLOUDLET_DATABASE_URL"] = stack.enter_context(fresh_postgres_schema())
        if request.param == "redis":
            _redis_or_skip()
            env["CLOUDLET_QUEUE_URL"] = REDIS_URL
            env["CLOUDLET_QUEUE_NAME"] = f"cloudlet-test-{uuid.uuid4().hex[:8]}"
        first = start_server(_mkdir(tmp_path / "a"), env)
        stack.callback(stop_server, first)
        # the clouds are in the shared catalog already
        second = start_server(_mkdir(tmp_path / "b"), env, create_clouds=False)
        stack.callback(stop_server, second)
        yield first, second
        if request.param == "redis":
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{env['CLOUDLET_QUEUE_NAME']}:*"):
                client.delete(key)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _ping(server: Server, cloud: str = CLOUD, auth: str = AUTH) -> httpx.Response:
    return httpx.get(f"{server.base_url}/v1_1/{cloud}/ping", headers={"Authorization": auth})


def test_two_servers_share_one_count(
    two_nodes: tuple[Server, Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_nodes
    remaining = []
    for n in range(LIMIT):
        answer = _ping((first, second)[n % 2])
        assert answer.status_code == 200, answer.text
        remaining.append(int(answer.headers["X-FeatureRateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    for server in (first, second):  # over the limit on both nodes, with the headers
        refused = _ping(server)
        assert refused.status_code == 420
        assert refused.json()["error"]["message"].startswith("Rate Limit Exceeded. Limit of 5")
        assert refused.headers["X-FeatureRateLimit-Remaining"] == "0"
        assert refused.headers["X-FeatureRateLimit-Limit"] == str(LIMIT)
    point_sdk_at(second, monkeypatch)
    with pytest.raises(RateLimited):  # what the SDK makes of it
        cloudinary.api.ping()
    cloudinary.reset_config()


def test_a_refused_call_changes_nothing(two_nodes: tuple[Server, Server]) -> None:
    first, second = two_nodes
    for _ in range(LIMIT):
        assert _ping(first, OTHER_CLOUD, OTHER_AUTH).status_code == 200
    created = httpx.post(
        f"{second.base_url}/v1_1/{OTHER_CLOUD}/upload_presets",
        data={"name": "refused", "unsigned": "true"},
        headers={"Authorization": OTHER_AUTH},
    )
    assert created.status_code == 420
    catalog = Catalog(second.env["CLOUDLET_DATABASE_URL"])
    try:
        cloud = catalog.get_cloud(OTHER_CLOUD)
        assert cloud is not None and catalog.get_preset(cloud.id, "refused") is None
    finally:
        catalog.close()
