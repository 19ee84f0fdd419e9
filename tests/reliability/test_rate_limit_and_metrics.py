"""The Admin API's hourly limit holds under concurrent calls, per cloud; and /metrics shows
what issue 9 asks of it (requests and latencies by route, render times, queue depth, cache
hit ratio) with values that move.

The shared counter (two servers, PostgreSQL or Redis) is tested in
tests/compat/test_shared_rate_limit.py and the header arithmetic in
tests/unit/test_chunks_and_ratelimit.py; here many clients race one server on SQLite.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.compat.server import (
    API_KEY,
    API_SECRET,
    CLOUD,
    OTHER_CLOUD,
    OTHER_KEY,
    OTHER_SECRET,
    Server,
    running_server,
)
from tests.reliability.workload import signed, unique_png

LIMIT = 20


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a limit of 20 calls an hour and no job workers (jobs stay queued)."""
    env = {"CLOUDLET_ADMIN_RATE_LIMIT": str(LIMIT), "CLOUDLET_QUEUE_WORKERS": "0"}
    with running_server(tmp_path_factory.mktemp("limited"), env) as server:
        yield server


def _ping(server: Server, cloud: str = CLOUD, key: str = API_KEY, secret: str = API_SECRET):
    return httpx.get(f"{server.base_url}/v1_1/{cloud}/ping", auth=(key, secret), timeout=30)


def test_concurrent_calls_are_counted_exactly(limited: Server) -> None:
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: _ping(limited), range(2 * LIMIT)))
    passed = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 420]
    assert len(passed) == LIMIT and len(refused) == LIMIT  # no call lost, none counted twice
    remaining = sorted(int(a.headers["X-FeatureRateLimit-Remaining"]) for a in passed)
    assert remaining == list(range(LIMIT))
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for answer in refused:
        assert answer.headers["X-FeatureRateLimit-Limit"] == str(LIMIT)
        assert answer.headers["X-FeatureRateLimit-Remaining"] == "0"
        reset = email.utils.parsedate_to_datetime(answer.headers["X-FeatureRateLimit-Reset"])
        assert reset in (hour + timedelta(hours=1), hour + timedelta(hours=2))
        assert answer.json()["error"]["message"].startswith(
            f"Rate Limit Exceeded. Limit of {LIMIT}"
        )
    # another cloud has its own count; the Upload API is not limited
    other = _ping(limited, OTHER_CLOUD, OTHER_KEY, OTHER_SECRET)
    assert other.status_code == 200 and other.headers["X-FeatureRateLimit-Remaining"] == "19"
    upload = httpx.post(
        f"{limited.base_url}/v1_1/{CLOUD}/image/upload",
        data=signed({"public_id": "still-uploads"}),
        files={"file": ("u.png", unique_png(31), "image/png")},
    )
    assert upload.status_code == 200 and "X-FeatureRateLimit-Limit" not in upload.headers


def _metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:{{(.*)}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match[1] or "") for k, v in labels.items()):
            total += float(match[2])
    return total


def test_metrics_show_routes_renders_queue_and_cache(limited: Server) -> None:
    base = limited.base_url
    before = httpx.get(f"{base}/metrics").text
    for n in range(2):  # two eager_async jobs, queued and not run (no job workers)
        answer = httpx.post(
            f"{base}/v1_1/{CLOUD}/image/upload",
            data=signed({"public_id": f"m{n}", "eager": "w_8,c_scale", "eager_async": "true"}),
            files={"file": ("m.png", unique_png(40 + n), "image/png")},
        )
        assert answer.status_code == 200, answer.text
    url = f"{base}/{CLOUD}/image/upload/c_fill,h_9,w_9/m0.png"
    for _ in range(4):  # one render, then hits
        assert httpx.get(url).status_code == 200
    after = httpx.get(f"{base}/metrics").text
    upload_route = "/v1_1/{cloud}/{resource_type}/upload"
    delivery_route = "/{cloud}/{rest:path}"

    def grew(name: str, **labels: str) -> float:
        return _metric(after, name, **labels) - _metric(before, name, **labels)

    assert grew("cloudlet_http_requests_total", route=upload_route, status="200") == 2
    assert grew("cloudlet_http_request_duration_seconds_count", route=upload_route) == 2
    assert grew("cloudlet_http_requests_total", route=delivery_route, status="200") == 4
    assert grew("cloudlet_render_duration_seconds_count") >= 1
    assert _metric(after, "cloudlet_queue_jobs_pending") == 2
    assert grew("cloudlet_hit_cache_requests_total", result="hit") >= 1
    assert 0 < _metric(after, "cloudlet_hit_cache_hit_ratio") <= 1
