"""HTTPS: ``cloudlet serve --tls-self-signed`` driven by the real Python SDK, trusting the CA
the way docs/sdks.md tells users to (in a fresh process, as a user's program would)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips
from tests.compat.helpers import make_png
from tests.compat.server import API_KEY, API_SECRET, CLOUD, Server, start_server, stop_server

# the recipe from docs/sdks.md: pycloudinary verifies against certifi's bundle only, in
# connection pools it makes at import, so the CA is handed to those pools
CLIENT = """
import json, os, sys
import cloudinary, cloudinary.api, cloudinary.uploader, cloudinary.utils
import cloudinary.api_client.call_api

for pools in (cloudinary.uploader._http, cloudinary.api_client.call_api._http):
    pools.connection_pool_kw["ca_certs"] = os.environ["CLOUDLET_CA"]

uploaded = cloudinary.uploader.upload(
    sys.argv[1], public_id="tls/py", eager=[{"width": 20, "crop": "scale"}]
)
original, _ = cloudinary.utils.cloudinary_url(
    "tls/py", format="png", version=uploaded["version"]
)
eager, _ = cloudinary.utils.cloudinary_url("tls/py", format="png", width=20, crop="scale")
listed = cloudinary.api.resource("tls/py")
print(json.dumps({"upload": uploaded, "resource": listed, "original": original, "eager": eager}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("https"), tls=True)
    yield srv
    stop_server(srv)


def _ca(server: Server) -> Path:
    return server.data_dir / "tls" / "ca.pem"


def _trusting(server: Server) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(_ca(server)))


def _sdk_env(server: Server) -> dict[str, str]:
    origin = server.base_url.split("://", 1)[1]
    url = (
        f"cloudinary://{API_KEY}:{API_SECRET}@{CLOUD}?upload_prefix={server.base_url}"
        f"&secure_distribution={origin}&secure=true"
    )
    return {**os.environ, "CLOUDINARY_URL": url, "CLOUDLET_CA": str(_ca(server))}


def _run_client(server: Server, png: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, str(png)],
        env=_sdk_env(server),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_python_sdk_over_https_with_the_ca_trusted(server: Server, tmp_path: Path) -> None:
    png = make_png(tmp_path / "tls.png", 120, 40)
    result = _run_client(server, png)
    origin = server.base_url.split("://", 1)[1]
    assert origin.startswith("localhost:")
    uploaded = result["upload"]
    # url on http, secure_url on https, both for the host the client used
    assert uploaded["url"].startswith(f"http://{origin}/{CLOUD}/image/upload/v")
    assert uploaded["secure_url"].startswith(f"https://{origin}/{CLOUD}/image/upload/v")
    assert result["resource"]["secure_url"] == uploaded["secure_url"]
    assert result["original"] == uploaded["secure_url"]
    assert uploaded["eager"][0]["secure_url"].startswith(f"https://{origin}/")
    with httpx.Client(verify=_trusting(server)) as client:
        assert client.get(result["original"]).content == png.read_bytes()
        assert client.get(uploaded["eager"][0]["secure_url"]).status_code == 200
        eager = client.get(result["eager"])
    assert eager.status_code == 200
    image = pyvips.Image.new_from_buffer(eager.content, "")
    assert (image.width, image.height) == (20, 7)


def test_responses_name_the_host_the_client_used(server: Server, tmp_path: Path) -> None:
    png = make_png(tmp_path / "host.png")
    by_ip = server.base_url.replace("localhost", "127.0.0.1")
    with httpx.Client(verify=_trusting(server), auth=(API_KEY, API_SECRET)) as client:
        for base in (server.base_url, by_ip):
            origin = base.split("://", 1)[1]
            with png.open("rb") as data:
                answer = client.post(
                    f"{base}/v1_1/{CLOUD}/image/upload",
                    data={"public_id": "tls/host"},
                    files={"file": data},
                )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["secure_url"].startswith(f"https://{origin}/{CLOUD}/")
            assert body["url"].startswith(f"http://{origin}/{CLOUD}/")
            assert client.get(body["secure_url"]).content == png.read_bytes()


def test_the_certificate_is_not_trusted_without_the_ca(server: Server) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{server.base_url}/v1_1/{CLOUD}/ping", auth=(API_KEY, API_SECRET))
    plain = server.base_url.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):  # HTTPS only: a plain request gets no HTTP answer
        httpx.get(f"{plain}/v1_1/{CLOUD}/ping", auth=(API_KEY, API_SECRET), timeout=5)


def _stops_within(server: Server, seconds: float) -> None:
    """Wait for the server told to stop to finish its shutdown; fail (and kill it) if it takes
    longer. (uvicorn re-raises SIGTERM once shut down, so the exit status is -15 either way.)"""
    try:
        server.process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        stop_server(server)
        pytest.fail(f"the server was still running {seconds} s after SIGTERM")
    assert "Application shutdown complete" in (server.data_dir / "server.log").read_text()


def test_stopping_does_not_wait_for_idle_keep_alive_connections(tmp_path: Path) -> None:
    """Over TLS an idle pooled connection used to hold the stop until its client went away."""
    server = start_server(tmp_path, tls=True)
    with httpx.Client(verify=_trusting(server), auth=(API_KEY, API_SECRET)) as client:
        assert client.get(f"{server.base_url}/v1_1/{CLOUD}/ping").status_code == 200
        # the connection now sits idle in the client's pool while the server stops
        server.process.terminate()
        _stops_within(server, 10)


def test_stopping_lets_a_request_under_way_finish(tmp_path: Path) -> None:
    server = start_server(tmp_path, tls=True)
    png = make_png(tmp_path / "slow.png", 60, 40)
    request = httpx.Request(
        "POST",
        f"{server.base_url}/v1_1/{CLOUD}/image/upload",
        data={"public_id": "tls/slow"},
        files={"file": png.read_bytes()},
    )
    body, half_sent, stop_sent = request.read(), threading.Event(), threading.Event()

    def slowly() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        half_sent.set()
        assert stop_sent.wait(30)
        yield body[len(body) // 2 :]

    headers = {"content-type": request.headers["content-type"]}
    client = httpx.Client(verify=_trusting(server), auth=(API_KEY, API_SECRET))
    with client, ThreadPoolExecutor(1) as upload:
        answer = upload.submit(client.post, str(request.url), content=slowly(), headers=headers)
        assert half_sent.wait(30)
        server.process.terminate()
        stop_sent.set()
        assert answer.result(30).status_code == 200
    _stops_within(server, 10)
