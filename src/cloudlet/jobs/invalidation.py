"""The ``invalidate`` job: remove cached copies of changed assets' URLs from the CDN.

Idempotent: invalidating twice removes nothing more. A cache that refuses or cannot be
reached raises ``InvalidationError``, and the queue retries the job.
"""

from __future__ import annotations

import time
from typing import Any

from cloudlet.services.deps import Deps
from cloudlet.services.events import Snapshot
from cloudlet.services.invalidation import paths_for

MAX_WAIT_S = 5.0  # a clock skewed between nodes must not stall the queue


def run(deps: Deps, payload: dict[str, Any]) -> None:
    """Invalidate every URL of ``payload["assets"]`` (snapshots) in ``payload["cloud"]``."""
    cloud = deps.catalog.get_cloud(payload["cloud"])
    if cloud is None or deps.invalidator is None:
        return
    assets = [Snapshot.from_json(item) for item in payload["assets"]]
    wait = float(payload.get("not_before", 0)) - time.time()
    if wait > 0:  # other nodes may still answer from their hit caches (services.invalidation)
        time.sleep(min(wait, MAX_WAIT_S))
    deps.invalidator.invalidate(paths_for(cloud, assets))
