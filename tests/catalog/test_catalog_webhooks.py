"""Webhook delivery records, and what deletes report of the assets they removed, on SQLite
and PostgreSQL."""

from __future__ import annotations

from tests.catalog.catalog_factories import at, new_asset

from cloudlet.catalog.asset_deletes import Selection
from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import RemovedAsset
from cloudlet.catalog.webhooks import DELIVERED, FAILED, PENDING


def test_a_delivery_from_queued_to_failed_and_back(catalog: Catalog) -> None:
    cloud = catalog.create_cloud("hooks", "123456", "secret")
    other = catalog.create_cloud("other", "654321", "secret")
    body = {"notification_type": "delete", "resources": [{"public_id": "ü"}]}
    first = catalog.add_webhook_delivery(cloud.id, "https://h.example/x", body, at(0))
    second = catalog.add_webhook_delivery(other.id, "https://h.example/y", body, at(1))
    found = catalog.get_webhook_delivery(first)
    assert found is not None
    assert (found.cloud, found.notification_type, found.body, found.status, found.attempts) == (
        "hooks", "delete", body, PENDING, 0,
    )  # fmt: skip
    catalog.record_webhook_attempt(first, status=PENDING, error="HTTP 500", now=at(2))
    catalog.record_webhook_attempt(first, status=FAILED, error="HTTP 502", now=at(3))
    found = catalog.get_webhook_delivery(first)
    assert found is not None
    assert (found.status, found.attempts, found.last_error) == (FAILED, 2, "HTTP 502")
    assert [d.id for d in catalog.list_webhook_deliveries(status=FAILED)] == [first]
    assert [d.id for d in catalog.list_webhook_deliveries()] == [second, first]
    assert [d.id for d in catalog.list_webhook_deliveries(cloud_id=other.id)] == [second]
    assert catalog.reset_webhook_delivery(first, at(4))
    assert not catalog.reset_webhook_delivery(first, at(5))  # only failed ones
    assert not catalog.reset_webhook_delivery(second, at(5))
    catalog.record_webhook_attempt(first, status=DELIVERED, error=None, now=at(6))
    found = catalog.get_webhook_delivery(first)
    assert found is not None and (found.status, found.attempts) == (DELIVERED, 3)
    assert catalog.get_webhook_delivery(10**6) is None


def test_deletes_report_the_assets_with_their_renders(catalog: Catalog) -> None:
    cloud = catalog.create_cloud("gone", "123457", "secret")
    made = []
    for public_id in ("a", "b", "c/d"):
        asset, _, _ = catalog.create_or_replace_asset(
            cloud.id, new_asset(public_id), overwrite=False, now=at(0)
        )
        made.append(asset)
    for fmt in ("png", "webp"):
        catalog.put_derived(
            made[0].id, made[0].version_id, "c_scale,w_10", fmt,
            storage_key=f"d/{fmt}", bytes=1, width=1, height=1, etag="e", now=at(1),
        )  # fmt: skip
    removed: list[RemovedAsset] = []
    assert catalog.delete_named_asset(cloud.id, "image", "upload", "a", removed)
    assert [r.asset.public_id for r in removed] == ["a"]
    assert sorted(d.format for d in removed[0].derived) == ["png", "webp"]
    page = catalog.delete_assets_page(cloud.id, Selection("image", "upload", prefix="c/"))
    assert [(r.asset.public_id, r.derived) for r in page.removed] == [("c/d", ())]
    removed.clear()
    catalog.delete_asset(made[1].id, removed)
    assert [r.asset.asset_id for r in removed] == [made[1].asset_id]


def test_an_attempt_is_claimed_by_one_worker_until_its_lease_lapses(catalog: Catalog) -> None:
    cloud = catalog.create_cloud("hooks", "123456", "secret")
    first = catalog.add_webhook_delivery(cloud.id, "https://h.example/x", {}, at(0))
    assert catalog.claim_webhook_attempt(first, 0, at(1), at(61))
    assert not catalog.claim_webhook_attempt(first, 0, at(2), at(62))  # held
    assert not catalog.claim_webhook_attempt(first, 1, at(2), at(62))  # not that attempt
    assert catalog.claim_webhook_attempt(first, 0, at(61.5), at(120))  # the holder died
    catalog.record_webhook_attempt(first, status=PENDING, error="HTTP 500", now=at(63))
    found = catalog.get_webhook_delivery(first)
    assert found is not None and found.claimed_until is None
    assert catalog.claim_webhook_attempt(first, 1, at(64), at(124))  # the retry
    catalog.record_webhook_attempt(first, status=DELIVERED, error=None, now=at(65))
    assert not catalog.claim_webhook_attempt(first, 2, at(66), at(126))  # delivered
