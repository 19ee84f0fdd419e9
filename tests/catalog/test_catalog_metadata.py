"""Contract tests for structured metadata in the catalog (SQLite and PostgreSQL): fields,
datasource entries, order, asset values, and what deletes take with them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.catalog.catalog_factories import at, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.metadata import MetadataField
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError, NotFoundError


def columns(external_id: str, kind: str = "string", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": external_id, "type": kind, "label": external_id.title(),
        "mandatory": False, "default_value": None, "default_disabled": False,
        "validation": None, "restrictions": None, "allow_dynamic_list_values": False,
    }  # fmt: skip
    values.update(changes)
    return values


def add(catalog: Catalog, cloud: Cloud, external_id: str, kind: str = "string", **kw: Any) -> Any:
    entries = kw.pop("entries", [])
    return catalog.create_metadata_field(
        cloud.id, columns(external_id, kind, **kw), entries, at(len(external_id))
    )


def test_create_get_and_list_keep_every_column(catalog: Catalog, cloud: Cloud) -> None:
    rule = {"type": "less_than", "equals": True, "value": 5}
    field = add(catalog, cloud, "size", "integer", default_value=5, validation=rule, mandatory=True)
    assert isinstance(field, MetadataField)
    assert (field.external_id, field.type, field.label) == ("size", "integer", "Size")
    assert field.mandatory and field.default_value == 5 and field.validation == rule
    assert field.created_at == at(4)
    assert catalog.get_metadata_field(cloud.id, "size") == field
    assert catalog.get_metadata_field(cloud.id, "nope") is None
    assert catalog.list_metadata_fields(cloud.id) == [field]


def test_external_ids_are_unique_per_cloud(
    catalog: Catalog, cloud: Cloud, other_cloud: Cloud
) -> None:
    add(catalog, cloud, "title")
    with pytest.raises(AlreadyExistsError, match="title already exists"):
        add(catalog, cloud, "title", "date")
    add(catalog, other_cloud, "title", "date")
    assert catalog.get_metadata_field(cloud.id, "title").type == "string"
    assert [f.type for f in catalog.list_metadata_fields(other_cloud.id)] == ["date"]


def test_datasource_entries_update_state_and_order(catalog: Catalog, cloud: Cloud) -> None:
    add(catalog, cloud, "color", "enum", entries=[("r", "Red"), ("g", "Green")])
    field = catalog.update_metadata_field(
        cloud.id, "color", {"label": "Colour", "type": "set"}, [("g", "Lime"), ("b", "Blue")],
        at(9),
    )  # fmt: skip
    assert field.label == "Colour" and field.type == "enum"  # type never changes
    assert [(e.external_id, e.value) for e in field.datasource] == [
        ("r", "Red"), ("g", "Lime"), ("b", "Blue")
    ]  # fmt: skip
    field = catalog.set_datasource_state(cloud.id, "color", ["r"], "inactive")
    assert field.active_ids() == {"g", "b"}
    field = catalog.order_datasource(cloud.id, "color", ["b", "r", "g"])
    assert [e.external_id for e in field.datasource] == ["b", "r", "g"]
    with pytest.raises(NotFoundError):
        catalog.set_datasource_state(cloud.id, "missing", ["r"], "active")


def test_fields_keep_their_order(catalog: Catalog, cloud: Cloud) -> None:
    for name in ("a", "bb", "ccc"):
        add(catalog, cloud, name)
    assert [f.external_id for f in catalog.list_metadata_fields(cloud.id)] == ["a", "bb", "ccc"]
    catalog.order_metadata_fields(cloud.id, ["ccc", "a", "bb"])
    assert [f.external_id for f in catalog.list_metadata_fields(cloud.id)] == ["ccc", "a", "bb"]
    add(catalog, cloud, "dddd")
    assert catalog.list_metadata_fields(cloud.id)[-1].external_id == "dddd"


def test_asset_values_set_change_and_go_with_their_field(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Any]
) -> None:
    title = add(catalog, cloud, "title")
    tags = add(catalog, cloud, "tags", "set", entries=[("x", "X")])
    one = upload("one", metadata={title.id: "hello", tags.id: ["x"]})
    two = upload("two")
    assert catalog.asset_metadata([one.id, two.id]) == {one.id: {"title": "hello", "tags": ["x"]}}
    catalog.change_asset_metadata(
        [(one.id, {title.id: None}), (two.id, {title.id: "t2", tags.id: ["x"]})], at(50)
    )
    assert catalog.asset_metadata([one.id, two.id]) == {
        one.id: {"tags": ["x"]},
        two.id: {"title": "t2", "tags": ["x"]},
    }
    assert catalog.get_asset_by_pk(two.id).updated_at == at(50)
    assert catalog.delete_metadata_field(cloud.id, "tags")
    assert not catalog.delete_metadata_field(cloud.id, "tags")
    assert catalog.asset_metadata([one.id, two.id]) == {two.id: {"title": "t2"}}


def test_overwrite_replaces_values_unless_none_and_delete_removes_them(
    catalog: Catalog, cloud: Cloud, upload: Callable[..., Any]
) -> None:
    title = add(catalog, cloud, "title")
    asset = upload("pic", metadata={title.id: "first"})
    upload("pic", 10)  # metadata None: the values stay
    assert catalog.asset_metadata([asset.id]) == {asset.id: {"title": "first"}}
    upload("pic", 20, metadata={})
    assert catalog.asset_metadata([asset.id]) == {}
    upload("pic", 30, metadata={title.id: "again"})
    catalog.delete_asset(asset.id)
    assert catalog.asset_metadata([asset.id]) == {}


def test_values_never_cross_clouds(
    catalog: Catalog, cloud: Cloud, other_cloud: Cloud, upload: Callable[..., Any]
) -> None:
    mine = add(catalog, cloud, "title")
    add(catalog, other_cloud, "title")
    asset = upload("pic", metadata={mine.id: "mine"})
    catalog.delete_metadata_field(other_cloud.id, "title")
    assert catalog.asset_metadata([asset.id]) == {asset.id: {"title": "mine"}}
    assert new_asset("x").metadata is None
