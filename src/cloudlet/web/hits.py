"""The delivery hit path: answer a delivery URL seen before without asking the catalog.

``remember`` keeps what an answer needs (see ``services.hit_cache``); ``HitMiddleware`` sits in
front of the whole application and sends remembered small blobs straight from memory, with
the same headers the full path sends, when the request is a plain ``GET``/``HEAD`` (no byte
range, no ``Origin``, no date-only revalidation: those take the full path, which still finds
the answer in memory). Access is checked again on every request: the URL's signature, or
the auth token with the current time.
"""

from __future__ import annotations

import email.utils
import secrets
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from cloudlet.delivery.url import DeliveryRequest
from cloudlet.errors import NotFoundError
from cloudlet.services import delivery as delivery_service
from cloudlet.services.delivery import Delivery
from cloudlet.services.deps import Deps
from cloudlet.services.hit_cache import AccessRule, HitCache, access_rule
from cloudlet.settings import Settings

if TYPE_CHECKING:
    from cloudlet.web.observe import Observer

SMALL_BLOB = 1024 * 1024  # blobs up to this size are answered from memory
_FULL_PATH_HEADERS = frozenset({b"range", b"if-range", b"origin"})
RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Hit:
    """A remembered answer."""

    found: Delivery
    rule: AccessRule
    path: Path | None  # the blob on local disk
    body: bytes | None  # the blob itself, when small
    etag: str  # quoted, as sent
    headers: dict[str, str]  # the cache headers (also those of a 304)
    raw_304: RawHeaders
    raw_200: RawHeaders


class _Varies:
    """Marks a URL whose answer depends on ``Accept`` (``f_auto``): look again with it."""


VARIES = _Varies()
Hits = HitCache[Hit | _Varies]


def new_cache(deps: Deps) -> Hits:
    """The hit cache of this process, sized by the settings (0 entries: off)."""
    settings = deps.settings
    return HitCache(
        deps.catalog.generation,
        settings.hit_cache_entries,
        settings.hit_cache_mb * 1024 * 1024,
    )


def cache_control(settings: Settings, versioned: bool) -> str:
    """Long-lived and immutable for a URL that names the version it delivers; shorter for
    the others, whose bytes an overwrite changes (CLOUDLET_CACHE_*_MAX_AGE_S)."""
    if versioned:
        return f"public, max-age={settings.cache_max_age_s}, immutable"
    return f"public, max-age={settings.cache_unversioned_max_age_s}"


def cache_headers(found: Delivery, settings: Settings) -> dict[str, str]:
    """ETag, Last-Modified, Cache-Control (and Vary, and the asset's own headers)."""
    headers = {
        "ETag": f'"{found.etag}"',
        "Last-Modified": email.utils.format_datetime(found.last_modified, usegmt=True),
        "Cache-Control": cache_control(settings, found.versioned),
        "Accept-Ranges": "bytes",
    }
    headers.update(found.headers)
    if found.vary:
        headers["Vary"] = found.vary
    return headers


def lookup(hits: Hits, raw_path: bytes, accept: str) -> Hit | None:
    """The remembered answer to this path (and Accept, where it matters), if still valid."""
    found = hits.get(raw_path)
    if isinstance(found, _Varies):
        found = hits.get((raw_path, accept))
    return None if isinstance(found, _Varies) else found


def remember(hits: Hits, raw_path: bytes, accept: str, hit: Hit, since: int) -> None:
    """Keep ``hit``, found by catalog work begun at generation ``since``."""
    size = len(hit.body) if hit.body is not None else 0
    if hit.found.vary:
        if hits.put(raw_path, VARIES, since):
            hits.put((raw_path, accept), hit, since, size)
        return
    hits.put(raw_path, hit, since, size)


def resolve_hit(deps: Deps, parsed: DeliveryRequest, token: str | None, accept: str) -> Hit:
    """The full path (catalog, access checks, rendering if needed), as a Hit to remember.
    Blocking: run it in a worker thread."""
    cloud = deps.catalog.get_cloud_remembered(parsed.cloud)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {parsed.cloud}")
    found = delivery_service.resolve_in(deps, cloud, parsed, token, accept)
    path = deps.storage.local_path(found.storage_key)
    body = None
    if path is not None and found.bytes <= SMALL_BLOB:
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"Resource not found - {parsed.public_path}") from None
    headers = cache_headers(found, deps.settings)
    raw_304, raw_200 = _raw_headers(found, headers, len(body) if body is not None else found.bytes)
    etag = headers["ETag"]
    return Hit(found, access_rule(cloud, parsed), path, body, etag, headers, raw_304, raw_200)


def _raw_headers(
    found: Delivery, headers: dict[str, str], length: int
) -> tuple[RawHeaders, RawHeaders]:
    """The headers of a 304 and of a 200 as the full path sends them (Starlette adds the
    charset of text types; the CORS middleware adds ``Vary: Origin`` to every answer)."""
    vary = ", ".join([headers["Vary"], "Origin"] if "Vary" in headers else ["Origin"])
    cached = {**headers, "Vary": vary}
    raw_304 = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in cached.items()]
    content_type = found.content_type
    if content_type.startswith("text/") and "charset" not in content_type:
        content_type += "; charset=utf-8"
    raw_200 = [
        (b"content-type", content_type.encode("latin-1")),
        *raw_304,
        (b"content-length", str(length).encode()),
    ]
    return raw_304, raw_200


def path_key(scope: Scope) -> bytes:
    """What answers are remembered by: the raw path (never the query string); b"" when the
    server gives none."""
    raw: bytes = scope.get("raw_path") or b""
    return raw.partition(b"?")[0]


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches the (quoted) ETag."""
    candidates = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def token_of(query_string: bytes) -> str | None:
    """The ``__cld_token__`` query parameter, if any."""
    if b"__cld_token__" not in query_string:
        return None
    values = parse_qs(query_string.decode("latin-1")).get("__cld_token__")
    return values[0] if values else None


class HitMiddleware:
    """Answers remembered small blobs before Starlette's routing and middleware run."""

    def __init__(
        self, app: ASGIApp, hits: Hits, deps: Deps, observer: Observer | None = None
    ) -> None:
        self.app = app
        self.hits = hits
        self.deps = deps
        self.observer = observer  # metrics and access log of the answers sent from here

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = perf_counter()
        hit = self._answerable(scope) if scope["type"] == "http" else None
        if hit is None:
            await self.app(scope, receive, send)
            return
        hit_, not_modified = hit
        request_id = secrets.token_hex(8).encode()
        if not_modified:
            start = {"type": "http.response.start", "status": 304}
            await send({**start, "headers": [*hit_.raw_304, (b"x-request-id", request_id)]})
            await send({"type": "http.response.body", "body": b""})
            status, size = 304, 0
        else:
            headers = [*hit_.raw_200, (b"x-request-id", request_id)]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            body = b"" if scope["method"] == "HEAD" else hit_.body
            await send({"type": "http.response.body", "body": body})
            status, size = 200, len(body or b"")
        if self.observer is not None:
            self.observer.hit(scope, status, started, request_id, size)

    def _answerable(self, scope: Scope) -> tuple[Hit, bool] | None:
        """The hit to send from memory and whether it is a 304; None: take the full path."""
        if scope["method"] not in ("GET", "HEAD"):
            return None
        accept, if_none_match, dated = "", None, False
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                dated = True
            elif name in _FULL_PATH_HEADERS:
                return None
        hit = lookup(self.hits, path_key(scope), accept)
        if hit is None or hit.body is None or (dated and if_none_match is None):
            return None
        if hit.rule.kind != "open":
            now = int(self.deps.now().timestamp())
            if not hit.rule.allows(token_of(scope.get("query_string", b"")), now):
                return None
        return hit, if_none_match is not None and etag_matches(if_none_match, hit.etag)
