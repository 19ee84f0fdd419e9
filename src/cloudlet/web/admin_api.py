"""Admin API routes (``/v1_1/{cloud}/…``, basic auth), dispatched to ``services``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cloudlet.catalog.model import Cloud
from cloudlet.errors import NotFoundError
from cloudlet.services import backups, folders, manage, named, presets, related, resources, values
from cloudlet.services.auth import authenticate_admin, require_cloud
from cloudlet.services.deps import Deps
from cloudlet.web.context import basic_auth, deps_of, in_thread
from cloudlet.web.params import read_params
from cloudlet.web.ratelimit import LimitExceededError
from cloudlet.web.responses import error_response, json_response

AdminCall = Callable[[Deps, Cloud, dict[str, Any]], Any]


def admin_route(call: AdminCall) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a service call: read params, authenticate, count the call, answer JSON."""

    async def endpoint(request: Request) -> Response:
        deps = deps_of(request)
        params = await read_params(request)
        values = dict(params.values)
        values["_path"] = dict(request.path_params)
        values["_method"] = request.method
        credentials = basic_auth(request) or (None, None)

        def work() -> Any:
            cloud = require_cloud(deps, request.path_params["cloud"])
            authenticate_admin(cloud, *credentials)
            # every authenticated call counts; one over the limit does nothing
            headers = request.app.state.rate_limiter.hit(cloud.name, deps.now())
            return headers, call(deps, cloud, values)

        try:
            headers, body = await in_thread(work)
        except LimitExceededError as exc:
            return error_response(exc.message, exc.status, headers=exc.headers)
        return json_response(body, headers=headers)

    return endpoint


def _ping(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return {"status": "ok"}


def _usage(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    if "date" in params["_path"]:  # checked, then answered with the current totals
        values.as_date(params["_path"]["date"], "date")
    return resources.usage(deps, cloud)


def _config(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return resources.config(cloud, params)


def _resource_types(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    if params["_method"] == "DELETE":
        return manage.delete_resources(deps, cloud, None, None, params)
    return {"resource_types": list(resources.RESOURCE_TYPES)}


def _tags(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return resources.list_tags(deps, cloud, params["_path"]["resource_type"], params)


def _resources(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    """Everything under ``/resources/…``: the segment shapes decide the use case."""
    segments = params["_path"]["rest"].split("/")
    method = params["_method"]
    head = segments[0]
    if head == "by_asset_ids" and len(segments) == 1 and method == "GET":
        return resources.resources_by_asset_ids(deps, cloud, params)
    if head == "related_assets" and method in ("POST", "DELETE") and len(segments) >= 2:
        return _relations(deps, cloud, params, segments[1:], relate=method == "POST")
    if head not in resources.RESOURCE_TYPES:
        if len(segments) == 1 and method == "GET":
            return resources.get_resource_by_asset_id(deps, cloud, head, params)
        raise NotFoundError(f"Invalid resource type {head}")
    return _typed_resources(deps, cloud, params, method, segments)


def _typed_resources(
    deps: Deps, cloud: Cloud, params: dict[str, Any], method: str, segments: list[str]
) -> Any:
    rt = segments[0]
    if method == "GET":
        if len(segments) == 1:
            return resources.list_resources(deps, cloud, rt, None, params)
        if segments[1] == "tags" and len(segments) >= 3:
            tag = "/".join(segments[2:])
            return resources.list_resources(deps, cloud, rt, None, params, tag=tag)
        if segments[1] == "context" and len(segments) == 2:
            return resources.list_resources(deps, cloud, rt, None, params, by_context=True)
        if len(segments) == 2:
            return resources.list_resources(deps, cloud, rt, segments[1], params)
        public_id = "/".join(segments[2:])
        return resources.get_resource(deps, cloud, rt, segments[1], public_id, params)
    if method == "DELETE" and len(segments) >= 3 and segments[1] == "tags":
        tag = "/".join(segments[2:])
        return manage.delete_resources(deps, cloud, rt, None, params, tag=tag)
    if method == "DELETE" and len(segments) == 2:
        return manage.delete_resources(deps, cloud, rt, segments[1], params)
    if method == "POST" and len(segments) == 3 and segments[2] == "restore":
        return backups.restore(deps, cloud, rt, segments[1], params)
    if method == "POST" and len(segments) >= 3:
        public_id = "/".join(segments[2:])
        return resources.update_resource(deps, cloud, rt, segments[1], public_id, params)
    raise NotFoundError(f"{method} /resources/{'/'.join(segments)} is not supported yet")


def _relations(
    deps: Deps, cloud: Cloud, params: dict[str, Any], target: list[str], *, relate: bool
) -> Any:
    """``/resources/related_assets/{rt}/{type}/{public_id}`` or ``…/{asset_id}``."""
    if len(target) >= 3:
        asset = resources.find_asset(deps, cloud, target[0], target[1], "/".join(target[2:]))
    elif len(target) == 1:
        asset = related.target_by_asset_id(deps, cloud, target[0])
    else:
        raise NotFoundError("Invalid related assets path")
    return related.change_relations(deps, cloud, asset, params, relate=relate)


def _folders(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    """``/folders`` and ``/folders/{path}``: list, create, delete, rename."""
    raw = params["_path"].get("path", "")
    method = params["_method"]
    if method == "GET":
        return folders.list_folders(deps, cloud, folders.folder_path(raw) if raw else "", params)
    path = folders.folder_path(raw)
    if method == "POST":
        return folders.create_folder(deps, cloud, path)
    if method == "PUT":
        return folders.rename_folder(deps, cloud, path, params)
    return folders.delete_folder(deps, cloud, path)


def _derived_resources(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return manage.delete_derived_resources(deps, cloud, params)


def _named(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    method = params["_method"]
    call = {"GET": named.get, "POST": named.create, "PUT": named.update}.get(method, named.delete)
    return call(deps, cloud, params)


def _presets(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    name = params["_path"].get("name")
    method = params["_method"]
    if name is None:
        if method == "POST":
            return presets.create_preset(deps, cloud, params)
        return presets.list_presets(deps, cloud, params)
    if method == "GET":
        return presets.get_preset(deps, cloud, name)
    if method == "PUT":
        return presets.update_preset(deps, cloud, name, params)
    return presets.delete_preset(deps, cloud, name)


routes = [
    Route("/v1_1/{cloud}/ping", admin_route(_ping), methods=["GET"]),
    Route("/v1_1/{cloud}/usage", admin_route(_usage), methods=["GET"]),
    Route("/v1_1/{cloud}/usage/{date}", admin_route(_usage), methods=["GET"]),
    Route("/v1_1/{cloud}/config", admin_route(_config), methods=["GET"]),
    Route("/v1_1/{cloud}/resources", admin_route(_resource_types), methods=["GET", "DELETE"]),
    Route(
        "/v1_1/{cloud}/resources/{rest:path}",
        admin_route(_resources),
        methods=["GET", "POST", "DELETE"],
    ),
    Route("/v1_1/{cloud}/tags/{resource_type}", admin_route(_tags), methods=["GET"]),
    Route("/v1_1/{cloud}/derived_resources", admin_route(_derived_resources), methods=["DELETE"]),
    Route(
        "/v1_1/{cloud}/transformations",
        admin_route(_named),
        methods=["GET", "POST", "PUT", "DELETE"],
    ),
    Route("/v1_1/{cloud}/folders", admin_route(_folders), methods=["GET"]),
    Route(
        "/v1_1/{cloud}/folders/{path:path}",
        admin_route(_folders),
        methods=["GET", "POST", "PUT", "DELETE"],
    ),
    Route("/v1_1/{cloud}/upload_presets", admin_route(_presets), methods=["GET", "POST"]),
    Route(
        "/v1_1/{cloud}/upload_presets/{name}",
        admin_route(_presets),
        methods=["GET", "PUT", "DELETE"],
    ),
]
