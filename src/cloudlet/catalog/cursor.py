"""Opaque keyset cursors: the last row's sort key plus the ordering it belongs to.

A cursor is urlsafe base64 (unpadded) of ``{"o": ordering, "k": [key...]}``. Because it names
a position in the ordering rather than an offset, it stays valid while rows come and go.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from cloudlet.errors import BadRequestError

MAX_RESULTS = 500
_INVALID = "Invalid next_cursor"


def clamp_max_results(max_results: int) -> int:
    """``max_results`` forced into 1..500 (callers validate; this is the backstop)."""
    return max(1, min(int(max_results), MAX_RESULTS))


def encode_cursor(ordering: str, key: list[Any]) -> str:
    """The cursor for the position after ``key`` in ``ordering``."""
    raw = json.dumps({"o": ordering, "k": key}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: str, types: tuple[type, ...]) -> list[Any]:
    """The key inside ``cursor``; BadRequestError unless it belongs to ``ordering`` and its
    items have ``types`` (``datetime`` items travel as ISO 8601 text)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise BadRequestError(_INVALID) from exc
    if not isinstance(data, dict) or data.get("o") != ordering:
        raise BadRequestError(_INVALID)
    key = data.get("k")
    if not isinstance(key, list) or len(key) != len(types):
        raise BadRequestError(_INVALID)
    return [_typed(item, kind) for item, kind in zip(key, types, strict=True)]


def _typed(item: Any, kind: type) -> Any:
    """``item`` as a ``kind`` the database accepts, or BadRequestError."""
    if kind is datetime:
        return _aware_datetime(item)
    if kind is int and type(item) is int and 0 <= item < 2**63:  # not bool, fits BIGINT
        return item
    if kind is str and isinstance(item, str) and "\x00" not in item:  # PostgreSQL refuses NUL
        return item
    raise BadRequestError(_INVALID)


def _aware_datetime(item: Any) -> datetime:
    try:
        value = datetime.fromisoformat(item)
    except (TypeError, ValueError) as exc:
        raise BadRequestError(_INVALID) from exc
    if value.tzinfo is None:
        raise BadRequestError(_INVALID)
    return value
