"""Webhook deliveries: one row per notification, from queued to delivered or failed.

Writes are ``quiet`` (no delivery URL depends on them, so the hit caches are left alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from cloudlet.catalog.db import Database
from cloudlet.catalog.model import WebhookDelivery
from cloudlet.catalog.schema import clouds, webhook_deliveries

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
_FIELDS = [c.name for c in webhook_deliveries.columns]


def _delivery(row: Row[Any]) -> WebhookDelivery:
    return WebhookDelivery(**{name: getattr(row, name) for name in _FIELDS}, cloud=row.cloud)


def _select() -> Any:
    return sa.select(webhook_deliveries, clouds.c.name.label("cloud")).join(
        clouds, clouds.c.id == webhook_deliveries.c.cloud_id
    )


class WebhookStore(Database):
    """Records of webhook deliveries."""

    def add_webhook_delivery(
        self, cloud_id: int, url: str, body: Mapping[str, Any], now: datetime
    ) -> int:
        """Record a notification about to be queued; its id."""
        values = {
            "cloud_id": cloud_id,
            "notification_type": str(body.get("notification_type", "")),
            "url": url,
            "body": dict(body),
            "status": PENDING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        with self._write(quiet=True) as conn:
            query = sa.insert(webhook_deliveries).values(values).returning(webhook_deliveries.c.id)
            return int(conn.execute(query).scalar_one())

    def claim_webhook_attempt(
        self, delivery_id: int, attempt: int, now: datetime, until: datetime
    ) -> bool:
        """Take attempt ``attempt`` of a pending delivery for this worker until ``until``;
        False when it was made already or another worker holds it (a duplicate job, from
        crash recovery on another node). One conditional UPDATE: atomic on every backend."""
        free = sa.or_(
            webhook_deliveries.c.claimed_until.is_(None),
            webhook_deliveries.c.claimed_until < now,
        )
        with self._write(quiet=True) as conn:
            done = conn.execute(
                sa.update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.id == delivery_id,
                    webhook_deliveries.c.status == PENDING,
                    webhook_deliveries.c.attempts == attempt,
                    free,
                )
                .values(claimed_until=until)
            )
            return bool(done.rowcount)

    def get_webhook_delivery(self, delivery_id: int) -> WebhookDelivery | None:
        """One delivery, or None."""
        with self._read() as conn:
            row = conn.execute(_select().where(webhook_deliveries.c.id == delivery_id)).first()
            return None if row is None else _delivery(row)

    def record_webhook_attempt(
        self, delivery_id: int, *, status: str, error: str | None, now: datetime
    ) -> None:
        """Count one attempt and its outcome (``status``: pending when it will be retried)."""
        with self._write(quiet=True) as conn:
            conn.execute(
                sa.update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id)
                .values(
                    attempts=webhook_deliveries.c.attempts + 1,
                    status=status,
                    last_error=error,
                    updated_at=now,
                    claimed_until=None,
                )
            )

    def reset_webhook_delivery(self, delivery_id: int, now: datetime) -> bool:
        """Make a failed delivery pending again; whether it was failed."""
        with self._write(quiet=True) as conn:
            done = conn.execute(
                sa.update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.status == FAILED
                )
                .values(status=PENDING, updated_at=now)
            )
            return bool(done.rowcount)

    def list_webhook_deliveries(
        self, *, status: str | None = None, cloud_id: int | None = None, limit: int = 100
    ) -> list[WebhookDelivery]:
        """The most recent deliveries first (only those with ``status``, of ``cloud_id``)."""
        query = _select().order_by(webhook_deliveries.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(webhook_deliveries.c.status == status)
        if cloud_id is not None:
            query = query.where(webhook_deliveries.c.cloud_id == cloud_id)
        with self._read() as conn:
            return [_delivery(row) for row in conn.execute(query)]
