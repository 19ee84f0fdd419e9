"""Composition root: ``create_app(settings)`` wires the concrete backends.

Nothing else names them."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pyvips
from huey import SqliteHuey
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.generation import Generation
from cloudlet.cdn.base import Invalidator
from cloudlet.cdn.http import HttpInvalidator
from cloudlet.cdn.nginx import NginxInvalidator
from cloudlet.cdn.none import NoneInvalidator
from cloudlet.cdn.varnish import VarnishInvalidator
from cloudlet.errors import BadRequestError, CloudletError
from cloudlet.jobs.queue import HueyQueue
from cloudlet.metrics.registry import Metrics
from cloudlet.services import chunks, invalidation, webhooks
from cloudlet.services.deps import Deps
from cloudlet.services.events import EventBus
from cloudlet.settings import Settings
from cloudlet.storage.base import Storage
from cloudlet.storage.local import LocalStorage
from cloudlet.web import (
    admin_api,
    console,
    delivery,
    metadata_api,
    observe,
    openapi,
    outputs,
    search_api,
    upload_api,
)
from cloudlet.web.console_throttle import SharedLoginThrottle
from cloudlet.web.error_cache import ErrorBackoff
from cloudlet.web.hits import HitMiddleware, new_cache
from cloudlet.web.middleware import (
    BodyLimitMiddleware,
    RequestHostMiddleware,
    RequestIdMiddleware,
)
from cloudlet.web.observe import ObserveMiddleware, Observer, enable_json_access_log
from cloudlet.web.ratelimit import (
    CallCounter,
    CatalogCallCounter,
    HourlyRateLimiter,
    RedisCallCounter,
)
from cloudlet.web.responses import (
    cloudlet_error_handler,
    http_exception_handler,
    unexpected_error_handler,
)

log = logging.getLogger("cloudlet")
CHUNK_SWEEP_INTERVAL_S = 3600
API_BODY_OVERHEAD = 16 * 1024 * 1024  # form fields, data URIs, multipart framing


def api_body_limit(settings: Settings) -> int:
    """The largest API request body: the largest upload plus room for the other fields."""
    largest = max(settings.max_image_bytes, settings.max_video_bytes, settings.max_raw_bytes)
    return largest + API_BODY_OVERHEAD


def build_deps(settings: Settings, metrics: Metrics | None = None) -> Deps:
    """Open the catalog (migrated) and the blob store the settings name; ``metrics``, when
    given, counts render times."""
    # libvips would otherwise keep up to 100 recently used source files open
    pyvips.cache_set_max(0)
    # the render pool runs one render per core; libvips threads inside each only contend
    pyvips.concurrency_set(settings.vips_concurrency)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # shared with every process on this machine using this data dir (see web/hits.py), and
    # on PostgreSQL with every node, re-read at most every CLOUDLET_HIT_CACHE_CHECK_MS
    generation = Generation(
        settings.data_dir / "delivery.generation", check_s=settings.hit_cache_check_ms / 1000
    )
    catalog = Catalog(settings.effective_database_url, generation)
    catalog.migrate()
    storage = build_storage(settings)
    queue = build_queue(settings)
    deps = Deps(
        settings=settings,
        catalog=catalog,
        storage=storage,
        queue=queue,
        metrics=metrics,
        # what follows a committed change: CDN invalidation, then webhooks
        events=EventBus([invalidation.on_change, webhooks.on_change]),
        invalidator=build_invalidator(settings),
    )
    queue.bind(deps)  # jobs taken from the queue in this process run with these deps
    return deps


def build_storage(settings: Settings) -> Storage:
    """The blob store: files in the data dir, or an S3 bucket when CLOUDLET_STORAGE_URL is set
    (with a local disk cache in the data dir)."""
    staging = settings.tmp_dir / "staging"
    if not settings.storage_url:
        return LocalStorage(settings.blob_dir, staging)
    from cloudlet.storage.cache import DiskCache
    from cloudlet.storage.s3 import S3Storage, parse_s3_url

    cache = DiskCache(settings.storage_cache_dir, settings.storage_cache_mb * 1024 * 1024)
    return S3Storage(parse_s3_url(settings.storage_url), staging, cache)


def build_invalidator(settings: Settings) -> Invalidator:
    """The CDN invalidator CLOUDLET_CDN_INVALIDATOR names (none by default)."""
    urls = settings.cdn_urls
    if settings.cdn_invalidator == "varnish":
        return VarnishInvalidator(urls, mode=settings.cdn_varnish_mode)
    if settings.cdn_invalidator == "nginx":
        return NginxInvalidator(urls)
    if settings.cdn_invalidator == "http":
        return HttpInvalidator(urls, token=settings.cdn_token, public_url=settings.public_url)
    return NoneInvalidator()


def build_queue(settings: Settings) -> HueyQueue:
    """The job queue: a SQLite file in the data dir, or Redis when CLOUDLET_QUEUE_URL is set."""
    if not settings.queue_url:
        huey = SqliteHuey(settings.queue_name, filename=str(settings.queue_path), results=False)
        return HueyQueue(huey, retry_delay_s=settings.queue_retry_delay_s)
    try:
        import redis  # noqa: F401 - only to give a clear message when it is missing
        from huey import RedisHuey
    except ImportError as exc:
        raise BadRequestError(
            "CLOUDLET_QUEUE_URL needs the Redis client: pip install 'cloudlet[redis]'"
        ) from exc
    huey = RedisHuey(settings.queue_name, url=settings.queue_url, results=False)
    return HueyQueue(huey, retry_delay_s=settings.queue_retry_delay_s)


def build_rate_limiter(deps: Deps) -> HourlyRateLimiter:
    """The Admin API's hourly limit, counted where every process and node sees it: in Redis
    when the queue is there, else in the catalog database."""
    settings = deps.settings
    counter: CallCounter
    if settings.queue_url:
        counter = RedisCallCounter(settings.queue_url, settings.queue_name)
    else:
        counter = CatalogCallCounter(deps.catalog)
    return HourlyRateLimiter(settings.admin_rate_limit, counter)


def _lifespan(deps: Deps) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep_abandoned_chunks(deps))
        try:
            yield
        finally:
            sweeper.cancel()
            deps.catalog.close()

    return lifespan


async def _sweep_abandoned_chunks(deps: Deps) -> None:
    """Every hour, remove chunked uploads nobody finished within ``chunk_expiry_s``."""
    while True:
        await asyncio.sleep(CHUNK_SWEEP_INTERVAL_S)
        try:
            await asyncio.to_thread(chunks.sweep_abandoned, deps)
        except OSError:
            log.exception("sweeping abandoned chunked uploads failed")


def app_routes() -> list[BaseRoute]:
    """The route table, in matching order."""
    return [
        *observe.routes,
        *openapi.routes,
        # before upload_api's catch-all for unknown actions, /v1_1/{cloud}/{x}/{action},
        # which would take POST /v1_1/{cloud}/folders/{name} (create_folder)
        *outputs.api_routes,
        *search_api.routes,  # before admin_api's /resources/{rest} and delivery
        *admin_api.routes,
        *metadata_api.routes,
        *upload_api.routes,
        *console.routes,  # the Media Explorer at /console, before delivery's catch-all
        *outputs.delivery_routes,
        *delivery.routes,
    ]


def build_observer(settings: Settings, routes: list[BaseRoute]) -> Observer:
    """Request metrics (shared by this machine's processes) and the JSON access log, as
    the settings ask."""
    metrics = None
    if settings.metrics:
        metrics = Metrics(settings.metrics_dir, [getattr(r, "path", "") for r in routes])
    json_log = settings.access_log and settings.access_log_format == "json"
    if json_log:
        enable_json_access_log()
    return Observer(metrics, json_log)


def create_app(settings: Settings, deps: Deps | None = None) -> Starlette:
    """The ASGI application: Upload API, Admin API and delivery on one server."""
    routes = app_routes()
    observer = build_observer(settings, routes)
    deps = deps or build_deps(settings, observer.metrics)
    hits = new_cache(deps)
    observing = observer if observer.metrics is not None or observer.json_log else None
    app = Starlette(
        routes=routes,
        middleware=[
            # remembered deliveries are answered before anything else runs
            Middleware(HitMiddleware, hits=hits, deps=deps, observer=observing),
            *([Middleware(ObserveMiddleware, observer=observing)] if observing else []),
            Middleware(RequestIdMiddleware),
            Middleware(RequestHostMiddleware),  # response URLs name the host the client used
            Middleware(BodyLimitMiddleware, limit=api_body_limit(settings)),
            # Browsers upload unsigned, delete by token and load deliveries cross-origin.
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "HEAD", "POST"],
                allow_headers=["*"],
                expose_headers=["X-Request-Id", "X-Cld-Error"],
            ),
        ],
        exception_handlers={
            CloudletError: cloudlet_error_handler,
            HTTPException: http_exception_handler,
            Exception: unexpected_error_handler,
        },
        lifespan=_lifespan(deps),
    )
    app.state.deps = deps
    app.state.hits = hits
    app.state.observer = observer
    app.state.error_backoff = ErrorBackoff(
        settings.cache_error_max_age_s, settings.cache_error_max_age_cap_s, deps.catalog.generation
    )
    app.state.rate_limiter = build_rate_limiter(deps)
    # failed Media Explorer sign-ins, counted in the catalog for every process and node
    app.state.console_logins = SharedLoginThrottle(deps.catalog)
    return app


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (one call per worker process): settings from env."""
    from cloudlet.settings import load_settings

    return create_app(load_settings(os.environ))
