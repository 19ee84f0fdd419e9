"""Admin API rate-limit accounting (per cloud, per clock hour) and its response headers."""

from __future__ import annotations

import email.utils
import threading
from datetime import UTC, datetime, timedelta

from cloudlet.errors import RateLimitedError


class HourlyRateLimiter:
    """Counts Admin API calls per cloud in the current clock hour (in this process)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._hour: datetime | None = None
        self._counts: dict[str, int] = {}

    def hit(self, cloud: str, now: datetime) -> dict[str, str]:
        """Count one call; the headers to send, or RateLimitedError when over the limit."""
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        reset = hour + timedelta(hours=1)
        with self._lock:
            if hour != self._hour:
                self._hour, self._counts = hour, {}
            used = self._counts.get(cloud, 0) + 1
            self._counts[cloud] = used
        if used > self.limit:
            raise RateLimitedError(
                f"Rate Limit Exceeded. Limit of {self.limit} api operations reached. "
                f"Try again on {reset.strftime('%Y-%m-%d %H:%M:%S')} UTC"
            )
        return {
            "X-FeatureRateLimit-Limit": str(self.limit),
            "X-FeatureRateLimit-Remaining": str(max(self.limit - used, 0)),
            "X-FeatureRateLimit-Reset": email.utils.format_datetime(reset, usegmt=True),
        }
