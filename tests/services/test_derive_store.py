"""Storing a derivative: written without fsync, recorded in one transaction, and never served
from a blob a power loss left missing or short (it is rendered again instead)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import pyvips

from cloudlet.app import build_deps
from cloudlet.catalog.model import Asset, Cloud, Derived
from cloudlet.errors import AuthenticationError
from cloudlet.jobs.handlers import run_job
from cloudlet.services import clouds, derive, upload
from cloudlet.services.auth import UploadAuth
from cloudlet.services.deps import Deps
from cloudlet.services.render_pool import OverloadedError, RenderPool
from cloudlet.services.staging import UploadSource
from cloudlet.settings import Settings

FILL = "c_fill,w_20,h_20"


@pytest.fixture()
def deps(tmp_path: Path, database_url: str) -> Iterator[Deps]:
    built = build_deps(Settings(data_dir=tmp_path / "data", database_url=database_url))
    yield built
    built.catalog.close()


@pytest.fixture()
def cloud(deps: Deps) -> Cloud:
    return clouds.create_cloud(deps, "derivestore")


@pytest.fixture()
def asset(deps: Deps, cloud: Cloud, tmp_path: Path) -> Asset:
    path = tmp_path / "photo.jpg"
    pyvips.Image.xyz(64, 48).bandjoin(64).cast("uchar").write_to_file(str(path))
    with path.open("rb") as stream:
        upload.upload(
            deps,
            cloud,
            "image",
            {"public_id": "photo"},
            UploadSource(stream=stream, filename=path.name),
            UploadAuth(signed=True, preset=None),
        )
    found = deps.catalog.get_asset(cloud.id, "image", "upload", "photo")
    assert found is not None
    return found


def render(deps: Deps, cloud: Cloud, asset: Asset, text: str, *, allowed: bool) -> Derived:
    request = derive.parse_request(deps, cloud, text, asset, None, "")
    return derive.derive(deps, cloud, asset, request, allowed=allowed)


def blob(deps: Deps, record: Derived) -> bytes:
    with deps.storage.open(record.storage_key) as stream:
        return stream.read()


def test_a_render_is_recorded_exactly_as_the_catalog_holds_it(
    deps: Deps, cloud: Cloud, asset: Asset
) -> None:
    record = render(deps, cloud, asset, FILL, allowed=False)
    stored = deps.catalog.get_derived(
        asset.id, asset.version_id, record.transformation, record.format
    )
    assert record == stored  # built from what was written, not read back
    assert (record.width, record.height, record.bytes) == (20, 20, len(blob(deps, record)))
    assert deps.catalog.journal_entries() == []
    assert render(deps, cloud, asset, FILL, allowed=False) == record  # served as stored


DAMAGE: dict[str, Callable[[Path], None]] = {
    "short": lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "empty": lambda path: path.write_bytes(b""),
    "missing": lambda path: path.unlink(),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_blob_a_power_loss_left_short_or_missing_is_rendered_again(
    deps: Deps, cloud: Cloud, asset: Asset, damage: Callable[[Path], None]
) -> None:
    first = render(deps, cloud, asset, FILL, allowed=False)
    whole = blob(deps, first)
    path = deps.storage.local_path(first.storage_key)
    assert path is not None
    damage(path)
    again = render(deps, cloud, asset, FILL, allowed=False)
    assert again.storage_key != first.storage_key
    assert blob(deps, again) == whole  # the same render, complete
    assert (again.bytes, again.etag) == (first.bytes, first.etag)
    key = (again.transformation, again.format)
    assert deps.catalog.get_derived(asset.id, asset.version_id, *key) == again
    assert not deps.storage.exists(first.storage_key)  # the broken blob is gone
    assert deps.catalog.journal_entries() == []


def test_strict_transformations_still_let_a_lost_derivative_be_rendered_again(
    deps: Deps, cloud: Cloud, asset: Asset
) -> None:
    strict = deps.catalog.update_cloud_settings(cloud.name, {"strict_transformations": True})
    first = render(deps, strict, asset, FILL, allowed=True)  # eager, or a signed URL
    path = deps.storage.local_path(first.storage_key)
    assert path is not None
    path.unlink()
    again = render(deps, strict, asset, FILL, allowed=False)
    assert deps.storage.intact(again.storage_key, again.bytes)
    with pytest.raises(AuthenticationError, match="not allowed"):
        render(deps, strict, asset, "c_fill,w_21,h_21", allowed=False)


def test_an_eager_job_refused_by_a_full_render_pool_fails_to_be_retried(
    deps: Deps, cloud: Cloud, asset: Asset
) -> None:
    # a "failed" entry would leave the derivative never made; Huey retries a failed run
    busy = replace(deps, renders=RenderPool(workers=1, max_pending=1))
    release = threading.Event()
    holder = threading.Thread(
        target=busy.renders.run, args=("busy", release.wait, lambda done: done, 10)
    )
    holder.start()
    payload = {"cloud": cloud.name, "asset_id": asset.asset_id, "eager": [[FILL, None]],
               "force": False, "batch_id": "b", "notification_url": ""}  # fmt: skip
    try:
        with pytest.raises(OverloadedError):
            run_job(busy, "eager", payload)
    finally:
        release.set()
        holder.join()
    assert deps.catalog.list_derived(asset.id) == []
    run_job(busy, "eager", payload)  # the retry, with room in the pool
    assert [d.transformation for d in deps.catalog.list_derived(asset.id)] == ["c_fill,h_20,w_20"]
