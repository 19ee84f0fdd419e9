"""Reporting changed tags and context: ``resource_tags_changed`` and
``resource_context_changed`` notifications, from the assets before and after a change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.services import notification_bodies as bodies
from cloudlet.services.deps import Deps
from cloudlet.services.events import Actor, Change, publish
from cloudlet.services.values import as_str


def report_attributes(
    deps: Deps,
    cloud: Cloud,
    before: Sequence[Asset],
    params: Mapping[str, Any],
    actor: Actor,
    after: Sequence[Asset] | None = None,
) -> None:
    """Report the tags and context that changed on ``before`` (assets read before the
    change; ``after``: the same assets after it, read again when not given). Assets deleted
    meanwhile are left out."""
    if not before:
        return
    if after is None:
        after = deps.catalog.get_assets_by_asset_ids(cloud.id, [a.asset_id for a in before])
    now = {asset.id: asset for asset in after}
    pairs = [(asset, now[asset.id]) for asset in before if asset.id in now]
    url = as_str(params, "notification_url") or ""
    for kind, body in (
        ("tags", bodies.tags_changed(pairs, actor)),
        ("context", bodies.context_changed(pairs, actor)),
    ):
        if body is not None:
            change = Change(
                kind=kind, cloud=cloud, actor=actor, notification_url=url, notification=body
            )
            publish(deps, change)
