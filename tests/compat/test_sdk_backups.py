"""Backup and restore through the real SDK: versions kept on overwrite and on every delete
path, ``resource(versions=True)``, ``api.restore`` (by newest backup and by version_id), the
upload's ``backup`` parameter, and a cloud with the setting off keeping nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import cloudinary
import cloudinary.api
import cloudinary.uploader
import httpx
import pytest
from cloudinary.exceptions import BadRequest, NotFound
from tests.compat.helpers import make_noise_png
from tests.compat.server import (
    CLOUD,
    OTHER_CLOUD,
    OTHER_KEY,
    OTHER_SECRET,
    Server,
    blob_count,
    point_sdk_at,
    start_server,
    stop_server,
)
from tests.conftest import fresh_postgres_schema
from tests.s3server import fresh_storage_url


@pytest.fixture(scope="module", params=["sqlite", "postgres", "s3"])
def backup_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server of its own: ``compat`` has backup on, ``othercloud`` keeps the default."""
    env: dict[str, str] = {}
    with ExitStack() as stack:
        if request.param == "postgres":
            env["CLOUDLET_DATABASE_URL"] = stack.enter_context(fresh_postgres_schema())
        if request.param == "s3":
            env["CLOUDLET_STORAGE_URL"] = fresh_storage_url(request)
        srv = start_server(tmp_path_factory.mktemp(f"backup-{request.param}"), env)
        stack.callback(stop_server, srv)
        done = srv.cli("clouds", "settings", CLOUD, "backup=true")
        assert done.returncode == 0 and "backup=True" in done.stdout, done.stderr
        yield srv


@pytest.fixture()
def on(backup_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The SDK pointed at the cloud with backup on."""
    yield point_sdk_at(backup_server, monkeypatch)
    cloudinary.reset_config()


@pytest.fixture()
def off(backup_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The SDK pointed at the cloud with backup off (the default)."""
    url = backup_server.cloudinary_url(OTHER_CLOUD, OTHER_KEY, OTHER_SECRET)
    monkeypatch.setenv("CLOUDINARY_URL", url)
    cloudinary.reset_config()
    yield backup_server
    cloudinary.reset_config()


@pytest.fixture()
def files(tmp_path: Path) -> list[Path]:
    """Three PNGs of different sizes (noise does not compress, so sizes differ)."""
    return [make_noise_png(tmp_path / f"v{n}.png", 8 + 4 * n, 8) for n in range(3)]


def fsck_clean(server: Server) -> bool:
    done = server.cli("fsck")
    return done.returncode == 0 and "clean" in done.stdout


def served(url: str) -> bytes:
    response = httpx.get(url)
    assert response.status_code == 200, response.headers
    return response.content


def test_overwrite_keeps_versions_and_restores_a_chosen_one(on: Server, files: list[Path]) -> None:
    first = cloudinary.uploader.upload(str(files[0]), public_id="bk/multi")
    second = cloudinary.uploader.upload(str(files[1]), public_id="bk/multi", overwrite=True)
    assert second["version"] > first["version"]
    assert cloudinary.api.resources_by_ids(["bk/multi"])["resources"][0]["backup"] is True
    listed = cloudinary.api.resource("bk/multi", versions=True)["versions"]
    assert [(v["version_id"], v["size"], v["restorable"]) for v in listed] == [
        (first["version_id"], first["bytes"], True),
        (second["version_id"], second["bytes"], True),
    ]
    assert listed[0]["version"] == first["version"] and listed[0]["format"] == "png"
    assert listed[0]["time"].endswith("Z")
    assert served(second["url"]) == files[1].read_bytes()
    assert served(first["url"]) == files[0].read_bytes()  # the old version's URL still works

    answer = cloudinary.api.restore(["bk/multi"], versions=[first["version_id"]])
    restored = answer["bk/multi"]
    assert (restored["bytes"], restored["version_id"]) == (first["bytes"], first["version_id"])
    assert restored["asset_id"] == first["asset_id"] and restored["version"] > second["version"]
    assert served(restored["url"]) == files[0].read_bytes()
    now = cloudinary.api.resource("bk/multi", versions=True)
    assert now["bytes"] == first["bytes"] and now["version"] == restored["version"]
    assert [v["version_id"] for v in now["versions"]] == [
        second["version_id"],
        first["version_id"],
    ]
    assert fsck_clean(on)


def _destroy(pid: str, _: dict, server: Server) -> None:
    assert cloudinary.uploader.destroy(pid)["result"] == "ok"


def _by_ids(pid: str, _: dict, server: Server) -> None:
    assert cloudinary.api.delete_resources([pid])["deleted"] == {pid: "deleted"}


def _by_prefix(pid: str, _: dict, server: Server) -> None:
    assert cloudinary.api.delete_resources_by_prefix(pid)["deleted"] == {pid: "deleted"}


def _by_tag(pid: str, _: dict, server: Server) -> None:
    assert cloudinary.api.delete_resources_by_tag("bk_" + pid.rpartition("/")[2])["deleted"]


def _by_asset_id(pid: str, uploaded: dict, server: Server) -> None:
    cloudinary.api.delete_resources_by_asset_ids([uploaded["asset_id"]])


def _by_token(pid: str, uploaded: dict, server: Server) -> None:
    url = f"{server.base_url}/v1_1/{CLOUD}/delete_by_token"  # the browser's call, unsigned
    assert httpx.post(url, data={"token": uploaded["delete_token"]}).json() == {"result": "ok"}


def _folder_purge(pid: str, _: dict, server: Server) -> None:
    done = server.cli("folders", "delete", pid.rpartition("/")[0], "--cloud", CLOUD)
    assert done.returncode == 0, done.stderr


DELETES: dict[str, Callable[[str, dict, Server], None]] = {
    "destroy": _destroy,
    "delete_resources": _by_ids,
    "by_prefix": _by_prefix,
    "by_tag": _by_tag,
    "by_asset_ids": _by_asset_id,
    "delete_by_token": _by_token,
    "folder_purge": _folder_purge,
}


@pytest.mark.parametrize("how", list(DELETES))
def test_every_delete_keeps_a_backup_to_restore(on: Server, files: list[Path], how: str) -> None:
    pid = f"bk/{how}/pic"
    uploaded = cloudinary.uploader.upload(
        str(files[2]), public_id=pid, tags=f"bk_pic,keep_{how}", return_delete_token=True
    )
    blobs = blob_count(on)
    DELETES[how](pid, uploaded, on)
    assert httpx.get(uploaded["url"]).status_code == 404
    assert blob_count(on) == blobs  # the original is kept for the backup
    placeholder = cloudinary.api.resource(pid)
    assert (placeholder["bytes"], placeholder["placeholder"]) == (0, True)
    assert cloudinary.api.resources_by_ids([pid])["resources"] == []

    restored = cloudinary.api.restore([pid])[pid]
    assert restored["bytes"] == uploaded["bytes"] and restored["asset_id"] == uploaded["asset_id"]
    assert restored["version"] > uploaded["version"]
    assert served(restored["url"]) == files[2].read_bytes()
    again = cloudinary.api.resource(pid, versions=True)
    assert again["placeholder"] is False and again["tags"] == ["bk_pic", f"keep_{how}"]
    assert [v["version_id"] for v in again["versions"]] == [uploaded["version_id"]]
    assert fsck_clean(on)


def test_versions_of_a_deleted_asset_restore_one_after_another(
    on: Server, files: list[Path]
) -> None:
    """The flow of the Java SDK's testRestoreDifferentVersionsOfDeletedAsset."""
    first = cloudinary.uploader.upload(str(files[0]), public_id="bk/twice")
    cloudinary.api.delete_resources(["bk/twice"])
    second = cloudinary.uploader.upload(str(files[1]), public_id="bk/twice")
    cloudinary.api.delete_resources(["bk/twice"])
    versions = cloudinary.api.resource("bk/twice", versions=True)["versions"]
    assert [v["version_id"] for v in versions] == [first["version_id"], second["version_id"]]
    one = cloudinary.api.restore(["bk/twice"], versions=[versions[0]["version_id"]])
    assert one["bk/twice"]["bytes"] == first["bytes"]
    two = cloudinary.api.restore(["bk/twice"], versions=[versions[1]["version_id"]])
    assert two["bk/twice"]["bytes"] == second["bytes"]
    assert served(two["bk/twice"]["url"]) == files[1].read_bytes()
    assert fsck_clean(on)


def test_restore_without_backup_answers_no_backup(on: Server, files: list[Path]) -> None:
    kept = cloudinary.uploader.upload(str(files[0]), public_id="bk/some")
    refused = cloudinary.uploader.upload(str(files[0]), public_id="bk/refused", backup=False)
    assert cloudinary.api.resource(refused["public_id"])["backup"] is False
    blobs = blob_count(on)
    cloudinary.api.delete_resources(["bk/some", "bk/refused"])
    assert blob_count(on) == blobs - 1  # only the refused one's original went
    answer = cloudinary.api.restore(["bk/never", "bk/refused", "bk/some"])
    assert answer["bk/never"] == {"error": "no_backup"}
    assert answer["bk/refused"] == {"error": "no_backup"}
    assert answer["bk/some"]["asset_id"] == kept["asset_id"]
    with pytest.raises(NotFound):
        cloudinary.api.resource("bk/refused")
    live = cloudinary.api.restore(["bk/some"], versions=["0" * 32])
    assert live == {"bk/some": {"error": "no_backup"}}
    assert fsck_clean(on)


def test_bad_restore_requests_change_nothing(on: Server, files: list[Path]) -> None:
    uploaded = cloudinary.uploader.upload(str(files[0]), public_id="bk/bad")
    cloudinary.uploader.destroy("bk/bad")
    with pytest.raises(BadRequest, match="public_ids"):
        cloudinary.api.restore([])
    with pytest.raises(BadRequest, match="versions"):
        cloudinary.api.restore(["bk/bad"], versions=["a", "b"])
    with pytest.raises(NotFound):
        cloudinary.api.restore(["bk/bad"], resource_type="nonsense")
    assert cloudinary.api.resource("bk/bad")["placeholder"] is True
    assert cloudinary.api.restore(["bk/bad"])["bk/bad"]["version_id"] == uploaded["version_id"]


def test_setting_off_keeps_nothing(off: Server, files: list[Path]) -> None:
    blobs = blob_count(off)
    first = cloudinary.uploader.upload(str(files[0]), public_id="bk/plain")
    assert cloudinary.api.resource(first["public_id"])["backup"] is False
    cloudinary.uploader.upload(str(files[1]), public_id="bk/plain", overwrite=True)
    assert blob_count(off) == blobs + 1  # the first version's bytes went at the overwrite
    assert httpx.get(first["url"]).status_code == 404
    versions = cloudinary.api.resource("bk/plain", versions=True)["versions"]
    assert [v["restorable"] for v in versions] == [False]
    cloudinary.uploader.destroy("bk/plain")
    assert blob_count(off) == blobs
    assert cloudinary.api.restore(["bk/plain"]) == {"bk/plain": {"error": "no_backup"}}
    with pytest.raises(NotFound):
        cloudinary.api.resource("bk/plain")
    assert fsck_clean(off)


def test_upload_parameter_turns_backup_on(off: Server, files: list[Path]) -> None:
    uploaded = cloudinary.uploader.upload(str(files[0]), public_id="bk/asked", backup=True)
    assert cloudinary.api.resource(uploaded["public_id"])["backup"] is True
    cloudinary.uploader.destroy("bk/asked")
    restored = cloudinary.api.restore(["bk/asked"])["bk/asked"]
    assert served(restored["url"]) == files[0].read_bytes()
    assert fsck_clean(off)
