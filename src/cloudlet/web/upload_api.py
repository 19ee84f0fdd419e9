"""Upload API routes: ``POST /v1_1/{cloud}/{resource_type}/{action}``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cloudlet.catalog.model import Cloud
from cloudlet.errors import NotFoundError
from cloudlet.services import chunks, eager, manage, text
from cloudlet.services import metadata as metadata_service
from cloudlet.services import upload as upload_service
from cloudlet.services.auth import UploadAuth, authenticate_upload, require_cloud
from cloudlet.services.deps import Deps
from cloudlet.services.staging import UploadSource
from cloudlet.web.context import basic_auth, deps_of, in_thread
from cloudlet.web.params import Params, read_params
from cloudlet.web.responses import json_response

# never part of the options a service sees
_CREDENTIALS = {"signature", "api_key", "file"}


def _options(params: Params) -> dict[str, Any]:
    return {k: v for k, v in params.values.items() if k not in _CREDENTIALS}


def _source(params: Params) -> UploadSource:
    part = params.files.get("file")
    if part is not None:
        return UploadSource(stream=part.file, filename=part.filename or "file")
    return UploadSource(text=params.get_str("file"))


async def upload(request: Request) -> Response:
    """Upload a file (whole, or one chunk of ``upload_large``)."""
    deps = deps_of(request)
    params = await read_params(request)
    cloud_name = request.path_params["cloud"]
    resource_type = request.path_params.get("resource_type", "image")
    content_range = request.headers.get("content-range")
    upload_id = request.headers.get("x-unique-upload-id")

    def work() -> dict[str, Any]:
        cloud = require_cloud(deps, cloud_name)
        auth = authenticate_upload(
            deps, cloud, "upload", params.signable(), basic_auth=basic_auth(request)
        )
        if content_range and upload_id:
            return _chunk(deps, cloud, resource_type, params, auth, content_range, upload_id)
        return upload_service.upload(
            deps, cloud, resource_type, _options(params), _source(params), auth
        )

    try:
        return json_response(await in_thread(work))
    finally:
        for part in params.files.values():
            await part.close()


def _chunk(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    params: Params,
    auth: UploadAuth,
    content_range: str,
    upload_id: str,
) -> dict[str, Any]:
    source = _source(params)
    if source.stream is None:
        return upload_service.upload(deps, cloud, resource_type, _options(params), source, auth)
    options = upload_service.effective_options(_options(params), auth)
    limit = upload_service.upload_size_limit(deps, resource_type)
    result = chunks.receive_chunk(
        deps, cloud.id, upload_id, content_range, source.stream, source.filename or "file", limit
    )
    if isinstance(result, int):
        ack: dict[str, Any] = {"done": False, "bytes": result, "resource_type": resource_type}
        if params.get_str("public_id"):
            ack["public_id"] = params.get_str("public_id")
        return ack
    try:
        return upload_service.store_staged(deps, cloud, resource_type, options, result)
    finally:
        result.discard()


ManageCall = Callable[[Deps, Cloud, str, dict[str, Any]], dict[str, Any]]


def signed_action(action: str, call: ManageCall) -> Callable[[Request], Awaitable[Response]]:
    """An Upload API action that needs a signature (or basic auth) and no file."""

    async def endpoint(request: Request) -> Response:
        deps = deps_of(request)
        params = await read_params(request)
        cloud_name = request.path_params["cloud"]
        resource_type = request.path_params["resource_type"]

        def work() -> dict[str, Any]:
            cloud = require_cloud(deps, cloud_name)
            authenticate_upload(
                deps, cloud, action, params.signable(), basic_auth=basic_auth(request)
            )
            return call(deps, cloud, resource_type, _options(params))

        return json_response(await in_thread(work))

    return endpoint


async def delete_by_token(request: Request) -> Response:
    """``POST /v1_1/{cloud}/delete_by_token``: unauthenticated, the token is the credential."""
    deps = deps_of(request)
    params = await read_params(request)

    def work() -> dict[str, Any]:
        cloud = require_cloud(deps, request.path_params["cloud"])
        return manage.delete_by_token(deps, cloud, _options(params))

    return json_response(await in_thread(work))


async def unsupported_action(request: Request) -> Response:
    """Upload API actions that later versions of Cloudlet will add."""
    action = request.path_params["action"]
    raise NotFoundError(f"Upload API action {action!r} is not supported yet")


routes = [
    Route("/v1_1/{cloud}/upload", upload, methods=["POST"]),
    Route("/v1_1/{cloud}/delete_by_token", delete_by_token, methods=["POST"]),
    *(
        Route(
            f"/v1_1/{{cloud}}/{{resource_type}}/{action}",
            signed_action(action, call),
            methods=["POST"],
        )
        for action, call in (
            ("destroy", manage.destroy),
            ("rename", manage.rename),
            ("tags", manage.tags),
            ("context", manage.context),
            ("explicit", eager.explicit),
            ("text", text.text),
            ("metadata", metadata_service.update_metadata),
        )
    ),
    Route("/v1_1/{cloud}/{resource_type}/upload", upload, methods=["POST"]),
    Route("/v1_1/{cloud}/{resource_type}/{action}", unsupported_action, methods=["POST"]),
]
