"""Slowing down password guessing on the Media Explorer's sign-in form.

After ``limit`` failed sign-ins within ``window_s`` for one cloud and user name, or from one
client address, further attempts are refused (420, Cloudlet's rate-limit status) until the
oldest failure leaves the window; a correct password does not get through meanwhile. Kept in
memory per process, like the Admin API's rate counters.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from cloudlet.errors import RateLimitedError

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
                    wait = int(recent[0] + self.window_s - now) + 1
                    raise RateLimitedError(
                        f"Too many failed sign-ins: try again in {wait // 60 + 1} minute(s)"
                    )

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
