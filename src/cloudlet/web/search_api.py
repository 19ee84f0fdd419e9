"""Search API routes: ``/v1_1/{cloud}/resources/search`` (POST with a JSON body, or GET with
query parameters), ``POST /v1_1/{cloud}/folders/search``, and the signed, cacheable GET form
``/{cloud}/search/{signature}/{ttl}/{query}[/{cursor}]`` that ``Search.to_url`` builds.

Listed before the Admin API's ``/resources/{rest:path}`` and ``/folders/{path}`` routes (which
would take these paths as a resource or a folder named "search") and before delivery.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cloudlet.catalog.model import Cloud
from cloudlet.errors import BadRequestError
from cloudlet.services import search
from cloudlet.services.auth import require_cloud
from cloudlet.services.deps import Deps
from cloudlet.web.admin_api import admin_route
from cloudlet.web.context import deps_of, in_thread
from cloudlet.web.ratelimit import LimitExceededError
from cloudlet.web.responses import error_response, json_response

MAX_URL_TTL = 31_536_000  # a year


def _resources(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return search.search_resources(deps, cloud, params)


def _folders(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return search.search_folders(deps, cloud, params)


async def by_url(request: Request) -> Response:
    """The signed GET form; cached for ``ttl`` seconds by whatever sits in front."""
    deps = deps_of(request)
    path = request.path_params
    ttl = path["ttl"]
    if not ttl.isdigit() or int(ttl) > MAX_URL_TTL:
        raise BadRequestError(f"Invalid search URL ttl {ttl!r}")

    def work() -> Any:
        cloud = require_cloud(deps, path["cloud"])
        found = search.search_by_url(deps, cloud, path["signature"], ttl, path["rest"])
        return request.app.state.rate_limiter.hit(cloud.name, deps.now()), found

    try:
        headers, body = await in_thread(work)
    except LimitExceededError as exc:
        return error_response(exc.message, exc.status, headers=exc.headers)
    headers = {**headers, "Cache-Control": f"public, max-age={int(ttl)}"}
    return json_response(body, headers=headers)


routes = [
    Route("/v1_1/{cloud}/resources/search", admin_route(_resources), methods=["GET", "POST"]),
    Route("/v1_1/{cloud}/folders/search", admin_route(_folders), methods=["POST"]),
    # the query may hold '/' (standard base64 from the Node SDK), a cursor may follow it
    Route("/{cloud}/search/{signature}/{ttl}/{rest:path}", by_url, methods=["GET"]),
]
