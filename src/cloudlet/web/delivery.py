"""Delivery routes: ``GET /{cloud}/{resource_type}/{type}/…`` serves originals."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from typing import BinaryIO

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from cloudlet.delivery.url import DeliveryPathError, parse_delivery_path
from cloudlet.errors import NotFoundError
from cloudlet.services import delivery as delivery_service
from cloudlet.services.delivery import Delivery
from cloudlet.web.context import deps_of, in_thread

IMMUTABLE = "public, max-age=31536000, immutable"
UNVERSIONED = "public, max-age=3600"


def _cache_headers(found: Delivery) -> dict[str, str]:
    headers = {
        "ETag": f'"{found.etag}"',
        "Last-Modified": email.utils.format_datetime(found.last_modified, usegmt=True),
        "Cache-Control": IMMUTABLE if found.versioned else UNVERSIONED,
        "Accept-Ranges": "bytes",
    }
    headers.update(found.headers)
    if found.vary:
        headers["Vary"] = found.vary
    return headers


def _not_modified(request: Request, found: Delivery) -> bool:
    tags = request.headers.get("if-none-match")
    if tags is not None:
        candidates = {t.strip().removeprefix("W/") for t in tags.split(",")}
        return "*" in candidates or f'"{found.etag}"' in candidates
    since = request.headers.get("if-modified-since")
    if since:
        parsed = email.utils.parsedate_to_datetime(since) if _valid_date(since) else None
        if parsed is not None:
            return found.last_modified.replace(microsecond=0) <= parsed
    return False


def _valid_date(text: str) -> bool:
    try:
        email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False
    return True


async def deliver(request: Request) -> Response:
    """Serve an original (or a 304, or a byte range)."""
    deps = deps_of(request)
    raw_path = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
    try:
        parsed = parse_delivery_path(raw_path or request.url.path)
    except DeliveryPathError as exc:
        raise NotFoundError("Resource not found") from exc
    token = request.query_params.get("__cld_token__")
    accept = request.headers.get("accept", "")
    found = await in_thread(delivery_service.resolve, deps, parsed, token, accept)
    headers = _cache_headers(found)
    if _not_modified(request, found):
        return Response(status_code=304, headers=headers)
    path = deps.storage.local_path(found.storage_key)
    if path is not None:
        return FileResponse(path, media_type=found.content_type, headers=headers)
    stream = deps.storage.open(found.storage_key)
    return StreamingResponse(_chunks(stream), media_type=found.content_type, headers=headers)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while block := stream.read(256 * 1024):
            yield block
    finally:
        stream.close()


routes = [Route("/{cloud}/{rest:path}", deliver, methods=["GET", "HEAD"])]
