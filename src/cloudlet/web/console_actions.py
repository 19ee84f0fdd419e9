"""The Media Explorer's actions: ``POST /console/{cloud}/api/{action}`` (JSON), uploads and ZIP
downloads. Each action is turned into SDK-shaped ``Call``s (what Inspect mode shows), and each
call is run by ``ui.perform`` through the same services as the Upload and Admin APIs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from cloudlet.catalog.console import ConsoleSession
from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError, CloudletError, NotFoundError
from cloudlet.services import archives, clouds, console_browse, console_search, related
from cloudlet.services.deps import Deps
from cloudlet.services.staging import UploadSource
from cloudlet.ui.calls import Call
from cloudlet.ui.perform import perform
from cloudlet.ui.render import render
from cloudlet.ui.snippets import LANGUAGES, snippets
from cloudlet.web.console_forms import criteria_from
from cloudlet.web.console_session import current_for_change, secured
from cloudlet.web.context import deps_of, in_thread
from cloudlet.web.responses import error_response, json_response

Body = dict[str, Any]
CallBuilder = Callable[[Deps, Cloud, Body], list[Call]]
INSPECT_KEEP = 10  # calls remembered per session
INSPECT_SHOWN = 5  # calls shown in the pane
MAX_SELECTION = 1000


# ------------------------------------------------------------------ selection helpers
def _text(body: Body, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"Missing required parameter - {name}")
    return value.strip()


def _selected(deps: Deps, cloud: Cloud, body: Body) -> list[Asset]:
    ids = body.get("asset_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise BadRequestError("Select at least one asset")
    if len(ids) > MAX_SELECTION:
        raise BadRequestError(f"At most {MAX_SELECTION} assets at once")
    found = deps.catalog.get_assets_by_asset_ids(cloud.id, ids)
    if not found:
        raise NotFoundError("None of the selected assets exists any more")
    return found


def _address(asset: Asset) -> dict[str, Any]:
    return {"resource_type": asset.resource_type, "type": asset.type}


def _grouped(assets: list[Asset], size: int = 100) -> list[tuple[dict[str, Any], list[str]]]:
    """Public ids by (resource type, type), in chunks the API accepts."""
    groups: dict[tuple[str, str], list[str]] = {}
    for asset in assets:
        groups.setdefault((asset.resource_type, asset.type), []).append(asset.public_id)
    return [
        ({"resource_type": rt, "type": kind}, ids[start : start + size])
        for (rt, kind), ids in groups.items()
        for start in range(0, len(ids), size)
    ]


def _one(deps: Deps, cloud: Cloud, body: Body) -> Asset:
    return console_browse.asset_by_id(deps, cloud, _text(body, "asset_id"))


# ------------------------------------------------------------------ the actions
def _rename(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
    asset = _one(deps, cloud, body)
    target = _text(body, "to_public_id")
    args = {"from_public_id": asset.public_id, "to_public_id": target, **_address(asset)}
    return [Call("rename", {**args, "invalidate": True})]


def _move(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
    folder = console_browse.checked_folder(str(body.get("folder") or ""))
    calls, targets = [], set()
    for asset in _selected(deps, cloud, body):
        name = asset.public_id.rpartition("/")[2]
        target = f"{folder}/{name}" if folder else name
        if target == asset.public_id:
            continue
        # checked for every asset before any moves, so that a clash changes nothing
        key = (asset.resource_type, asset.type, target)
        if key in targets or deps.catalog.get_asset(cloud.id, *key) is not None:
            raise BadRequestError(f"{target} already exists: nothing was moved")
        targets.add(key)
        args = {"from_public_id": asset.public_id, "to_public_id": target}
        calls.append(Call("rename", {**args, **_address(asset), "invalidate": True}))
    return calls


def _tag(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
    operation = {"add": "add_tag", "remove": "remove_tag"}.get(str(body.get("command")))
    if operation is None:
        raise BadRequestError("command must be add or remove")
    tag = _text(body, "tag")
    return [
        Call(operation, {"tag": tag, "public_ids": ids, **address})
        for address, ids in _grouped(_selected(deps, cloud, body))
    ]


def _delete(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
    return [
        Call("delete_resources", {"public_ids": ids, **address, "invalidate": True})
        for address, ids in _grouped(_selected(deps, cloud, body))
    ]


def _string_map(body: Body, name: str) -> dict[str, str]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise BadRequestError(f"{name} must be an object")
    return {str(k).strip(): str(v) for k, v in value.items() if str(k).strip()}


def _update(name: str) -> CallBuilder:
    def build(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
        asset = _one(deps, cloud, body)
        args = {"public_id": asset.public_id, **_address(asset)}
        return [Call("update", {**args, name: _string_map(body, name)})]

    return build


def _restore(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
    asset = _one(deps, cloud, body)
    args = {"public_ids": [asset.public_id], "versions": [_text(body, "version_id")]}
    return [Call("restore", {**args, **_address(asset)})]


def _relations(operation: str, key: str) -> CallBuilder:
    def build(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
        asset = _one(deps, cloud, body)
        other = _other_asset(deps, cloud, _text(body, "other"))
        reference = f"{other.resource_type}/{other.type}/{other.public_id}"
        args = {"public_id": asset.public_id, key: [reference], **_address(asset)}
        return [Call(operation, args)]

    return build


def _other_asset(deps: Deps, cloud: Cloud, reference: str) -> Asset:
    """An asset named by asset id, ``rt/type/public_id`` or an image's public id."""
    found = None
    if "/" not in reference:
        found = deps.catalog.get_asset_by_asset_id(cloud.id, reference)
    if found is None:
        try:
            found = related.find_reference(deps, cloud, reference)
        except BadRequestError:
            found = None
    found = found or deps.catalog.get_asset(cloud.id, "image", "upload", reference)
    if found is None:
        raise NotFoundError(f"Resource not found - {reference}")
    return found


def _preset_create(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
    args: dict[str, Any] = {"name": _text(body, "name"), "unsigned": bool(body.get("unsigned"))}
    for key in ("folder", "tags"):
        if str(body.get(key) or "").strip():
            args[key] = str(body[key]).strip()
    return [Call("create_upload_preset", args)]


def _bulk_delete(deps: Deps, cloud: Cloud, body: Body) -> list[Call]:
    criteria = criteria_from(body)
    if criteria.empty:
        raise BadRequestError("Choose at least one criterion")
    found = console_search.matching_assets(deps, cloud, criteria)
    return [
        Call("delete_resources", {"public_ids": ids, **address, "invalidate": True})
        for address, ids in _grouped(found)
    ]


BUILDERS: dict[str, CallBuilder] = {
    "rename": _rename,
    "move": _move,
    "tag": _tag,
    "delete": _delete,
    "context": _update("context"),
    "metadata": _update("metadata"),
    "restore": _restore,
    "relate": _relations("add_related_assets", "assets_to_relate"),
    "unrelate": _relations("delete_related_assets", "assets_to_unrelate"),
    "preset_create": _preset_create,
    "preset_delete": lambda d, c, b: [Call("delete_upload_preset", {"name": _text(b, "name")})],
    "named_create": lambda d, c, b: [
        Call(
            "create_transformation",
            {"name": _text(b, "name"), "definition": _text(b, "definition")},
        )
    ],
    "named_delete": lambda d, c, b: [
        Call("delete_transformation", {"transformation": _text(b, "name")})
    ],
    "bulk_delete": _bulk_delete,
}


# ------------------------------------------------------------------ actions without calls
def _setting(deps: Deps, cloud: Cloud, body: Body) -> Any:
    key, value = _text(body, "key"), body.get("value")
    if key == "notification_url":
        url = str(value or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise BadRequestError("notification_url must be an http:// or https:// URL")
        changed = deps.catalog.update_cloud_settings(cloud.name, {"notification_url": url})
        return {"settings": clouds.cloud_settings(changed)}
    text = str(value).lower() if isinstance(value, bool) else str(value)
    changed = clouds.update_settings(deps, cloud.name, [f"{key}={text}"])
    return {"settings": clouds.cloud_settings(changed)}


def _rotate(deps: Deps, cloud: Cloud, body: Body) -> Any:
    changed = clouds.rotate_secret(deps, cloud.name)
    return {"api_key": changed.api_key, "api_secret": changed.api_secret}


def _preview(deps: Deps, cloud: Cloud, body: Body) -> Any:
    criteria = criteria_from(body)
    if criteria.empty:
        raise BadRequestError("Choose at least one criterion")
    found = console_search.matching_assets(deps, cloud, criteria)
    return {"count": len(found), "expression": console_search.expression_for(criteria)}


PLAIN: dict[str, Callable[[Deps, Cloud, Body], Any]] = {
    "setting": _setting,
    "rotate_secret": _rotate,
    "bulk_delete_preview": _preview,
}


# ------------------------------------------------------------------ Inspect mode
def record(
    deps: Deps, session: ConsoleSession, calls: list[Call], *, on: bool | None = None
) -> dict[str, Any]:
    """Remember the calls (newest first) in the session's Inspect log; its new state."""
    state = dict(session.inspect)
    kept = [c.to_json() for c in reversed(calls)] + list(state.get("calls", []))
    state["calls"] = kept[:INSPECT_KEEP]
    if on is not None:
        state["on"] = on
    deps.catalog.set_console_inspect(session.token_hash, state)
    return state


def inspect_entries(state: dict[str, Any], base_url: str, cloud: Cloud) -> list[dict[str, Any]]:
    """The pane's entries: each recent call with its snippet in every language."""
    entries = []
    for index, data in enumerate(state.get("calls", [])[:INSPECT_SHOWN]):
        try:
            call = Call.from_json(data)
        except KeyError:
            continue
        entries.append(
            {"id": f"call{index}", "call": call, "snippets": snippets(call, base_url, cloud.name)}
        )
    return entries


def inspect_html(request: Request, state: dict[str, Any], cloud: Cloud) -> str:
    """The Inspect pane, rendered."""
    base = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return render(
        "_inspect.html",
        inspect=state,
        entries=inspect_entries(state, base, cloud),
        languages=LANGUAGES,
    )


# ------------------------------------------------------------------ endpoints
def _json_error(exc: CloudletError) -> Response:
    return secured(error_response(exc.message, exc.status))


async def _body(request: Request) -> Body:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError:
        raise BadRequestError("The request body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequestError("The request body must be a JSON object")
    return body


async def action(request: Request) -> Response:
    """``POST /console/{cloud}/api/{action}``."""
    try:
        cloud, session = await current_for_change(request)
        name = request.path_params["action"]
        body = await _body(request)
        deps = deps_of(request)
        answer = await in_thread(_run_action, deps, cloud, session, name, body)
    except CloudletError as exc:
        return _json_error(exc)
    answer["inspect_html"] = inspect_html(request, answer.pop("_inspect"), cloud)
    return secured(json_response(answer))


def _run_action(
    deps: Deps, cloud: Cloud, session: ConsoleSession, name: str, body: Body
) -> dict[str, Any]:
    if name == "inspect":
        state = record(deps, session, [], on=bool(body.get("on")))
        return {"result": {"on": state["on"]}, "_inspect": state}
    if name in PLAIN:
        return {"result": PLAIN[name](deps, cloud, body), "_inspect": session.inspect}
    builder = BUILDERS.get(name)
    if builder is None:
        raise NotFoundError(f"Unknown action {name!r}")
    calls = builder(deps, cloud, body)
    results = []
    try:
        for call in calls:
            results.append(perform(deps, cloud, call))
    finally:  # what was done is shown, also when a later call failed
        state = record(deps, session, calls[: len(results)])
    return {"results": results, "_inspect": state}


async def upload(request: Request) -> Response:
    """``POST /console/{cloud}/upload``: one file (multipart) into a folder, with tags."""
    async with request.form(max_files=1, max_fields=20) as form:
        try:
            cloud, session = await current_for_change(request)
            part = form.get("file")
            if part is None or isinstance(part, str):
                raise BadRequestError("Missing required parameter - file")
            call = _upload_call(part.filename or "file", form)
            source = UploadSource(stream=part.file, filename=part.filename or "file")
            deps = deps_of(request)
            result = await in_thread(perform, deps, cloud, call, source)
            state = await in_thread(record, deps, session, [call])
        except CloudletError as exc:
            return _json_error(exc)
    body = {"results": [result], "inspect_html": inspect_html(request, state, cloud)}
    return secured(json_response(body))


def _upload_call(filename: str, form: Any) -> Call:
    args: dict[str, Any] = {"file": filename, "resource_type": "auto"}
    folder = console_browse.checked_folder(str(form.get("folder") or ""))
    if folder:
        args["folder"] = folder
    tags = [t.strip() for t in str(form.get("tags") or "").split(",") if t.strip()]
    if tags:
        args["tags"] = tags
    args.update({"use_filename": True, "unique_filename": False, "overwrite": True})
    args["invalidate"] = True  # an overwrite from the UI always invalidates (seed)
    return Call("upload", args)


async def download(request: Request) -> Response:
    """``POST /console/{cloud}/download``: the selected assets as one ZIP."""
    async with request.form(max_fields=MAX_SELECTION + 5) as form:
        try:
            cloud, session = await current_for_change(request, str(form.get("csrf_token") or ""))
            body = {"asset_ids": [str(v) for v in form.getlist("asset_ids")]}
            deps = deps_of(request)
            archive, call = await in_thread(_archive, deps, cloud, body)
            await in_thread(record, deps, session, [call])
        except CloudletError as exc:
            return _json_error(exc)
    cleanup = BackgroundTask(archive.path.unlink, missing_ok=True)
    response = FileResponse(
        archive.path, media_type="application/zip", filename="assets.zip", background=cleanup
    )
    return secured(response)


def _archive(deps: Deps, cloud: Cloud, body: Body) -> tuple[archives.Archive, Call]:
    assets = _selected(deps, cloud, body)
    groups = {(a.resource_type, a.type) for a in assets}
    if len(groups) == 1:
        rt, kind = groups.pop()
        args: dict[str, Any] = {"public_ids": [a.public_id for a in assets], "resource_type": rt}
        args["type"] = kind
    else:
        qualified = [f"{a.resource_type}/{a.type}/{a.public_id}" for a in assets]
        args = {"fully_qualified_public_ids": qualified, "resource_type": "all"}
    params = {k: v for k, v in args.items() if k != "resource_type"}
    archive = archives.build_archive(deps, cloud, str(args["resource_type"]), params)
    return archive, Call("download_zip_url", args)


routes = [
    Route("/console/{cloud}/api/{action}", action, methods=["POST"]),
    Route("/console/{cloud}/upload", upload, methods=["POST"]),
    Route("/console/{cloud}/download", download, methods=["POST"]),
]
