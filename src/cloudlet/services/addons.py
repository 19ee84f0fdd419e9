"""Add-ons: ``background_removal=cloudinary_ai`` on upload, explicit and update.

The request is answered at once with ``info.background_removal.cloudinary_ai.status``
``pending``; the ``background_removal`` job (``cloudlet.jobs.background_removal``) cuts the
subject out of the original with ``imaging.background`` and stores the PNG as a new version
of the same public id, with the status ``complete``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError
from cloudlet.services.deps import Deps
from cloudlet.services.queue import enqueue
from cloudlet.services.values import as_str

BACKGROUND_REMOVAL_JOB = "background_removal"
BACKGROUND_REMOVAL_VALUES = ("cloudinary_ai",)
# extra[] key of a result version: the version_id it was cut from (makes the job idempotent)
CUT_FROM = "background_removal_of"


def check_addons(params: Mapping[str, Any]) -> None:
    """BadRequestError for an add-on value Cloudlet does not run (before anything changes)."""
    value = as_str(params, "background_removal")
    if value and value not in BACKGROUND_REMOVAL_VALUES:
        raise BadRequestError(
            f"Illegal value {value} for parameter background_removal "
            f"(valid: {', '.join(BACKGROUND_REMOVAL_VALUES)})"
        )


def background_removal_info(status: str) -> dict[str, Any]:
    """The ``info`` object an asset carries while (and after) its background is removed."""
    return {"background_removal": {"cloudinary_ai": {"status": status}}}


def request_background_removal(
    deps: Deps, cloud: Cloud, asset: Asset, params: Mapping[str, Any]
) -> Asset:
    """Mark the asset ``pending`` and queue the job when ``params`` asks for the add-on
    (check_addons has accepted the value); returns the asset as stored."""
    if not as_str(params, "background_removal") or asset.resource_type != "image":
        return asset
    info = {**_info(asset), **background_removal_info("pending")}
    asset = deps.catalog.update_asset(asset.id, extra={"info": info}, now=deps.now())
    payload = {
        "cloud": cloud.name,
        "asset_id": asset.asset_id,
        "version_id": asset.version_id,
        "notification_url": as_str(params, "notification_url") or "",
    }
    enqueue(deps.queue, BACKGROUND_REMOVAL_JOB, payload)
    return asset


def _info(asset: Asset) -> dict[str, Any]:
    info = asset.extra.get("info")
    return dict(info) if isinstance(info, dict) else {}
