"""Admin API read and update use cases: listings, single resources, tags, usage, config."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services import backups
from cloudlet.services.addons import check_addons, request_background_removal
from cloudlet.services.asset_updates import apply_updates
from cloudlet.services.attribute_changes import report_attributes
from cloudlet.services.clouds import cloud_settings
from cloudlet.services.deps import Deps
from cloudlet.services.eager import derivative_urls
from cloudlet.services.events import Actor
from cloudlet.services.faces import add_faces
from cloudlet.services.metadata import add_listing_metadata, add_metadata
from cloudlet.services.presenter import brief_resource, full_resource, iso
from cloudlet.services.values import as_bool, as_int, as_list, as_str

RESOURCE_TYPES = ("image", "video", "raw")
MAX_IDS = 100


def check_resource_type(resource_type: str, *, allow_all: bool = False) -> None:
    """404 like Cloudinary for an unknown resource type in an Admin API path."""
    allowed = (*RESOURCE_TYPES, "all") if allow_all else RESOURCE_TYPES
    if resource_type not in allowed:
        raise NotFoundError(f"Invalid resource type {resource_type}")


def list_resources(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    type: str | None,
    params: Mapping[str, Any],
    *,
    tag: str | None = None,
    by_context: bool = False,
) -> dict[str, Any]:
    """``GET /resources/{rt}[/{type}]``, ``/resources/{rt}/tags/{tag}`` and
    ``/resources/{rt}/context?key=…&value=…`` (``by_context``)."""
    check_resource_type(resource_type)
    public_ids = as_list(params, "public_ids")
    if public_ids:
        return resources_by_ids(deps, cloud, resource_type, type or "upload", params)
    direction = _direction(params)
    page = deps.catalog.list_assets(
        cloud.id,
        resource_type,
        type or as_str(params, "type"),
        prefix=as_str(params, "prefix"),
        tag=tag,
        context_key=_context_key(params) if by_context else None,
        context_value=as_str(params, "value") if by_context else None,
        start_at=_start_at(params),
        direction=direction,
        max_results=as_int(params, "max_results", 10, minimum=1, maximum=500) or 10,
        cursor=as_str(params, "next_cursor"),
        with_tags=as_bool(params, "tags"),  # only shown when asked for
    )
    return _page_response(deps, cloud, page.items, page.next_cursor, params)


def resources_by_ids(
    deps: Deps, cloud: Cloud, resource_type: str, type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``GET /resources/{rt}/{type}?public_ids[]=…`` (at most 100)."""
    public_ids = as_list(params, "public_ids")
    if len(public_ids) > MAX_IDS:
        raise BadRequestError(f"Too many public_ids: at most {MAX_IDS} per request")
    assets = deps.catalog.get_assets_by_public_ids(cloud.id, resource_type, type, public_ids)
    return _page_response(deps, cloud, assets, None, params)


def resources_by_asset_ids(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /resources/by_asset_ids?asset_ids[]=…``."""
    asset_ids = as_list(params, "asset_ids")
    if len(asset_ids) > MAX_IDS:
        raise BadRequestError(f"Too many asset_ids: at most {MAX_IDS} per request")
    assets = deps.catalog.get_assets_by_asset_ids(cloud.id, asset_ids)
    return _page_response(deps, cloud, assets, None, params)


def _page_response(
    deps: Deps, cloud: Cloud, assets: list[Asset], cursor: str | None, params: Mapping[str, Any]
) -> dict[str, Any]:
    tags, context = as_bool(params, "tags"), as_bool(params, "context")
    items = [brief_resource(deps.settings, cloud, a, tags=tags, context=context) for a in assets]
    if as_bool(params, "metadata"):
        add_listing_metadata(deps, items, assets)
    fields = as_list(params, "fields", split_commas=True)
    if fields:
        keep = set(fields) | {"public_id", "asset_id", "resource_type", "type"}
        items = [{k: v for k, v in item.items() if k in keep} for item in items]
    body: dict[str, Any] = {"resources": items}
    if cursor:
        body["next_cursor"] = cursor
    return body


def _context_key(params: Mapping[str, Any]) -> str:
    key = as_str(params, "key")
    if not key:
        raise BadRequestError("Missing required parameter - key")
    return key


def _direction(params: Mapping[str, Any]) -> str:
    raw = (as_str(params, "direction") or "desc").lower()
    mapping = {"desc": "desc", "-1": "desc", "asc": "asc", "1": "asc"}
    if raw not in mapping:
        raise BadRequestError(f"Invalid value for parameter direction: {raw!r}")
    return mapping[raw]


def _start_at(params: Mapping[str, Any]) -> datetime | None:
    raw = as_str(params, "start_at")
    if not raw:
        return None
    return parse_timestamp(raw, "start_at")


def parse_timestamp(raw: str, name: str) -> datetime:
    """ISO 8601, RFC 2822 or a JavaScript ``Date.toString()`` string → aware UTC datetime."""
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = email.utils.parsedate_tz(text.split(" (")[0].replace("GMT", ""))
        if parsed is None:
            raise BadRequestError(f"Invalid value for parameter {name}: {raw!r}") from None
        moment = datetime.fromtimestamp(email.utils.mktime_tz(parsed), UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def get_resource(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    type: str,
    public_id: str,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """``GET /resources/{rt}/{type}/{public_id}`` (``related=true`` adds related assets,
    ``versions=true`` the backed-up versions). A deleted asset with backups answers as a
    placeholder."""
    check_resource_type(resource_type)
    asset = deps.catalog.get_asset(cloud.id, resource_type, type, public_id)
    if asset is None:
        deleted = backups.deleted_resource(deps, cloud, (resource_type, type, public_id), params)
        if deleted is None:
            raise NotFoundError(f"Resource not found - {public_id}")
        return deleted
    return _resource_body(deps, cloud, asset, params)


def get_resource_by_asset_id(
    deps: Deps, cloud: Cloud, asset_id: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``GET /resources/{asset_id}``."""
    asset = deps.catalog.get_asset_by_asset_id(cloud.id, asset_id)
    if asset is None:
        raise NotFoundError(f"Resource not found - {asset_id}")
    return _resource_body(deps, cloud, asset, params)


def _resource_body(
    deps: Deps, cloud: Cloud, asset: Asset, params: Mapping[str, Any]
) -> dict[str, Any]:
    body = full_resource(deps.settings, cloud, asset)
    body["derived"] = [
        {
            "transformation": found.transformation,
            "format": found.format,
            "bytes": found.bytes,
            "id": found.derived_id,
            "url": urls[0],
            "secure_url": urls[1],
        }
        for found in deps.catalog.list_derived(asset.id)
        if found.version_id == asset.version_id
        for urls in [derivative_urls(deps, cloud, asset, found)]
    ]
    if as_bool(params, "related"):
        body.update(related_listing(deps, cloud, asset, params))
    if as_bool(params, "versions"):
        ids = (asset.resource_type, asset.type, asset.public_id)
        body["versions"] = backups.versions_listing(deps, cloud, ids, asset)
    add_faces(deps, body, asset, params)
    add_metadata(deps, body, asset)
    return body


def related_listing(
    deps: Deps, cloud: Cloud, asset: Asset, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``related_assets`` (and ``related_next_cursor``) for the single-resource response."""
    page = deps.catalog.related_assets(
        asset.id,
        max_results=as_int(params, "max_results", 10, minimum=1, maximum=500) or 10,
        cursor=as_str(params, "related_next_cursor"),
    )
    body: dict[str, Any] = {
        "related_assets": [brief_resource(deps.settings, cloud, a) for a in page.items]
    }
    if page.next_cursor:
        body["related_next_cursor"] = page.next_cursor
    return body


def find_asset(deps: Deps, cloud: Cloud, resource_type: str, type: str, public_id: str) -> Asset:
    """The asset or NotFoundError with Cloudinary's message."""
    check_resource_type(resource_type)
    asset = deps.catalog.get_asset(cloud.id, resource_type, type, public_id)
    if asset is None:
        raise NotFoundError(f"Resource not found - {public_id}")
    return asset


def update_resource(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    type: str,
    public_id: str,
    params: Mapping[str, Any],
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """``POST /resources/{rt}/{type}/{public_id}``: tags, context, coordinates (changed
    tags and context are reported: ``resource_tags_changed``, ``resource_context_changed``)."""
    asset = find_asset(deps, cloud, resource_type, type, public_id)
    check_addons(params)
    before = asset
    asset = apply_updates(deps, asset, params)
    report_attributes(deps, cloud, [before], params, actor, [asset])
    asset = request_background_removal(deps, cloud, asset, params)
    return add_metadata(deps, full_resource(deps.settings, cloud, asset), asset)


def list_tags(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``GET /tags/{rt}``: distinct tags, optionally by prefix, paged."""
    check_resource_type(resource_type)
    page = deps.catalog.list_tags(
        cloud.id,
        resource_type,
        prefix=as_str(params, "prefix"),
        max_results=as_int(params, "max_results", 10, minimum=1, maximum=500) or 10,
        cursor=as_str(params, "next_cursor"),
    )
    body: dict[str, Any] = {"tags": page.items}
    if page.next_cursor:
        body["next_cursor"] = page.next_cursor
    return body


def usage(deps: Deps, cloud: Cloud) -> dict[str, Any]:
    """``GET /usage``: the keys the SDK's tests check, filled from the catalog."""
    counts = deps.catalog.usage(cloud.id)
    settings = deps.settings
    now = iso(deps.now())

    def metric(value: int) -> dict[str, Any]:
        return {"usage": value, "limit": 0, "used_percent": 0.0, "credits_usage": 0.0}

    return {
        "plan": "Self-hosted",
        "last_updated": now[:10],
        "date_requested": now,
        "transformations": metric(0),
        "objects": metric(counts.get("resources", 0)),
        "bandwidth": metric(0),
        "storage": metric(counts.get("storage_bytes", 0)),
        "requests": 0,
        "resources": counts.get("resources", 0),
        "derived_resources": counts.get("derived_resources", 0),
        "credits": {"usage": 0.0},
        "media_limits": {
            "image_max_size_bytes": settings.max_image_bytes,
            "video_max_size_bytes": settings.max_video_bytes,
            "raw_max_size_bytes": settings.max_raw_bytes,
            "image_max_px": settings.max_image_pixels,
            "asset_max_total_px": settings.max_image_pixels,
        },
    }


def config(cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /config``: the cloud name, and its settings when ``settings=true``."""
    body: dict[str, Any] = {"cloud_name": cloud.name}
    if as_bool(params, "settings"):
        body["settings"] = cloud_settings(cloud)
    return body
