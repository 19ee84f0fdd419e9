"""What the Media Explorer's search bar and advanced search panel ask: ``Criteria``, written
as a Search API expression (``expression_for``), and the search itself (``search``).

STOPGAP until the Search API (issue 7) lands: ``search`` filters the cloud's assets in Python
with the criteria. When ``services`` has the real search, ``search`` becomes one call to it
with ``{"expression": expression_for(criteria), …}`` and ``_matches`` goes away; the UI, the
Inspect snippets and the tests already use the expression.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError
from cloudlet.services.deps import Deps
from cloudlet.services.presenter import brief_resource

_RESERVED = set('!(){}[]*^~?:\\=&><" \t')
MAX_RESULTS = 500
_SCAN_LIMIT = 20_000  # STOPGAP: the most assets one search looks at


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
    """The Search API's answer (``total_count``, ``resources`` with tags and context,
    ``next_cursor``), newest first. STOPGAP: see the module docstring."""
    if not 1 <= max_results <= MAX_RESULTS:
        raise BadRequestError(f"max_results must be between 1 and {MAX_RESULTS}")
    offset = _offset(cursor)
    found = sorted(_matching(deps, cloud, criteria), key=lambda a: (a.created_at, a.id))
    found.reverse()
    page = found[offset : offset + max_results]
    body: dict[str, Any] = {
        "total_count": len(found),
        "time": 0,
        "resources": [
            brief_resource(deps.settings, cloud, a, tags=True, context=True) for a in page
        ],
    }
    if offset + max_results < len(found):
        body["next_cursor"] = base64.urlsafe_b64encode(
            f"o:{offset + max_results}".encode()
        ).decode()
    return body


def matching_assets(deps: Deps, cloud: Cloud, criteria: Criteria) -> list[Asset]:
    """Every asset the criteria select (bulk delete by criteria previews and deletes these)."""
    return list(_matching(deps, cloud, criteria))


def _offset(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "o":
            raise ValueError(kind)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("Invalid next_cursor") from None


def _matching(deps: Deps, cloud: Cloud, criteria: Criteria) -> Iterator[Asset]:
    for count, asset in enumerate(deps.catalog.iter_all_assets(cloud.id)):
        if count >= _SCAN_LIMIT:
            return
        if _matches(asset, criteria):
            yield asset


def _matches(asset: Asset, c: Criteria) -> bool:
    """STOPGAP: the criteria evaluated in Python."""
    uploaded = asset.uploaded_at.date()
    checks = [
        not c.text.strip() or _text_matches(asset, c.text.strip().lower()),
        not c.folder or asset.public_id.startswith(c.folder + "/"),
        not c.resource_types or asset.resource_type in c.resource_types,
        not c.formats or asset.format.lower() in {f.lower() for f in c.formats},
        not c.tags or bool(set(asset.tags) & set(c.tags)),
        not c.context_keys or bool(set(asset.context) & set(c.context_keys)),
        c.uploaded_after is None or uploaded >= c.uploaded_after,
        c.uploaded_before is None or uploaded <= c.uploaded_before,
    ]
    values = {"bytes": asset.bytes, "width": asset.width, "height": asset.height}
    for name, (low, high) in c.ranges.items():
        value = values[name]
        checks.append(low is None or (value is not None and value >= low))
        checks.append(high is None or (value is not None and value <= high))
    return all(checks)


def _text_matches(asset: Asset, text: str) -> bool:
    fields = [asset.public_id, asset.display_name, asset.original_filename, asset.format]
    fields += list(asset.tags) + list(asset.context.values())
    return any(text in value.lower() for value in fields)


def parse_day(raw: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` form value (empty: None)."""
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise BadRequestError(f"Invalid {name}: use YYYY-MM-DD") from None
