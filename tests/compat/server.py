"""Starting a real Cloudlet server process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

API_KEY = "123456789012345"
API_SECRET = "abcdeFGHijkLMNop"
CLOUD = "compat"
OTHER_CLOUD = "othercloud"
OTHER_KEY = "998877665544332"
OTHER_SECRET = "zyxwvuTSRQponMLK"
REDIS_URL = "redis://127.0.0.1:6379/0"  # the local Redis queue tests use


@dataclass
class Server:
    """A running Cloudlet process."""

    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def cloudinary_url(
        self, cloud: str = CLOUD, key: str = API_KEY, secret: str = API_SECRET
    ) -> str:
        host = self.base_url.split("://", 1)[1]
        return f"cloudinary://{key}:{secret}@{cloud}?upload_prefix={self.base_url}&cname={host}"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``cloudlet`` CLI against this server's data dir."""
        return run_cli(self.env, "--data-dir", str(self.data_dir), *args)


def blob_keys(server: Server) -> set[str]:
    """The keys of every blob the server's store holds: files under ``blobs/``, or objects
    under the key prefix of its S3 bucket (CLOUDLET_STORAGE_URL)."""
    url = server.env.get("CLOUDLET_STORAGE_URL")
    if not url:
        root = server.data_dir / "blobs"
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    from tests.s3server import client

    from cloudlet.storage.s3 import parse_s3_url

    location = parse_s3_url(url)
    assert location.endpoint_url is not None
    pages = client(location.endpoint_url).get_paginator("list_objects_v2")
    prefix = location.prefix + "/" if location.prefix else ""
    return {
        item["Key"][len(prefix) :]
        for page in pages.paginate(Bucket=location.bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    }


def blob_count(server: Server) -> int:
    """How many blobs the server's store holds."""
    return len(blob_keys(server))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudlet.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_server(
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    create_clouds: bool = True,
    tls: bool = False,
) -> Server:
    """Create the test clouds with the CLI, start ``cloudlet serve`` and wait until it answers.

    With ``tls`` the server speaks HTTPS only (``--tls-self-signed``; its CA is
    ``data_dir/tls/ca.pem``) and ``base_url`` is ``https://localhost:{port}``."""
    # webhook receivers in tests listen on 127.0.0.1, which servers refuse by default
    allowed = {"CLOUDLET_WEBHOOK_ALLOW_PRIVATE": "true"}
    env = {**os.environ, "CLOUDLET_DATA_DIR": str(data_dir), **allowed, **(extra_env or {})}
    env.pop("CLOUDINARY_URL", None)
    clouds = ((CLOUD, API_KEY, API_SECRET), (OTHER_CLOUD, OTHER_KEY, OTHER_SECRET))
    for name, key, secret in clouds if create_clouds else ():
        done = run_cli(env, "clouds", "create", name, "--api-key", key, "--api-secret", secret)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = open(data_dir / "server.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudlet.cli.main", "serve", "--port", str(port)]
        + (["--tls-self-signed"] if tls else []),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"https://localhost:{port}" if tls else f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text())
        try:
            httpx.get(f"{base_url}/v1_1/{CLOUD}/ping", timeout=1, verify=False)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("server did not start: " + (data_dir / "server.log").read_text())
    return Server(base_url, data_dir, process, env)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@contextmanager
def running_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server for the length of a ``with`` block (module fixtures use it)."""
    server = start_server(data_dir, extra_env)
    try:
        yield server
    finally:
        stop_server(server)


def point_sdk_at(server: Server, monkeypatch: Any) -> Server:
    """Configure the ``cloudinary`` module for ``server`` through ``CLOUDINARY_URL`` only."""
    import cloudinary

    monkeypatch.setenv("CLOUDINARY_URL", server.cloudinary_url())
    cloudinary.reset_config()
    return server
