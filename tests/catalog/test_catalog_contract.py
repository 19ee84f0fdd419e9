"""The catalog contract, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from tests.catalog.catalog_factories import T0, at, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError, NotFoundError

# -- clouds ----------------------------------------------------------------------------------


def test_create_and_get_cloud(catalog: Catalog) -> None:
    created = catalog.create_cloud("demo", "key1", "secret1")
    assert created.id > 0
    assert (created.name, created.api_key, created.api_secret) == ("demo", "key1", "secret1")
    assert created.settings == {}
    assert created.created_at is not None and created.created_at.tzinfo == UTC
    assert catalog.get_cloud("demo") == created
    assert catalog.get_cloud_by_key("key1") == created
    assert catalog.get_cloud("nope") is None
    assert catalog.get_cloud_by_key("nope") is None


def test_duplicate_cloud_name_or_key(catalog: Catalog) -> None:
    catalog.create_cloud("demo", "key1", "secret1")
    with pytest.raises(AlreadyExistsError):
        catalog.create_cloud("demo", "key2", "secret")
    with pytest.raises(AlreadyExistsError):
        catalog.create_cloud("other", "key1", "secret")
    assert [c.name for c in catalog.list_clouds()] == ["demo"]


def test_list_clouds(catalog: Catalog) -> None:
    catalog.create_cloud("zeta", "k1", "s")
    catalog.create_cloud("alpha", "k2", "s")
    assert [c.name for c in catalog.list_clouds()] == ["alpha", "zeta"]


def test_rotate_secret(catalog: Catalog, cloud: Cloud) -> None:
    rotated = catalog.set_cloud_secret(cloud.name, "new-secret")
    assert rotated.api_secret == "new-secret"
    assert catalog.get_cloud_by_key(cloud.api_key) == rotated
    with pytest.raises(NotFoundError):
        catalog.set_cloud_secret("nope", "x")


def test_settings_merge(catalog: Catalog, cloud: Cloud) -> None:
    catalog.update_cloud_settings(cloud.name, {"a": 1, "nested": {"x": True}})
    merged = catalog.update_cloud_settings(cloud.name, {"b": "two", "a": 3})
    assert merged.settings == {"a": 3, "b": "two", "nested": {"x": True}}
    assert catalog.get_cloud(cloud.name).settings == merged.settings  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        catalog.update_cloud_settings("nope", {})


# -- creating and overwriting assets ---------------------------------------------------------


def test_create_asset(catalog: Catalog, cloud: Cloud) -> None:
    new = new_asset("folder/cat", tags=["b", "a", "b"], context={"alt": "a cat"}, extra={"x": 1})
    asset, previous, existing = catalog.create_or_replace_asset(
        cloud.id, new, overwrite=False, now=T0
    )
    assert previous is None and existing is False
    assert re.fullmatch(r"[0-9a-f]{32}", asset.asset_id)
    assert asset.cloud_id == cloud.id
    assert (asset.resource_type, asset.type, asset.public_id) == ("image", "upload", "folder/cat")
    assert asset.version == int(T0.timestamp())
    assert asset.version_id == new.version_id
    assert (asset.format, asset.bytes, asset.width, asset.height) == ("jpg", new.bytes, 640, 480)
    assert asset.storage_key == new.storage_key
    assert asset.tags == ("a", "b")
    assert asset.context == {"alt": "a cat"}
    assert asset.extra == {"x": 1}
    assert asset.placeholder is False and asset.access_mode == "public"
    assert asset.created_at == asset.uploaded_at == asset.updated_at == T0
    assert asset.created_at.tzinfo == UTC
    assert catalog.get_asset(cloud.id, "image", "upload", "folder/cat") == asset
    assert catalog.get_asset_by_asset_id(cloud.id, asset.asset_id) == asset
    assert catalog.get_asset_by_pk(asset.id) == asset
    [version] = catalog.list_versions(asset.id)
    assert (version.version, version.storage_key, version.bytes) == (
        asset.version,
        new.storage_key,
        new.bytes,
    )


def test_create_unjournals_the_new_blob(catalog: Catalog, cloud: Cloud) -> None:
    new = new_asset("a")
    catalog.journal_add(new.storage_key, T0)
    catalog.create_or_replace_asset(cloud.id, new, overwrite=False, now=T0)
    assert catalog.journal_entries() == []


def test_overwrite_false_returns_existing_untouched(catalog: Catalog, cloud: Cloud) -> None:
    first, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("a", tags=["t"]), overwrite=False, now=T0
    )
    second_upload = new_asset("a", tags=["other"])
    catalog.journal_add(second_upload.storage_key, at(5))
    asset, previous, existing = catalog.create_or_replace_asset(
        cloud.id, second_upload, overwrite=False, now=at(5)
    )
    assert existing is True and previous is None
    assert asset == first
    assert catalog.get_asset(cloud.id, "image", "upload", "a") == first
    assert len(catalog.list_versions(first.id)) == 1
    # the unused upload stays journalled, for the caller or the sweeper to delete
    assert catalog.journal_entries() == [second_upload.storage_key]


def test_overwrite_true_makes_a_new_version(catalog: Catalog, cloud: Cloud) -> None:
    first_new = new_asset("a", tags=["old", "shared"], context={"k": "old"}, extra={"e": 1})
    first, _, _ = catalog.create_or_replace_asset(cloud.id, first_new, overwrite=True, now=T0)
    second_new = new_asset("a", tags=["new", "shared"], context={"n": "new"}, bytes=5)
    catalog.journal_add(second_new.storage_key, T0)
    # same second: the version must still grow
    second, previous, existing = catalog.create_or_replace_asset(
        cloud.id, second_new, overwrite=True, now=T0 + timedelta(microseconds=1)
    )
    assert existing is False and previous == first
    assert second.id == first.id and second.asset_id == first.asset_id
    assert second.version == first.version + 1
    assert second.version_id == second_new.version_id
    assert second.storage_key == second_new.storage_key and second.bytes == 5
    assert second.tags == ("new", "shared")
    assert second.context == {"n": "new"}
    assert second.extra == {}
    assert second.created_at == T0 + timedelta(microseconds=1)
    versions = catalog.list_versions(first.id)
    assert [v.version for v in versions] == [second.version, first.version]
    assert [v.storage_key for v in versions] == [second_new.storage_key, None]
    assert catalog.get_version(first.id, first.version) == versions[1]
    assert catalog.get_version(first.id, 1) is None
    assert catalog.journal_entries() == [first_new.storage_key]
    # a later upload takes its own time as the version
    third, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("a"), overwrite=True, now=at(100)
    )
    assert third.version == int(at(100).timestamp())


def test_overwrite_filters_follow_new_tags_and_context(catalog: Catalog, cloud: Cloud) -> None:
    catalog.create_or_replace_asset(
        cloud.id, new_asset("a", tags=["old"], context={"k": "v"}), overwrite=True, now=T0
    )
    catalog.create_or_replace_asset(
        cloud.id, new_asset("a", tags=["new"], context={"j": "w"}), overwrite=True, now=at(1)
    )
    assert catalog.list_assets(cloud.id, "image", tag="old").items == []
    assert len(catalog.list_assets(cloud.id, "image", tag="new").items) == 1
    assert catalog.list_assets(cloud.id, "image", context_key="k").items == []
    assert (
        len(catalog.list_assets(cloud.id, "image", context_key="j", context_value="w").items) == 1
    )


def test_unknown_cloud_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFoundError):
        catalog.create_or_replace_asset(9999, new_asset("a"), overwrite=True, now=T0)


def test_clouds_are_isolated(catalog: Catalog, cloud: Cloud, other_cloud: Cloud) -> None:
    mine, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("same", tags=["t"]), overwrite=False, now=T0
    )
    theirs, _, existing = catalog.create_or_replace_asset(
        other_cloud.id, new_asset("same", tags=["t"]), overwrite=False, now=T0
    )
    assert existing is False and mine.asset_id != theirs.asset_id
    assert catalog.get_asset(cloud.id, "image", "upload", "same") == mine
    assert catalog.get_asset(other_cloud.id, "image", "upload", "same") == theirs
    assert catalog.get_asset_by_asset_id(other_cloud.id, mine.asset_id) is None
    assert catalog.get_assets_by_asset_ids(other_cloud.id, [mine.asset_id]) == []
    assert catalog.get_assets_by_public_ids(cloud.id, "image", None, ["same"]) == [mine]
    assert catalog.list_assets(cloud.id, "image").items == [mine]
    assert catalog.list_tags(other_cloud.id, "image").items == ["t"]
    assert catalog.get_asset(9999, "image", "upload", "same") is None
    assert catalog.usage(cloud.id)["resources"] == 1


def test_resource_type_and_type_separate_assets(catalog: Catalog, cloud: Cloud) -> None:
    image, _, _ = catalog.create_or_replace_asset(cloud.id, new_asset("x"), overwrite=False, now=T0)
    private, _, existing = catalog.create_or_replace_asset(
        cloud.id, new_asset("x", type="private"), overwrite=False, now=T0
    )
    raw, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("x", resource_type="raw", format=""), overwrite=False, now=T0
    )
    assert existing is False and len({image.id, private.id, raw.id}) == 3
    assert catalog.get_assets_by_public_ids(cloud.id, "image", "private", ["x"]) == [private]
    assert catalog.get_assets_by_public_ids(cloud.id, "image", None, ["x"]) == [private, image]


def test_get_by_public_ids_and_asset_ids_keeps_order(catalog: Catalog, cloud: Cloud) -> None:
    made = {
        name: catalog.create_or_replace_asset(
            cloud.id, new_asset(name), overwrite=False, now=at(i)
        )[0]
        for i, name in enumerate(["c", "a", "b"])
    }
    found = catalog.get_assets_by_public_ids(cloud.id, "image", "upload", ["b", "zz", "c", "a"])
    assert [a.public_id for a in found] == ["b", "c", "a"]
    by_id = catalog.get_assets_by_asset_ids(
        cloud.id, [made["a"].asset_id, "0" * 32, made["c"].asset_id]
    )
    assert [a.public_id for a in by_id] == ["a", "c"]
    assert catalog.get_assets_by_public_ids(cloud.id, "image", "upload", []) == []


def test_many_ids_in_one_lookup(catalog: Catalog, cloud: Cloud) -> None:
    catalog.create_or_replace_asset(cloud.id, new_asset("p7"), overwrite=False, now=T0)
    wanted = [f"p{i}" for i in range(1200)]
    assert [
        a.public_id for a in catalog.get_assets_by_public_ids(cloud.id, "image", None, wanted)
    ] == ["p7"]


# -- updating and deleting -------------------------------------------------------------------


def test_update_asset(catalog: Catalog, cloud: Cloud) -> None:
    asset, _, _ = catalog.create_or_replace_asset(
        cloud.id,
        new_asset("a", tags=["x"], context={"k": "v"}, extra={"keep": 1, "drop": 2}),
        overwrite=False,
        now=T0,
    )
    updated = catalog.update_asset(asset.id, tags=["z", "y", "z"], now=at(1))
    assert updated.tags == ("y", "z") and updated.context == {"k": "v"}
    assert updated.updated_at == at(1) and updated.created_at == T0
    updated = catalog.update_asset(
        asset.id, context={"n": "m"}, extra={"drop": None, "add": [1]}, now=at(2)
    )
    assert updated.context == {"n": "m"} and updated.tags == ("y", "z")
    assert updated.extra == {"keep": 1, "add": [1]}
    assert catalog.list_assets(cloud.id, "image", context_key="n", context_value="m").items == [
        updated
    ]
    assert catalog.list_assets(cloud.id, "image", context_key="k").items == []
    with pytest.raises(NotFoundError):
        catalog.update_asset(asset.id + 1000, tags=[], now=T0)


def test_delete_asset(catalog: Catalog, cloud: Cloud) -> None:
    first = new_asset("a", tags=["t"], context={"k": "v"})
    asset, _, _ = catalog.create_or_replace_asset(cloud.id, first, overwrite=True, now=T0)
    second = new_asset("a", tags=["t"])
    catalog.create_or_replace_asset(cloud.id, second, overwrite=True, now=at(1))
    catalog.journal_remove(first.storage_key)  # as if the caller deleted the old blob
    catalog.create_delete_token(cloud.id, asset.id, "tok", at(100))
    assert catalog.delete_asset(asset.id) == [second.storage_key]
    assert catalog.get_asset(cloud.id, "image", "upload", "a") is None
    assert catalog.list_versions(asset.id) == []
    assert catalog.list_tags(cloud.id, "image").items == []
    assert catalog.consume_delete_token(cloud.id, "tok", at(2)) is None
    assert catalog.journal_entries() == [second.storage_key]
    assert second.storage_key not in catalog.referenced_storage_keys()
    assert catalog.delete_asset(asset.id) == []
    # the public_id can be used again
    again, _, existing = catalog.create_or_replace_asset(
        cloud.id, new_asset("a"), overwrite=False, now=at(3)
    )
    assert existing is False and again.asset_id != asset.asset_id


def test_referenced_storage_keys_and_iteration(
    catalog: Catalog, cloud: Cloud, other_cloud: Cloud
) -> None:
    one = new_asset("one")
    two = new_asset("two")
    catalog.create_or_replace_asset(cloud.id, one, overwrite=True, now=T0)
    catalog.create_or_replace_asset(other_cloud.id, two, overwrite=True, now=T0)
    assert catalog.referenced_storage_keys() == {one.storage_key, two.storage_key}
    assert {a.public_id for a in catalog.iter_all_assets()} == {"one", "two"}
    assert [a.public_id for a in catalog.iter_all_assets(other_cloud.id)] == ["two"]


def test_referenced_among_answers_only_for_the_keys_asked(
    catalog: Catalog, cloud: Cloud, other_cloud: Cloud
) -> None:
    one = new_asset("one")
    two = new_asset("two")
    catalog.create_or_replace_asset(cloud.id, one, overwrite=True, now=T0)
    catalog.create_or_replace_asset(other_cloud.id, two, overwrite=True, now=T0)
    asked = [one.storage_key, "k/none", one.storage_key, *(f"k/{i}" for i in range(900))]
    assert catalog.referenced_among(asked) == {one.storage_key}  # across IN-list batches
    assert catalog.referenced_among([*asked, two.storage_key]) == {
        one.storage_key,
        two.storage_key,
    }
    assert catalog.referenced_among([]) == set()


def test_iter_all_assets_crosses_batches(catalog: Catalog, cloud: Cloud) -> None:
    for i in range(510):
        catalog.create_or_replace_asset(cloud.id, new_asset(f"p{i}"), overwrite=False, now=T0)
    ids = [a.id for a in catalog.iter_all_assets(cloud.id)]
    assert len(ids) == 510 and ids == sorted(set(ids))


def test_usage(catalog: Catalog, cloud: Cloud, other_cloud: Cloud) -> None:
    assert catalog.usage(cloud.id) == {"resources": 0, "storage_bytes": 0, "derived_resources": 0}
    catalog.create_or_replace_asset(cloud.id, new_asset("a", bytes=100), overwrite=True, now=T0)
    catalog.create_or_replace_asset(cloud.id, new_asset("a", bytes=150), overwrite=True, now=T0)
    catalog.create_or_replace_asset(cloud.id, new_asset("b", bytes=7), overwrite=True, now=T0)
    catalog.create_or_replace_asset(other_cloud.id, new_asset("c", bytes=9), overwrite=True, now=T0)
    assert catalog.usage(cloud.id) == {
        "resources": 2,
        "storage_bytes": 157,
        "derived_resources": 0,
    }


# -- blob journal ----------------------------------------------------------------------------


def test_journal(catalog: Catalog) -> None:
    catalog.journal_add("k/old", T0)
    catalog.journal_add("k/new", at(60))
    catalog.journal_add("k/old", T0)  # idempotent
    assert catalog.journal_entries() == ["k/old", "k/new"]
    assert catalog.journal_entries(older_than=at(30)) == ["k/old"]
    assert catalog.journal_entries(older_than=T0) == []
    assert catalog.journal_entries(older_than=T0 + timedelta(microseconds=1)) == ["k/old"]
    catalog.journal_add("k/old", at(120))  # journalled again: the newer time counts
    assert catalog.journal_entries(older_than=at(90)) == ["k/new"]
    catalog.journal_remove("k/old")
    catalog.journal_remove("k/never")
    assert catalog.journal_entries() == ["k/new"]


# -- upload presets --------------------------------------------------------------------------


def test_presets_crud(catalog: Catalog, cloud: Cloud, other_cloud: Cloud) -> None:
    created = catalog.create_preset(cloud.id, "thumbs", True, {"tags": "a", "folder": "x"})
    assert (created.name, created.unsigned, created.settings) == (
        "thumbs",
        True,
        {"tags": "a", "folder": "x"},
    )
    assert catalog.get_preset(cloud.id, "thumbs") == created
    assert catalog.get_preset(other_cloud.id, "thumbs") is None
    with pytest.raises(AlreadyExistsError):
        catalog.create_preset(cloud.id, "thumbs", False, {})
    catalog.create_preset(other_cloud.id, "thumbs", False, {})  # other cloud: fine
    updated = catalog.update_preset(cloud.id, "thumbs", None, {"folder": "y", "eager": "w_10"})
    assert updated.unsigned is True
    assert updated.settings == {"tags": "a", "folder": "y", "eager": "w_10"}
    assert catalog.get_preset(cloud.id, "thumbs") == updated
    assert catalog.update_preset(cloud.id, "thumbs", False, {}).unsigned is False
    with pytest.raises(NotFoundError):
        catalog.update_preset(cloud.id, "nope", None, {})
    assert catalog.delete_preset(cloud.id, "thumbs") is True
    assert catalog.delete_preset(cloud.id, "thumbs") is False
    assert catalog.get_preset(cloud.id, "thumbs") is None
    assert catalog.get_preset(other_cloud.id, "thumbs") is not None


def test_list_presets_pages(catalog: Catalog, cloud: Cloud) -> None:
    names = [f"preset_{i:02d}" for i in range(7)]
    for name in reversed(names):
        catalog.create_preset(cloud.id, name, False, {})
    seen: list[str] = []
    cursor = None
    while True:
        page = catalog.list_presets(cloud.id, max_results=3, cursor=cursor)
        seen.extend(p.name for p in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == names


# -- delete tokens ---------------------------------------------------------------------------


def test_delete_token_valid_once(catalog: Catalog, cloud: Cloud) -> None:
    asset, _, _ = catalog.create_or_replace_asset(cloud.id, new_asset("a"), overwrite=True, now=T0)
    catalog.create_delete_token(cloud.id, asset.id, "t1", expires_at=at(600))
    assert catalog.consume_delete_token(cloud.id, "t1", at(10)) == asset.id
    assert catalog.consume_delete_token(cloud.id, "t1", at(11)) is None
    with pytest.raises(AlreadyExistsError):
        catalog.create_delete_token(cloud.id, asset.id, "t1", expires_at=at(600))


def test_delete_token_expired_unknown_or_other_cloud(
    catalog: Catalog, cloud: Cloud, other_cloud: Cloud
) -> None:
    asset, _, _ = catalog.create_or_replace_asset(cloud.id, new_asset("a"), overwrite=True, now=T0)
    catalog.create_delete_token(cloud.id, asset.id, "t1", expires_at=at(600))
    assert catalog.consume_delete_token(cloud.id, "t1", at(600)) is None  # expiry is exclusive
    catalog.create_delete_token(cloud.id, asset.id, "t2", expires_at=at(600))
    assert catalog.consume_delete_token(other_cloud.id, "t2", at(1)) is None
    assert catalog.consume_delete_token(cloud.id, "nope", at(1)) is None
    assert catalog.consume_delete_token(cloud.id, "t2", at(1)) == asset.id
    with pytest.raises(NotFoundError):
        catalog.create_delete_token(other_cloud.id, asset.id, "t3", expires_at=at(600))


# -- time ------------------------------------------------------------------------------------


def test_times_come_back_aware_utc_with_microseconds(catalog: Catalog, cloud: Cloud) -> None:
    utc = datetime(2024, 5, 17, 12, 0, 0, 654321, tzinfo=UTC)
    local = utc.astimezone(timezone(timedelta(hours=2)))
    asset, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("a"), overwrite=True, now=local
    )
    stored = catalog.get_asset(cloud.id, "image", "upload", "a")
    assert stored is not None and stored == asset
    assert stored.created_at == utc
    assert stored.created_at.tzinfo == UTC and stored.created_at.microsecond == 654321
    assert stored.version == int(utc.timestamp())
    assert catalog.list_versions(asset.id)[0].created_at.tzinfo == UTC
