"""Reading the search bar, the advanced search panel and the bulk-delete criteria, from a
query string or a JSON body, into ``console_search.Criteria``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams

from cloudlet.errors import BadRequestError
from cloudlet.services import console_search
from cloudlet.services.console_browse import checked_folder

LISTS = ("resource_types", "formats", "tags", "context_keys")
NUMBERS = ("min_bytes", "max_bytes", "min_width", "max_width", "min_height", "max_height")
FIELDS = ("q", "folder_scope", "uploaded_after", "uploaded_before", *LISTS, *NUMBERS)


def _values(source: Mapping[str, Any] | QueryParams, name: str) -> list[str]:
    """A list criterion: repeated keys, a JSON list, or one comma-separated string."""
    raw: list[Any]
    if isinstance(source, QueryParams):
        raw = source.getlist(name)
    else:
        value = source.get(name)
        raw = value if isinstance(value, list) else [value] if value else []
    items = [part.strip() for item in raw for part in str(item).split(",")]
    return list(dict.fromkeys(item for item in items if item))


def _number(source: Mapping[str, Any] | QueryParams, name: str) -> int | None:
    raw = str(source.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadRequestError(f"{name} must be a whole number")
    return int(raw)


def criteria_from(source: Mapping[str, Any] | QueryParams) -> console_search.Criteria:
    """The criteria a form or JSON body names (missing fields: no constraint)."""
    types = _values(source, "resource_types")
    unknown = [t for t in types if t not in ("image", "video", "raw")]
    if unknown:
        raise BadRequestError(f"Invalid resource type {unknown[0]}")
    return console_search.Criteria(
        text=str(source.get("q") or "").strip(),
        folder=checked_folder(str(source.get("folder_scope") or "")),
        resource_types=tuple(types),
        formats=tuple(_values(source, "formats")),
        tags=tuple(_values(source, "tags")),
        context_keys=tuple(_values(source, "context_keys")),
        uploaded_after=console_search.parse_day(
            str(source.get("uploaded_after") or ""), "uploaded_after"
        ),
        uploaded_before=console_search.parse_day(
            str(source.get("uploaded_before") or ""), "uploaded_before"
        ),
        **{name: _number(source, name) for name in NUMBERS},
    )
