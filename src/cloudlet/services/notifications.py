"""Webhook notifications: queued, signed like Cloudinary's, POSTed with retries.

``notify`` queues one delivery; the ``notify`` job (``deliver``) POSTs the JSON body with
``X-Cld-Timestamp`` and ``X-Cld-Signature = hex(hash(body + timestamp + api_secret))`` (SHA-1,
or SHA-256 when the cloud's ``signature_algorithm`` is sha256), so the SDKs'
``verify_notification_signature`` accepts it. Anything but a 2xx answer raises, and the queue
retries the delivery (3 more times, ``CLOUDLET_QUEUE_RETRY_DELAY_S`` apart).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from cloudlet.catalog.model import Cloud
from cloudlet.delivery.signatures import notification_signature
from cloudlet.errors import CloudletError
from cloudlet.services.deps import Deps
from cloudlet.services.presenter import iso
from cloudlet.services.queue import enqueue

NOTIFY_JOB = "notify"
DELIVERY_TIMEOUT_S = 10.0


class NotificationError(CloudletError):
    """A webhook endpoint did not accept a notification (the delivery is retried)."""


def notify(deps: Deps, cloud: Cloud, url: str, body: dict[str, Any]) -> None:
    """Queue the delivery of ``body`` (plus ``notification_context``) to ``url``."""
    full = {
        **body,
        "notification_context": {
            "triggered_at": iso(deps.now()),
            "triggered_by": {"source": "api", "id": cloud.api_key},
        },
    }
    enqueue(deps.queue, NOTIFY_JOB, {"cloud": cloud.name, "url": url, "body": full})


def signed_request(
    cloud: Cloud, body: dict[str, Any], timestamp: int
) -> tuple[bytes, dict[str, str]]:
    """The exact bytes to send and the headers that sign them."""
    raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
    algorithm = str(cloud.settings.get("signature_algorithm", "sha1"))
    headers = {
        "Content-Type": "application/json",
        "X-Cld-Timestamp": str(timestamp),
        "X-Cld-Signature": notification_signature(
            raw, timestamp, cloud.api_secret, algorithm=algorithm
        ),
    }
    return raw, headers


def deliver(deps: Deps, payload: dict[str, Any]) -> None:
    """The ``notify`` job: POST one notification; NotificationError unless answered 2xx."""
    cloud = deps.catalog.get_cloud(payload["cloud"])
    if cloud is None:
        return  # the cloud is gone: nobody to sign for
    raw, headers = signed_request(cloud, payload["body"], int(time.time()))
    try:
        answer = httpx.post(
            payload["url"], content=raw, headers=headers, timeout=DELIVERY_TIMEOUT_S
        )
    except httpx.HTTPError as exc:
        raise NotificationError(f"Notification to {payload['url']} failed: {exc}") from exc
    if not answer.is_success:
        raise NotificationError(
            f"Notification to {payload['url']} answered HTTP {answer.status_code}"
        )
