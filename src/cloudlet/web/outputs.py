"""Routes for tag-based outputs: ``sprite``, ``multi`` and ``generate_archive`` on the Upload
API (archives also as signed ``GET … mode=download``), and the ``list`` JSON delivery."""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from cloudlet.services import archives, multi, sprites, tag_list
from cloudlet.services.archives import Archive
from cloudlet.services.auth import authenticate_upload, require_cloud
from cloudlet.web.context import basic_auth, deps_of, in_thread
from cloudlet.web.delivery import parsed_path
from cloudlet.web.params import read_params
from cloudlet.web.responses import json_response
from cloudlet.web.upload_api import signed_action

_CREDENTIALS = {"signature", "api_key"}


async def download_archive(request: Request) -> Response:
    """``GET /v1_1/{cloud}/{rt}/generate_archive?mode=download&…&signature=…``: the ZIP itself,
    built on the fly (what ``utils.download_archive_url`` points at)."""
    deps = deps_of(request)
    params = await read_params(request)
    cloud_name = request.path_params["cloud"]
    resource_type = request.path_params["resource_type"]

    def work() -> Archive:
        cloud = require_cloud(deps, cloud_name)
        authenticate_upload(
            deps, cloud, "generate_archive", params.signable(), basic_auth=basic_auth(request)
        )
        options = {k: v for k, v in params.values.items() if k not in _CREDENTIALS}
        archives.check_download(deps, options)
        return archives.build_archive(deps, cloud, resource_type, options)

    archive = await in_thread(work)
    return FileResponse(
        archive.path,
        media_type="application/zip",
        filename=archive.filename,
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(archive.path.unlink, missing_ok=True),
    )


async def list_json(request: Request) -> Response:
    """``GET /{cloud}/{rt}/list/[s--SIG--/]{tag}.json``."""
    deps = deps_of(request)
    parsed = parsed_path(request)
    data: dict[str, Any] = await in_thread(tag_list.tag_list, deps, parsed)
    return json_response(data, headers={"Cache-Control": "public, max-age=60"})


api_routes = [
    Route(
        "/v1_1/{cloud}/{resource_type}/sprite",
        signed_action("sprite", sprites.generate_sprite),
        methods=["POST"],
    ),
    Route(
        "/v1_1/{cloud}/{resource_type}/multi", signed_action("multi", multi.multi), methods=["POST"]
    ),
    Route(
        "/v1_1/{cloud}/{resource_type}/generate_archive",
        signed_action("generate_archive", archives.generate_archive),
        methods=["POST"],
    ),
    Route("/v1_1/{cloud}/{resource_type}/generate_archive", download_archive, methods=["GET"]),
]

delivery_routes = [
    Route("/{cloud}/{resource_type}/list/{rest:path}", list_json, methods=["GET", "HEAD"]),
]
