"""Eager derivatives: rendered at upload (``eager``) or on demand with ``explicit``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cloudlet.catalog.model import Asset, Cloud, Derived
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services import derive
from cloudlet.services.addons import check_addons, request_background_removal
from cloudlet.services.asset_updates import apply_updates
from cloudlet.services.attribute_changes import report_attributes
from cloudlet.services.deps import Deps
from cloudlet.services.eager_async import queue_eager
from cloudlet.services.events import Actor, Change, Snapshot, publish
from cloudlet.services.faces import add_faces
from cloudlet.services.metadata import add_metadata
from cloudlet.services.presenter import upload_result
from cloudlet.services.values import as_bool, as_str
from cloudlet.transform.parse import is_component

MAX_EAGER = 20
EXPLICIT_TYPES = ("upload", "private", "authenticated")


def parse_eager(value: Any) -> list[tuple[str, str | None]]:
    """``c_scale,w_100|w_50/png`` (or a list) → [(transformation, format or None), …]."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else str(value).split("|")
    result: list[tuple[str, str | None]] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        head, _, tail = item.rpartition("/")
        if head and tail and not is_component(tail):
            result.append((head, tail.lower()))
        elif not head and tail and not is_component(tail):
            result.append(("", tail.lower()))
        else:
            result.append((item, None))
    if len(result) > MAX_EAGER:
        raise BadRequestError(f"At most {MAX_EAGER} eager transformations per call")
    return result


def derivative_urls(deps: Deps, cloud: Cloud, asset: Asset, found: Derived) -> tuple[str, str]:
    """The delivery URLs of a derivative (canonical transformation, current version)."""
    name = quote(asset.public_id, safe="/:-_.~")
    parts = [asset.resource_type, asset.type, found.transformation, f"v{asset.version}"]
    path = "/".join(p for p in parts if p) + f"/{name}.{found.format}"
    settings = deps.settings
    return (
        f"{settings.base_url}/{cloud.name}/{path}",
        f"{settings.secure_base_url}/{cloud.name}/{path}",
    )


def eager_entry(deps: Deps, cloud: Cloud, asset: Asset, found: Derived) -> dict[str, Any]:
    """One item of the ``eager`` array in upload and explicit responses."""
    url, secure_url = derivative_urls(deps, cloud, asset, found)
    return {
        "transformation": found.transformation,
        "width": found.width,
        "height": found.height,
        "bytes": found.bytes,
        "format": found.format,
        "url": url,
        "secure_url": secure_url,
    }


def render_eager(
    deps: Deps, cloud: Cloud, asset: Asset, eager: Any, *, force: bool
) -> list[dict[str, Any]]:
    """Render every eager transformation now (creating derivatives is always allowed here,
    strict transformations or not); their response entries."""
    entries = []
    for text, fmt in parse_eager(eager):
        request = derive.parse_request(deps, cloud, text, asset, fmt, "")
        found = derive.derive(deps, cloud, asset, request, allowed=True, force=force)
        entries.append(eager_entry(deps, cloud, asset, found))
    return entries


def eager_fields(
    deps: Deps, cloud: Cloud, asset: Asset, params: Mapping[str, Any], *, force: bool
) -> dict[str, Any]:
    """The response fields for ``eager``: the rendered entries, or with ``eager_async`` only
    a ``batch_id`` (the renders are queued)."""
    items = parse_eager(params.get("eager"))
    if not items:
        return {}
    if as_bool(params, "eager_async"):
        return queue_eager(deps, cloud, asset, items, params, force=force)
    return {"eager": render_eager(deps, cloud, asset, params["eager"], force=force)}


def explicit(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    params: Mapping[str, Any],
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """``POST /{rt}/explicit``: update tags, context and coordinates of an existing asset and
    render its eager transformations again (even those that exist, as the seed says).
    ``invalidate=true`` removes the asset's URLs (original and renders) from the CDN."""
    public_id = as_str(params, "public_id")
    if not public_id:
        raise BadRequestError("Missing required parameter - public_id")
    kind = as_str(params, "type") or "upload"
    if kind not in EXPLICIT_TYPES:
        raise BadRequestError(f"Invalid type {kind}")
    asset = deps.catalog.get_asset(cloud.id, resource_type, kind, public_id)
    if asset is None:
        raise NotFoundError(f"Resource not found - {public_id}")
    check_addons(params)
    before = asset
    asset = apply_updates(deps, asset, params)
    report_attributes(deps, cloud, [before], params, actor, [asset])
    asset = request_background_removal(deps, cloud, asset, params)
    fields = eager_fields(deps, cloud, asset, params, force=True)
    if as_bool(params, "invalidate"):
        cached = Snapshot.of(asset, deps.catalog.list_derived(asset.id))
        publish(deps, Change(kind="explicit", cloud=cloud, assets=[cached], invalidate=True))
    body = add_metadata(deps, upload_result(deps.settings, cloud, asset), asset)
    add_faces(deps, body, asset, params)
    body.update(fields)
    return body
