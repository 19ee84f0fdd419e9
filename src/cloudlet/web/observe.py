"""Observability: request metrics and JSON access logs, ``/metrics``, ``/healthz``, ``/readyz``.

``Observer`` records one answer: into the shared metric slots (``cloudlet.metrics``) and, when
``CLOUDLET_ACCESS_LOG_FORMAT=json``, as one JSON line on the ``cloudlet.access`` logger. The
delivery hit path (``web.hits.HitMiddleware``) calls it directly with slots worked out once;
``ObserveMiddleware`` does it for every other request, labelled by the route template the
router matched.

The three routes are one path segment long, and delivery URLs are at least four
(``/{cloud}/{resource_type}/{type}/{public_id}``), so a cloud may be called ``metrics``,
``healthz`` or ``readyz``: its deliveries still reach it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from bisect import bisect_left
from collections.abc import Callable
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudlet.errors import CloudletError
from cloudlet.metrics.registry import HTTP_BUCKETS, OTHER, Gauge, Metrics
from cloudlet.web.context import deps_of
from cloudlet.web.responses import json_response

access_log = logging.getLogger("cloudlet.access")
log = logging.getLogger("cloudlet.web")
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
READY_TIMEOUT_S = 5.0
DELIVERY_ROUTE = "/{cloud}/{rest:path}"


class Observer:
    """Where answers are recorded: ``metrics`` (None: off), JSON access log (on or off)."""

    def __init__(self, metrics: Metrics | None, json_log: bool) -> None:
        self.metrics = metrics
        self.json_log = json_log
        self._values = None if metrics is None else metrics.values
        if metrics is not None:  # the hit path's slots, worked out once
            self._hit_get = metrics.series(DELIVERY_ROUTE, "GET")
            self._hit_head = metrics.series(DELIVERY_ROUTE, "HEAD")
            self._ok, self._not_modified = metrics.status_slot(200), metrics.status_slot(304)
            self._sum_at = metrics.http_width - 1
            self._hit_slot = metrics.hit_slot

    def hit(self, scope: Scope, status: int, started: float, request_id: bytes, size: int) -> None:
        """A delivery answered from the hit cache (200 or 304): a few stores into shared
        memory, no lock, nothing allocated (this runs on every cached delivery)."""
        seconds = perf_counter() - started
        values = self._values
        if values is not None:
            counts_at, durations_at = self._hit_head if scope["method"] == "HEAD" else self._hit_get
            values[counts_at + (self._not_modified if status == 304 else self._ok)] += 1.0
            values[durations_at + bisect_left(HTTP_BUCKETS, seconds)] += 1.0
            values[durations_at + self._sum_at] += seconds
            values[self._hit_slot] += 1.0
        if self.json_log:
            _log(scope, DELIVERY_ROUTE, status, seconds, request_id.decode(), size, hit=True)

    def answer(
        self, scope: Scope, route: str, status: int, seconds: float, size: int | None
    ) -> None:
        """Any other answer."""
        if self.metrics is not None:
            counts_at, durations_at = self.metrics.series(route, scope["method"])
            self.metrics.observe(counts_at, durations_at, status, seconds)
        if self.json_log:
            request_id = scope.get("state", {}).get("request_id", "")
            _log(scope, route, status, seconds, request_id, size, hit=False)

    def cache_lookup(self, hit: bool) -> None:
        """A hit-cache lookup on the full delivery path (event-loop thread)."""
        if self.metrics is not None:
            metrics = self.metrics
            metrics.values[metrics.hit_slot if hit else metrics.miss_slot] += 1.0


def _log(
    scope: Scope,
    route: str,
    status: int,
    seconds: float,
    request_id: str,
    size: int | None,
    *,
    hit: bool,
) -> None:
    """One JSON line. The query string is left out: it can hold signatures and tokens."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    client = scope.get("client")
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request_id": request_id,
        "client": client[0] if client else None,
        "method": scope["method"],
        "path": raw_path.partition(b"?")[0].decode("latin-1"),
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "bytes": size,
        "hit": hit,
        "user_agent": _header(scope, b"user-agent"),
    }
    access_log.info(json.dumps(entry, ensure_ascii=False))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def enable_json_access_log() -> None:
    """Send ``cloudlet.access`` lines, as they are, to standard output (once per process)."""
    if access_log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


class ObserveMiddleware:
    """Times every request the hit path did not answer and hands it to the Observer."""

    def __init__(self, app: ASGIApp, observer: Observer) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        answer: dict[str, Any] = {"status": 500, "size": None}  # 500 unless one is sent

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["size"] = _content_length(message)
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = getattr(scope.get("route"), "path", OTHER)
            seconds = perf_counter() - started
            self.observer.answer(scope, route, answer["status"], seconds, answer["size"])


def _content_length(message: Message) -> int | None:
    for key, value in message.get("headers", ()):
        if key == b"content-length":
            return int(value)
    return None


# ----------------------------------------------------------------------------- routes


async def metrics(request: Request) -> Response:
    """``GET /metrics``: the whole server's metrics in Prometheus text format."""
    observer: Observer = request.app.state.observer
    if observer.metrics is None:
        return json_response({"error": {"message": "Metrics are turned off"}}, 404)
    gauges = await asyncio.to_thread(_gauges, request)
    body = observer.metrics.exposition(gauges)
    return PlainTextResponse(body, media_type=PROMETHEUS_TEXT)


def _gauges(request: Request) -> list[Gauge]:
    queue = deps_of(request).queue
    pending = getattr(queue, "pending", None)
    if not callable(pending):
        return []
    try:
        depth = float(pending())
    except Exception:  # noqa: BLE001 - an unreachable queue must not fail the scrape
        log.warning("could not read the job queue's depth", exc_info=True)
        return []
    return [("cloudlet_queue_jobs_pending", "Jobs waiting in the queue for a worker.", depth)]


async def healthz(request: Request) -> Response:
    """``GET /healthz``: the process is up and answering."""
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """``GET /readyz``: 200 when the catalog, the blob store and the queue answer (each
    within 5 s), else 503 naming what failed."""
    deps = deps_of(request)
    checks: dict[str, Callable[[], object]] = {
        "catalog": deps.catalog.ping,
        "storage": deps.storage.check,
    }
    pending = getattr(deps.queue, "pending", None)
    if callable(pending):
        checks["queue"] = pending
    results = await asyncio.gather(*(_check(name, call) for name, call in checks.items()))
    report = dict(zip(checks, results, strict=True))
    ready = all(value == "ok" for value in report.values())
    body = {"status": "ok" if ready else "unavailable", "checks": report}
    return json_response(body, 200 if ready else 503, headers={"Cache-Control": "no-store"})


async def _check(name: str, call: Callable[[], object]) -> str:
    """ "ok", or what went wrong without internals (the details go to the log)."""
    try:
        await asyncio.wait_for(asyncio.to_thread(call), READY_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_S:g} s"
    except CloudletError as exc:
        log.warning("readiness check %s failed", name, exc_info=True)
        return exc.message
    except Exception as exc:  # noqa: BLE001 - report, never raise
        log.warning("readiness check %s failed", name, exc_info=True)
        return type(exc).__name__
    return "ok"


routes = [
    Route("/metrics", metrics, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET", "HEAD"]),
    Route("/readyz", readyz, methods=["GET", "HEAD"]),
]
