"""Settings: frozen dataclasses read from ``CLOUDLET_*`` environment variables and CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path

from cloudlet.errors import BadRequestError

DEFAULT_DATA_DIR = "./cloudlet-data"
CDN_INVALIDATORS = ("none", "varnish", "nginx", "http")
MB = 1024 * 1024

REQUEST_HOST: ContextVar[str | None] = ContextVar("cloudlet_request_host", default=None)
"""The ``Host`` (name and port) the API request being answered was sent to; set by
``web.middleware.RequestHostMiddleware``. Without CLOUDLET_PUBLIC_URL, ``url`` and ``secure_url``
in responses name this host, so a client that reached the server as ``localhost:8443`` gets
links it can follow (and that its TLS certificate covers)."""


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise BadRequestError(f"{name} must be an integer, got {raw!r}") from exc


def _env_optional_int(env: Mapping[str, str], name: str) -> int | None:
    if not env.get(name):
        return None
    return _env_int(env, name, 0)


def _env_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list (blanks dropped)."""
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything a Cloudlet process needs to know, validated once at start."""

    data_dir: Path = Path(DEFAULT_DATA_DIR)
    database_url: str = ""  # empty: SQLite file inside data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    access_log: bool = True  # one log line per request (costs about a quarter of throughput)
    access_log_format: str = "text"  # text (uvicorn's lines) or json (one object per line)
    metrics: bool = True  # count requests, renders and cache hits; serve /metrics
    hit_cache_entries: int = 10_000  # delivery answers remembered per process; 0: off
    hit_cache_mb: int = 64  # memory per process for small remembered blobs
    # on a shared (PostgreSQL) catalog: how often a process re-reads the generation other
    # nodes move, i.e. how long it may answer from its hit cache after another node's write
    hit_cache_check_ms: int = 100
    # Base URL that delivery URLs in API responses point at; empty: http://{host}:{port}
    public_url: str = ""
    public_secure_url: str = ""  # empty: base_url with https://
    max_image_bytes: int = 100 * MB
    max_video_bytes: int = 2048 * MB
    max_raw_bytes: int = 2048 * MB
    max_image_pixels: int = 100_000_000
    fetch_timeout_s: float = 20.0
    fetch_max_bytes: int = 100 * MB
    fetch_allow_private: bool = False  # allow upload-from-URL to loopback/private addresses
    timestamp_window_s: int = 3600
    chunk_expiry_s: int = 24 * 3600
    admin_rate_limit: int = 5000  # Admin API calls per hour per cloud
    render_timeout_s: float = 30.0  # per-render time limit (delivery answers 504 past it)
    header_timeout_s: float = 30.0  # a request's headers must arrive within this (slow clients)
    body_timeout_s: float = 60.0  # longest pause while a request body arrives
    max_source_pixels: int = 50_000_000  # largest source a transformation may decode
    # libvips threads inside one render: renders already run in parallel, one per core
    vips_concurrency: int = 1
    webp_effort: int = 4  # libwebp's method for WebP derivatives: 0 fastest … 6 smallest
    delete_page_size: int = 1000  # assets deleted per bulk-delete call (Cloudinary: 1000)
    demo_cloud: str = "demo"
    queue_url: str = ""  # empty: the job queue is a SQLite file in data_dir; redis://… for Redis
    queue_name: str = "cloudlet"  # tells apart deployments that share one Redis
    queue_workers: int | None = None  # threads `cloudlet serve` runs jobs on; None: see below
    queue_retry_delay_s: int = 60  # wait before a failed job (or webhook delivery) is retried
    storage_url: str = ""  # empty: blobs on local disk in data_dir; s3://bucket/prefix?… for S3
    storage_cache_mb: int = 2048  # local disk cache of blobs kept in S3 (per machine)
    # delivery caching (docs/cdn.md): Cache-Control max-age of versioned / unversioned URLs,
    # and of a delivery error (doubling while the same URL keeps failing, up to the cap)
    cache_max_age_s: int = 31_536_000
    cache_unversioned_max_age_s: int = 3600
    cache_error_max_age_s: int = 60
    cache_error_max_age_cap_s: int = 3600
    cdn_invalidator: str = "none"  # none | varnish | nginx | http
    cdn_urls: tuple[str, ...] = ()  # the caches (varnish, nginx) or the purge endpoint (http)
    cdn_varnish_mode: str = "ban"  # ban | purge
    cdn_token: str = ""  # sent as a bearer token by the http invalidator
    webhook_allow_private: bool = False  # allow webhooks to loopback/private addresses
    webhook_retries: int = 3  # retries of a refused webhook, retry delay doubling each time

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL of the catalog: PostgreSQL if configured, else SQLite in data_dir."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.sqlite_path}"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite3"

    @property
    def embedded_queue_workers(self) -> int:
        """Job threads inside ``cloudlet serve``: 2 with the embedded SQLite queue, none with
        Redis (run ``cloudlet worker`` there) unless CLOUDLET_QUEUE_WORKERS says otherwise."""
        if self.queue_workers is not None:
            return self.queue_workers
        return 0 if self.queue_url else 2

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def metrics_dir(self) -> Path:
        return self.data_dir / "metrics"

    @property
    def storage_cache_dir(self) -> Path:
        return self.data_dir / "cache" / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def base_url(self) -> str:
        """Where this server is reached; used to build ``url``/``secure_url`` in responses:
        CLOUDLET_PUBLIC_URL, else the host the current request used, else host and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        requested = REQUEST_HOST.get()
        if requested:
            return f"http://{requested}"
        return f"http://{self.host}:{self.port}"

    @property
    def secure_base_url(self) -> str:
        """The ``https://`` twin of base_url, used for ``secure_url`` in responses."""
        if self.public_secure_url:
            return self.public_secure_url.rstrip("/")
        return "https://" + self.base_url.split("://", 1)[-1]

    def max_bytes_for(self, resource_type: str) -> int:
        """The upload size limit for a resource type."""
        return {
            "image": self.max_image_bytes,
            "video": self.max_video_bytes,
        }.get(resource_type, self.max_raw_bytes)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced (None values are ignored)."""
        clean = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **clean)  # type: ignore[arg-type]

    def validate(self) -> Settings:
        """Raise BadRequestError for settings that cannot work; return self."""
        if not 0 < self.port < 65536:
            raise BadRequestError(f"port must be between 1 and 65535, got {self.port}")
        if not 1 <= self.delete_page_size <= 10000:
            raise BadRequestError("CLOUDLET_DELETE_PAGE_SIZE must be between 1 and 10000")
        if self.workers < 1:
            raise BadRequestError("workers must be at least 1")
        if min(self.hit_cache_entries, self.hit_cache_mb, self.hit_cache_check_ms) < 0:
            raise BadRequestError(
                "CLOUDLET_HIT_CACHE_ENTRIES, CLOUDLET_HIT_CACHE_MB and "
                "CLOUDLET_HIT_CACHE_CHECK_MS must be 0 or more"
            )
        if self.database_url and not self.database_url.startswith(("sqlite", "postgres")):
            raise BadRequestError("CLOUDLET_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        if self.queue_url and not self.queue_url.startswith(("redis://", "rediss://", "unix://")):
            raise BadRequestError("CLOUDLET_QUEUE_URL must be a redis://, rediss:// or unix:// URL")
        if self.queue_workers is not None and self.queue_workers < 0:
            raise BadRequestError("CLOUDLET_QUEUE_WORKERS must be 0 or more")
        if self.access_log_format not in ("text", "json"):
            raise BadRequestError("CLOUDLET_ACCESS_LOG_FORMAT must be text or json")
        if self.storage_url and not self.storage_url.startswith("s3://"):
            raise BadRequestError("CLOUDLET_STORAGE_URL must be an s3:// URL (or unset)")
        if self.storage_cache_mb < 1:
            raise BadRequestError("CLOUDLET_STORAGE_CACHE_MB must be at least 1")
        self._validate_caching()
        self._validate_timeouts()
        self._validate_rendering()
        return self

    def _validate_rendering(self) -> None:
        if self.vips_concurrency < 1:
            raise BadRequestError("CLOUDLET_VIPS_CONCURRENCY must be at least 1")
        if not 0 <= self.webp_effort <= 6:
            raise BadRequestError("CLOUDLET_WEBP_EFFORT must be from 0 to 6")

    def _validate_timeouts(self) -> None:
        if self.header_timeout_s < 1 or self.body_timeout_s < 1:
            raise BadRequestError(
                "CLOUDLET_HEADER_TIMEOUT_S and CLOUDLET_BODY_TIMEOUT_S must be 1 or more"
            )

    def _validate_caching(self) -> None:
        ages = (self.cache_max_age_s, self.cache_unversioned_max_age_s, self.cache_error_max_age_s)
        if min(ages) < 0 or self.cache_error_max_age_cap_s < self.cache_error_max_age_s:
            raise BadRequestError(
                "CLOUDLET_CACHE_*_MAX_AGE_S must be 0 or more, and the error cap at least "
                "CLOUDLET_CACHE_ERROR_MAX_AGE_S"
            )
        if self.cdn_invalidator not in CDN_INVALIDATORS:
            raise BadRequestError(
                f"CLOUDLET_CDN_INVALIDATOR must be one of {', '.join(CDN_INVALIDATORS)}"
            )
        if self.cdn_invalidator != "none" and not self.cdn_urls:
            raise BadRequestError(
                f"CLOUDLET_CDN_URLS is needed by the {self.cdn_invalidator} invalidator"
            )
        if not all(url.startswith(("http://", "https://")) for url in self.cdn_urls):
            raise BadRequestError("CLOUDLET_CDN_URLS must be http:// or https:// URLs")
        if self.cdn_varnish_mode not in ("ban", "purge"):
            raise BadRequestError("CLOUDLET_CDN_VARNISH_MODE must be ban or purge")
        if not 0 <= self.webhook_retries <= 10:
            raise BadRequestError("CLOUDLET_WEBHOOK_RETRIES must be between 0 and 10")


def normalise_database_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` onto SQLAlchemy's psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read settings from the environment (``CLOUDLET_*``), then apply CLI overrides."""
    env = os.environ if env is None else env
    settings = Settings(
        data_dir=Path(env.get("CLOUDLET_DATA_DIR") or DEFAULT_DATA_DIR),
        database_url=env.get("CLOUDLET_DATABASE_URL", ""),
        host=env.get("CLOUDLET_HOST", "127.0.0.1"),
        port=_env_int(env, "CLOUDLET_PORT", 8000),
        workers=_env_int(env, "CLOUDLET_WORKERS", 1),
        public_url=env.get("CLOUDLET_PUBLIC_URL", ""),
        public_secure_url=env.get("CLOUDLET_PUBLIC_SECURE_URL", ""),
        max_image_bytes=_env_int(env, "CLOUDLET_MAX_IMAGE_BYTES", 100 * MB),
        max_video_bytes=_env_int(env, "CLOUDLET_MAX_VIDEO_BYTES", 2048 * MB),
        max_raw_bytes=_env_int(env, "CLOUDLET_MAX_RAW_BYTES", 2048 * MB),
        max_image_pixels=_env_int(env, "CLOUDLET_MAX_IMAGE_PIXELS", 100_000_000),
        fetch_max_bytes=_env_int(env, "CLOUDLET_FETCH_MAX_BYTES", 100 * MB),
        fetch_allow_private=_env_bool(env, "CLOUDLET_FETCH_ALLOW_PRIVATE", False),
        admin_rate_limit=_env_int(env, "CLOUDLET_ADMIN_RATE_LIMIT", 5000),
        access_log=_env_bool(env, "CLOUDLET_ACCESS_LOG", True),
        access_log_format=(env.get("CLOUDLET_ACCESS_LOG_FORMAT") or "text").strip().lower(),
        metrics=_env_bool(env, "CLOUDLET_METRICS", True),
        hit_cache_entries=_env_int(env, "CLOUDLET_HIT_CACHE_ENTRIES", 10_000),
        hit_cache_mb=_env_int(env, "CLOUDLET_HIT_CACHE_MB", 64),
        hit_cache_check_ms=_env_int(env, "CLOUDLET_HIT_CACHE_CHECK_MS", 100),
        delete_page_size=_env_int(env, "CLOUDLET_DELETE_PAGE_SIZE", 1000),
        render_timeout_s=float(_env_int(env, "CLOUDLET_RENDER_TIMEOUT_S", 30)),
        header_timeout_s=float(_env_int(env, "CLOUDLET_HEADER_TIMEOUT_S", 30)),
        body_timeout_s=float(_env_int(env, "CLOUDLET_BODY_TIMEOUT_S", 60)),
        max_source_pixels=_env_int(env, "CLOUDLET_MAX_SOURCE_PIXELS", 50_000_000),
        vips_concurrency=_env_int(env, "CLOUDLET_VIPS_CONCURRENCY", 1),
        webp_effort=_env_int(env, "CLOUDLET_WEBP_EFFORT", 4),
        queue_url=env.get("CLOUDLET_QUEUE_URL", ""),
        queue_name=env.get("CLOUDLET_QUEUE_NAME") or "cloudlet",
        queue_workers=_env_optional_int(env, "CLOUDLET_QUEUE_WORKERS"),
        queue_retry_delay_s=_env_int(env, "CLOUDLET_QUEUE_RETRY_DELAY_S", 60),
        storage_url=env.get("CLOUDLET_STORAGE_URL", ""),
        storage_cache_mb=_env_int(env, "CLOUDLET_STORAGE_CACHE_MB", 2048),
        cache_max_age_s=_env_int(env, "CLOUDLET_CACHE_MAX_AGE_S", 31_536_000),
        cache_unversioned_max_age_s=_env_int(env, "CLOUDLET_CACHE_UNVERSIONED_MAX_AGE_S", 3600),
        cache_error_max_age_s=_env_int(env, "CLOUDLET_CACHE_ERROR_MAX_AGE_S", 60),
        cache_error_max_age_cap_s=_env_int(env, "CLOUDLET_CACHE_ERROR_MAX_AGE_CAP_S", 3600),
        cdn_invalidator=(env.get("CLOUDLET_CDN_INVALIDATOR") or "none").strip().lower(),
        cdn_urls=_env_list(env, "CLOUDLET_CDN_URLS"),
        cdn_varnish_mode=(env.get("CLOUDLET_CDN_VARNISH_MODE") or "ban").strip().lower(),
        cdn_token=env.get("CLOUDLET_CDN_TOKEN", ""),
        webhook_allow_private=_env_bool(env, "CLOUDLET_WEBHOOK_ALLOW_PRIVATE", False),
        webhook_retries=_env_int(env, "CLOUDLET_WEBHOOK_RETRIES", 3),
    )
    if "data_dir" in overrides and overrides["data_dir"] is not None:
        overrides["data_dir"] = Path(str(overrides["data_dir"]))
    return settings.with_overrides(**overrides).validate()
