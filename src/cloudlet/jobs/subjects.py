"""What a job works on, looked up again when it runs (it may be gone by then)."""

from __future__ import annotations

from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.services.deps import Deps


def job_asset(deps: Deps, payload: dict[str, Any]) -> tuple[Cloud, Asset] | None:
    """The cloud and asset named by ``payload["cloud"]`` and ``payload["asset_id"]``; None
    when either was deleted since the job was queued (the job then has nothing to do).

    A job reserved before its upload's write and recovered after a crash has no asset id
    (``services.eager_async``): it names the asset by resource type, type and public id, and
    is for it only while the asset is at the upload's ``version_id`` (else the upload never
    committed, or a later one replaced it, whose own job does the work)."""
    cloud = deps.catalog.get_cloud(payload["cloud"])
    if cloud is None:
        return None
    if "asset_id" in payload:
        asset = deps.catalog.get_asset_by_asset_id(cloud.id, payload["asset_id"])
    else:
        rt, kind, public_id = payload["resource_type"], payload["type"], payload["public_id"]
        asset = deps.catalog.get_asset(cloud.id, rt, kind, public_id)
        if asset is not None and asset.version_id != payload["version_id"]:
            asset = None
    return None if asset is None else (cloud, asset)
