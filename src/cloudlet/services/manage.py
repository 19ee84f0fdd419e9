"""Managing existing assets through the Upload API: destroy, delete by token, rename, and the
``tags`` and ``context`` commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.asset_changes import TAG_COMMANDS
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError, BadRequestError, NotFoundError
from cloudlet.services import ids
from cloudlet.services.deps import Deps
from cloudlet.services.encodings import parse_context, parse_tags
from cloudlet.services.presenter import brief_resource
from cloudlet.services.upload import UPLOAD_TYPES
from cloudlet.services.values import as_bool, as_list, as_str

MAX_PUBLIC_IDS = 1000


def remove_blobs(deps: Deps, keys: list[str]) -> None:
    """Delete blobs the catalog has already let go of (and journalled), then settle them."""
    for key in keys:
        deps.storage.delete(key)
        deps.catalog.journal_remove(key)


def _type(params: Mapping[str, Any], name: str = "type") -> str:
    kind = as_str(params, name) or "upload"
    if kind not in UPLOAD_TYPES:
        raise BadRequestError(f"Invalid {name} {kind}: expected one of {', '.join(UPLOAD_TYPES)}")
    return kind


def _required(params: Mapping[str, Any], name: str) -> str:
    value = as_str(params, name)
    if not value:
        raise BadRequestError(f"Missing required parameter - {name}")
    return value


def _check_resource_type(resource_type: str) -> None:
    if resource_type not in ("image", "video", "raw"):
        raise BadRequestError(f"Invalid resource type {resource_type}")


def destroy(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST /{rt}/destroy``: the asset, its versions and blobs go; ``{"result": "ok"}`` or
    ``{"result": "not found"}`` (HTTP 200 either way, as Cloudinary answers)."""
    _check_resource_type(resource_type)
    public_id = _required(params, "public_id")
    asset = deps.catalog.get_asset(cloud.id, resource_type, _type(params), public_id)
    if asset is None:
        return {"result": "not found"}
    remove_blobs(deps, deps.catalog.delete_asset(asset.id))
    return {"result": "ok"}


def delete_by_token(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /delete_by_token``: no credentials; a token from ``return_delete_token`` deletes
    its one asset once, within 10 minutes of the upload."""
    token = _required(params, "token")
    asset_pk = deps.catalog.consume_delete_token(cloud.id, token, deps.now())
    if asset_pk is None:
        raise BadRequestError("Invalid or expired delete token")
    remove_blobs(deps, deps.catalog.delete_asset(asset_pk))
    return {"result": "ok"}


def rename(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST /{rt}/rename``: the asset answers at its new public id (and type) at once; its
    old URLs stop working. A clash without ``overwrite`` is a 400 (the Upload API may not
    answer 409). The response is the renamed resource."""
    _check_resource_type(resource_type)
    from_id = _required(params, "from_public_id")
    to_id = ids.validate_public_id(_required(params, "to_public_id"))
    kind = _type(params)
    to_type = _type(params, "to_type") if as_str(params, "to_type") else None
    asset = deps.catalog.get_asset(cloud.id, resource_type, kind, from_id)
    if asset is None:
        raise NotFoundError(f"Resource not found - {from_id}")
    try:
        renamed, replaced = deps.catalog.rename_asset(
            asset.id,
            to_id,
            to_type=to_type,
            overwrite=as_bool(params, "overwrite"),
            now=deps.now(),
        )
    except AlreadyExistsError as exc:
        raise BadRequestError(f"{exc.message}; pass overwrite=true to replace it") from None
    remove_blobs(deps, replaced)
    return brief_resource(deps.settings, cloud, renamed, tags=True, context=True)


def tags(deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /{rt}/tags``: add, remove, replace, remove_all or set_exclusive a tag (or tags)
    on up to 1000 public ids; answers the public ids that exist."""
    _check_resource_type(resource_type)
    command = as_str(params, "command") or ""
    if command not in TAG_COMMANDS:
        raise BadRequestError(f"Invalid command {command!r}: use {', '.join(TAG_COMMANDS)}")
    public_ids = _public_ids(params)
    names = parse_tags(as_list(params, "tag", split_commas=True))
    if command != "remove_all" and not names:
        raise BadRequestError("Missing required parameter - tag")
    changed = deps.catalog.change_tags(
        cloud.id, resource_type, _type(params), public_ids, command, names, deps.now()
    )
    return {"public_ids": changed}


def context(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST /{rt}/context``: ``add`` merges ``k=v|k2=v2`` into the assets' context,
    ``remove_all`` clears it; answers the public ids that exist."""
    _check_resource_type(resource_type)
    command = as_str(params, "command") or ""
    if command not in ("add", "remove_all"):
        raise BadRequestError(f"Invalid command {command!r}: use add or remove_all")
    values = parse_context(params.get("context"))
    if command == "add" and not values:
        raise BadRequestError("Missing required parameter - context")
    changed = deps.catalog.change_context(
        cloud.id, resource_type, _type(params), _public_ids(params), command, values, deps.now()
    )
    return {"public_ids": changed}


def _public_ids(params: Mapping[str, Any]) -> list[str]:
    public_ids = as_list(params, "public_ids", split_commas=False)
    if not public_ids:
        raise BadRequestError("Missing required parameter - public_ids")
    if len(public_ids) > MAX_PUBLIC_IDS:
        raise BadRequestError(f"Too many public_ids: at most {MAX_PUBLIC_IDS} per request")
    return public_ids
