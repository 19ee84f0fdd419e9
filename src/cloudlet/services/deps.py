"""What every use case needs: settings, the catalog, the blob store, a clock, the render
pool, the job queue, the event bus and the CDN invalidator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from cloudlet.catalog.catalog import Catalog
from cloudlet.cdn.base import Invalidator
from cloudlet.services.events import EventBus
from cloudlet.services.queue import JobQueue
from cloudlet.services.render_pool import RenderPool
from cloudlet.settings import Settings
from cloudlet.storage.base import Storage


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class RenderMetrics(Protocol):
    """Where render times are counted (``cloudlet.metrics``)."""

    def observe_render(self, seconds: float) -> None:
        """One render took ``seconds``."""


@dataclass(frozen=True)
class Deps:
    """The collaborators handed to services by the composition root (``cloudlet.app``)."""

    settings: Settings
    catalog: Catalog
    storage: Storage
    clock: Callable[[], datetime] = field(default=utc_now)
    renders: RenderPool = field(default_factory=RenderPool)
    queue: JobQueue | None = None  # where eager_async, add-ons and webhooks are queued
    metrics: RenderMetrics | None = None  # render times (serving processes only)
    events: EventBus | None = None  # told about every committed change (services.events)
    invalidator: Invalidator | None = None  # the CDN in front of this deployment, if any

    def now(self) -> datetime:
        """The current time according to this deployment's clock."""
        return self.clock()
