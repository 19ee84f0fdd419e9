"""Parsing the ``metadata`` parameter and checking values against fields (pure, table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cloudlet.catalog.metadata import DatasourceEntry, MetadataField
from cloudlet.errors import BadRequestError
from cloudlet.services.metadata import check_value, parse_metadata, passes


def field(kind: str, validation: dict[str, Any] | None = None) -> MetadataField:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    entries = (
        DatasourceEntry("red", "Red", "active", 0, now),
        DatasourceEntry("old", "Old", "inactive", 1, now),
    )
    return MetadataField(
        1, "f", kind, "F", False, None, False, validation, None, False, 0, now, entries
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {}),
        ("", {}),
        ("a=1", {"a": "1"}),
        ('a=x\\=y\\|z|s=["p","q"]', {"a": "x=y|z", "s": ["p", "q"]}),
        ("a=[not json", {"a": "[not json"}),
        ("a=", {"a": ""}),
        ('{"n": 5, "s": ["x"]}', {"n": 5, "s": ["x"]}),
        ({"n": 5}, {"n": 5}),
    ],
)
def test_parse_metadata(raw: Any, expected: dict[str, Any]) -> None:
    assert parse_metadata(raw) == expected


@pytest.mark.parametrize("raw", ['{"a": ', "=1", 5, ["a=1"]])
def test_parse_metadata_refuses(raw: Any) -> None:
    with pytest.raises(BadRequestError):
        parse_metadata(raw)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("string", "x", "x"),
        ("string", 5, "5"),
        ("integer", "42", 42),
        ("integer", "-7", -7),
        ("integer", 3.0, 3),
        ("date", "2024-02-29", "2024-02-29"),
        ("enum", "red", "red"),
        ("set", "red", ["red"]),
        ("set", ["red", "red"], ["red"]),
    ],
)
def test_check_value_normalises(kind: str, value: Any, expected: Any) -> None:
    assert check_value(field(kind), value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("integer", "4.5"),
        ("integer", True),
        ("integer", "١٢"),  # non-ASCII digits
        ("date", "2023-02-29"),
        ("date", "2024-2-1"),
        ("enum", "old"),  # inactive
        ("enum", ["red"]),
        ("set", ["red", "blue"]),
        ("string", ["a"]),
        ("string", True),
    ],
)
def test_check_value_refuses_and_names_the_field(kind: str, value: Any) -> None:
    with pytest.raises(BadRequestError, match="^Metadata field f: "):
        check_value(field(kind), value)


@pytest.mark.parametrize(
    ("rule", "value", "ok"),
    [
        ({"type": "strlen", "min": 2}, "ab", True),
        ({"type": "strlen", "min": 2}, "a", False),
        ({"type": "strlen", "max": 2}, "abc", False),
        ({"type": "greater_than", "value": 5}, 5, False),
        ({"type": "greater_than", "value": 5, "equals": True}, 5, True),
        ({"type": "less_than", "value": "2024-01-02"}, "2024-01-01", True),
        (
            {"type": "and", "rules": [{"type": "greater_than", "value": 1},
                                      {"type": "less_than", "value": 3}]},
            3,
            False,
        ),
        (
            {"type": "or", "rules": [{"type": "less_than", "value": 1},
                                     {"type": "greater_than", "value": 3}]},
            4,
            True,
        ),
    ],
)  # fmt: skip
def test_validation_rules(rule: dict[str, Any], value: Any, ok: bool) -> None:
    assert passes(rule, value) is ok
