"""fsck finds every kind of disagreement between catalog and blob store; repair is safe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pyvips

from cloudlet.app import build_deps
from cloudlet.catalog.model import Cloud, Derived
from cloudlet.services import clouds, derive, upload
from cloudlet.services.auth import UploadAuth
from cloudlet.services.deps import Deps
from cloudlet.services.fsck import fsck, sweep_journal
from cloudlet.services.staging import UploadSource
from cloudlet.settings import Settings


@pytest.fixture(params=["local", "s3"])
def blob_store_url(request: pytest.FixtureRequest) -> str:
    """CLOUDLET_STORAGE_URL: empty (local disk) or a fresh prefix on the test S3 server."""
    return "" if request.param == "local" else request.getfixturevalue("s3_storage_url")


@pytest.fixture()
def deps(tmp_path: Path, database_url: str, blob_store_url: str) -> Iterator[Deps]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, storage_url=blob_store_url
    )
    built = build_deps(settings)
    yield built
    built.catalog.close()


@pytest.fixture()
def cloud(deps: Deps) -> Cloud:
    return clouds.create_cloud(deps, "fscktest")


def put(deps: Deps, cloud: Cloud, tmp_path: Path, public_id: str) -> dict:
    path = tmp_path / f"{public_id}.png"
    pyvips.Image.black(8, 8).write_to_file(str(path))
    with path.open("rb") as stream:
        return upload.upload(
            deps,
            cloud,
            "image",
            {"public_id": public_id},
            UploadSource(stream=stream, filename=path.name),
            UploadAuth(signed=True, preset=None),
        )


def storage_key(deps: Deps, cloud: Cloud, public_id: str) -> str:
    asset = deps.catalog.get_asset(cloud.id, "image", "upload", public_id)
    assert asset is not None
    return asset.storage_key


def damage(deps: Deps, key: str, change: Callable[[bytes], bytes | None]) -> None:
    """Change the bytes the store holds under ``key`` behind Cloudlet's back (None: delete
    them): the file on disk, or the object in the bucket (whatever the local cache holds)."""
    storage: Any = deps.storage
    if not deps.settings.storage_url:
        path = storage.local_path(key)
        new = change(path.read_bytes())
        path.unlink() if new is None else path.write_bytes(new)
        return
    name = storage.prefix + key
    old = storage.client.get_object(Bucket=storage.bucket, Key=name)["Body"].read()
    new = change(old)
    if new is None:
        storage.client.delete_object(Bucket=storage.bucket, Key=name)
    else:
        storage.client.put_object(Bucket=storage.bucket, Key=name, Body=new)


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def test_clean_store_is_clean(deps: Deps, cloud: Cloud, tmp_path: Path) -> None:
    put(deps, cloud, tmp_path, "a")
    report = fsck(deps)
    assert report.clean and report.assets_checked == 1 and report.blobs_seen == 1


def test_missing_and_damaged_originals_are_reported_never_repaired(
    deps: Deps, cloud: Cloud, tmp_path: Path
) -> None:
    put(deps, cloud, tmp_path, "gone")
    put(deps, cloud, tmp_path, "resized")
    put(deps, cloud, tmp_path, "flipped")
    damage(deps, storage_key(deps, cloud, "gone"), lambda _: None)
    damage(deps, storage_key(deps, cloud, "resized"), lambda _: b"short")
    damage(deps, storage_key(deps, cloud, "flipped"), _flip_last_byte)
    report = fsck(deps, repair=True)
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["etag_mismatch", "missing_blob", "size_mismatch"]
    assert not report.clean and not any(p.repaired for p in report.problems)
    assert deps.catalog.get_asset(cloud.id, "image", "upload", "gone") is not None
    quick = sorted(p.kind for p in fsck(deps, verify_etags=False).problems)
    assert quick == ["missing_blob", "size_mismatch"]  # etags not re-hashed


def test_damaged_derivatives_are_reported_and_repair_lets_them_render_again(
    deps: Deps, cloud: Cloud, tmp_path: Path
) -> None:
    put(deps, cloud, tmp_path, "a")
    asset = deps.catalog.get_asset(cloud.id, "image", "upload", "a")
    assert asset is not None

    def render(text: str) -> Derived:
        request = derive.parse_request(deps, cloud, text, asset, None, "")
        return derive.derive(deps, cloud, asset, request, allowed=True)

    gone, short, flipped = (render(f"w_{w}") for w in (4, 5, 6))
    damage(deps, gone.storage_key, lambda _: None)
    damage(deps, short.storage_key, lambda data: data[:-1])
    damage(deps, flipped.storage_key, _flip_last_byte)
    kinds = sorted(p.kind for p in fsck(deps).problems)
    assert kinds == ["etag_mismatch", "missing_blob", "size_mismatch"]
    report = fsck(deps, repair=True)
    assert report.clean and len(report.problems) == 3  # derivatives can be rendered again
    assert deps.catalog.list_derived(asset.id) == []
    assert fsck(deps).clean
    again = render("w_6")
    assert again.etag == flipped.etag and deps.storage.md5(again.storage_key) == again.etag


def test_orphan_blob_is_reported_and_repair_removes_it(
    deps: Deps, cloud: Cloud, tmp_path: Path
) -> None:
    put(deps, cloud, tmp_path, "kept")
    deps.storage.put_bytes("1/originals/zz/orphan", b"nobody's")
    report = fsck(deps)
    assert [p.kind for p in report.problems] == ["orphan_blob"] and not report.clean
    repaired = fsck(deps, repair=True)
    assert repaired.clean and not deps.storage.exists("1/originals/zz/orphan")
    assert fsck(deps).clean and deps.storage.exists(
        deps.catalog.get_asset(cloud.id, "image", "upload", "kept").storage_key  # type: ignore[union-attr]
    )


def test_journal_of_an_interrupted_upload(deps: Deps, cloud: Cloud, tmp_path: Path) -> None:
    deps.catalog.journal_add("1/originals/ab/interrupted", deps.now())
    deps.storage.put_bytes("1/originals/ab/interrupted", b"half an upload")
    young = fsck(deps, repair=True)
    assert [p.kind for p in young.problems] == ["stale_journal"]  # may still be in flight
    assert deps.storage.exists("1/originals/ab/interrupted")
    sweep_journal(deps, deps.now() + timedelta(seconds=1))
    assert not deps.storage.exists("1/originals/ab/interrupted")
    assert deps.catalog.journal_entries() == [] and fsck(deps).clean


def test_failed_upload_leaves_nothing(deps: Deps, cloud: Cloud, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with bad.open("rb") as stream, pytest.raises(Exception, match="Invalid image file"):
        upload.upload(
            deps,
            cloud,
            "image",
            {},
            UploadSource(stream=stream, filename="bad.png"),
            UploadAuth(signed=True, preset=None),
        )
    assert list(deps.storage.iter_keys()) == [] and deps.catalog.journal_entries() == []
    assert fsck(deps).clean
