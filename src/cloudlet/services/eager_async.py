"""``eager_async``: eager transformations rendered by a queued job instead of the request.

The response leaves ``eager`` out and carries a ``batch_id``; the ``eager`` job
(``cloudlet.jobs.eager``) renders the derivatives and, when ``eager_notification_url`` (or
else ``notification_url``) is given, sends Cloudinary's eager notification with the same
``batch_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError
from cloudlet.services import ids
from cloudlet.services.deps import Deps
from cloudlet.services.queue import enqueue
from cloudlet.services.values import as_str
from cloudlet.transform import TransformationError, parse_transformation

EAGER_JOB = "eager"


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
    for text, _ in items:
        try:
            parse_transformation(text)
        except TransformationError as exc:
            raise BadRequestError(str(exc)) from None
    batch_id = ids.new_hex_id()
    url = as_str(params, "eager_notification_url") or as_str(params, "notification_url") or ""
    payload = {
        "cloud": cloud.name,
        "asset_id": asset.asset_id,
        "eager": [[text, fmt] for text, fmt in items],
        "force": force,
        "batch_id": batch_id,
        "notification_url": url,
    }
    enqueue(deps.queue, EAGER_JOB, payload)
    return {"batch_id": batch_id}
