"""A purge endpoint of your own: one JSON ``POST`` per batch of paths.

Body: ``{"paths": ["/demo/image/upload/sample.jpg", …], "urls": ["https://cdn…/demo/…", …]}``
(``urls`` are the paths on CLOUDLET_PUBLIC_URL, when it is set); with CLOUDLET_CDN_TOKEN an
``Authorization: Bearer`` header. Any 2xx answer counts as done.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudlet.cdn.base import Invalidator, client, send

BATCH = 1000


class HttpInvalidator(Invalidator):
    """POSTs the paths to each URL in ``urls``."""

    def __init__(self, urls: Sequence[str], *, token: str = "", public_url: str = "") -> None:
        self.urls = list(urls)
        self.token = token
        self.public_url = public_url.rstrip("/")

    def invalidate(self, paths: Sequence[str]) -> None:
        """POST the paths in batches of 1000 to every endpoint."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with client() as http:
            for url in self.urls:
                for start in range(0, len(paths), BATCH):
                    batch = list(paths[start : start + BATCH])
                    body: dict[str, list[str]] = {"paths": batch}
                    if self.public_url:
                        body["urls"] = [self.public_url + path for path in batch]
                    send(http, http.build_request("POST", url, json=body, headers=headers))
