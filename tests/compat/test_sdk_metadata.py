"""Structured metadata through the real SDK: the ``/metadata_fields`` Admin API (types,
datasources, validation, defaults, order) and values on assets (upload, explicit, update,
``update_metadata``, listings), with invalid input refused by field name and nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import cloudinary.api
import cloudinary.uploader
import pytest
from cloudinary.exceptions import BadRequest, NotFound
from tests.compat.helpers import make_png

COLORS = [
    {"external_id": "red", "value": "Red"},
    {"external_id": "green", "value": "Green"},
    {"external_id": "blue", "value": "Blue"},
]


@pytest.fixture()
def fields(sdk: object) -> Iterator[None]:
    """Start and end with no metadata fields (they would affect other tests' uploads)."""
    _delete_all_fields()
    yield
    _delete_all_fields()


def _delete_all_fields() -> None:
    for field in cloudinary.api.list_metadata_fields()["metadata_fields"]:
        cloudinary.api.delete_metadata_field(field["external_id"])


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "m.png", 6, 4)


def add_standard_fields() -> None:
    cloudinary.api.add_metadata_field({"external_id": "title", "label": "Title", "type": "string"})
    cloudinary.api.add_metadata_field(
        {
            "external_id": "size",
            "label": "Size",
            "type": "integer",
            "validation": {"type": "less_than", "equals": True, "value": 100},
        }
    )
    cloudinary.api.add_metadata_field({"external_id": "shot", "label": "Shot", "type": "date"})
    cloudinary.api.add_metadata_field(
        {"external_id": "color", "label": "Color", "type": "enum", "datasource": {"values": COLORS}}
    )
    cloudinary.api.add_metadata_field(
        {
            "external_id": "colors",
            "label": "Colors",
            "type": "set",
            "datasource": {"values": COLORS},
        }
    )


def stored(public_id: str) -> dict[str, Any]:
    return dict(cloudinary.api.resource(public_id).get("metadata", {}))


# -- the fields API ----------------------------------------------------------------------------
def test_create_get_list_update_and_delete_fields(fields: None) -> None:
    created = cloudinary.api.add_metadata_field(
        {
            "external_id": "caption",
            "label": "Caption",
            "type": "string",
            "restrictions": {"readonly_ui": True},
            "validation": {"type": "strlen", "min": 2, "max": 20},
        }
    )
    assert created == {
        "type": "string",
        "external_id": "caption",
        "label": "Caption",
        "mandatory": False,
        "default_value": None,
        "validation": {"type": "strlen", "min": 2, "max": 20},
        "default_disabled": False,
        "restrictions": {"readonly_ui": True},
    }
    assert cloudinary.api.metadata_field_by_field_id("caption") == created
    enum = cloudinary.api.add_metadata_field(
        {"label": "Colour", "type": "enum", "datasource": {"values": [{"value": "Cyan"}]}}
    )
    assert len(enum["external_id"]) == 32  # generated
    entry = enum["datasource"]["values"][0]
    assert entry["value"] == "Cyan" and entry["state"] == "active" and entry["external_id"]
    listed = cloudinary.api.list_metadata_fields()["metadata_fields"]
    assert [f["external_id"] for f in listed] == ["caption", enum["external_id"]]
    # type and external_id cannot change; the rest can
    updated = cloudinary.api.update_metadata_field(
        "caption",
        {"external_id": "other", "type": "integer", "label": "New", "default_value": "hello"},
    )
    assert (updated["external_id"], updated["type"]) == ("caption", "string")
    assert (updated["label"], updated["default_value"]) == ("New", "hello")
    assert cloudinary.api.metadata_field_by_field_id("caption")["label"] == "New"
    assert cloudinary.api.delete_metadata_field("caption") == {"message": "ok"}
    with pytest.raises(NotFound):
        cloudinary.api.metadata_field_by_field_id("caption")
    with pytest.raises(NotFound):
        cloudinary.api.delete_metadata_field("caption")


def test_duplicate_and_invalid_definitions_are_refused(fields: None) -> None:
    cloudinary.api.add_metadata_field({"external_id": "dup", "label": "Dup", "type": "string"})
    with pytest.raises(BadRequest, match="dup already exists"):
        cloudinary.api.add_metadata_field({"external_id": "dup", "label": "D", "type": "date"})
    bad = [
        ({"type": "colour", "label": "x"}, "Invalid metadata field type colour"),
        ({"type": "string"}, "label"),
        ({"type": "enum", "label": "x"}, "needs a datasource"),
        ({"type": "string", "label": "x", "mandatory": True}, "mandatory field needs a default"),
        (
            {"type": "integer", "label": "x", "validation": {"type": "strlen", "max": 3}},
            "not valid for a integer field",
        ),
        ({"type": "date", "label": "x", "default_value": "2024-13-01"}, "not a date"),
        (
            {
                "type": "enum",
                "label": "x",
                "datasource": {"values": COLORS},
                "default_value": "pink",
            },
            "'pink' is not an active datasource entry",
        ),
    ]
    for definition, message in bad:
        with pytest.raises(BadRequest, match=message):
            cloudinary.api.add_metadata_field({"external_id": "bad", **definition})
    assert [f["external_id"] for f in cloudinary.api.list_metadata_fields()["metadata_fields"]] == [
        "dup"
    ]
    with pytest.raises(BadRequest, match="mandatory field needs a default"):
        cloudinary.api.update_metadata_field("dup", {"mandatory": True})
    assert cloudinary.api.metadata_field_by_field_id("dup")["mandatory"] is False


def test_validation_rules_on_defaults(fields: None) -> None:
    today = date.today()
    last_days = {
        "type": "and",
        "rules": [
            {"type": "greater_than", "equals": False, "value": str(today - timedelta(days=3))},
            {"type": "less_than", "equals": False, "value": str(today)},
        ],
    }
    yesterday = str(today - timedelta(days=1))
    result = cloudinary.api.add_metadata_field(
        {
            "external_id": "recent",
            "label": "Recent",
            "type": "date",
            "default_value": yesterday,
            "validation": last_days,
        }
    )
    assert result["validation"] == last_days and result["default_value"] == yesterday
    with pytest.raises(BadRequest, match="recent2"):
        cloudinary.api.add_metadata_field(
            {
                "external_id": "recent2",
                "label": "Recent",
                "type": "date",
                "default_value": str(today + timedelta(days=3)),
                "validation": last_days,
            }
        )
    at_most_five = {"type": "less_than", "equals": True, "value": 5}
    ok = cloudinary.api.add_metadata_field(
        {
            "external_id": "n",
            "label": "N",
            "type": "integer",
            "default_value": 5,
            "validation": at_most_five,
        }
    )
    assert ok["default_value"] == 5
    with pytest.raises(BadRequest, match="n2"):
        cloudinary.api.add_metadata_field(
            {
                "external_id": "n2",
                "label": "N",
                "type": "integer",
                "default_value": 6,
                "validation": at_most_five,
            }
        )
    ids = [f["external_id"] for f in cloudinary.api.list_metadata_fields()["metadata_fields"]]
    assert ids == ["recent", "n"]


def test_datasource_update_delete_restore_and_order(fields: None) -> None:
    values = [{"external_id": "a", "value": "v2"}, {"value": "v3"}, {"value": "v4"}]
    cloudinary.api.add_metadata_field(
        {"external_id": "s", "label": "S", "type": "set", "datasource": {"values": values}}
    )
    result = cloudinary.api.update_metadata_field_datasource(
        "s", [{"external_id": "a", "value": "v1"}]
    )
    assert [v["value"] for v in result["values"]] == ["v1", "v3", "v4"]
    added = cloudinary.api.update_metadata_field_datasource(
        "s", [{"external_id": "z", "value": "v0"}]
    )
    assert [v["external_id"] for v in added["values"]][-1] == "z"
    after_delete = cloudinary.api.delete_datasource_entries("s", ["a", "z"])
    assert [v["value"] for v in after_delete["values"]] == ["v3", "v4"]
    field = cloudinary.api.metadata_field_by_field_id("s")
    states = {v["external_id"]: v["state"] for v in field["datasource"]["values"]}
    assert states["a"] == "inactive" and states["z"] == "inactive"
    restored = cloudinary.api.restore_metadata_field_datasource("s", ["a"])
    assert [v["value"] for v in restored["values"]] == ["v1", "v3", "v4"]
    desc = cloudinary.api.reorder_metadata_field_datasource("s", "value", "desc")
    assert [v["value"] for v in desc["values"]] == ["v4", "v3", "v1"]
    asc = cloudinary.api.reorder_metadata_field_datasource("s", "value")
    assert [v["value"] for v in asc["values"]] == ["v1", "v3", "v4"]
    # the field itself lists inactive entries too, with their state, in the new order
    entries = cloudinary.api.metadata_field_by_field_id("s")["datasource"]["values"]
    assert [(v["value"], v["state"]) for v in entries] == [
        ("v0", "inactive"),
        ("v1", "active"),
        ("v3", "active"),
        ("v4", "active"),
    ]
    with pytest.raises(NotFound, match="nope"):
        cloudinary.api.delete_datasource_entries("s", ["nope"])
    with pytest.raises(BadRequest, match="order_by"):
        cloudinary.api.reorder_metadata_field_datasource("s", "colour")


def test_reorder_fields(fields: None) -> None:
    for external_id, label in (("b", "Zed"), ("c", "Alpha"), ("a", "Mid")):
        cloudinary.api.add_metadata_field(
            {"external_id": external_id, "label": label, "type": "string"}
        )
    by_label = cloudinary.api.reorder_metadata_fields("label", "asc")
    assert [f["label"] for f in by_label["metadata_fields"]] == ["Alpha", "Mid", "Zed"]
    cloudinary.api.reorder_metadata_fields("external_id", "desc")
    listed = cloudinary.api.list_metadata_fields()["metadata_fields"]
    assert [f["external_id"] for f in listed] == ["c", "b", "a"]
    cloudinary.api.reorder_metadata_fields("created_at", "asc")
    listed = cloudinary.api.list_metadata_fields()["metadata_fields"]
    assert [f["external_id"] for f in listed] == ["b", "c", "a"]


# -- values on assets --------------------------------------------------------------------------
def test_upload_explicit_and_update_carry_metadata(fields: None, png: Path) -> None:
    add_standard_fields()
    values = {"title": "A | b = c", "size": 42, "shot": "2024-02-29", "colors": ["red", "blue"]}
    result = cloudinary.uploader.upload(str(png), public_id="md/one", metadata=values)
    assert result["metadata"] == values
    assert stored("md/one") == values
    explicit = cloudinary.uploader.explicit(
        "md/one", type="upload", metadata={"color": "green", "size": "7"}
    )
    assert explicit["metadata"] == {**values, "size": 7, "color": "green"}
    updated = cloudinary.api.update("md/one", metadata={"title": "", "colors": ["green"]})
    expected = {"size": 7, "shot": "2024-02-29", "color": "green", "colors": ["green"]}
    assert updated["metadata"] == expected  # an empty value removes the field's value
    assert stored("md/one") == expected
    plain = cloudinary.uploader.upload(str(png), public_id="md/plain")
    assert "metadata" not in plain and "metadata" not in cloudinary.api.resource("md/plain")


def test_invalid_values_name_the_field_and_change_nothing(fields: None, png: Path) -> None:
    add_standard_fields()
    cloudinary.uploader.upload(str(png), public_id="md/keep", metadata={"size": 1, "title": "t"})
    before = cloudinary.api.resource("md/keep")
    cases = [
        ({"size": "many"}, "size: value 'many' is not an integer"),
        ({"size": 101}, "size: value 101 does not satisfy"),
        ({"shot": "29/02/2024"}, "shot: value '29/02/2024' is not a date"),
        ({"color": "pink"}, "color: 'pink' is not an active datasource entry"),
        ({"colors": ["red", "pink"]}, "colors: 'pink' is not an active"),
        ({"nosuch": "x"}, "Metadata field nosuch does not exist"),
        ({"title": ["a", "b"]}, "title: expected a single string value"),
    ]
    for values, message in cases:
        bad = {"title": "changed", **values}  # a valid value beside the bad one is not kept
        with pytest.raises(BadRequest, match=message):
            cloudinary.uploader.upload(str(png), public_id="md/new", metadata=bad)
        with pytest.raises(BadRequest, match=message):
            cloudinary.uploader.explicit("md/keep", type="upload", metadata=bad, tags=["x"])
        with pytest.raises(BadRequest, match=message):
            cloudinary.api.update("md/keep", metadata=bad, tags=["x"])
        with pytest.raises(BadRequest, match=message):
            cloudinary.uploader.update_metadata(bad, ["md/keep"])
    after = cloudinary.api.resource("md/keep")
    assert after["metadata"] == {"title": "t", "size": 1} and after["tags"] == before["tags"]
    assert after["last_updated"] == before["last_updated"]
    with pytest.raises(NotFound):
        cloudinary.api.resource("md/new")


def test_defaults_and_mandatory_fields(fields: None, png: Path) -> None:
    cloudinary.api.add_metadata_field(
        {"external_id": "owner", "label": "Owner", "type": "string", "mandatory": True,
         "default_value": "nobody"}
    )  # fmt: skip
    cloudinary.api.add_metadata_field(
        {"external_id": "tint", "label": "Tint", "type": "set", "datasource": {"values": COLORS},
         "default_value": ["red"]}
    )  # fmt: skip
    cloudinary.api.add_metadata_field(
        {"external_id": "off", "label": "Off", "type": "integer", "default_value": 3,
         "default_disabled": True}
    )  # fmt: skip
    first = cloudinary.uploader.upload(str(png), public_id="md/defaults")
    assert first["metadata"] == {"owner": "nobody", "tint": ["red"]}
    given = cloudinary.uploader.upload(
        str(png), public_id="md/given", metadata={"owner": "ann", "tint": ""}
    )
    assert given["metadata"] == {"owner": "ann"}
    with pytest.raises(BadRequest, match="owner: the field is mandatory"):
        cloudinary.uploader.upload(str(png), public_id="md/none", metadata={"owner": ""})
    with pytest.raises(BadRequest, match="owner: the field is mandatory"):
        cloudinary.uploader.update_metadata({"owner": ""}, ["md/given"])
    with pytest.raises(NotFound):
        cloudinary.api.resource("md/none")
    assert stored("md/given") == {"owner": "ann"}


def test_update_metadata_on_many_assets(fields: None, png: Path) -> None:
    add_standard_fields()
    for name in ("md/m1", "md/m2"):
        cloudinary.uploader.upload(str(png), public_id=name, metadata={"title": name})
    result = cloudinary.uploader.update_metadata({"size": 5, "colors": ["red"]}, ["md/m1", "md/m2"])
    assert result["public_ids"] == ["md/m1", "md/m2"]
    for name in ("md/m1", "md/m2"):
        assert stored(name) == {"title": name, "size": 5, "colors": ["red"]}
    with pytest.raises(NotFound, match="md/missing"):
        cloudinary.uploader.update_metadata({"size": 9}, ["md/m1", "md/missing"])
    assert stored("md/m1")["size"] == 5  # all or nothing
    listed = cloudinary.api.resources(prefix="md/m", type="upload", metadata=True)["resources"]
    assert [r["metadata"]["size"] for r in listed] == [5, 5]
    without = cloudinary.api.resources(prefix="md/m", type="upload")["resources"]
    assert all("metadata" not in r for r in without)
    by_ids = cloudinary.api.resources_by_ids(["md/m1"], metadata=True)["resources"]
    assert by_ids[0]["metadata"]["title"] == "md/m1"


def test_field_and_entry_deletion_reach_assets(fields: None, png: Path) -> None:
    add_standard_fields()
    cloudinary.uploader.upload(
        str(png), public_id="md/del", metadata={"title": "x", "color": "red", "colors": ["blue"]}
    )
    cloudinary.api.delete_metadata_field("title")
    assert stored("md/del") == {"color": "red", "colors": ["blue"]}
    cloudinary.api.delete_datasource_entries("color", ["green"])
    with pytest.raises(BadRequest, match="color: 'green' is not an active"):
        cloudinary.uploader.update_metadata({"color": "green"}, ["md/del"])
    cloudinary.api.restore_metadata_field_datasource("color", ["green"])
    cloudinary.uploader.update_metadata({"color": "green"}, ["md/del"])
    assert stored("md/del")["color"] == "green"
    # a field re-created under the same external id starts without values
    cloudinary.api.add_metadata_field({"external_id": "title", "label": "T", "type": "string"})
    assert "title" not in stored("md/del")


def test_metadata_as_json_and_pipe_strings(fields: None, png: Path) -> None:
    add_standard_fields()
    as_json = cloudinary.uploader.upload(
        str(png), public_id="md/json", metadata='{"size": 3, "colors": ["red", "green"]}'
    )
    assert as_json["metadata"] == {"size": 3, "colors": ["red", "green"]}
    piped = cloudinary.uploader.upload(
        str(png), public_id="md/pipe", metadata='title=x\\=y\\|z|colors=["blue"]'
    )
    assert piped["metadata"] == {"title": "x=y|z", "colors": ["blue"]}
