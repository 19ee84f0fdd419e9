"""Cursor encoding and the prefix range, without a database."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.catalog.assets import _successor
from cloudlet.catalog.cursor import clamp_max_results, decode_cursor, encode_cursor
from cloudlet.errors import BadRequestError

WHEN = datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)


def test_cursor_round_trip() -> None:
    cursor = encode_cursor("created_at:desc", [WHEN.isoformat(), 42])
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, "created_at:desc", (datetime, int)) == [WHEN, 42]


def test_cursor_of_another_ordering_is_refused() -> None:
    cursor = encode_cursor("public_id", ["a", 1])
    with pytest.raises(BadRequestError, match="Invalid next_cursor"):
        decode_cursor(cursor, "created_at:asc", (datetime, int))


@pytest.mark.parametrize("value", [0, -5, 1, 10, 500, 501, 10**9])
def test_clamp(value: int) -> None:
    assert clamp_max_results(value) == max(1, min(value, 500))


@given(st.text(min_size=1), st.text())
def test_successor_bounds_exactly_the_strings_with_the_prefix(prefix: str, rest: str) -> None:
    upper = _successor(prefix)
    candidate = prefix + rest
    assert candidate >= prefix
    assert upper is None or candidate < upper
    other = rest + prefix
    if not other.startswith(prefix) and other >= prefix:
        assert upper is not None and other >= upper


def test_successor_edges() -> None:
    assert _successor("ab") == "ac"
    assert _successor("a\U0010ffff") == "b"
    assert _successor("\U0010ffff") is None
    assert _successor("\ud7ff") == "\ue000"


@given(st.binary())
def test_random_bytes_never_crash(raw: bytes) -> None:
    with contextlib.suppress(BadRequestError):
        decode_cursor(raw.decode("latin-1"), "public_id", (str, int))


@pytest.mark.parametrize(
    "key",
    [["a", True], ["a", -1], ["a", 2**63], ["a", 1.5], ["a\x00", 1], [None, 1], [["a"], 1]],
)
def test_cursor_values_outside_what_the_database_takes(key: list[object]) -> None:
    with pytest.raises(BadRequestError, match="Invalid next_cursor"):
        decode_cursor(encode_cursor("public_id", key), "public_id", (str, int))
