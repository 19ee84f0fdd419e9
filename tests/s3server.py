"""An S3-compatible server for tests: moto's standalone server, started on loopback.

One server serves the whole test session (``s3_endpoint`` in tests/conftest.py); every test
that needs a bucket makes a fresh one, so tests never see each other's objects.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ACCESS_KEY = "cloudlet-test"
SECRET_KEY = "cloudlet-test-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server(log_dir: Path) -> Iterator[str]:
    """Run ``python -m moto.server`` on a free loopback port; yields its endpoint URL."""
    port = _free_port()
    log = open(log_dir / "moto.log", "ab")  # noqa: SIM115 - closed with the process
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for(port, process, log_dir / "moto.log")
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("moto server exited: " + log.read_text(errors="replace"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto server did not start: " + log.read_text(errors="replace"))


def client(endpoint: str) -> Any:
    """A boto3 client for the test server."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def new_bucket(endpoint: str) -> str:
    """Create a bucket with a fresh name; its name."""
    name = f"cl-{secrets.token_hex(8)}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def storage_url(endpoint: str, bucket: str, prefix: str = "", **options: str) -> str:
    """A ``CLOUDLET_STORAGE_URL`` for ``bucket`` on the test server."""
    query = {
        "endpoint_url": endpoint,
        "region": REGION,
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "addressing_style": "path",
        **options,
    }
    path = f"/{prefix}" if prefix else ""
    return f"s3://{bucket}{path}?{urlencode(query)}"


def fresh_storage_url(request: Any) -> str:
    """A ``CLOUDLET_STORAGE_URL`` for a new key prefix in the session's bucket (usable from
    fixtures of any scope: the endpoint and bucket are session fixtures)."""
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return storage_url(endpoint, bucket, f"t-{secrets.token_hex(6)}")
