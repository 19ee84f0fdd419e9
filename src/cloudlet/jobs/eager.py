"""The ``eager`` job: render the derivatives an ``eager_async`` call asked for, then notify.

Idempotent: a derivative that exists is reused (unless ``explicit`` asked to force a fresh
render), so a run repeated after a crash only sends the notification again. A render
refused because the render pool is full fails the run, which Huey retries; other errors
are reported in the notification as ``failed``.
"""

from __future__ import annotations

from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import CloudletError
from cloudlet.jobs.subjects import job_asset
from cloudlet.services import derive
from cloudlet.services.deps import Deps
from cloudlet.services.eager import eager_entry
from cloudlet.services.notifications import notify
from cloudlet.services.render_pool import OverloadedError
from cloudlet.services.webhooks import cloud_notification_url


def run(deps: Deps, payload: dict[str, Any]) -> None:
    """Render each transformation of ``payload["eager"]``; notify when a URL was given."""
    found = job_asset(deps, payload)
    if found is None:
        return  # deleted meanwhile: nothing to render, nobody to tell about it
    cloud, asset = found
    entries = [
        _render_one(deps, cloud, asset, text, fmt, force=bool(payload["force"]))
        for text, fmt in payload["eager"]
    ]
    url = payload.get("notification_url") or cloud_notification_url(cloud)
    if url:
        body = {
            "notification_type": "eager",
            "batch_id": payload["batch_id"],
            "asset_id": asset.asset_id,
            "public_id": asset.public_id,
            "resource_type": asset.resource_type,
            "type": asset.type,
            "version": asset.version,
            "eager": entries,
        }
        notify(deps, cloud, url, body)


def _render_one(
    deps: Deps, cloud: Cloud, asset: Asset, text: str, fmt: str | None, *, force: bool
) -> dict[str, Any]:
    """One entry of the notification's ``eager`` list: the derivative, or why it failed."""
    try:
        request = derive.parse_request(deps, cloud, text, asset, fmt, "")
        found = derive.derive(deps, cloud, asset, request, allowed=True, force=force)
    except OverloadedError:
        raise  # the render pool was full for a moment: Huey runs the job again later
    except CloudletError as exc:
        return {"transformation": text, "status": "failed", "reason": exc.message}
    return {**eager_entry(deps, cloud, asset, found), "status": "processed"}
