"""The JSON list of a tag's assets: ``GET /{cloud}/{rt}/list/{tag}.json``.

Cloudinary restricts the ``list`` type by default; a cloud opts in with the setting
``resource_list=true`` (``cloudlet clouds set``). A URL signed with the cloud's secret
(``…/list/s--SIG--/{tag}.json``) is served either way.
"""

from __future__ import annotations

from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.delivery import signatures
from cloudlet.delivery.url import DeliveryRequest
from cloudlet.errors import AuthenticationError, NotFoundError
from cloudlet.services.clouds import cloud_settings
from cloudlet.services.deps import Deps
from cloudlet.services.presenter import iso

MAX_RESOURCES = 1000
_PAGE = 500
LIST_RESOURCE_TYPES = ("image", "video", "raw")


def tag_list(deps: Deps, request: DeliveryRequest) -> dict[str, Any]:
    """``{"resources": [...], "updated_at": ...}`` for the tag the URL names (newest
    ``MAX_RESOURCES`` by public id); 401 when the cloud restricts lists, 404 for no assets."""
    cloud = deps.catalog.get_cloud(request.cloud)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {request.cloud}")
    tag, dot, ext = request.public_path.rpartition(".")
    if request.resource_type not in LIST_RESOURCE_TYPES or not dot or ext != "json" or not tag:
        raise NotFoundError(f"Resource not found - {request.public_path}")
    _check_allowed(cloud, request)
    found = _tagged(deps, cloud, request.resource_type, tag)
    if not found:
        raise NotFoundError(f"Resource not found - {request.public_path}")
    return {
        "resources": [_item(asset) for asset in found],
        "updated_at": iso(max(asset.updated_at for asset in found)),
    }


def _check_allowed(cloud: Cloud, request: DeliveryRequest) -> None:
    if request.signature is not None:
        if any(
            signatures.verify_delivery_signature(request.signature, text, cloud.api_secret)
            for text in request.to_sign_candidates
        ):
            return
        raise AuthenticationError("Invalid signature")
    if not cloud_settings(cloud).get("resource_list"):
        raise AuthenticationError(
            "Resource list is restricted: enable the cloud's resource_list setting or sign the URL"
        )


def _tagged(deps: Deps, cloud: Cloud, resource_type: str, tag: str) -> list[Asset]:
    found: list[Asset] = []
    cursor: str | None = None
    while len(found) < MAX_RESOURCES:
        page = deps.catalog.list_assets(
            cloud.id, resource_type, None, tag=tag, max_results=_PAGE, cursor=cursor
        )
        found.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    return sorted(found[:MAX_RESOURCES], key=lambda a: (a.public_id, a.type))


def _item(asset: Asset) -> dict[str, Any]:
    item: dict[str, Any] = {
        "public_id": asset.public_id,
        "version": asset.version,
        "format": asset.format,
        "width": asset.width,
        "height": asset.height,
        "type": asset.type,
        "created_at": iso(asset.created_at),
    }
    if asset.width is None:
        del item["width"], item["height"]
    if asset.context:
        item["context"] = {"custom": dict(asset.context)}
    return item
