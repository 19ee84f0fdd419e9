"""The Search API: ``POST /resources/search`` and ``/folders/search`` (transformations.md B2).

The expression is parsed and planned by ``cloudlet.search`` (a ``SearchError`` becomes a 400
naming the position) and compiled to SQL by the catalog; nothing is filtered here. The
signed GET form the SDKs build with ``Search.to_url`` is checked by ``search_by_url``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.catalog.search import MAX_RESULTS, Aggregation, Bucket
from cloudlet.errors import AuthenticationError, BadRequestError
from cloudlet.search import SearchError, parse, plan, plan_folders
from cloudlet.search.predicates import Predicate
from cloudlet.services.deps import Deps
from cloudlet.services.metadata import add_listing_metadata
from cloudlet.services.presenter import brief_resource, iso
from cloudlet.services.values import as_int, as_json, as_list, as_str

DEFAULT_MAX_RESULTS = 50
DEFAULT_SORT = (("created_at", True),)
# Always part of a resource, whatever ``fields`` asks for (B2.1).
ALWAYS = ("public_id", "asset_id", "asset_folder", "created_at", "status", "type", "resource_type")
WITH_FIELDS = {"tags", "context", "metadata", "image_metadata", "image_analysis",
               "quality_analysis", "accessibility_analysis"}  # fmt: skip
VALUE_AGGREGATES = ("format", "resource_type", "type")
RANGE_AGGREGATES = {
    "bytes": ("bytes", None),
    "image_pixels": ("pixels", "image"),
    "video_pixels": ("pixels", "video"),
    "duration": ("duration", None),
}


def predicate_for(deps: Deps, expression: str, *, folders: bool = False) -> Predicate:
    """The planned expression, or BadRequestError with the position of the problem."""
    try:
        tree = parse(expression)
        return plan_folders(tree, deps.now()) if folders else plan(tree, deps.now())
    except SearchError as exc:
        raise BadRequestError(exc.message) from None


def search_resources(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /resources/search``: the matching assets, their total and aggregations."""
    started = time.perf_counter()
    predicate = predicate_for(deps, as_str(params, "expression") or "")
    max_results = _max_results(params)
    found = deps.catalog.search_assets(
        cloud.id,
        predicate,
        sort=sort_by(params.get("sort_by")),
        max_results=max_results,
        cursor=as_str(params, "next_cursor"),
        aggregations=aggregations(params.get("aggregate")),
    )
    resources = present(deps, cloud, found.items, params)
    body: dict[str, Any] = {"total_count": found.total_count, "time": 0, "resources": resources}
    if found.next_cursor:
        body["next_cursor"] = found.next_cursor
    if params.get("aggregate"):
        body["aggregations"] = found.aggregations
    body["time"] = round((time.perf_counter() - started) * 1000)
    return body


def search_folders(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /folders/search``: folders by ``name`` and ``path``, sorted by path (or name)."""
    started = time.perf_counter()
    predicate = predicate_for(deps, as_str(params, "expression") or "", folders=True)
    order = sort_by(params.get("sort_by"), default=(("path", False),))
    if len(order) > 1 or order[0][0] not in ("path", "name"):
        raise BadRequestError("Folders can be sorted by one of path or name")
    found = deps.catalog.search_folders(
        cloud.id,
        predicate,
        descending=order[0][1],
        by_name=order[0][0] == "name",
        max_results=_max_results(params),
        cursor=as_str(params, "next_cursor"),
    )
    items = [{"name": path.rpartition("/")[2], "path": path} for path in found.items]
    body: dict[str, Any] = {"total_count": found.total_count, "time": 0, "folders": items}
    if found.next_cursor:
        body["next_cursor"] = found.next_cursor
    body["time"] = round((time.perf_counter() - started) * 1000)
    return body


def search_by_url(deps: Deps, cloud: Cloud, signature: str, ttl: str, rest: str) -> dict[str, Any]:
    """The GET form ``/{cloud}/search/{signature}/{ttl}/{b64query}[/{cursor}]`` that
    ``Search.to_url`` builds: SHA-256 hex of ``ttl + b64query + api_secret`` (protocol.md
    §2.7). The query is the JSON body in base64: URL-safe from the Python SDK, standard (it
    may hold '/') from the Node SDK, so the signature decides where the query ends."""
    for query, cursor in _url_parts(rest):
        expected = hashlib.sha256(f"{ttl}{query}{cloud.api_secret}".encode()).hexdigest()
        if hmac.compare_digest(expected, signature.lower()):
            params = _url_query(query)
            if cursor:
                params["next_cursor"] = cursor
            return search_resources(deps, cloud, params)
    raise AuthenticationError("Invalid search URL signature")


def _url_parts(rest: str) -> list[tuple[str, str | None]]:
    parts: list[tuple[str, str | None]] = [(rest, None)]
    if "/" in rest:
        query, _, cursor = rest.rpartition("/")
        parts.append((query, cursor))
    return parts


def _url_query(query: str) -> dict[str, Any]:
    text = query.replace("-", "+").replace("_", "/")
    try:
        decoded = base64.b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
        params = json.loads(decoded)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadRequestError("Invalid search query in URL") from None
    if not isinstance(params, dict):
        raise BadRequestError("Invalid search query in URL")
    return params


# -- parameters ----------------------------------------------------------------------------
def _max_results(params: Mapping[str, Any]) -> int:
    value = as_int(params, "max_results", DEFAULT_MAX_RESULTS, minimum=0, maximum=MAX_RESULTS)
    return DEFAULT_MAX_RESULTS if value is None else value


def sort_by(
    raw: Any, default: tuple[tuple[str, bool], ...] = DEFAULT_SORT
) -> list[tuple[str, bool]]:
    """``[{"created_at": "desc"}, {"public_id": "asc"}]`` (or the same as JSON text, or bare
    field names, which sort descending as the SDKs' ``sort_by(field)`` does)."""
    items = _json_list(raw, "sort_by")
    order: list[tuple[str, bool]] = []
    for item in items:
        pairs = item.items() if isinstance(item, dict) else [(item, "desc")]
        for name, direction in pairs:
            text = str(direction).lower()
            if text not in ("asc", "desc", "1", "-1"):
                raise BadRequestError(f"Invalid sort_by direction {direction!r}: use asc or desc")
            if str(name) not in {n for n, _ in order}:  # the first of a field wins
                order.append((str(name), text in ("desc", "-1")))
    return order or list(default)


def aggregations(raw: Any) -> list[Aggregation]:
    """``["format", {"type": "bytes", "ranges": [{"key": "small", "to": 500}, …]}]``."""
    found: dict[str, Aggregation] = {}
    for item in _json_list(raw, "aggregate"):
        if isinstance(item, str) and item in VALUE_AGGREGATES:
            found.setdefault(item, Aggregation(item, item))
        elif isinstance(item, dict) and item.get("type") in RANGE_AGGREGATES:
            name = str(item["type"])
            field, resource_type = RANGE_AGGREGATES[name]
            found.setdefault(name, Aggregation(name, field, _buckets(item), resource_type))
        else:
            allowed = ", ".join([*VALUE_AGGREGATES, *RANGE_AGGREGATES])
            raise BadRequestError(f"Invalid aggregate {item!r}: use one of {allowed}")
    return list(found.values())


def _buckets(item: dict[str, Any]) -> tuple[Bucket, ...]:
    ranges = item.get("ranges")
    if not isinstance(ranges, list) or not ranges:
        raise BadRequestError(f"Aggregate {item.get('type')} needs a list of ranges")
    buckets = []
    for entry in ranges:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise BadRequestError("Each aggregate range needs a key")
        buckets.append(Bucket(entry["key"], _bound(entry, "from"), _bound(entry, "to")))
    return tuple(buckets)


def _bound(entry: dict[str, Any], name: str) -> float | None:
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequestError(f"Aggregate range {name} must be a number")
    try:
        bound = float(value)  # an int past 1e308 overflows
    except OverflowError:
        bound = math.inf
    if not math.isfinite(bound):  # also NaN and Infinity, which JSON parsing lets through
        raise BadRequestError(f"Aggregate range {name} must be a finite number")
    return bound


def _json_list(raw: Any, name: str) -> list[Any]:
    value = as_json({name: raw}, name) if isinstance(raw, str) and raw[:1] in "[{" else raw
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


# -- the answer ----------------------------------------------------------------------------
def present(
    deps: Deps, cloud: Cloud, found: list[Asset], params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The resources as the Search API shows them: the listing shape plus search fields,
    ``with_field`` extras, and only ``fields`` (plus ``ALWAYS``) when asked."""
    extras = set(as_list(params, "with_field", split_commas=True))
    unknown = extras - WITH_FIELDS
    if unknown:
        raise BadRequestError(f"Invalid with_field {sorted(unknown)[0]!r}")
    fields = as_list(params, "fields", split_commas=True)
    if fields:  # ``fields`` takes precedence: its own tags/context/metadata come with it
        extras = set(fields) & WITH_FIELDS
    items = [search_resource(deps, cloud, asset, extras) for asset in found]
    if "metadata" in extras:
        add_listing_metadata(deps, items, found)
    if fields:
        keep = set(fields) | set(ALWAYS)
        items = [{k: v for k, v in item.items() if k in keep} for item in items]
    return items


def search_resource(deps: Deps, cloud: Cloud, asset: Asset, extras: set[str]) -> dict[str, Any]:
    """One resource of a search answer (protocol.md §3.3 SearchAsset)."""
    data = brief_resource(deps.settings, cloud, asset)
    folder, _, filename = asset.public_id.rpartition("/")
    data.update(
        {
            "folder": folder,
            "filename": filename,
            "uploaded_at": iso(asset.uploaded_at),
            "status": "active",
            "backup_bytes": 0,
            "etag": asset.etag,
            "last_updated": {"updated_at": iso(asset.updated_at)},
        }
    )
    if asset.width and asset.height:
        data["aspect_ratio"] = round(asset.width / asset.height, 5)
        data["pixels"] = asset.width * asset.height
    if asset.duration is not None:
        data["duration"] = asset.duration
    if "tags" in extras:
        data["tags"] = list(asset.tags)
    if "context" in extras:
        data["context"] = dict(asset.context)  # flat in search answers (protocol.md §3.3)
    if "image_metadata" in extras and isinstance(asset.extra.get("image_metadata"), dict):
        data["image_metadata"] = asset.extra["image_metadata"]
    return data
