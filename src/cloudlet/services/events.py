"""What changed, told once: the seam between the use cases and what follows from them.

A use case that changed assets (upload, explicit, destroy, delete, rename, tags, context,
restore, related assets) builds one ``Change`` after its transaction committed and hands it
to ``publish``. The subscribers the composition root wires into ``Deps.events`` decide what
follows: ``services.invalidation`` queues a CDN invalidation when the change asks for one,
``services.webhooks`` queues a notification when a URL is set. Neither the use cases nor the
subscribers know of each other.

``Actor`` says who acted: ``api`` (the default: the Upload and Admin APIs) or ``ui`` (the
Media Explorer). Use cases take it as a keyword argument, ``actor=Actor.UI``; as on
Cloudinary, a delete, rename or overwrite from the UI always invalidates the CDN, and
notifications carry the actor as their ``source``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cloudlet.catalog.model import Asset, Cloud, Derived, RemovedAsset
from cloudlet.services.values import as_bool

if TYPE_CHECKING:
    from cloudlet.services.deps import Deps

log = logging.getLogger("cloudlet.events")


class Actor(StrEnum):
    """Who made a change: the APIs, or a person in the Media Explorer."""

    API = "api"
    UI = "ui"


@dataclass(frozen=True)
class Snapshot:
    """An asset as it was at the change, as plain JSON-able values: what a CDN may have
    cached for it (its version, format and known renders) and what a notification names."""

    asset_id: str
    public_id: str
    resource_type: str
    type: str
    version: int
    version_id: str
    format: str
    asset_folder: str
    display_name: str
    derived: tuple[tuple[str, str], ...] = ()  # (canonical transformation, format)
    original: bool = True  # False: only the renders changed (the original stays as it is)

    @classmethod
    def of(cls, asset: Asset, derived: Iterable[Derived] = ()) -> Snapshot:
        """The snapshot of ``asset`` with these renders."""
        renders = tuple(dict.fromkeys((d.transformation, d.format) for d in derived))
        return cls(
            asset_id=asset.asset_id,
            public_id=asset.public_id,
            resource_type=asset.resource_type,
            type=asset.type,
            version=asset.version,
            version_id=asset.version_id,
            format=asset.format,
            asset_folder=asset.asset_folder,
            display_name=asset.display_name,
            derived=renders,
        )

    @classmethod
    def removed(cls, gone: RemovedAsset) -> Snapshot:
        """The snapshot of a deleted asset."""
        return cls.of(gone.asset, gone.derived)

    def to_json(self) -> dict[str, Any]:
        """For a job payload."""
        data = asdict(self)
        data["derived"] = [list(pair) for pair in self.derived]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        """Back from ``to_json``."""
        values = dict(data)
        values["derived"] = tuple((str(t), str(f)) for t, f in values.get("derived", ()))
        return cls(**values)


@dataclass(frozen=True)
class Change:
    """One committed change, as the subscribers need it.

    ``assets``: the assets as caches may hold them (before the change). ``invalidate``: the
    caller asked for a CDN invalidation (always, from the UI, for delete, rename and
    overwrite). ``bulk``: an Admin API delete by prefix, tag or all, which invalidates only
    where the cloud allows bulk invalidation. ``notification``: the webhook body (without
    ``notification_context``), None when the change sends none; it goes to
    ``notification_url`` when the call gave one, else to the cloud's ``notification_url``.
    """

    kind: str
    cloud: Cloud
    assets: Sequence[Snapshot] = ()
    actor: Actor = Actor.API
    invalidate: bool = False
    bulk: bool = False
    notification_url: str = ""
    notification: Mapping[str, Any] | None = field(default=None)


Subscriber = Callable[["Deps", Change], None]


class EventBus:
    """Hands each change to every subscriber. A subscriber that fails is logged and the
    others still run: the change itself has been committed and answered already."""

    def __init__(self, subscribers: Sequence[Subscriber]) -> None:
        self.subscribers = list(subscribers)

    def publish(self, deps: Deps, change: Change) -> None:
        """Tell every subscriber about ``change``."""
        for subscriber in self.subscribers:
            try:
                subscriber(deps, change)
            except Exception:
                log.exception("%s after a %s change failed", subscriber.__name__, change.kind)


def publish(deps: Deps, change: Change) -> None:
    """Report a committed change (nothing happens in a process built without an event bus)."""
    if deps.events is not None:
        deps.events.publish(deps, change)


def wants_invalidation(params: Mapping[str, Any], actor: Actor) -> bool:
    """``invalidate=true`` was passed, or the change comes from the UI (which always
    invalidates deletes, renames and overwrites)."""
    return actor is Actor.UI or as_bool(params, "invalidate")
