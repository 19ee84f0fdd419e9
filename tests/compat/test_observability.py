"""/metrics, JSON access logs, /healthz and /readyz on a real server with two worker
processes: the metrics of every worker add up, whichever worker answers the scrape."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import cloudinary
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.compat.helpers import make_png
from tests.compat.server import API_KEY, API_SECRET, CLOUD, Server, point_sdk_at, running_server

from cloudlet.app import app_routes
from cloudlet.metrics.registry import Metrics
from cloudlet.metrics.store import read_process

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()}
PING = "/v1_1/{cloud}/ping"


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"CLOUDLET_WORKERS": "2", "CLOUDLET_ACCESS_LOG_FORMAT": "json"}
    with running_server(tmp_path_factory.mktemp("observed"), env) as server:
        yield server


def _value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` whose labels include ``labels`` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    return 0.0


def _scrape(server: Server) -> str:
    answer = httpx.get(f"{server.base_url}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return answer.text


def _pings_per_worker(server: Server) -> list[float]:
    """Successful pings each worker process has counted, read from its own file."""
    layout = Metrics(
        server.data_dir / "layout-only", [getattr(r, "path", "") for r in app_routes()]
    )
    counts_at, _ = layout.series(PING, "GET")
    found = []
    for path in sorted((server.data_dir / "metrics").glob("*.metrics")):
        values = read_process(path, layout.size, layout.digest)
        assert values is not None, f"{path.name} has another layout"
        found.append(values[counts_at + layout.status_slot(200)])
    return found


def test_every_worker_counts_and_any_worker_reports_the_sum(observed: Server) -> None:
    sent = 0
    while sent < 400:  # new connections until both workers have answered some
        for _ in range(20):
            assert (
                httpx.get(f"{observed.base_url}/v1_1/{CLOUD}/ping", headers=AUTH).status_code == 200
            )
        sent += 20
        per_worker = _pings_per_worker(observed)
        if len(per_worker) == 2 and all(per_worker):
            break
    assert len(per_worker) == 2 and all(per_worker), per_worker
    assert sum(per_worker) == sent
    for _ in range(6):  # whichever worker answers the scrape sees the same totals
        text = _scrape(observed)
        assert (
            _value(text, "cloudlet_http_requests_total", route=PING, method="GET", status="200")
            == sent
        )
        assert (
            _value(text, "cloudlet_http_request_duration_seconds_count", route=PING, method="GET")
            >= sent
        )


def test_deliveries_renders_hits_and_the_json_access_log(
    observed: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    point_sdk_at(observed, monkeypatch)
    uploaded = cloudinary.uploader.upload(
        str(make_png(tmp_path / "o.png", 40, 30)), public_id="obs/one"
    )
    thumb = cloudinary.utils.cloudinary_url("obs/one", width=10, crop="scale", format="png")[0]
    before = _scrape(observed)
    # one connection: one worker, so repeated GETs are hits (a background job's write, such
    # as the upload's face detection, empties the cache once: hence ten)
    urls = [thumb, thumb] + [uploaded["url"]] * 10
    with httpx.Client() as client:
        for url in urls:
            assert client.get(url + "?probe=secret").status_code == 200
    after = _scrape(observed)
    delivered = {"route": "/{cloud}/{rest:path}", "method": "GET", "status": "200"}
    assert _value(after, "cloudlet_http_requests_total", **delivered) - _value(
        before, "cloudlet_http_requests_total", **delivered
    ) == len(urls)
    assert _value(after, "cloudlet_render_duration_seconds_count") >= 1
    assert _value(after, "cloudlet_hit_cache_requests_total", result="hit") >= 5
    assert 0 < _value(after, "cloudlet_hit_cache_hit_ratio") <= 1
    assert _value(after, "cloudlet_queue_jobs_pending") >= 0
    lines = [json.loads(line) for line in _log_lines(observed) if line.startswith("{")]
    mine = [entry for entry in lines if entry["path"].startswith(f"/{CLOUD}/image/upload/")]
    assert len(mine) >= len(urls) and any(entry["hit"] for entry in mine)
    for entry in mine:
        assert set(entry) == {
            "time", "request_id", "client", "method", "path", "route", "status",
            "duration_ms", "bytes", "hit", "user_agent",
        }  # fmt: skip
        assert entry["status"] == 200 and entry["route"] == "/{cloud}/{rest:path}"
        assert "secret" not in json.dumps(entry)  # the query string is never logged
        assert len(entry["request_id"]) == 16 and entry["bytes"] > 0


def _log_lines(server: Server) -> list[str]:
    return (server.data_dir / "server.log").read_text(errors="replace").splitlines()


def test_health_and_readiness(observed: Server) -> None:
    assert httpx.get(f"{observed.base_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{observed.base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"catalog": "ok", "storage": "ok", "queue": "ok"},
    }


def test_clouds_named_like_the_endpoints_still_deliver(
    observed: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    png = make_png(tmp_path / "m.png", 12, 8)
    for n, name in enumerate(("metrics", "healthz", "readyz")):
        key = f"11122233344455{n}"
        created = observed.cli(
            "clouds",
            "create",
            name,
            "--api-key",
            key,
            "--api-secret",
            f"{name}-secret",
        )
        assert created.returncode == 0, created.stderr
        monkeypatch.setenv("CLOUDINARY_URL", observed.cloudinary_url(name, key, f"{name}-secret"))
        cloudinary.reset_config()
        url = cloudinary.uploader.upload(str(png), public_id="x")["url"]
        assert url.startswith(f"{observed.base_url}/{name}/image/upload/")
        delivered = httpx.get(url)
        assert delivered.status_code == 200 and delivered.content == png.read_bytes()
    cloudinary.reset_config()
    assert "cloudlet_http_requests_total" in _scrape(observed)
    assert httpx.get(f"{observed.base_url}/healthz").json() == {"status": "ok"}


def test_readiness_fails_while_the_blob_store_is_unreachable(tmp_path: Path) -> None:
    dead = "s3://cloudlet-test?endpoint_url=http://127.0.0.1:9&region=us-east-1&access_key_id=x&secret_access_key=y"
    env = {"CLOUDLET_STORAGE_URL": dead, "CLOUDLET_METRICS": "false"}
    with running_server(tmp_path, env) as server:
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        ready = httpx.get(f"{server.base_url}/readyz", timeout=30)
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["catalog"] == "ok" and checks["queue"] == "ok"
        assert checks["storage"] != "ok" and "127.0.0.1" not in checks["storage"]
        off = httpx.get(f"{server.base_url}/metrics")
        assert off.status_code == 404 and off.json()["error"]["message"] == "Metrics are turned off"
