"""Slowing down password guessing on the Media Explorer's sign-in form.

After ``limit`` failed sign-ins within ``window_s`` for one cloud and user name, or from one
client address, further attempts are refused (420, Cloudlet's rate-limit status) until the
oldest failure leaves the window; a correct password does not get through meanwhile.

``SharedLoginThrottle`` (what the server uses) counts in the catalog, so every process and
every node of a deployment sees the same failures; ``LoginThrottle`` counts in memory.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cloudlet.errors import RateLimitedError

if TYPE_CHECKING:
    from cloudlet.catalog.catalog import Catalog

MAX_KEYS = 10_000  # bounded memory: the oldest keys are forgotten first


class LoginThrottle:
    """Counts recent sign-in failures per key."""

    def __init__(
        self, limit: int = 5, window_s: float = 900.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, *keys: str) -> None:
        """RateLimitedError while any key has ``limit`` failures in the window."""
        now = self.clock()
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.limit:
                    raise _refused(recent[0] + self.window_s - now)

    def failed(self, *keys: str) -> None:
        """Remember one failure for each key."""
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
            while len(self._failures) > MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= now - self.window_s:
            found.popleft()
        return found


class SharedLoginThrottle:
    """The same rule, counted in the catalog (``login_failures``). Blocking: call it from a
    worker thread."""

    def __init__(
        self,
        catalog: Catalog,
        limit: int = 5,
        window_s: float = 900.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.catalog = catalog
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self.clock = clock

    def check(self, *keys: str) -> None:
        """RateLimitedError while any key has ``limit`` failures in the window."""
        now = self.clock()
        for times in self.catalog.login_failures_since(keys, now - self.window).values():
            if len(times) >= self.limit:
                raise _refused((times[-self.limit] + self.window - now).total_seconds())

    def failed(self, *keys: str) -> None:
        """Remember one failure for each key (and forget those out of the window)."""
        now = self.clock()
        self.catalog.add_login_failures(keys, now, now - self.window)


def _refused(wait_s: float) -> RateLimitedError:
    wait = int(wait_s) + 1
    return RateLimitedError(f"Too many failed sign-ins: try again in {wait // 60 + 1} minute(s)")
