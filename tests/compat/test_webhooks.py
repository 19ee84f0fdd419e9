"""Webhooks through the real SDK and a real receiver on loopback: every notification type,
signatures checked with the SDK's verifier, retries with backoff, failures listed and retried
with the CLI, the address guard, and no loss when the server is killed before delivering."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cloudinary.api
import cloudinary.uploader
import pytest
from tests.compat.helpers import make_png
from tests.compat.server import CLOUD, REDIS_URL, Server, point_sdk_at, start_server, stop_server
from tests.compat.test_job_queue import kill_9
from tests.compat.test_sdk_jobs import assert_signed, wait_until
from tests.compat.webhooks import Received, Receiver, webhook_receiver


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as found:
        yield found


@pytest.fixture()
def cloud_hook(server: Server, receiver: Receiver) -> Iterator[Receiver]:
    """The receiver as the test cloud's notification URL, for the length of one test."""
    done = server.cli("clouds", "settings", CLOUD, f"notification_url={receiver.url}")
    assert done.returncode == 0, done.stderr
    yield receiver
    assert server.cli("clouds", "settings", CLOUD, "notification_url=").returncode == 0


def of_type(kind: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    def match(body: dict[str, Any]) -> bool:
        return body.get("notification_type") == kind and all(
            body.get(k) == v for k, v in fields.items()
        )

    return match


def about(kind: str, public_id: str) -> Callable[[dict[str, Any]], bool]:
    """A notification of ``kind`` whose resources name ``public_id``."""

    def match(body: dict[str, Any]) -> bool:
        if body.get("notification_type") != kind:
            return False
        resources = body.get("resources", [])
        if isinstance(resources, dict):
            return public_id in resources
        return any(item.get("public_id") == public_id for item in resources)

    return match


def checked(item: Received, source: str = "api") -> dict[str, Any]:
    assert_signed(item)
    body = item.body
    assert body["notification_context"]["triggered_by"]["source"] == source
    assert body["notification_context"]["triggered_at"].endswith("Z")
    return body


def test_every_notification_type(
    sdk: object, cloud_hook: Receiver, tmp_path: Path, server: Server
) -> None:
    hook = cloud_hook
    png = make_png(tmp_path / "a.png", 40, 20)
    up = cloudinary.uploader.upload(str(png), public_id="hooks/a", tags=["t1"], backup=True)
    body = checked(hook.wait_for(of_type("upload", public_id="hooks/a")))
    assert (body["asset_id"], body["version"], body["tags"]) == (
        up["asset_id"],
        up["version"],
        ["t1"],
    )
    assert body["timestamp"].endswith("Z") and body["request_id"]

    cloudinary.uploader.add_tag("t2", ["hooks/a"])
    body = checked(hook.wait_for(about("resource_tags_changed", "hooks/a")))
    assert body["source"] == "api"
    assert body["resources"] == [
        {"asset_id": up["asset_id"], "public_id": "hooks/a", "resource_type": "image",
         "type": "upload", "added": ["t2"], "removed": []}
    ]  # fmt: skip
    cloudinary.api.update("hooks/a", tags=["x"])
    body = checked(
        hook.wait_for(
            lambda b: (
                about("resource_tags_changed", "hooks/a")(b) and b["resources"][0]["added"] == ["x"]
            )
        )
    )
    assert (body["resources"][0]["added"], body["resources"][0]["removed"]) == (["x"], ["t1", "t2"])

    cloudinary.uploader.add_context({"alt": "A"}, ["hooks/a"])
    body = checked(hook.wait_for(about("resource_context_changed", "hooks/a")))
    entry = body["resources"]["hooks/a"]
    assert entry["added"] == [{"name": "alt", "value": "A"}] and entry["asset_id"] == up["asset_id"]
    cloudinary.api.update("hooks/a", context="alt=B")
    body = checked(
        hook.wait_for(
            lambda b: (
                about("resource_context_changed", "hooks/a")(b)
                and b["resources"]["hooks/a"]["updated"] != []
            )
        )
    )
    assert body["resources"]["hooks/a"]["updated"] == [{"name": "alt", "value": "B"}]

    other = cloudinary.uploader.upload(str(png), public_id="hooks/b")
    cloudinary.api.add_related_assets("hooks/a", ["image/upload/hooks/b"])
    body = checked(hook.wait_for(of_type("related_assets_changed", public_id="hooks/a")))
    assert (body["added"], body["removed"]) == ([other["asset_id"]], [])

    cloudinary.uploader.rename("hooks/b", "hooks/b2")
    body = checked(hook.wait_for(of_type("rename", from_public_id="hooks/b")))
    assert (body["to_public_id"], body["asset_id"]) == ("hooks/b2", other["asset_id"])

    eager = cloudinary.uploader.explicit(
        "hooks/b2", type="upload", eager=[{"width": 10, "crop": "scale"}], eager_async=True
    )
    body = checked(hook.wait_for(of_type("eager", batch_id=eager["batch_id"])))
    assert body["eager"][0]["width"] == 10

    cloudinary.uploader.destroy("hooks/a")
    body = checked(hook.wait_for(about("delete", "hooks/a")))
    assert body["resources"][0]["asset_id"] == up["asset_id"]
    assert body["resources"][0]["version"] == up["version"]

    cloudinary.api.restore(["hooks/a"])
    body = checked(hook.wait_for(about("restore", "hooks/a")))
    assert body["resources"][0]["asset_id"] == up["asset_id"]

    cloudinary.api.delete_resources(["hooks/a", "hooks/b2"])
    body = checked(
        hook.wait_for(lambda b: about("delete", "hooks/b2")(b) and about("delete", "hooks/a")(b))
    )
    assert {r["public_id"] for r in body["resources"]} == {"hooks/a", "hooks/b2"}
    listed = server.cli("webhooks", "list", "--cloud", CLOUD, "--limit", "100")
    assert listed.returncode == 0 and "resource_context_changed" in listed.stdout


def test_a_call_s_own_url_wins(sdk: object, cloud_hook: Receiver, tmp_path: Path) -> None:
    with webhook_receiver() as own:
        cloudinary.uploader.upload(
            str(make_png(tmp_path / "o.png", 20, 20)),
            public_id="hooks/own",
            notification_url=own.url,
        )
        checked(own.wait_for(of_type("upload", public_id="hooks/own")))
        cloudinary.uploader.destroy("hooks/own")  # no URL in the call: the cloud's
        checked(cloud_hook.wait_for(about("delete", "hooks/own")))
    assert not [r for r in cloud_hook.received if r.body.get("public_id") == "hooks/own"]


def test_nothing_is_sent_without_a_url(sdk: object, receiver: Receiver, tmp_path: Path) -> None:
    cloudinary.uploader.upload(str(make_png(tmp_path / "n.png", 20, 20)), public_id="hooks/none")
    cloudinary.uploader.destroy("hooks/none", notification_url=receiver.url)
    checked(receiver.wait_for(about("delete", "hooks/none")))
    assert [r.body["notification_type"] for r in receiver.received] == ["delete"]


def deliveries(server: Server, *args: str) -> str:
    done = server.cli("webhooks", "list", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def statuses(server: Server) -> list[tuple[str, int, str]]:
    """(status, attempts, last error) of every delivery, newest first, read from the catalog
    file directly (polling through the CLI would cost a process start each time)."""
    with contextlib.closing(sqlite3.connect(server.data_dir / "catalog.sqlite3")) as db:
        rows = db.execute(
            "select status, attempts, coalesce(last_error, '') from webhook_deliveries "
            "order by id desc"
        ).fetchall()
    return [(str(a), int(b), str(c)) for a, b, c in rows]


def test_retries_back_off_then_fail_and_the_cli_sends_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"CLOUDLET_QUEUE_RETRY_DELAY_S": "1", "CLOUDLET_WEBHOOK_RETRIES": "2"}
    server = start_server(tmp_path / "data", env)
    try:
        point_sdk_at(server, monkeypatch)
        with webhook_receiver(failures=1000) as hook:
            cloudinary.uploader.upload(str(make_png(tmp_path / "r.png", 20, 20)), public_id="r")
            cloudinary.uploader.destroy("r", notification_url=hook.url)
            wait_until(
                lambda: (
                    statuses(server)[:1]
                    == [("failed", 3, "Notification to " + hook.url + " answered HTTP 500")]
                )
            )
            times = [r.at for r in hook.received]
            assert len(times) == 3  # the first attempt and 2 retries
            assert times[1] - times[0] >= 0.9 and times[2] - times[1] >= 1.9  # 1 s, then 2 s
            listed = deliveries(server, "--failed")
            assert "delete" in listed and "HTTP 500" in listed
            hook.failures = 0
            retried = server.cli("webhooks", "retry", "--all-failed")
            assert retried.returncode == 0 and "queued" in retried.stdout
            checked(hook.wait_for(about("delete", "r")))
            wait_until(lambda: statuses(server)[0][0] == "delivered")
            assert "delivered" in deliveries(server) and statuses(server)[0][1] == 4
            again = server.cli("webhooks", "retry", "1")
            assert again.returncode == 1 and "No failed webhook delivery 1" in again.stderr
    finally:
        stop_server(server)


def test_private_addresses_are_refused_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    server = start_server(tmp_path / "data", {"CLOUDLET_WEBHOOK_ALLOW_PRIVATE": "false"})
    try:
        point_sdk_at(server, monkeypatch)
        cloudinary.uploader.upload(str(make_png(tmp_path / "p.png", 20, 20)), public_id="p")
        cloudinary.uploader.destroy("p", notification_url=receiver.url)
        wait_until(lambda: "not allowed" in str(statuses(server)))
        assert statuses(server)[0][:2] == ("failed", 1)  # no retries
        assert "Remote address not allowed" in deliveries(server, "--failed")
        time.sleep(1)
        assert receiver.received == []
    finally:
        stop_server(server)


def test_no_loss_when_killed_between_the_change_and_the_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    data_dir = tmp_path / "data"
    paused = start_server(data_dir, {"CLOUDLET_QUEUE_WORKERS": "0"})  # queues, never runs
    try:
        point_sdk_at(paused, monkeypatch)
        cloudinary.uploader.upload(str(make_png(tmp_path / "k.png", 20, 20)), public_id="k/a")
        cloudinary.uploader.rename("k/a", "k/b", notification_url=receiver.url)
        time.sleep(1)
        assert receiver.received == []
    finally:
        kill_9(paused)
    server = start_server(data_dir, create_clouds=False)
    try:
        body = checked(receiver.wait_for(of_type("rename", from_public_id="k/a")))
        assert body["to_public_id"] == "k/b"
    finally:
        stop_server(server)


def test_webhooks_on_redis_with_a_separate_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_queue: str
) -> None:
    import signal
    import subprocess
    import sys

    env = {
        "CLOUDLET_QUEUE_URL": REDIS_URL,
        "CLOUDLET_QUEUE_NAME": redis_queue,
        "CLOUDLET_QUEUE_RETRY_DELAY_S": "1",
    }
    server = start_server(tmp_path / "data", env)
    worker = subprocess.Popen(
        [sys.executable, "-m", "cloudlet.cli.main", "--data-dir", str(server.data_dir)]
        + ["worker", "--workers", "1"],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        point_sdk_at(server, monkeypatch)
        with webhook_receiver(failures=2) as hook:
            cloudinary.uploader.upload(str(make_png(tmp_path / "q.png", 20, 20)), public_id="q")
            cloudinary.uploader.add_tag("red", ["q"], notification_url=hook.url)
            body = checked(hook.wait_for(about("resource_tags_changed", "q")))
            assert body["resources"][0]["added"] == ["red"]
            assert [r.answered for r in hook.received] == [500, 500, 200]
            stored = json.loads(hook.received[-1].raw)
            assert stored == body
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=30)
        stop_server(server)
