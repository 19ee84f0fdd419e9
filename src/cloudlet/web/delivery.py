"""Delivery routes: ``GET /{cloud}/{resource_type}/{type}/…`` serves originals."""

from __future__ import annotations

import email.utils
import os
from collections.abc import Iterator
from typing import BinaryIO

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from cloudlet.delivery.url import DeliveryPathError, DeliveryRequest, parse_delivery_path
from cloudlet.errors import NotFoundError
from cloudlet.services import tag_outputs
from cloudlet.services.delivery import Delivery
from cloudlet.web import hits
from cloudlet.web.context import deps_of, in_thread


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


def parsed_path(request: Request) -> DeliveryRequest:
    """The delivery URL's parts, from the raw path as the SDKs signed it; 404 when it is not
    a delivery URL."""
    raw_path = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
    try:
        return parse_delivery_path(raw_path or request.url.path)
    except DeliveryPathError as exc:
        raise NotFoundError("Resource not found") from exc


async def deliver(request: Request) -> Response:
    """Serve an original (or a 304, or a byte range)."""
    deps = deps_of(request)
    parsed = parsed_path(request)
    token = request.query_params.get("__cld_token__")
    accept = request.headers.get("accept", "")
    body = None
    if parsed.type in tag_outputs.OUTPUT_TYPES:  # sprites and multis have their own lookup
        found = await in_thread(tag_outputs.resolve, deps, parsed)
    else:
        found, body = await _remembered_or_resolved(request, parsed, token, accept)
    headers = hits.cache_headers(found, deps.settings)
    if _not_modified(request, found):
        return Response(status_code=304, headers=headers)
    if body is not None and request.method == "GET" and "range" not in request.headers:
        # a small blob read (or just rendered) moments ago: no file to open and read again
        return Response(body, media_type=found.content_type, headers=headers)
    path = deps.storage.local_path(found.storage_key)
    if path is not None:
        try:  # the blob may have gone since it was looked up (a delete or an overwrite)
            stat_result = os.stat(path)  # microseconds on a local disk: no thread hop
        except FileNotFoundError:
            raise NotFoundError(f"Resource not found - {parsed.public_path}") from None
        return FileResponse(
            path, media_type=found.content_type, headers=headers, stat_result=stat_result
        )
    stream = deps.storage.open(found.storage_key)
    return StreamingResponse(_chunks(stream), media_type=found.content_type, headers=headers)


async def _remembered_or_resolved(
    request: Request, parsed: DeliveryRequest, token: str | None, accept: str
) -> tuple[Delivery, bytes | None]:
    """The answer (and its blob, when small) from this process's hit cache (access
    re-checked), else from the full path, remembered for next time (see ``web.hits``)."""
    deps, cache = deps_of(request), request.app.state.hits
    key = hits.path_key(request.scope)
    hit = hits.lookup(cache, key, accept) if key else None
    found = hit is not None and hit.rule.allows(token, int(deps.now().timestamp()))
    request.app.state.observer.cache_lookup(found)
    if hit is not None and found:
        return hit.found, hit.body
    since = cache.generation()
    hit = await in_thread(hits.resolve_hit, deps, parsed, token, accept)
    if key:
        hits.remember(cache, key, accept, hit, since)
    return hit.found, hit.body


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while block := stream.read(256 * 1024):
            yield block
    finally:
        stream.close()


routes = [Route("/{cloud}/{rest:path}", deliver, methods=["GET", "HEAD"])]
