"""JSON responses and the one place that renders ``{"error": {"message": …}}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cloudlet.errors import CloudletError

log = logging.getLogger("cloudlet.web")


class JSONResponse(Response):
    """``application/json; charset=utf-8`` with compact, non-ASCII-preserving JSON."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A JSON response with the given status and headers."""
    return JSONResponse(data, status_code=status, headers=dict(headers or {}))


def error_response(
    message: str, status: int, *, delivery: bool = False, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Cloudinary's error shape; delivery errors also carry ``X-Cld-Error``."""
    extra = dict(headers or {})
    if delivery:
        extra["X-Cld-Error"] = message.replace("\r", " ").replace("\n", " ")[:500]
        extra.setdefault("Cache-Control", "public, max-age=60")
    return json_response({"error": {"message": message}}, status, extra)


def is_delivery(request: Request) -> bool:
    """Whether the request is for a delivery URL (not the API)."""
    return not request.url.path.startswith(("/v1_1/", "/v2/"))


async def cloudlet_error_handler(request: Request, exc: Exception) -> Response:
    """Render a typed service error."""
    assert isinstance(exc, CloudletError)
    return error_response(exc.message, exc.status, delivery=is_delivery(request))


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Never leak internals: log the traceback, answer a generic 500 in Cloudinary's shape."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response("Internal server error", 500, delivery=is_delivery(request))


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Router and parser errors: unknown routes and methods become JSON 404s; other statuses
    are folded into the few the SDKs parse (400 when unsure)."""
    status = getattr(exc, "status_code", 400)
    if status in (404, 405):
        message = f"Unsupported request: {request.method} {request.url.path}"
        status = 404
    else:
        message = str(getattr(exc, "detail", "") or "Bad request")
        status = status if status in (400, 401, 403, 420, 500) else 400
    return error_response(message, status, delivery=is_delivery(request))
