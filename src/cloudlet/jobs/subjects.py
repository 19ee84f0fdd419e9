"""What a job works on, looked up again when it runs (it may be gone by then)."""

from __future__ import annotations

from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.services.deps import Deps


def job_asset(deps: Deps, payload: dict[str, Any]) -> tuple[Cloud, Asset] | None:
    """The cloud and asset named by ``payload["cloud"]`` and ``payload["asset_id"]``; None
    when either was deleted since the job was queued (the job then has nothing to do)."""
    cloud = deps.catalog.get_cloud(payload["cloud"])
    if cloud is None:
        return None
    asset = deps.catalog.get_asset_by_asset_id(cloud.id, payload["asset_id"])
    return None if asset is None else (cloud, asset)
