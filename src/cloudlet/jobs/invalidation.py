"""The ``invalidate`` job: remove cached copies of changed assets' URLs from the CDN.

Idempotent: invalidating twice removes nothing more. A cache that refuses or cannot be
reached raises ``InvalidationError``, and the queue retries the job.
"""

from __future__ import annotations

from typing import Any

from cloudlet.services.deps import Deps
from cloudlet.services.events import Snapshot
from cloudlet.services.invalidation import paths_for


def run(deps: Deps, payload: dict[str, Any]) -> None:
    """Invalidate every URL of ``payload["assets"]`` (snapshots) in ``payload["cloud"]``."""
    cloud = deps.catalog.get_cloud(payload["cloud"])
    if cloud is None or deps.invalidator is None:
        return
    assets = [Snapshot.from_json(item) for item in payload["assets"]]
    deps.invalidator.invalidate(paths_for(cloud, assets))
