"""``eager_async``: eager transformations rendered by a queued job instead of the request.

The response leaves ``eager`` out and carries a ``batch_id``; the ``eager`` job
(``cloudlet.jobs.eager``) renders the derivatives and, when ``eager_notification_url`` (or
else ``notification_url``) is given, sends Cloudinary's eager notification with the same
``batch_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError
from cloudlet.services import ids
from cloudlet.services.deps import Deps
from cloudlet.services.queue import configured, enqueue
from cloudlet.services.values import as_str
from cloudlet.transform import TransformationError, parse_transformation

EAGER_JOB = "eager"


@dataclass(frozen=True)
class EagerBatch:
    """An ``eager_async`` call's work, its syntax checked before anything is written."""

    items: list[tuple[str, str | None]]
    force: bool
    batch_id: str
    notification_url: str

    def payload(self, cloud: Cloud) -> dict[str, Any]:
        return {
            "cloud": cloud.name,
            "eager": [[text, fmt] for text, fmt in self.items],
            "force": self.force,
            "batch_id": self.batch_id,
            "notification_url": self.notification_url,
        }


def eager_batch(
    items: list[tuple[str, str | None]], params: Mapping[str, Any], *, force: bool
) -> EagerBatch:
    """The batch for ``items``; BadRequestError (400) for a transformation that does not
    parse."""
    for text, _ in items:
        try:
            parse_transformation(text)
        except TransformationError as exc:
            raise BadRequestError(str(exc)) from None
    url = as_str(params, "eager_notification_url") or as_str(params, "notification_url") or ""
    return EagerBatch(list(items), force, ids.new_hex_id(), url)


def queue_eager(
    deps: Deps,
    cloud: Cloud,
    asset: Asset,
    items: list[tuple[str, str | None]],
    params: Mapping[str, Any],
    *,
    force: bool,
) -> dict[str, Any]:
    """Check the transformations' syntax, queue their rendering; the response fields."""
    batch = eager_batch(items, params, force=force)
    enqueue(deps.queue, EAGER_JOB, {**batch.payload(cloud), "asset_id": asset.asset_id})
    return {"batch_id": batch.batch_id}


# An upload's eager job goes through an outbox: reserved (recorded, not queued) before the
# upload's catalog write, queued once it has committed, cancelled if it failed. A kill -9
# between the commit and the queueing leaves the record, which recovery queues at the next
# start; the job then knows its asset by public id and the upload's version id, since the
# asset id is only known after the commit (``jobs.subjects.job_asset``).


@dataclass(frozen=True)
class Reserved:
    """An upload's eager job, recorded but not yet queued."""

    job_id: str
    batch: EagerBatch


def reserve_eager(
    deps: Deps,
    cloud: Cloud,
    batch: EagerBatch,
    *,
    resource_type: str,
    type: str,
    public_id: str,
    version_id: str,
) -> Reserved:
    """Record the upload's eager job before the upload's write."""
    named = {"resource_type": resource_type, "type": type, "public_id": public_id}
    payload = {**batch.payload(cloud), **named, "version_id": version_id}
    return Reserved(configured(deps.queue).reserve(EAGER_JOB, payload), batch)


def release_eager(deps: Deps, cloud: Cloud, reserved: Reserved, asset: Asset) -> dict[str, Any]:
    """Queue the reserved job for the committed ``asset``; the response fields."""
    payload = {**reserved.batch.payload(cloud), "asset_id": asset.asset_id}
    configured(deps.queue).release(reserved.job_id, EAGER_JOB, payload)
    return {"batch_id": reserved.batch.batch_id}


def cancel_eager(deps: Deps, reserved: Reserved) -> None:
    """Forget the reserved job of an upload that wrote nothing."""
    configured(deps.queue).cancel(reserved.job_id)
