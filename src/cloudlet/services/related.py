"""Related assets (Admin API): relate and unrelate by public id or asset id; list on the
single-resource call with ``related=true``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services import notification_bodies as bodies
from cloudlet.services.deps import Deps
from cloudlet.services.events import Actor, Change, publish
from cloudlet.services.resources import RESOURCE_TYPES
from cloudlet.services.values import as_list

MAX_RELATED = 10


def _entry(asset: str, code: str, message: str, status: int) -> dict[str, Any]:
    return {"message": message, "code": code, "asset": asset, "status": status}


def find_reference(deps: Deps, cloud: Cloud, reference: str) -> Asset | None:
    """An asset named as ``rt/type/public_id`` or by its asset id (None if unknown).

    BadRequestError for a reference that is neither."""
    parts = reference.split("/", 2)
    if len(parts) == 3 and parts[0] in RESOURCE_TYPES:
        return deps.catalog.get_asset(cloud.id, parts[0], parts[1], parts[2])
    if "/" in reference or not reference:
        raise BadRequestError(f"Invalid asset reference {reference!r}")
    return deps.catalog.get_asset_by_asset_id(cloud.id, reference)


def change_relations(
    deps: Deps,
    cloud: Cloud,
    target: Asset,
    params: Mapping[str, Any],
    *,
    relate: bool,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """``POST`` (relate) or ``DELETE`` (unrelate) ``/resources/related_assets/…``; relations
    that changed are reported (``related_assets_changed``)."""
    name = "assets_to_relate" if relate else "assets_to_unrelate"
    references = as_list(params, name)
    if not references:
        raise BadRequestError(f"Missing required parameter - {name}")
    if len(references) > MAX_RELATED:
        raise BadRequestError(f"{name} accepts at most {MAX_RELATED} assets, got {len(references)}")
    success: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    found: dict[str, Asset] = {}
    for reference in references:
        problem = _problem(deps, cloud, target, reference, found)
        if problem:
            failed.append(problem)
    pks = [asset.id for asset in found.values()]
    if relate:
        outcome = deps.catalog.relate(target.id, pks)
        for reference, asset in found.items():
            new = outcome[asset.id]
            success.append(
                _entry(reference, "success_ids", "success", 200)
                if new
                else _entry(reference, "already_exists_ids", "resource already exists", 200)
            )
    else:
        outcome = deps.catalog.unrelate(target.id, pks)
        for reference, asset in found.items():
            if outcome[asset.id]:
                success.append(_entry(reference, "success_ids", "success", 200))
            else:
                failed.append(
                    _entry(reference, "relation_does_not_exist_ids", "relation does not exist", 404)
                )
    changed = [asset for asset in found.values() if outcome[asset.id]]
    if changed:
        body = bodies.related_changed(target, changed, relate=relate, actor=actor)
        publish(deps, Change(kind="related", cloud=cloud, actor=actor, notification=body))
    return {"success": success, "failed": failed}


def _problem(
    deps: Deps, cloud: Cloud, target: Asset, reference: str, found: dict[str, Asset]
) -> dict[str, Any] | None:
    try:
        asset = find_reference(deps, cloud, reference)
    except BadRequestError:
        return _entry(reference, "invalid_ids", "invalid asset reference", 400)
    if asset is None:
        return _entry(reference, "non_existing_ids", "resource does not exist", 404)
    if asset.id == target.id:
        return _entry(
            reference, "invalid_relate_to_self_id", "cannot relate an asset to itself", 400
        )
    found[reference] = asset
    return None


def target_by_asset_id(deps: Deps, cloud: Cloud, asset_id: str) -> Asset:
    """The asset named in ``/resources/related_assets/{asset_id}``."""
    asset = deps.catalog.get_asset_by_asset_id(cloud.id, asset_id)
    if asset is None:
        raise NotFoundError(f"Resource not found - {asset_id}")
    return asset
