"""Backed-up versions and restores, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from tests.catalog.catalog_factories import at, new_asset

from cloudlet.catalog.asset_deletes import Selection
from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Asset, Cloud


@pytest.fixture()
def cloud(catalog: Catalog) -> Cloud:
    return catalog.create_cloud("backups", "222222222222222", "secret-secret")


def put(catalog: Catalog, cloud: Cloud, public_id: str, seconds: float = 0, **changes: Any) -> Any:
    return catalog.create_or_replace_asset(
        cloud.id, new_asset(public_id, **changes), overwrite=True, now=at(seconds)
    )


def backup_on(catalog: Catalog, cloud: Cloud, on: bool = True) -> None:
    catalog.update_cloud_settings(cloud.name, {"backup": on})


def backups_of(catalog: Catalog, cloud: Cloud, public_id: str) -> list[str]:
    return [b.version_id for b in catalog.list_backups(cloud.id, "image", "upload", public_id)]


def test_without_backup_nothing_is_kept(catalog: Catalog, cloud: Cloud) -> None:
    first, _, _ = put(catalog, cloud, "plain")
    second, previous, _ = put(catalog, cloud, "plain", 5)
    assert previous.storage_key == first.storage_key
    assert first.storage_key in catalog.journal_entries()
    assert catalog.delete_asset(second.id) == [second.storage_key]
    assert backups_of(catalog, cloud, "plain") == []
    assert catalog.restore_backup(cloud.id, "image", "upload", "plain", None, now=at(9)) is None


def test_overwrite_keeps_the_previous_version(catalog: Catalog, cloud: Cloud) -> None:
    backup_on(catalog, cloud)
    first, _, _ = put(catalog, cloud, "a", tags=["t1"], context={"k": "v"}, extra={"x": 1})
    put(catalog, cloud, "a", 5, tags=["t2"])
    assert first.storage_key not in catalog.journal_entries()
    assert first.storage_key in catalog.referenced_storage_keys()
    [backup] = catalog.list_backups(cloud.id, "image", "upload", "a")
    assert (backup.version_id, backup.version, backup.bytes) == (
        first.version_id,
        first.version,
        first.bytes,
    )
    assert (backup.asset_id, backup.storage_key, backup.created_at) == (
        first.asset_id,
        first.storage_key,
        first.created_at,
    )
    assert backup.details["tags"] == ["t1"] and backup.details["context"] == {"k": "v"}
    assert backup.details["extra"] == {"x": 1} and backup.backed_up_at >= at(5)
    assert catalog.backup_keys_among([first.storage_key, "nope"]) == {first.storage_key}
    assert catalog.get_backup(cloud.id, first.version_id) == backup
    assert catalog.get_backup(cloud.id, "f" * 32) is None


def test_the_uploads_own_flag_wins(catalog: Catalog, cloud: Cloud) -> None:
    kept, _, _ = put(catalog, cloud, "flagged", extra={"backup": True})
    put(catalog, cloud, "flagged", 1)
    assert backups_of(catalog, cloud, "flagged") == [kept.version_id]
    backup_on(catalog, cloud)
    refused, _, _ = put(catalog, cloud, "refused", extra={"backup": False})
    assert catalog.delete_asset(refused.id) == [refused.storage_key]
    assert backups_of(catalog, cloud, "refused") == []


def test_deletes_keep_the_current_version(catalog: Catalog, cloud: Cloud) -> None:
    backup_on(catalog, cloud)
    one, _, _ = put(catalog, cloud, "d/one")
    catalog.put_derived(
        one.id, one.version_id, "w_10", "jpg", storage_key="derived/1",
        bytes=5, width=10, height=8, etag="e", now=at(1),
    )  # fmt: skip
    two, _, _ = put(catalog, cloud, "d/two")
    assert catalog.delete_asset(one.id) == ["derived/1"]  # renders are not backed up
    page = catalog.delete_assets_page(cloud.id, Selection("image", "upload", prefix="d/"))
    assert page.deleted == ["d/two"] and page.storage_keys == []
    assert backups_of(catalog, cloud, "d/one") == [one.version_id]
    assert backups_of(catalog, cloud, "d/two") == [two.version_id]
    assert catalog.get_asset(cloud.id, "image", "upload", "d/one") is None
    assert {one.storage_key, two.storage_key} <= catalog.referenced_storage_keys()
    assert not {one.storage_key, two.storage_key} & set(catalog.journal_entries())


def test_restore_brings_a_deleted_asset_back(catalog: Catalog, cloud: Cloud) -> None:
    backup_on(catalog, cloud)
    gone, _, _ = put(catalog, cloud, "f/gone", tags=["t"], context={"k": "v"})
    catalog.delete_asset(gone.id)
    restored = catalog.restore_backup(cloud.id, "image", "upload", "f/gone", None, now=at(0))
    assert restored is not None
    asset, previous = restored
    assert previous is None
    assert (asset.asset_id, asset.version_id, asset.storage_key) == (
        gone.asset_id,
        gone.version_id,
        gone.storage_key,
    )
    assert asset.version > gone.version  # a new version, even within the same second
    assert (asset.tags, asset.context, asset.bytes) == (("t",), {"k": "v"}, gone.bytes)
    assert backups_of(catalog, cloud, "f/gone") == []
    assert catalog.folder_exists(cloud.id, "f")
    assert catalog.get_asset(cloud.id, "image", "upload", "f/gone") == asset


def test_restore_a_chosen_version_over_the_live_one(catalog: Catalog, cloud: Cloud) -> None:
    backup_on(catalog, cloud)
    v1, _, _ = put(catalog, cloud, "multi", 0)
    v2, _, _ = put(catalog, cloud, "multi", 1)
    v3, _, _ = put(catalog, cloud, "multi", 2)
    assert backups_of(catalog, cloud, "multi") == [v1.version_id, v2.version_id]
    args = (cloud.id, "image", "upload", "multi")
    restored = catalog.restore_backup(*args, v1.version_id, now=at(3))
    assert restored is not None
    asset, previous = restored
    assert previous is not None and previous.version_id == v3.version_id
    assert (asset.id, asset.asset_id, asset.version_id) == (v3.id, v3.asset_id, v1.version_id)
    assert asset.version > v3.version
    assert backups_of(catalog, cloud, "multi") == [v2.version_id, v3.version_id]
    assert v3.storage_key not in catalog.journal_entries()
    assert catalog.restore_backup(*args, "0" * 32, now=at(4)) is None
    assert catalog.restore_backup(*args, v1.version_id, now=at(4)) is None  # current now


def test_restore_without_backup_setting_journals_the_replaced(
    catalog: Catalog, cloud: Cloud
) -> None:
    old, _, _ = put(catalog, cloud, "once", extra={"backup": True})
    live, _, _ = put(catalog, cloud, "once", 1)  # no flag, cloud setting off
    restored = catalog.restore_backup(cloud.id, "image", "upload", "once", None, now=at(2))
    assert restored is not None and restored[0].version_id == old.version_id
    assert live.storage_key in catalog.journal_entries()
    assert backups_of(catalog, cloud, "once") == []


def test_restored_asset_gets_a_fresh_id_when_its_own_is_taken(
    catalog: Catalog, cloud: Cloud
) -> None:
    backup_on(catalog, cloud)
    first, _, _ = put(catalog, cloud, "moving")
    put(catalog, cloud, "moving", 1)
    current: Asset = catalog.get_asset(cloud.id, "image", "upload", "moving")  # type: ignore[assignment]
    catalog.rename_asset(current.id, "moved", to_type=None, overwrite=False, now=at(2))
    restored = catalog.restore_backup(cloud.id, "image", "upload", "moving", None, now=at(3))
    assert restored is not None
    assert restored[0].version_id == first.version_id
    assert restored[0].asset_id != first.asset_id  # "moved" still has it


def test_rename_over_a_backed_up_asset_keeps_it(catalog: Catalog, cloud: Cloud) -> None:
    backup_on(catalog, cloud)
    mover, _, _ = put(catalog, cloud, "mover")
    target, _, _ = put(catalog, cloud, "target")
    _, replaced = catalog.rename_asset(mover.id, "target", to_type=None, overwrite=True, now=at(1))
    assert replaced == []
    assert backups_of(catalog, cloud, "target") == [target.version_id]


def test_backups_belong_to_their_cloud(catalog: Catalog, cloud: Cloud) -> None:
    other = catalog.create_cloud("elsewhere", "333333333333333", "secret-secret")
    backup_on(catalog, cloud)
    asset, _, _ = put(catalog, cloud, "mine")
    catalog.delete_asset(asset.id)
    assert catalog.list_backups(other.id, "image", "upload", "mine") == []
    assert catalog.restore_backup(other.id, "image", "upload", "mine", None, now=at(1)) is None
    assert [b.public_id for b in catalog.iter_backups()] == ["mine"]
