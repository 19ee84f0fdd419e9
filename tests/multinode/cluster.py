"""Several Cloudlet nodes on loopback sharing PostgreSQL, S3 (moto's server) and Redis.

Each node is a ``cloudlet serve`` process with a data dir of its own (its hit cache, its
metrics, its local blob cache and staging) and a ``cloudlet worker`` beside it, as each machine
of a real deployment would run. They share only what docs/deploy.md says they share: the
catalog (a fresh PostgreSQL schema), the blob store (a fresh key prefix in a bucket), the job
queue and rate counters (a fresh queue name on Redis). Reusable by other suites
(``running_cluster``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from tests.compat.server import REDIS_URL, Server, start_server, stop_server
from tests.conftest import fresh_postgres_schema


@dataclass
class Cluster:
    """The running nodes, their workers and the environment they share."""

    nodes: list[Server]
    workers: list[subprocess.Popen[bytes]]
    env: dict[str, str]
    logs: list[Path] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.env["CLOUDLET_DATABASE_URL"]

    def metric(self, name: str) -> float:
        """The sum over every node of an unlabelled sample in ``/metrics``."""
        total = 0.0
        for node in self.nodes:
            for line in httpx.get(f"{node.base_url}/metrics").text.splitlines():
                if line.split(" ", 1)[0] == name:
                    total += float(line.rsplit(" ", 1)[1])
        return total


def require_redis() -> None:
    """Skip without a Redis on loopback, except in CI (``CI`` set), where that fails."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no Redis here
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")


@contextmanager
def running_cluster(
    root: Path, storage_url: str, count: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """``count`` nodes (and a worker each) for the length of the ``with`` block."""
    require_redis()
    queue = f"cloudlet-test-{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        env = {
            "CLOUDLET_DATABASE_URL": stack.enter_context(fresh_postgres_schema()),
            "CLOUDLET_STORAGE_URL": storage_url,
            "CLOUDLET_QUEUE_URL": REDIS_URL,
            "CLOUDLET_QUEUE_NAME": queue,
            "CLOUDLET_QUEUE_RETRY_DELAY_S": "1",
            "CLOUDLET_WEBHOOK_ALLOW_PRIVATE": "true",
            **(extra_env or {}),
        }
        stack.callback(_flush_queue, queue)
        nodes: list[Server] = []
        for index in range(count):
            data = root / f"node{index}"
            data.mkdir(parents=True)
            # the first node creates the test clouds: they are in the shared catalog then
            node = start_server(data, env, create_clouds=index == 0)
            stack.callback(stop_server, node)
            nodes.append(node)
        workers = [_start_worker(node, stack) for node in nodes]
        yield Cluster(nodes, workers, env)


def _start_worker(node: Server, stack: ExitStack) -> subprocess.Popen[bytes]:
    log = open(node.data_dir / "worker.log", "ab")  # noqa: SIM115 - closed with the stack
    stack.callback(log.close)
    worker = subprocess.Popen(
        [sys.executable, "-m", "cloudlet.cli.main", "worker", "--workers", "2"],
        env=node.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stack.callback(_stop_worker, worker)
    return worker


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def _flush_queue(name: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)
