"""Managing existing assets through the Upload API: destroy, delete by token, rename, and the
``tags`` and ``context`` commands."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cloudlet.catalog.asset_changes import TAG_COMMANDS
from cloudlet.catalog.asset_deletes import Selection
from cloudlet.catalog.model import Asset, Cloud, RemovedAsset
from cloudlet.errors import AlreadyExistsError, BadRequestError, NotFoundError
from cloudlet.services import ids
from cloudlet.services import notification_bodies as bodies
from cloudlet.services.attribute_changes import report_attributes
from cloudlet.services.blobs import remove_blobs
from cloudlet.services.deps import Deps
from cloudlet.services.eager import parse_eager
from cloudlet.services.encodings import parse_context, parse_tags
from cloudlet.services.events import Actor, Change, Snapshot, publish, wants_invalidation
from cloudlet.services.presenter import brief_resource
from cloudlet.services.upload import UPLOAD_TYPES
from cloudlet.services.values import as_bool, as_list, as_str
from cloudlet.transform import canonical

MAX_PUBLIC_IDS = 1000


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
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    params: Mapping[str, Any],
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """``POST /{rt}/destroy``: the asset, its versions and blobs go; ``{"result": "ok"}`` or
    ``{"result": "not found"}`` (HTTP 200 either way, as Cloudinary answers). ``invalidate``
    (always from the UI) removes its URLs from the CDN."""
    _check_resource_type(resource_type)
    public_id = _required(params, "public_id")
    removed: list[RemovedAsset] = []
    keys = deps.catalog.delete_named_asset(
        cloud.id, resource_type, _type(params), public_id, removed
    )
    if keys is None:
        return {"result": "not found"}
    remove_blobs(deps, keys)
    _report_deleted(deps, cloud, removed, params, actor)
    return {"result": "ok"}


def _report_deleted(
    deps: Deps,
    cloud: Cloud,
    removed: list[RemovedAsset],
    params: Mapping[str, Any],
    actor: Actor,
    *,
    bulk: bool = False,
) -> None:
    if not removed:
        return
    gone = [Snapshot.removed(item) for item in removed]
    publish(
        deps,
        Change(
            kind="delete",
            cloud=cloud,
            assets=gone,
            actor=actor,
            invalidate=wants_invalidation(params, actor),
            bulk=bulk,
            notification_url=as_str(params, "notification_url") or "",
            notification=bodies.delete(gone),
        ),
    )


def delete_by_token(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /delete_by_token``: no credentials; a token from ``return_delete_token`` deletes
    its one asset once, within 10 minutes of the upload."""
    token = _required(params, "token")
    asset_pk = deps.catalog.consume_delete_token(cloud.id, token, deps.now())
    if asset_pk is None:
        raise BadRequestError("Invalid or expired delete token")
    removed: list[RemovedAsset] = []
    remove_blobs(deps, deps.catalog.delete_asset(asset_pk, removed))
    _report_deleted(deps, cloud, removed, params, Actor.API)
    return {"result": "ok"}


def rename(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    params: Mapping[str, Any],
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """``POST /{rt}/rename``: the asset answers at its new public id (and type) at once; its
    old URLs stop working. A clash without ``overwrite`` is a 400 (the Upload API may not
    answer 409). The response is the renamed resource. ``invalidate`` (always from the UI)
    removes the old URLs, and those of an asset the rename replaced, from the CDN."""
    _check_resource_type(resource_type)
    from_id = _required(params, "from_public_id")
    to_id = ids.validate_public_id(_required(params, "to_public_id"))
    kind = _type(params)
    to_type = _type(params, "to_type") if as_str(params, "to_type") else None
    asset = deps.catalog.get_asset(cloud.id, resource_type, kind, from_id)
    if asset is None:
        raise NotFoundError(f"Resource not found - {from_id}")
    removed: list[RemovedAsset] = []
    try:
        renamed, replaced = deps.catalog.rename_asset(
            asset.id,
            to_id,
            to_type=to_type,
            overwrite=as_bool(params, "overwrite"),
            now=deps.now(),
            from_public_id=from_id,
            removed=removed,
        )
    except AlreadyExistsError as exc:
        raise BadRequestError(f"{exc.message}; pass overwrite=true to replace it") from None
    remove_blobs(deps, replaced)
    _report_renamed(deps, cloud, asset, renamed, removed, params, actor)
    return brief_resource(deps.settings, cloud, renamed, tags=True, context=True)


def _report_renamed(
    deps: Deps,
    cloud: Cloud,
    before: Asset,
    after: Asset,
    replaced: list[RemovedAsset],
    params: Mapping[str, Any],
    actor: Actor,
) -> None:
    old = Snapshot.of(before, deps.catalog.list_derived(after.id))
    publish(
        deps,
        Change(
            kind="rename",
            cloud=cloud,
            assets=[old, *(Snapshot.removed(item) for item in replaced)],
            actor=actor,
            invalidate=wants_invalidation(params, actor),
            notification_url=as_str(params, "notification_url") or "",
            notification=bodies.rename(old, after),
        ),
    )


def tags(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    params: Mapping[str, Any],
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """``POST /{rt}/tags``: add, remove, replace, remove_all or set_exclusive a tag (or tags)
    on up to 1000 public ids; answers the public ids that exist. Assets whose tags changed
    are reported in a ``resource_tags_changed`` notification."""
    _check_resource_type(resource_type)
    command = as_str(params, "command") or ""
    if command not in TAG_COMMANDS:
        raise BadRequestError(f"Invalid command {command!r}: use {', '.join(TAG_COMMANDS)}")
    public_ids = _public_ids(params)
    names = parse_tags(as_list(params, "tag", split_commas=True))
    if command != "remove_all" and not names:
        raise BadRequestError("Missing required parameter - tag")
    kind = _type(params)
    before = _tagged_before(deps, cloud, resource_type, kind, public_ids, command, names)
    changed = deps.catalog.change_tags(
        cloud.id, resource_type, kind, public_ids, command, names, deps.now()
    )
    report_attributes(deps, cloud, before, params, actor)
    return {"public_ids": changed}


def _tagged_before(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    kind: str,
    public_ids: list[str],
    command: str,
    names: list[str],
) -> list[Asset]:
    """The assets a tags command may change, as they are before it (``set_exclusive`` also
    takes the tag from every other asset that has it)."""
    found = deps.catalog.get_assets_by_public_ids(cloud.id, resource_type, kind, public_ids)
    if command == "set_exclusive":
        for name in names:
            found += deps.catalog.list_assets(
                cloud.id, resource_type, None, tag=name, max_results=MAX_PUBLIC_IDS
            ).items
    return list({asset.id: asset for asset in found}.values())


def context(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    params: Mapping[str, Any],
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """``POST /{rt}/context``: ``add`` merges ``k=v|k2=v2`` into the assets' context,
    ``remove_all`` clears it; answers the public ids that exist. Assets whose context
    changed are reported in a ``resource_context_changed`` notification."""
    _check_resource_type(resource_type)
    command = as_str(params, "command") or ""
    if command not in ("add", "remove_all"):
        raise BadRequestError(f"Invalid command {command!r}: use add or remove_all")
    values = parse_context(params.get("context"))
    if command == "add" and not values:
        raise BadRequestError("Missing required parameter - context")
    kind, public_ids = _type(params), _public_ids(params)
    before = deps.catalog.get_assets_by_public_ids(cloud.id, resource_type, kind, public_ids)
    changed = deps.catalog.change_context(
        cloud.id, resource_type, kind, public_ids, command, values, deps.now()
    )
    report_attributes(deps, cloud, before, params, actor)
    return {"public_ids": changed}


def _public_ids(params: Mapping[str, Any]) -> list[str]:
    public_ids = as_list(params, "public_ids", split_commas=False)
    if not public_ids:
        raise BadRequestError("Missing required parameter - public_ids")
    if len(public_ids) > MAX_PUBLIC_IDS:
        raise BadRequestError(f"Too many public_ids: at most {MAX_PUBLIC_IDS} per request")
    return public_ids


def delete_resources(
    deps: Deps,
    cloud: Cloud,
    resource_type: str | None,
    type: str | None,
    params: Mapping[str, Any],
    *,
    tag: str | None = None,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """Admin API deletes: by ``public_ids`` (≤ 100), ``prefix``, ``all=true``, by tag, or by
    ``asset_ids``. At most 1000 assets go per call; when more match, the answer says
    ``"partial": true`` with a ``next_cursor`` and the SDK calls again with it.

    ``keep_original=true`` deletes only the derivatives of the named ``public_ids`` (those
    of the ``transformations`` given, or all). ``invalidate=true`` removes the URLs from the
    CDN; for deletes by prefix, tag or all only where the cloud's ``bulk_invalidation``
    setting allows it (always from the UI)."""
    selection = _selection(resource_type, type, params, tag)
    after, after_public_id = _decode_after(as_str(params, "next_cursor"))
    requested = list(selection.public_ids or selection.asset_ids or [])
    if as_bool(params, "keep_original"):
        return _delete_derivatives_of(deps, cloud, selection, params, actor)
    page = deps.catalog.delete_assets_page(
        cloud.id,
        selection,
        after_pk=after,
        after_public_id=after_public_id if selection.prefix is not None else None,
        limit=deps.settings.delete_page_size,
    )
    remove_blobs(deps, page.storage_keys)
    bulk = selection.public_ids is None and selection.asset_ids is None
    _report_deleted(deps, cloud, page.removed, params, actor, bulk=bulk)
    missing = {pid: "not_found" for pid in requested if pid not in set(page.deleted)}
    last = page.last_public_id if selection.prefix is not None else None
    cursor = _encode_after(page.last_pk, last) if page.partial else None
    return _delete_answer({pid: "deleted" for pid in page.deleted}, missing, page.partial, cursor)


def _delete_derivatives_of(
    deps: Deps, cloud: Cloud, selection: Selection, params: Mapping[str, Any], actor: Actor
) -> dict[str, Any]:
    if selection.public_ids is None or selection.resource_type is None:
        raise BadRequestError("keep_original is supported together with public_ids only")
    wanted = _canonical_transformations(params.get("transformations"))
    assets = deps.catalog.get_assets_by_public_ids(
        cloud.id, selection.resource_type, selection.type, list(selection.public_ids)
    )
    counts: dict[str, dict[str, int]] = {}
    renders: list[Snapshot] = []
    for asset in assets:
        gone = deps.catalog.delete_derived(asset.id, transformations=wanted, now=deps.now())
        remove_blobs(deps, [d.storage_key for d in gone])
        counts[asset.public_id] = {"original": 0, "derived": len(gone)}
        renders.append(Snapshot.of(asset, gone))
    _report_derived_deleted(deps, cloud, renders, params, actor)
    deleted = {pid: "deleted" if pid in counts else "not_found" for pid in selection.public_ids}
    return {
        "deleted": deleted,
        "deleted_counts": {pid: counts.get(pid, {"original": 0, "derived": 0}) for pid in deleted},
        "partial": False,
    }


def _report_derived_deleted(
    deps: Deps, cloud: Cloud, renders: list[Snapshot], params: Mapping[str, Any], actor: Actor
) -> None:
    """Derivatives went (the originals stay): only their URLs may be invalidated."""
    only_renders = [replace(snapshot, original=False) for snapshot in renders]
    publish(
        deps,
        Change(
            kind="delete_derived",
            cloud=cloud,
            assets=only_renders,
            actor=actor,
            invalidate=wants_invalidation(params, actor),
        ),
    )


def _canonical_transformations(value: Any) -> list[str] | None:
    """``transformations`` as sent (``w_100|c_fill,h_50/png``) → canonical texts, or None."""
    if value is None or value == "":
        return None
    try:
        return [canonical(text) for text, _fmt in parse_eager(value)]
    except ValueError as exc:
        raise BadRequestError(f"Invalid transformations: {exc}") from None


def delete_derived_resources(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``DELETE /derived_resources`` with ``derived_resource_ids``."""
    wanted = _at_most(as_list(params, "derived_resource_ids"), "derived_resource_ids", 100)
    if not wanted:
        raise BadRequestError("Missing required parameter - derived_resource_ids")
    found = deps.catalog.find_derived_by_ids(cloud.id, wanted)
    for record in found:
        gone = deps.catalog.delete_derived(
            record.asset_pk, derived_ids=[record.derived_id], now=deps.now()
        )
        remove_blobs(deps, [d.storage_key for d in gone])
    present = {record.derived_id for record in found}
    return {"deleted": {i: "deleted" if i in present else "not_found" for i in wanted}}


def _selection(
    resource_type: str | None, type: str | None, params: Mapping[str, Any], tag: str | None
) -> Selection:
    if resource_type is not None:
        _check_resource_type(resource_type)
    if tag is not None:
        return Selection(resource_type, as_str(params, "type"), tag=tag)
    asset_ids = as_list(params, "asset_ids")
    if resource_type is None:
        if not asset_ids:
            raise BadRequestError("Missing required parameter - asset_ids")
        return Selection(None, None, asset_ids=_at_most(asset_ids, "asset_ids"))
    public_ids = as_list(params, "public_ids")
    if public_ids:
        return Selection(resource_type, type, public_ids=_at_most(public_ids, "public_ids"))
    prefix = as_str(params, "prefix")
    if prefix:
        return Selection(resource_type, type, prefix=prefix)
    if as_bool(params, "all"):
        return Selection(resource_type, type)
    raise BadRequestError("Must specify public_ids, prefix or all")


def _at_most(values: list[str], name: str, limit: int = 100) -> list[str]:
    if len(values) > limit:
        raise BadRequestError(f"Too many {name}: at most {limit} per request")
    return values


def _delete_answer(
    deleted: dict[str, str], missing: dict[str, str], partial: bool, cursor: str | None
) -> dict[str, Any]:
    everything = {**deleted, **missing}
    body: dict[str, Any] = {
        "deleted": everything,
        "deleted_counts": {
            pid: {"original": 1 if state == "deleted" else 0, "derived": 0}
            for pid, state in everything.items()
        },
        "partial": partial,
    }
    if cursor:
        body["next_cursor"] = cursor
    return body


def _encode_after(pk: int | None, public_id: str | None = None) -> str:
    """``del:<pk>``, or ``del:<pk>:<public_id>`` for a prefix delete (public id order)."""
    text = f"del:{pk or 0}" + ("" if public_id is None else f":{public_id}")
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_after(cursor: str | None) -> tuple[int, str | None]:
    """The (pk, public id or None) a delete cursor holds; (0, None) for none."""
    if not cursor:
        return 0, None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, number, *public_id = text.split(":", 2)
        if kind != "del" or "\x00" in text:
            raise ValueError(kind)
        return int(number), (public_id[0] if public_id else None)
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("Invalid next_cursor") from None
