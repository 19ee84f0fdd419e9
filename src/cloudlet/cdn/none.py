"""No cache in front of Cloudlet: nothing to invalidate."""

from __future__ import annotations

from collections.abc import Sequence

from cloudlet.cdn.base import Invalidator


class NoneInvalidator(Invalidator):
    """The default: invalidation requests are accepted and nothing is queued."""

    enabled = False

    def invalidate(self, paths: Sequence[str]) -> None:
        """Nothing is cached, so nothing needs removing."""
