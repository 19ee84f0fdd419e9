"""CDN invalidation after a change: which changes invalidate, and which URLs.

``on_change`` (an ``events`` subscriber) queues an ``invalidate`` job when a change asks for
it (``invalidate=true``, or any delete, rename or overwrite from the UI) and the deployment
has a cache (CLOUDLET_CDN_INVALIDATOR). Admin API deletes by prefix, tag or all invalidate
only where the cloud's ``bulk_invalidation`` setting is on (off by default, as on
Cloudinary). The job (``cloudlet.jobs.invalidation``) works out the URL paths with the
cloud's settings at that moment (``paths_for``) and hands them to the invalidator; the API
call that caused it has long been answered. With several nodes it first waits out the hit
caches' staleness bound (``not_before``), so the CDN cannot fetch old bytes from a node that
has not yet seen the change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from cloudlet.catalog.model import Cloud
from cloudlet.delivery.invalidation import Target, invalidation_paths
from cloudlet.services.clouds import cloud_settings
from cloudlet.services.deps import Deps
from cloudlet.services.events import Actor, Change, Snapshot
from cloudlet.services.queue import enqueue

INVALIDATE_JOB = "invalidate"
log = logging.getLogger("cloudlet.cdn")


def on_change(deps: Deps, change: Change) -> None:
    """Queue the invalidation of the changed assets' URLs, if the change asks for one."""
    if not change.invalidate or not change.assets:
        return
    if deps.invalidator is None or not deps.invalidator.enabled:
        return
    settings = cloud_settings(change.cloud)
    if change.bulk and change.actor is Actor.API and not settings["bulk_invalidation"]:
        log.info(
            "not invalidating a bulk delete in cloud %s: bulk_invalidation is off",
            change.cloud.name,
        )
        return
    payload: dict[str, object] = {
        "cloud": change.cloud.name,
        "assets": [s.to_json() for s in change.assets],
    }
    generation = deps.catalog.generation
    if generation.shared:
        # other nodes may answer from their hit caches for up to check_s after the change:
        # a CDN purged before that could fetch the old bytes again and keep them
        payload["not_before"] = time.time() + generation.check_s
    enqueue(deps.queue, INVALIDATE_JOB, payload)


def paths_for(cloud: Cloud, assets: Sequence[Snapshot]) -> list[str]:
    """Every URL path to invalidate for these assets under the cloud's current settings."""
    settings = cloud_settings(cloud)
    paths: list[str] = []
    for snapshot in assets:
        target = Target(
            cloud=cloud.name,
            resource_type=snapshot.resource_type,
            type=snapshot.type,
            public_id=snapshot.public_id,
            version=snapshot.version,
            format=snapshot.format,
            derived=snapshot.derived,
            original=snapshot.original,
        )
        paths += invalidation_paths(
            target,
            versioned_urls=bool(settings["invalidate_versioned_urls"]),
            signed=bool(settings["invalidate_signed_urls"]),
            api_secret=cloud.api_secret,
            signature_algorithm=str(settings["signature_algorithm"]),
        )
    return list(dict.fromkeys(paths))
