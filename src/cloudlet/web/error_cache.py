"""How long a cache may keep a delivery error (transformations.md A4.5).

Cloudinary's CDN caches a 4xx per exact URL with exponential backoff: the first for a
minute, then 2, 4, 8 … minutes while the URL keeps failing. ``ErrorBackoff`` gives the same
``Cache-Control`` to a cache in front of Cloudlet: CLOUDLET_CACHE_ERROR_MAX_AGE_S for the
first error on a URL, doubling with each repeat, up to CLOUDLET_CACHE_ERROR_MAX_AGE_CAP_S
(1 hour by default, where Cloudinary goes up to 24). Counts are per process, for the last
10 000 failing URLs, and start again whenever the catalog changes (an upload may have made
the URL valid). Server errors (5xx) are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from cloudlet.catalog.generation import Generation

REMEMBERED = 10_000


class ErrorBackoff:
    """Per-URL counts of consecutive delivery errors, and the max-age they earn."""

    def __init__(self, first_s: int, cap_s: int, generation: Generation) -> None:
        self.first_s, self.cap_s = first_s, cap_s
        self.generation = generation
        self._seen_at = generation.value
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def max_age(self, url_path: str) -> int:
        """Count one more error on ``url_path``; the seconds a cache may keep it."""
        with self._lock:
            now = self.generation.value
            if now != self._seen_at:
                self._counts.clear()
                self._seen_at = now
            count = self._counts.pop(url_path, 0) + 1
            self._counts[url_path] = count
            if len(self._counts) > REMEMBERED:
                self._counts.popitem(last=False)
        return int(min(self.first_s * 2 ** min(count - 1, 30), self.cap_s))


def error_cache_control(status: int, max_age: int) -> str:
    """``Cache-Control`` of a delivery error: 4xx cached briefly, 5xx never."""
    if status >= 500 or max_age <= 0:
        return "no-store"
    return f"public, max-age={max_age}"
