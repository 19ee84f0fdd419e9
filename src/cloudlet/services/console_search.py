"""What the Media Explorer's search bar and advanced search panel ask: ``Criteria``, written
as a Search API expression (``expression_for``), and the search itself (``search``): one call
to the Search API's service with that expression, so the UI finds exactly what the Inspect
snippets find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError
from cloudlet.services.deps import Deps
from cloudlet.services.search import predicate_for, search_resources

_RESERVED = set('!(){}[]*^~?:\\=&><" \t')


@dataclass(frozen=True)
class Criteria:
    """Free text plus the advanced panel. Different criteria are ANDed; the values of one
    criterion (resource types, formats, tags, context keys) are ORed."""

    text: str = ""
    folder: str = ""  # this folder and its subfolders
    resource_types: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    context_keys: tuple[str, ...] = ()
    uploaded_after: date | None = None  # inclusive
    uploaded_before: date | None = None  # inclusive
    min_bytes: int | None = None
    max_bytes: int | None = None
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None

    @property
    def ranges(self) -> dict[str, tuple[int | None, int | None]]:
        """The numeric criteria: field → (least, most), either may be None."""
        return {
            "bytes": (self.min_bytes, self.max_bytes),
            "width": (self.min_width, self.max_width),
            "height": (self.min_height, self.max_height),
        }

    @property
    def empty(self) -> bool:
        """Whether nothing at all was asked."""
        return not expression_for(self)


def escape_term(text: str) -> str:
    """A search term with the reserved characters backslash-escaped (B2.2)."""
    return "".join("\\" + ch if ch in _RESERVED else ch for ch in text)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("*", "\\*") + '"'


def _any_of(field_name: str, operator: str, values: tuple[str, ...]) -> str:
    terms = [f"{field_name}{operator}{_quoted(v)}" for v in values]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def expression_for(criteria: Criteria) -> str:
    """The Search API expression of the criteria (empty: everything)."""
    parts: list[str] = []
    if criteria.text.strip():
        parts.append(_quoted(criteria.text.strip()))
    if criteria.folder:
        parts.append(f"public_id:{escape_term(criteria.folder + '/')}*")
    if criteria.resource_types:
        parts.append(_any_of("resource_type", ":", criteria.resource_types))
    if criteria.formats:
        parts.append(_any_of("format", ":", criteria.formats))
    if criteria.tags:
        parts.append(_any_of("tags", "=", criteria.tags))
    if criteria.context_keys:
        keys = [f"context.{escape_term(k)}:*" for k in criteria.context_keys]
        parts.append(keys[0] if len(keys) == 1 else "(" + " OR ".join(keys) + ")")
    if criteria.uploaded_after:
        parts.append(f'uploaded_at>="{criteria.uploaded_after.isoformat()}"')
    if criteria.uploaded_before:
        parts.append(f'uploaded_at<="{criteria.uploaded_before.isoformat()}"')
    for name, (low, high) in criteria.ranges.items():
        if low is not None:
            parts.append(f"{name}>={low}")
        if high is not None:
            parts.append(f"{name}<={high}")
    return " AND ".join(parts)


def search(
    deps: Deps, cloud: Cloud, criteria: Criteria, *, max_results: int = 50, cursor: str = ""
) -> dict[str, Any]:
    """The Search API's answer for the criteria (``total_count``, ``resources`` with tags and
    context, ``next_cursor``), newest first: one call to the search service with
    ``expression_for(criteria)``, the same call the Inspect snippets show."""
    params: dict[str, Any] = {
        "expression": expression_for(criteria),
        "sort_by": [{"created_at": "desc"}],
        "max_results": max_results,
        "with_field": ["tags", "context"],
    }
    if cursor:
        params["next_cursor"] = cursor
    return search_resources(deps, cloud, params)


def matching_assets(deps: Deps, cloud: Cloud, criteria: Criteria) -> list[Asset]:
    """Every asset the criteria select (bulk delete by criteria previews and deletes these),
    read a page at a time through the same compiled search."""
    predicate = predicate_for(deps, expression_for(criteria))
    found: list[Asset] = []
    cursor: str | None = None
    while True:
        page = deps.catalog.search_assets(
            cloud.id, predicate, sort=[("created_at", True)], max_results=500, cursor=cursor
        )
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return found


def parse_day(raw: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` form value (empty: None)."""
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise BadRequestError(f"Invalid {name}: use YYYY-MM-DD") from None
