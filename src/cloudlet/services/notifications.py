"""Webhook notifications: recorded, queued, signed like Cloudinary's, POSTed with retries.

``notify`` records one delivery in the catalog (``webhook_deliveries``) and queues the
``notify`` job (``deliver``), which POSTs the JSON body with ``X-Cld-Timestamp`` and
``X-Cld-Signature = hex(hash(body + timestamp + api_secret))`` (SHA-1, or SHA-256 when the
cloud's ``signature_algorithm`` is sha256), so the SDKs' ``verify_notification_signature``
accepts it.

Exactly once with several workers and nodes: Huey hands a job to one worker, but a worker
starting up re-queues jobs it finds marked running (``jobs.queue``), which may still be
running elsewhere. Each attempt is therefore claimed in the catalog before it is POSTed (one
conditional UPDATE, ``claim_webhook_attempt``); a duplicate finds it claimed or made and does
nothing but look again once the claim lapses (``CLAIM_S``). Only a worker killed between the
POST and recording it leaves the attempt to be made again then: at least once, never twice
while the worker lives.

A delivery that is not answered 2xx is retried CLOUDLET_WEBHOOK_RETRIES times (3), the
wait doubling from CLOUDLET_QUEUE_RETRY_DELAY_S (60 s, 120 s, 240 s); then it is ``failed``,
listed by ``cloudlet webhooks list --failed`` and sent again by ``cloudlet webhooks retry``.
URLs that resolve to loopback, private, link-local or metadata addresses are refused (failed
at once, no retries) unless CLOUDLET_WEBHOOK_ALLOW_PRIVATE is set: the guard of
upload-from-URL (``services.remote``).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import httpx

from cloudlet.catalog.model import Cloud, WebhookDelivery
from cloudlet.catalog.webhooks import DELIVERED, FAILED, PENDING
from cloudlet.delivery.signatures import notification_signature
from cloudlet.errors import CloudletError, NotFoundError
from cloudlet.services.deps import Deps
from cloudlet.services.events import Actor
from cloudlet.services.presenter import iso
from cloudlet.services.queue import enqueue
from cloudlet.services.remote import AddressNotAllowedError, post_guarded

NOTIFY_JOB = "notify"
DELIVERY_TIMEOUT_S = 10.0
# How long a worker holds an attempt: past it (the worker died mid-POST) a recovered
# duplicate job may make the attempt again.
CLAIM_S = 6 * DELIVERY_TIMEOUT_S
UI_ID = "media_explorer"
log = logging.getLogger("cloudlet.webhooks")


class NotificationError(CloudletError):
    """A webhook endpoint did not accept a notification."""


def notify(
    deps: Deps, cloud: Cloud, url: str, body: dict[str, Any], *, actor: Actor = Actor.API
) -> int:
    """Record and queue the delivery of ``body`` (plus ``notification_context``) to ``url``;
    the delivery's id."""
    full = {
        **body,
        "notification_context": {
            "triggered_at": iso(deps.now()),
            "triggered_by": {
                "source": str(actor),
                "id": cloud.api_key if actor is Actor.API else UI_ID,
            },
        },
    }
    delivery_id = deps.catalog.add_webhook_delivery(cloud.id, url, full, deps.now())
    _queue_attempt(deps, delivery_id, 0, 0)
    return delivery_id


def _queue_attempt(
    deps: Deps, delivery_id: int, attempt: int, first: int, delay: float = 0
) -> None:
    """Queue attempt number ``attempt`` (0-based) of a round of attempts that began with
    attempt ``first``."""
    payload = {"delivery": delivery_id, "attempt": attempt, "first": first}
    enqueue(deps.queue, NOTIFY_JOB, payload, delay_s=delay)


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
    """The ``notify`` job: one attempt at one delivery. Idempotent: a delivery already
    made, or a job for an attempt that has been made (a duplicate after a crash), does
    nothing."""
    if "delivery" not in payload:  # queued by a release without delivery records
        cloud = deps.catalog.get_cloud(payload["cloud"])
        if cloud is not None:  # else the cloud is gone: nobody to sign for
            _post(deps, cloud, payload["url"], payload["body"])
        return
    found = deps.catalog.get_webhook_delivery(int(payload["delivery"]))
    if found is None or found.status == DELIVERED or found.attempts != payload["attempt"]:
        return  # deleted with its cloud, delivered already, or a duplicate job
    now = deps.now()
    lease = now + timedelta(seconds=CLAIM_S)
    if not deps.catalog.claim_webhook_attempt(found.id, found.attempts, now, lease):
        _check_later(deps, found.id, payload)  # another worker (maybe on another node) has it
        return
    cloud = deps.catalog.get_cloud(found.cloud)
    if cloud is None:
        return
    try:
        _post(deps, cloud, found.url, found.body)
    except AddressNotAllowedError as exc:  # the URL will not change: no point retrying
        _record(deps, found, FAILED, exc.message)
    except NotificationError as exc:
        _failed_attempt(deps, found, exc.message, int(payload.get("first", 0)))
    else:
        _record(deps, found, DELIVERED, None)


def _check_later(deps: Deps, delivery_id: int, payload: dict[str, Any]) -> None:
    """Queue this job again for when the other worker's claim lapses: a no-op then if that
    worker made the attempt, the attempt itself if it died holding the claim."""
    found = deps.catalog.get_webhook_delivery(delivery_id)
    if found is None or found.claimed_until is None or found.attempts != payload["attempt"]:
        return
    wait = (found.claimed_until - deps.now()).total_seconds()
    enqueue(deps.queue, NOTIFY_JOB, payload, delay_s=max(wait, 0) + 1)


def _post(deps: Deps, cloud: Cloud, url: str, body: dict[str, Any]) -> None:
    """POST the signed notification; NotificationError unless answered 2xx."""
    raw, headers = signed_request(cloud, body, int(time.time()))
    try:
        answer = post_guarded(
            url,
            raw,
            headers,
            timeout_s=DELIVERY_TIMEOUT_S,
            allow_private=deps.settings.webhook_allow_private,
        )
    except httpx.HTTPError as exc:
        raise NotificationError(f"Notification to {url} failed: {exc}") from exc
    except AddressNotAllowedError:
        raise
    except CloudletError as exc:  # an invalid URL or a name that does not resolve
        raise NotificationError(exc.message) from exc
    if not answer.is_success:
        raise NotificationError(f"Notification to {url} answered HTTP {answer.status_code}")


def _record(deps: Deps, found: WebhookDelivery, status: str, error: str | None) -> None:
    deps.catalog.record_webhook_attempt(found.id, status=status, error=error, now=deps.now())
    if status == FAILED:
        log.warning("webhook %d to %s failed for good: %s", found.id, found.url, error)


def _failed_attempt(deps: Deps, found: WebhookDelivery, error: str, first: int) -> None:
    """Schedule the next attempt of this round (the wait doubling each time), or give up."""
    made = found.attempts + 1
    retries_made = made - 1 - first
    if retries_made >= deps.settings.webhook_retries:
        _record(deps, found, FAILED, error)
        return
    _record(deps, found, PENDING, error)
    delay = deps.settings.queue_retry_delay_s * 2**retries_made
    _queue_attempt(deps, found.id, made, first, delay)


def retry(deps: Deps, delivery_id: int) -> WebhookDelivery:
    """Send a failed delivery again (with a fresh round of retries); NotFoundError when
    there is no failed delivery with that id."""
    found = deps.catalog.get_webhook_delivery(delivery_id)
    if found is None or not deps.catalog.reset_webhook_delivery(delivery_id, deps.now()):
        raise NotFoundError(f"No failed webhook delivery {delivery_id}")
    _queue_attempt(deps, delivery_id, found.attempts, found.attempts)
    return found
