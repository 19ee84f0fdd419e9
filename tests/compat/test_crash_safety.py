"""An upload lands whole or not at all, also when the process is killed mid-way."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import cloudinary
import cloudinary.api
import cloudinary.uploader
import httpx
import pytest
from tests.compat.helpers import make_jpeg, make_png
from tests.compat.server import CLOUD, Server, point_sdk_at, start_server, stop_server


def use(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    point_sdk_at(server, monkeypatch)


def wait_dead(server: Server) -> None:
    server.process.wait(timeout=20)
    assert server.process.returncode == -signal.SIGKILL


def blob_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]


def assert_fsck_clean(server: Server) -> None:
    check = server.cli("fsck")
    assert check.returncode == 0, check.stdout + check.stderr


def test_killed_between_blob_write_and_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    png = make_png(tmp_path / "a.png", 40, 30)
    crashing = start_server(data_dir, {"CLOUDLET_CRASH_AT": "upload_after_blob_write"})
    use(crashing, monkeypatch)
    with pytest.raises(Exception):  # noqa: B017 - the connection dies with the server
        cloudinary.uploader.upload(str(png), public_id="half")
    wait_dead(crashing)
    assert len(blob_files(data_dir)) == 1  # the orphan the crash left behind

    server = start_server(data_dir, create_clouds=False)
    try:
        use(server, monkeypatch)
        assert blob_files(data_dir) == []  # start-up settled the journal
        with pytest.raises(cloudinary.exceptions.NotFound):
            cloudinary.api.resource("half")
        assert_fsck_clean(server)
        assert cloudinary.uploader.upload(str(png), public_id="half")["width"] == 40
    finally:
        stop_server(server)


def test_killed_after_commit_of_an_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    png, jpg = make_png(tmp_path / "a.png", 40, 30), make_jpeg(tmp_path / "b.jpg", 20, 10)
    first = start_server(data_dir)
    use(first, monkeypatch)
    original = cloudinary.uploader.upload(str(png), public_id="over")
    stop_server(first)

    crashing = start_server(
        data_dir, {"CLOUDLET_CRASH_AT": "upload_after_commit"}, create_clouds=False
    )
    use(crashing, monkeypatch)
    with pytest.raises(Exception):  # noqa: B017
        cloudinary.uploader.upload(str(jpg), public_id="over")
    wait_dead(crashing)
    assert len(blob_files(data_dir)) == 2  # new version committed, old bytes not yet removed

    server = start_server(data_dir, create_clouds=False)
    try:
        use(server, monkeypatch)
        current = cloudinary.api.resource("over")
        assert current["version"] > original["version"] and current["format"] == "jpg"
        assert len(blob_files(data_dir)) == 1
        assert httpx.get(current["url"]).content == jpg.read_bytes()
        assert_fsck_clean(server)
    finally:
        stop_server(server)


EAGER = {"eager": [{"width": 16, "crop": "scale"}], "eager_async": True}


def wait_for_derived(public_id: str, timeout_s: float = 60.0) -> list[str]:
    """The asset's derived transformations once it has any (polled; [] at the deadline)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        derived = cloudinary.api.resource(public_id)["derived"]
        if derived:
            return [d["transformation"] for d in derived]
        time.sleep(0.3)
    return []


def test_an_eager_async_upload_killed_after_its_commit_gets_its_derivative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The eager job is reserved before the upload's commit and queued after it: a kill -9
    in between leaves the reservation, which the next start queues (the outbox)."""
    data_dir = tmp_path / "data"
    png = make_png(tmp_path / "e.png", 64, 32)
    crashing = start_server(data_dir, {"CLOUDLET_CRASH_AT": "upload_after_commit"})
    use(crashing, monkeypatch)
    with pytest.raises(Exception):  # noqa: B017 - the connection dies with the server
        cloudinary.uploader.upload(str(png), public_id="eager/late", **EAGER)
    wait_dead(crashing)

    server = start_server(data_dir, create_clouds=False)
    try:
        use(server, monkeypatch)
        assert cloudinary.api.resource("eager/late")["width"] == 64  # committed
        assert wait_for_derived("eager/late") == ["c_scale,w_16"]
        assert "re-queueing lost job" in (data_dir / "server.log").read_text()
        assert_fsck_clean(server)
    finally:
        stop_server(server)


def test_an_eager_async_upload_killed_before_its_commit_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recovered reservation of an upload that never committed finds no asset at its
    version and does nothing; the upload sent again renders as usual."""
    data_dir = tmp_path / "data"
    png = make_png(tmp_path / "e.png", 64, 32)
    crashing = start_server(data_dir, {"CLOUDLET_CRASH_AT": "upload_after_blob_write"})
    use(crashing, monkeypatch)
    with pytest.raises(Exception):  # noqa: B017
        cloudinary.uploader.upload(str(png), public_id="eager/never", **EAGER)
    wait_dead(crashing)

    server = start_server(data_dir, create_clouds=False)
    try:
        use(server, monkeypatch)
        assert "re-queueing lost job" in (data_dir / "server.log").read_text()
        with pytest.raises(cloudinary.exceptions.NotFound):
            cloudinary.api.resource("eager/never")
        assert_fsck_clean(server)
        again = cloudinary.uploader.upload(str(png), public_id="eager/never", **EAGER)
        assert again["batch_id"] and wait_for_derived("eager/never") == ["c_scale,w_16"]
    finally:
        stop_server(server)


def test_kill_9_during_a_slow_upload_body(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    host, port = server.base_url.removeprefix("http://").split(":")
    body_start = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + b"x" * 200_000
    )
    head = (
        f"POST /v1_1/{CLOUD}/raw/upload HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {len(body_start) + 5_000_000}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head + body_start)
        time.sleep(0.5)  # the server is now streaming the body to a staging file
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=20)
    restarted = start_server(data_dir, create_clouds=False)
    try:
        use(restarted, monkeypatch)
        staging = data_dir / "tmp" / "staging"
        assert not staging.exists() or not any(staging.iterdir())
        assert blob_files(data_dir) == []
        assert cloudinary.api.resources(resource_type="raw")["resources"] == []
        assert_fsck_clean(restarted)
    finally:
        stop_server(restarted)
