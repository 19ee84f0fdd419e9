"""JSON responses and the one place that renders ``{"error": {"message": …}}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from cloudlet.errors import CloudletError
from cloudlet.web.error_cache import ErrorBackoff, error_cache_control

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
        extra["X-Cld-Error"] = header_safe(message)[:500]
        extra.setdefault("Cache-Control", error_cache_control(status, 60))
    return json_response({"error": {"message": message}}, status, extra)


def header_safe(text: str) -> str:
    """``text`` fit for a header value: line breaks become spaces, other control characters
    and non-ASCII are percent-encoded (UTF-8). A NUL or a character beyond Latin-1 in a
    public id used to reach the header as it was, and the server dropped the connection."""
    text = text.replace("\r", " ").replace("\n", " ")
    return "".join(c if " " <= c <= "~" else quote(c, safe="") for c in text)


def is_delivery(request: Request) -> bool:
    """Whether the request is for a delivery URL (not the API)."""
    return not request.url.path.startswith(("/v1_1/", "/v2/"))


def _error(request: Request, message: str, status: int) -> Response:
    """An error answer; on a delivery URL with the cache lifetime its repeats have earned
    (see ``web.error_cache``)."""
    if not is_delivery(request):
        return error_response(message, status)
    backoff: ErrorBackoff | None = getattr(request.app.state, "error_backoff", None)
    max_age = backoff.max_age(request.url.path) if backoff and status < 500 else 60
    headers = {"Cache-Control": error_cache_control(status, max_age)}
    return error_response(message, status, delivery=True, headers=headers)


async def cloudlet_error_handler(request: Request, exc: Exception) -> Response:
    """Render a typed service error."""
    assert isinstance(exc, CloudletError)
    return _error(request, exc.message, exc.status)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Never leak internals: log the traceback, answer a generic 500 in Cloudinary's shape."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error(request, "Internal server error", 500)


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
    return _error(request, message, status)
