"""Admin API rate-limit accounting (per cloud, per clock hour) and its response headers.

The count lives where every process and node sees it: Redis when the deployment has one
(``CLOUDLET_QUEUE_URL``), else the catalog database; ``cloudlet.app`` picks. A process-local
counter remains for tests and tools.
"""

from __future__ import annotations

import email.utils
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cloudlet.catalog.catalog import Catalog
from cloudlet.errors import RateLimitedError

WINDOW_S = 3600
REDIS_KEY_TTL_S = 2 * WINDOW_S  # a window's counter outlives the window, then goes


class CallCounter(Protocol):
    """Counts calls per cloud and window; shared by whoever must agree on the count."""

    def count(self, cloud: str, window: int) -> int:
        """Count one call of ``cloud`` in ``window`` (the hour's start, Unix seconds);
        the number of calls in the window including this one."""


class LimitExceededError(RateLimitedError):
    """Over the hourly limit; carries the headers to send with the 420."""

    def __init__(self, message: str, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.headers = headers


class MemoryCallCounter:
    """Counts in this process only (tests, tools)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window: int | None = None
        self._counts: dict[str, int] = {}

    def count(self, cloud: str, window: int) -> int:
        """Count one call (see CallCounter)."""
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            used = self._counts.get(cloud, 0) + 1
            self._counts[cloud] = used
        return used


class CatalogCallCounter:
    """Counts in the catalog database, which every node of a deployment shares."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def count(self, cloud: str, window: int) -> int:
        """Count one call (see CallCounter): one upsert."""
        return self.catalog.count_api_call(cloud, window)


class RedisCallCounter:
    """Counts in Redis: ``INCR`` of ``{namespace}:admin-calls:{cloud}:{window}``, which
    expires two hours after its last call."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url)
        self.namespace = namespace

    def count(self, cloud: str, window: int) -> int:
        """Count one call (see CallCounter): one round trip."""
        pipe = self.client.pipeline()
        key = f"{self.namespace}:admin-calls:{cloud}:{window}"
        pipe.incr(key)
        pipe.expire(key, REDIS_KEY_TTL_S)
        used, _ = pipe.execute()
        return int(used)


class HourlyRateLimiter:
    """Counts Admin API calls per cloud in the current clock hour (UTC)."""

    def __init__(self, limit: int, counter: CallCounter | None = None) -> None:
        self.limit = limit
        self.counter: CallCounter = counter or MemoryCallCounter()

    def hit(self, cloud: str, now: datetime) -> dict[str, str]:
        """Count one call; the headers to send, or LimitExceededError (a RateLimitedError,
        420) when over the limit. Blocking with a shared counter: call it off the event
        loop."""
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        reset = hour + timedelta(hours=1)
        used = self.counter.count(cloud, int(hour.timestamp()))
        headers = {
            "X-FeatureRateLimit-Limit": str(self.limit),
            "X-FeatureRateLimit-Remaining": str(max(self.limit - used, 0)),
            "X-FeatureRateLimit-Reset": email.utils.format_datetime(reset, usegmt=True),
        }
        if used > self.limit:
            raise LimitExceededError(
                f"Rate Limit Exceeded. Limit of {self.limit} api operations reached. "
                f"Try again on {reset.strftime('%Y-%m-%d %H:%M:%S')} UTC",
                headers,
            )
        return headers
