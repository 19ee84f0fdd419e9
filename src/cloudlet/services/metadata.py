"""Structured metadata values on assets: parsing the ``metadata`` parameter, checking each value
against its field (type, datasource, validation rules, mandatory), and the Upload API's
``metadata`` action (``uploader.update_metadata``).

Every value is checked before anything is written, so an invalid value changes nothing; the
error names the field. Values are kept in a normal form: strings, integers, ``YYYY-MM-DD``
dates, the external id of an active datasource entry (enum) or a list of them (set).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from cloudlet.catalog.metadata import MetadataField
from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services.deps import Deps
from cloudlet.services.encodings import parse_context
from cloudlet.services.values import as_list, as_str, whole_number

FIELD_TYPES = ("string", "integer", "date", "enum", "set")
MAX_PUBLIC_IDS = 1000
ASSET_RESOURCE_TYPES = ("image", "video", "raw")

Changes = dict[int, Any]
"""field id → new value, or None to remove the asset's value."""


def parse_metadata(raw: Any) -> dict[str, Any]:
    """The ``metadata`` parameter as {external_id: value}: a dict, a JSON object, or the SDKs'
    ``id=value|id2=["a","b"]`` encoding (``\\=`` and ``\\|`` escaped, lists as JSON)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items()}
    if not isinstance(raw, str):
        raise BadRequestError("Invalid metadata: expected 'external_id=value|…' or a JSON object")
    if raw.lstrip().startswith("{"):
        try:
            loaded = json.loads(raw)
        except ValueError as exc:
            raise BadRequestError(f"Invalid metadata JSON: {exc}") from None
        except RecursionError:  # nested deeper than the parser's stack: was a 500
            raise BadRequestError("Invalid metadata JSON: nested too deeply") from None
        if not isinstance(loaded, dict):
            raise BadRequestError("Invalid metadata JSON: expected an object")
        return parse_metadata(loaded)
    return {key: _decode(text) for key, text in parse_context(raw).items()}


def _decode(text: str) -> Any:
    """A pipe-encoded value: JSON arrays (set values) are decoded, anything else is text."""
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except (ValueError, RecursionError):
            return text
        if isinstance(loaded, list):
            return loaded
    return text


def _problem(field: MetadataField, text: str) -> BadRequestError:
    return BadRequestError(f"Metadata field {field.external_id}: {text}")


def is_empty(value: Any) -> bool:
    """Whether ``value`` means "no value" (it removes the asset's value)."""
    return value is None or value == "" or value == []


def check_value(field: MetadataField, value: Any, *, entries: Iterable[str] | None = None) -> Any:
    """``value`` in normal form for ``field`` (see the module docstring), or BadRequestError
    naming the field. ``entries``: the allowed datasource ids (default: the active ones)."""
    allowed = set(field.active_ids() if entries is None else entries)
    if field.type == "set":
        items = value if isinstance(value, list) else [value]
        checked = [_entry_id(field, item, allowed) for item in items if not is_empty(item)]
        return list(dict.fromkeys(checked))
    if isinstance(value, list | dict):
        raise _problem(field, f"expected a single {field.type} value, got {json.dumps(value)}")
    if field.type == "enum":
        return _entry_id(field, value, allowed)
    normal = typed_value(field, value)
    if field.validation and not passes(field.validation, normal):
        raise _problem(field, f"value {normal!r} does not satisfy the field's validation")
    return normal


def _entry_id(field: MetadataField, value: Any, allowed: set[str]) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    if text not in allowed:
        raise _problem(field, f"{text!r} is not an active datasource entry of the field")
    return text


def typed_value(field: MetadataField, value: Any) -> Any:
    """A string, integer or date value checked for its type only."""
    if field.type == "integer":
        number = whole_number(value)
        if number is None:
            raise _problem(field, f"value {value!r} is not an integer")
        return number
    if field.type == "date":
        parsed = _date(value)
        if parsed is None:
            raise _problem(field, f"value {value!r} is not a date (YYYY-MM-DD)")
        return parsed
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _problem(field, f"value {value!r} is not a string")
    return str(value)


def _date(value: Any) -> str | None:
    if not isinstance(value, str) or len(value.strip()) != 10:
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def passes(rule: Mapping[str, Any], value: Any) -> bool:
    """Whether ``value`` (normal form) satisfies a validation rule (``and``/``or``,
    ``strlen`` with ``min``/``max``, ``greater_than``/``less_than`` with ``equals``)."""
    kind = rule.get("type")
    if kind in ("and", "or"):
        results = [passes(sub, value) for sub in rule.get("rules", [])]
        return all(results) if kind == "and" else any(results)
    if kind == "strlen":
        low, high = rule.get("min"), rule.get("max")
        return (low is None or len(value) >= low) and (high is None or len(value) <= high)
    limit, equals = rule.get("value"), bool(rule.get("equals", False))
    if kind == "greater_than":
        return bool(value > limit or (equals and value == limit))
    if kind == "less_than":
        return bool(value < limit or (equals and value == limit))
    return True


def resolve(fields: Iterable[MetadataField], raw: Mapping[str, Any]) -> Changes:
    """Check every given value against its field; unknown fields are refused by name."""
    by_id = {f.external_id: f for f in fields}
    changes: Changes = {}
    for external_id, value in raw.items():
        field = by_id.get(external_id)
        if field is None:
            raise BadRequestError(f"Metadata field {external_id} does not exist")
        checked = None if is_empty(value) else check_value(field, value)
        changes[field.id] = None if is_empty(checked) else checked
    return changes


def upload_values(deps: Deps, cloud: Cloud, options: Mapping[str, Any]) -> dict[int, Any]:
    """A new upload's metadata: the fields' default values (unless ``default_disabled``)
    overlaid with the ``metadata`` parameter; every mandatory field must end with a value."""
    raw = parse_metadata(options.get("metadata"))
    fields = deps.catalog.list_metadata_fields(cloud.id)
    if not fields and not raw:
        return {}
    values = {
        f.id: f.default_value
        for f in fields
        if not is_empty(f.default_value) and not f.default_disabled
    }
    for field_id, value in resolve(fields, raw).items():
        if value is None:
            values.pop(field_id, None)
        else:
            values[field_id] = value
    for field in fields:
        if field.mandatory and field.id not in values:
            raise _problem(field, "the field is mandatory and needs a value")
    return values


def changes_for(deps: Deps, cloud_id: int, raw_param: Any) -> Changes:
    """The changes a ``metadata`` parameter asks of an existing asset (mandatory fields cannot
    be emptied)."""
    raw = parse_metadata(raw_param)
    if not raw:
        return {}
    fields = deps.catalog.list_metadata_fields(cloud_id)
    changes = resolve(fields, raw)
    for field in fields:
        if field.mandatory and field.id in changes and changes[field.id] is None:
            raise _problem(field, "the field is mandatory and cannot be emptied")
    return changes


def apply_changes(deps: Deps, asset: Asset, changes: Changes) -> None:
    """Write checked changes to one asset (nothing to do when there are none)."""
    if changes:
        deps.catalog.change_asset_metadata([(asset.id, changes)], deps.now())


def metadata_of(deps: Deps, asset: Asset) -> dict[str, Any]:
    """The asset's values as {external_id: value}."""
    return deps.catalog.asset_metadata([asset.id]).get(asset.id, {})


def add_metadata(deps: Deps, body: dict[str, Any], asset: Asset) -> dict[str, Any]:
    """Add ``metadata`` to an asset response when the asset has values; returns ``body``."""
    values = metadata_of(deps, asset)
    if values:
        body["metadata"] = values
    return body


def add_listing_metadata(deps: Deps, items: list[dict[str, Any]], assets: list[Asset]) -> None:
    """``metadata=true`` on listings: every item gets ``metadata`` (``{}`` when none)."""
    found = deps.catalog.asset_metadata([a.id for a in assets])
    for item, asset in zip(items, assets, strict=True):
        item["metadata"] = found.get(asset.id, {})


def update_metadata(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST /{rt}/metadata``: set values on many assets at once, all or nothing."""
    if resource_type not in ASSET_RESOURCE_TYPES:
        raise BadRequestError(f"Invalid resource type {resource_type}")
    public_ids = list(dict.fromkeys(as_list(params, "public_ids")))
    if not public_ids:
        raise BadRequestError("Missing required parameter - public_ids")
    if len(public_ids) > MAX_PUBLIC_IDS:
        raise BadRequestError(f"Too many public_ids: at most {MAX_PUBLIC_IDS} per request")
    if is_empty(params.get("metadata")):
        raise BadRequestError("Missing required parameter - metadata")
    changes = changes_for(deps, cloud.id, params.get("metadata"))
    kind = as_str(params, "type") or "upload"
    assets = deps.catalog.get_assets_by_public_ids(
        cloud.id, resource_type, kind, public_ids, with_tags=False
    )
    found = {a.public_id for a in assets}
    missing = [p for p in public_ids if p not in found]
    if missing:
        raise NotFoundError(f"Resource not found - {missing[0]}")
    deps.catalog.change_asset_metadata([(a.id, changes) for a in assets], deps.now())
    return {"public_ids": [a.public_id for a in assets]}
