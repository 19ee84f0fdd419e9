"""Webhooks after a change: the ``events`` subscriber that sends a change's notification.

The notification goes to the URL the call gave (``notification_url``), else to the cloud's
``notification_url`` setting; with neither, nothing is sent. The bodies are built by the use
cases (see ``services.notification_bodies``); delivery is ``services.notifications``.
"""

from __future__ import annotations

from cloudlet.catalog.model import Cloud
from cloudlet.services.clouds import cloud_settings
from cloudlet.services.deps import Deps
from cloudlet.services.events import Change
from cloudlet.services.notifications import notify


def cloud_notification_url(cloud: Cloud) -> str:
    """The cloud's own notification URL ('' when unset)."""
    return str(cloud_settings(cloud)["notification_url"] or "")


def notification_url(change: Change) -> str:
    """Where the change's notification goes ('' for nowhere)."""
    return change.notification_url or cloud_notification_url(change.cloud)


def on_change(deps: Deps, change: Change) -> None:
    """Queue the change's notification, if it has one and there is a URL for it."""
    url = notification_url(change)
    if change.notification is not None and url:
        notify(deps, change.cloud, url, dict(change.notification), actor=change.actor)
