"""The ``background_removal`` job: cut the subject out of the original and store the PNG as a
new version of the same public id, with ``info.background_removal.cloudinary_ai.status``
``complete``; then notify.

The new version goes through the upload commit path (blob journal, previous version's bytes
and derivatives removed). Idempotent: the result version records the ``version_id`` it was
cut from, so a run repeated after a crash finds its work done and only notifies again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyvips

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.imaging.background import remove_background
from cloudlet.imaging.probe import probe
from cloudlet.jobs.subjects import job_asset
from cloudlet.services.addons import CUT_FROM, background_removal_info
from cloudlet.services.deps import Deps
from cloudlet.services.notifications import notify
from cloudlet.services.presenter import asset_urls, iso
from cloudlet.services.staging import Staged, file_md5
from cloudlet.services.upload import UploadPlan, commit_version
from cloudlet.services.webhooks import cloud_notification_url


def run(deps: Deps, payload: dict[str, Any]) -> None:
    """Remove the background of the asset's current version unless that is already done."""
    found = job_asset(deps, payload)
    if found is None:
        return  # deleted meanwhile
    cloud, asset = found
    if asset.extra.get(CUT_FROM) != payload["version_id"]:
        asset = _cut_out(deps, cloud, asset, payload["version_id"])
    url = payload.get("notification_url") or cloud_notification_url(cloud)
    if url:
        notify(deps, cloud, url, _notification(deps, cloud, asset))


def _cut_out(deps: Deps, cloud: Cloud, asset: Asset, source_version_id: str) -> Asset:
    source = _local_copy(deps, asset)
    dest = deps.storage.new_staging_path(".png")
    try:
        image = _srgb(pyvips.Image.new_from_file(str(source.path)).autorot())
        remove_background(image).pngsave(str(dest))
        probed = probe(dest, "image", filename=dest.name)
        staged = Staged(dest, dest.name, dest.stat().st_size, file_md5(dest))
        return commit_version(deps, cloud, probed, staged, _plan(asset, source_version_id))
    finally:
        dest.unlink(missing_ok=True)
        source.discard()


def _srgb(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB, as the cut-out expects."""
    if image.interpretation != "srgb":
        image = image.colourspace("srgb")
    return image if image.format == "uchar" else image.cast("uchar")


def _plan(asset: Asset, source_version_id: str) -> UploadPlan:
    """The new version keeps everything about the asset but its bytes."""
    extra = {k: v for k, v in asset.extra.items() if k not in ("media", "info", CUT_FROM)}
    found = asset.extra.get("info")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    extra["info"] = {**info, **background_removal_info("complete")}
    extra[CUT_FROM] = source_version_id
    return UploadPlan(
        public_id=asset.public_id,
        type=asset.type,
        overwrite=True,
        asset_folder=asset.asset_folder,
        display_name=asset.display_name,
        original_filename=asset.original_filename,
        tags=list(asset.tags),
        context=dict(asset.context),
        extra=extra,
    )


class _Source:
    """The original's bytes as a local file (a copy only when the store is not local)."""

    def __init__(self, path: Path, temporary: bool) -> None:
        self.path, self.temporary = path, temporary

    def discard(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)


def _local_copy(deps: Deps, asset: Asset) -> _Source:
    local = deps.storage.local_path(asset.storage_key)
    if local is not None:
        return _Source(local, temporary=False)
    copy = deps.storage.new_staging_path()
    with deps.storage.open(asset.storage_key) as blob, open(copy, "wb") as out:
        shutil.copyfileobj(blob, out)
    return _Source(copy, temporary=True)


def _notification(deps: Deps, cloud: Cloud, asset: Asset) -> dict[str, Any]:
    """Cloudinary's add-on notification: ``info_kind`` names the add-on."""
    url, secure_url = asset_urls(deps.settings, cloud, asset)
    return {
        "notification_type": "info",
        "info_kind": "cloudinary_ai",
        "info_status": "complete",
        "info_data": asset.extra.get("info", {}),
        "asset_id": asset.asset_id,
        "public_id": asset.public_id,
        "resource_type": asset.resource_type,
        "type": asset.type,
        "version": asset.version,
        "version_id": asset.version_id,
        "format": asset.format,
        "etag": asset.etag,
        "uploaded_at": iso(asset.uploaded_at),
        "url": url,
        "secure_url": secure_url,
    }
