"""nginx: the URLs are refreshed in place, one ``GET`` per URL path and instance.

The shipped ``deploy/nginx/cloudlet.conf`` needs no extra module: a ``GET`` with
``X-Cloudlet-Refresh: 1`` from an allowed address bypasses the cache, and Cloudlet's answer
(the new bytes, or its 404 for what is gone) is stored over the cached one; nginx marks it
``X-Cloudlet-Refreshed: 1``. An address not allowed gets 403. Anything but a marked answer
is an InvalidationError (the job is retried). (Debian 12's ngx_cache_purge module crashes on
every purge, see docs/cdn.md, hence no ``PURGE``.)

The cache key holds the ``Accept`` class (``avif``, ``webp`` or none) for ``f_auto`` URLs
only, since nginx keeps ``Vary`` variants apart; so an ``f_auto`` path is refreshed once per
class, with an ``Accept`` header of that class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx

from cloudlet.cdn.base import InvalidationError, Invalidator, client

ACCEPT_CLASSES = ("image/avif,image/webp,*/*", "image/webp,*/*", "*/*")
REFRESH_HEADER = "X-Cloudlet-Refresh"
_F_AUTO = re.compile(r"(?:^|[/,])f_auto")


class NginxInvalidator(Invalidator):
    """Refreshes every path on each nginx at ``urls``."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = [url.rstrip("/") for url in urls]

    def invalidate(self, paths: Sequence[str]) -> None:
        """One refresh per path and instance (three for ``f_auto`` paths)."""
        with client() as http:
            for base in self.urls:
                for path in paths:
                    for accept in ACCEPT_CLASSES if _F_AUTO.search(path) else ("*/*",):
                        refresh(http, base + path, accept)


def refresh(http: httpx.Client, url: str, accept: str = "*/*") -> None:
    """Have the nginx at ``url`` fetch it afresh and cache that; InvalidationError unless it
    says it did."""
    headers = {REFRESH_HEADER: "1", "Accept": accept}
    try:
        # the whole body comes back: read it to the end, nginx stores it meanwhile
        with http.stream("GET", url, headers=headers) as answer:
            for _ in answer.iter_raw():
                pass
    except httpx.HTTPError as exc:
        raise InvalidationError(f"refreshing {url} failed: {exc}") from exc
    if answer.headers.get("x-cloudlet-refreshed") != "1":
        raise InvalidationError(f"refreshing {url} answered HTTP {answer.status_code}")
