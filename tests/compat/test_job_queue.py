"""The job queue survives kill -9, retries webhooks, and runs on Redis with `cloudlet worker`."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cloudinary
import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader
import pytest
from tests.compat.helpers import make_png
from tests.compat.server import REDIS_URL, Server, point_sdk_at, start_server, stop_server
from tests.compat.test_sdk_jobs import assert_signed, bgr_status, make_product_png, wait_until
from tests.compat.webhooks import Receiver, webhook_receiver


def queued(data_dir: Path) -> int:
    """Jobs waiting in the embedded queue (a SQLite file in the data dir)."""
    with contextlib.closing(sqlite3.connect(data_dir / "queue.sqlite3")) as db:
        return int(db.execute("select count(*) from task").fetchone()[0])


def running_records(data_dir: Path) -> int:
    with contextlib.closing(sqlite3.connect(data_dir / "queue.sqlite3")) as db:
        return int(db.execute("select count(*) from kv where key like 'running:%'").fetchone()[0])


def kill_9(server: Server) -> None:
    server.process.kill()
    server.process.wait(timeout=20)
    assert server.process.returncode == -signal.SIGKILL


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as found:
        yield found


def test_queued_jobs_survive_kill_9(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    data_dir = tmp_path / "data"
    paused = start_server(data_dir, {"CLOUDLET_QUEUE_WORKERS": "0"})  # queues, never runs
    point_sdk_at(paused, monkeypatch)
    try:
        product = make_product_png(tmp_path / "p.png")
        with pytest.raises(cloudinary.exceptions.BadRequest, match="Illegal value"):
            cloudinary.uploader.upload(str(product), background_removal="remove_the_background")
        assert queued(data_dir) == 0  # a refused call queues nothing
        first = cloudinary.uploader.upload(
            str(make_png(tmp_path / "a.png", 100, 50)),
            public_id="durable/eager",
            eager=[{"width": 25, "crop": "scale"}],
            eager_async=True,
            eager_notification_url=receiver.url,
        )
        cloudinary.uploader.upload(str(product), public_id="durable/bg")
        assert cloudinary.api.update("durable/bg", background_removal="cloudinary_ai")["info"]
        assert queued(data_dir) == 2
        time.sleep(1.5)
        assert receiver.received == []  # nothing ran
    finally:
        kill_9(paused)

    server = start_server(data_dir, create_clouds=False)
    try:
        point_sdk_at(server, monkeypatch)
        item = receiver.wait_for(lambda b: b.get("batch_id") == first["batch_id"])
        assert_signed(item)
        assert cloudinary.api.resource("durable/eager")["derived"][0]["transformation"] == (
            "c_scale,w_25"
        )
        wait_until(lambda: bgr_status("durable/bg") == "complete")
        wait_until(lambda: queued(data_dir) == 0)
    finally:
        stop_server(server)


def test_a_job_killed_while_running_runs_again_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    data_dir = tmp_path / "data"
    crashing = start_server(data_dir, {"CLOUDLET_CRASH_AT": "job_started"})
    point_sdk_at(crashing, monkeypatch)
    with contextlib.suppress(Exception):  # the server may die before it answers
        cloudinary.uploader.upload(
            str(make_png(tmp_path / "a.png", 100, 50)),
            public_id="durable/crash",
            eager=[{"width": 35, "crop": "scale"}],
            eager_async=True,
            eager_notification_url=receiver.url,
        )
    crashing.process.wait(timeout=30)
    assert crashing.process.returncode == -signal.SIGKILL
    assert queued(data_dir) == 0  # Huey had handed the job to the worker that died ...
    assert running_records(data_dir) == 1  # ... which had recorded it as running

    server = start_server(data_dir, create_clouds=False)
    try:
        point_sdk_at(server, monkeypatch)
        item = receiver.wait_for(lambda b: b.get("public_id") == "durable/crash")
        assert_signed(item)
        assert item.body["eager"][0]["width"] == 35
        # the job drops its record once it returns, just after sending the notification
        wait_until(lambda: running_records(data_dir) == 0)
    finally:
        stop_server(server)


def test_a_refused_notification_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_server(tmp_path / "data", {"CLOUDLET_QUEUE_RETRY_DELAY_S": "1"})
    try:
        point_sdk_at(server, monkeypatch)
        with webhook_receiver(failures=2) as hook:
            result = cloudinary.uploader.upload(
                str(make_png(tmp_path / "a.png", 60, 30)),
                eager=[{"width": 30, "crop": "scale"}],
                eager_async=True,
                eager_notification_url=hook.url,  # notification_url would add the upload's
            )
            item = hook.wait_for(lambda b: b.get("batch_id") == result["batch_id"])
            assert_signed(item)
            assert [r.answered for r in hook.received] == [500, 500, 200]
            assert {r.body["batch_id"] for r in hook.received} == {result["batch_id"]}
    finally:
        stop_server(server)


def test_redis_queue_with_a_separate_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver, redis_queue: str
) -> None:
    from huey import RedisHuey

    env = {"CLOUDLET_QUEUE_URL": REDIS_URL, "CLOUDLET_QUEUE_NAME": redis_queue}
    server = start_server(tmp_path / "data", env)
    worker = None
    try:
        point_sdk_at(server, monkeypatch)
        result = cloudinary.uploader.upload(
            str(make_png(tmp_path / "a.png", 100, 50)),
            public_id="redis/eager",
            eager=[{"width": 40, "crop": "scale"}],
            eager_async=True,
            eager_notification_url=receiver.url,
        )
        assert RedisHuey(redis_queue, url=REDIS_URL).pending_count() == 1
        time.sleep(1.5)
        assert receiver.received == []  # with Redis, serve runs no jobs itself
        worker = subprocess.Popen(
            [sys.executable, "-m", "cloudlet.cli.main", "--data-dir", str(server.data_dir)]
            + ["worker", "--workers", "1"],
            env=server.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        item = receiver.wait_for(lambda b: b.get("batch_id") == result["batch_id"])
        assert_signed(item)
        derived = cloudinary.api.resource("redis/eager")["derived"]
        assert [d["transformation"] for d in derived] == ["c_scale,w_40"]
        assert RedisHuey(redis_queue, url=REDIS_URL).pending_count() == 0
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=30)
        stop_server(server)
