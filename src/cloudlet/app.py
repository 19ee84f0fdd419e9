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

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.generation import Generation
from cloudlet.errors import BadRequestError, CloudletError
from cloudlet.jobs.queue import HueyQueue
from cloudlet.services import chunks
from cloudlet.services.deps import Deps
from cloudlet.settings import Settings
from cloudlet.storage.local import LocalStorage
from cloudlet.web import admin_api, console, delivery, metadata_api, outputs, upload_api
from cloudlet.web.console_throttle import LoginThrottle
from cloudlet.web.hits import HitMiddleware, new_cache
from cloudlet.web.middleware import (
    BodyLimitMiddleware,
    RequestHostMiddleware,
    RequestIdMiddleware,
)
from cloudlet.web.ratelimit import HourlyRateLimiter
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


def build_deps(settings: Settings) -> Deps:
    """Open the catalog (migrated) and the blob store the settings name."""
    # libvips would otherwise keep up to 100 recently used source files open
    pyvips.cache_set_max(0)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # shared with every process on this machine using this data dir (see web/hits.py)
    generation = Generation(settings.data_dir / "delivery.generation")
    catalog = Catalog(settings.effective_database_url, generation)
    catalog.migrate()
    storage = LocalStorage(settings.blob_dir, settings.tmp_dir / "staging")
    queue = build_queue(settings)
    deps = Deps(settings=settings, catalog=catalog, storage=storage, queue=queue)
    queue.bind(deps)  # jobs taken from the queue in this process run with these deps
    return deps


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


def create_app(settings: Settings, deps: Deps | None = None) -> Starlette:
    """The ASGI application: Upload API, Admin API and delivery on one server."""
    deps = deps or build_deps(settings)
    hits = new_cache(deps)
    app = Starlette(
        routes=[
            *outputs.api_routes,  # before upload_api's catch-all for unknown actions
            *upload_api.routes,
            *admin_api.routes,
            *metadata_api.routes,
            *console.routes,  # the Media Explorer at /console, before delivery's catch-all
            *outputs.delivery_routes,
            *delivery.routes,
        ],
        middleware=[
            # remembered deliveries are answered before anything else runs
            Middleware(HitMiddleware, hits=hits, deps=deps),
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
    app.state.rate_limiter = HourlyRateLimiter(settings.admin_rate_limit)
    app.state.console_logins = LoginThrottle()  # failed Media Explorer sign-ins
    return app


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (one call per worker process): settings from env."""
    from cloudlet.settings import load_settings

    return create_app(load_settings(os.environ))
