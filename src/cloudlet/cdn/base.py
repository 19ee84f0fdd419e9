"""The ``Invalidator`` role: remove cached answers for delivery URL paths from a CDN."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import httpx

from cloudlet.errors import CloudletError

TIMEOUT_S = 10.0


class InvalidationError(CloudletError):
    """A cache refused an invalidation or could not be reached (the job is retried)."""


class Invalidator(ABC):
    """Removes cached copies of delivery URLs from every cache of the deployment."""

    enabled = True  # False: there is no cache, so nothing needs to be queued

    @abstractmethod
    def invalidate(self, paths: Sequence[str]) -> None:
        """Remove the answers cached for these URL paths (``/{cloud}/{rt}/{type}/…``, as the
        client requested them, query strings aside) from every cache; InvalidationError when
        a cache refuses or cannot be reached. Removing what is not cached is no error."""


def client(timeout_s: float = TIMEOUT_S) -> httpx.Client:
    """An HTTP client for talking to caches: no proxies from the environment (the caches are
    the operator's own addresses), keep-alive across the many small requests of one job."""
    return httpx.Client(timeout=httpx.Timeout(timeout_s), trust_env=False)


def send(http: httpx.Client, request: httpx.Request, ok: Sequence[int] = ()) -> None:
    """Send one request to a cache; InvalidationError unless it answers 2xx (or a status in
    ``ok``)."""
    try:
        answer = http.send(request)
    except httpx.HTTPError as exc:
        raise InvalidationError(f"{request.method} {request.url} failed: {exc}") from exc
    if not (answer.is_success or answer.status_code in ok):
        raise InvalidationError(
            f"{request.method} {request.url} answered HTTP {answer.status_code}: "
            f"{answer.text[:200]}"
        )
