"""Rename and bulk tag/context commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from tests.catalog.catalog_factories import T0, at, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError, BadRequestError, NotFoundError


@pytest.fixture()
def cloud(catalog: Catalog) -> Cloud:
    return catalog.create_cloud("changes", "111111111111111", "secret-secret")


def put(catalog: Catalog, cloud: Cloud, public_id: str, **changes: object):  # type: ignore[no-untyped-def]
    asset, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset(public_id, **changes), overwrite=True, now=T0
    )
    return asset


def test_rename_keeps_identity_and_frees_the_old_id(catalog: Catalog, cloud: Cloud) -> None:
    asset = put(catalog, cloud, "a", tags=["t"], context={"k": "v"})
    renamed, replaced = catalog.rename_asset(
        asset.id, "b/c", to_type=None, overwrite=False, now=at(5)
    )
    assert replaced == []
    assert (renamed.asset_id, renamed.public_id, renamed.tags) == (asset.asset_id, "b/c", ("t",))
    assert renamed.context == {"k": "v"} and renamed.storage_key == asset.storage_key
    assert catalog.get_asset(cloud.id, "image", "upload", "a") is None
    moved, _ = catalog.rename_asset(asset.id, "b/c", to_type="private", overwrite=False, now=at(6))
    assert moved.type == "private"
    assert catalog.get_asset(cloud.id, "image", "private", "b/c") is not None


def test_rename_clash_and_overwrite(catalog: Catalog, cloud: Cloud) -> None:
    mover = put(catalog, cloud, "mover")
    target = put(catalog, cloud, "target")
    with pytest.raises(AlreadyExistsError):
        catalog.rename_asset(mover.id, "target", to_type=None, overwrite=False, now=at(1))
    assert catalog.get_asset(cloud.id, "image", "upload", "mover") is not None
    renamed, replaced = catalog.rename_asset(
        mover.id, "target", to_type=None, overwrite=True, now=at(2)
    )
    assert replaced == [target.storage_key]
    assert target.storage_key in catalog.journal_entries()
    assert catalog.get_asset_by_asset_id(cloud.id, target.asset_id) is None
    assert renamed.asset_id == mover.asset_id
    with pytest.raises(NotFoundError):
        catalog.rename_asset(target.id, "x", to_type=None, overwrite=True, now=at(3))


def test_tag_commands(catalog: Catalog, cloud: Cloud) -> None:
    for name in ("a", "b", "c"):
        put(catalog, cloud, name, tags=["old"])
    args = (cloud.id, "image", "upload")
    assert catalog.change_tags(*args, ["a", "b", "zz"], "add", ["x", "y"], at(1)) == ["a", "b"]
    assert catalog.get_asset(*args, "a").tags == ("old", "x", "y")  # type: ignore[union-attr]
    catalog.change_tags(*args, ["a"], "remove", ["x"], at(2))
    assert catalog.get_asset(*args, "a").tags == ("old", "y")  # type: ignore[union-attr]
    catalog.change_tags(*args, ["b"], "replace", ["new"], at(3))
    assert catalog.get_asset(*args, "b").tags == ("new",)  # type: ignore[union-attr]
    catalog.change_tags(*args, ["c"], "set_exclusive", ["old"], at(4))
    assert [a.public_id for a in catalog.list_assets(cloud.id, "image", tag="old").items] == ["c"]
    catalog.change_tags(*args, ["a", "c"], "remove_all", [], at(5))
    assert catalog.get_asset(*args, "c").tags == ()  # type: ignore[union-attr]
    with pytest.raises(BadRequestError):
        catalog.change_tags(*args, ["a"], "explode", ["t"], at(6))


def test_tag_limit_is_all_or_nothing(catalog: Catalog, cloud: Cloud) -> None:
    put(catalog, cloud, "full", tags=[f"t{i}" for i in range(1000)])
    put(catalog, cloud, "empty")
    args = (cloud.id, "image", "upload")
    with pytest.raises(BadRequestError, match="more than 1000 tags"):
        catalog.change_tags(*args, ["empty", "full"], "add", ["extra"], at(1))
    assert catalog.get_asset(*args, "empty").tags == ()  # type: ignore[union-attr]


def test_context_commands(catalog: Catalog, cloud: Cloud) -> None:
    put(catalog, cloud, "c", context={"a": "1"})
    args = (cloud.id, "image", "upload")
    catalog.change_context(*args, ["c"], "add", {"b": "2", "a": "3"}, at(1))
    assert catalog.get_asset(*args, "c").context == {"a": "3", "b": "2"}  # type: ignore[union-attr]
    hits = catalog.list_assets(cloud.id, "image", context_key="b", context_value="2").items
    assert [a.public_id for a in hits] == ["c"]
    catalog.change_context(*args, ["c"], "remove_all", {}, at(2))
    assert catalog.get_asset(*args, "c").context == {}  # type: ignore[union-attr]
    assert catalog.list_assets(cloud.id, "image", context_key="b").items == []


def test_concurrent_renames_and_tags_stay_consistent(catalog: Catalog, cloud: Cloud) -> None:
    assets = [put(catalog, cloud, f"p{i}") for i in range(8)]
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for step in range(5):
                catalog.change_tags(
                    cloud.id,
                    "image",
                    "upload",
                    [f"p{i}" for i in range(8)],
                    "add",
                    [f"w{n}"],
                    at(step),
                )
                catalog.rename_asset(
                    assets[n].id, f"q{n}_{step}", to_type=None, overwrite=False, now=at(step)
                )
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = catalog.list_assets(cloud.id, "image", max_results=100).items
    assert sorted(a.public_id for a in final) == sorted(f"q{n}_4" for n in range(8))
    assert {a.asset_id for a in final} == {a.asset_id for a in assets}


def test_render_recorded_after_its_asset_was_deleted_is_refused(
    catalog: Catalog, cloud: Cloud
) -> None:
    asset = put(catalog, cloud, "gone")
    catalog.delete_asset(asset.id)
    catalog.journal_add("1/derived/late", T0)
    with pytest.raises(NotFoundError):
        catalog.put_derived(
            asset.id, asset.version_id, "w_10", "png", storage_key="1/derived/late", bytes=1,
            width=1, height=1, etag="e", now=T0,
        )  # fmt: skip
    assert "1/derived/late" in catalog.journal_entries()


def test_named_delete_and_checked_rename_see_only_the_current_name(
    catalog: Catalog, cloud: Cloud
) -> None:
    asset = put(catalog, cloud, "first")
    catalog.rename_asset(asset.id, "second", to_type=None, overwrite=False, now=at(1))
    with pytest.raises(NotFoundError):  # a rename that looked the asset up as "first"
        catalog.rename_asset(
            asset.id, "third", to_type=None, overwrite=False, now=at(2), from_public_id="first"
        )
    assert catalog.delete_named_asset(cloud.id, "image", "upload", "first") is None
    assert catalog.get_asset(cloud.id, "image", "upload", "second") is not None
    keys = catalog.delete_named_asset(cloud.id, "image", "upload", "second")
    assert keys == [asset.storage_key]
    assert catalog.delete_named_asset(cloud.id, "image", "upload", "second") is None
