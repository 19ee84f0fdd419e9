"""The Admin API's structured metadata fields (``/metadata_fields``): definitions, their
validation rules and default values, and the datasources of enum and set fields.

A definition is checked whole before it is stored: its type, its validation rule (``strlen``
for strings; ``greater_than``/``less_than`` for integers and dates; ``and``/``or`` of those),
its datasource, and its default value against all of them. Mandatory fields need a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cloudlet.catalog.metadata import DatasourceEntry, MetadataField
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError, BadRequestError, NotFoundError
from cloudlet.services import ids
from cloudlet.services.deps import Deps
from cloudlet.services.metadata import FIELD_TYPES, check_value, is_empty, typed_value
from cloudlet.services.values import as_bool, as_list, as_str

LIST_TYPES = ("enum", "set")
RULES_FOR = {
    "string": ("strlen",),
    "integer": ("greater_than", "less_than"),
    "date": ("greater_than", "less_than"),
}
FIELD_ORDER = ("label", "external_id", "created_at")
DATASOURCE_ORDER = ("value", "created_at")
MAX_ENTRIES = 3000


# -- presentation ---------------------------------------------------------------------------
def _entry(entry: DatasourceEntry) -> dict[str, Any]:
    return {"external_id": entry.external_id, "value": entry.value, "state": entry.state}


def present_field(field: MetadataField) -> dict[str, Any]:
    """A field as the Admin API returns it."""
    body: dict[str, Any] = {
        "type": field.type,
        "external_id": field.external_id,
        "label": field.label,
        "mandatory": field.mandatory,
        "default_value": field.default_value,
        "validation": field.validation,
        "default_disabled": field.default_disabled,
        "restrictions": field.restrictions or {},
    }
    if field.type in LIST_TYPES:
        body["datasource"] = {"values": [_entry(e) for e in field.datasource]}
        body["allow_dynamic_list_values"] = field.allow_dynamic_list_values
    return body


def present_datasource(field: MetadataField) -> dict[str, Any]:
    """The datasource calls' answer: the active entries, in order."""
    return {"values": [_entry(e) for e in field.datasource if e.state == "active"]}


# -- checking definitions -------------------------------------------------------------------
def _bad(external_id: str, text: str) -> BadRequestError:
    return BadRequestError(f"Metadata field {external_id}: {text}")


def check_rule(field: MetadataField, rule: Any) -> None:
    """A validation rule fits the field's type, recursively for ``and``/``or``."""
    if not isinstance(rule, dict):
        raise _bad(field.external_id, "validation must be an object")
    kind = rule.get("type")
    if kind in ("and", "or"):
        rules = rule.get("rules")
        if not isinstance(rules, list) or not rules:
            raise _bad(field.external_id, f"an {kind} validation needs a list of rules")
        for sub in rules:
            check_rule(field, sub)
        return
    if kind not in RULES_FOR.get(field.type, ()):
        raise _bad(field.external_id, f"validation {kind!r} is not valid for a {field.type} field")
    if kind == "strlen":
        _check_strlen(field, rule)
        return
    if "value" not in rule:
        raise _bad(field.external_id, f"a {kind} validation needs a value")
    rule["value"] = typed_value(field, rule["value"])
    if "equals" in rule and not isinstance(rule["equals"], bool):
        raise _bad(field.external_id, "validation 'equals' must be true or false")


def _check_strlen(field: MetadataField, rule: dict[str, Any]) -> None:
    bounds = [rule.get(k) for k in ("min", "max")]
    if all(b is None for b in bounds):
        raise _bad(field.external_id, "a strlen validation needs min and/or max")
    for bound in bounds:
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
            raise _bad(field.external_id, "strlen min and max must be integers")


def _entries(external_id: str, raw: Any) -> list[tuple[str, str]]:
    """Datasource entries from ``{"values": [...]}`` or a bare list; ids generated if absent."""
    values = raw.get("values") if isinstance(raw, dict) else raw
    if not isinstance(values, list):
        raise _bad(external_id, "datasource must be an object with a list of values")
    if len(values) > MAX_ENTRIES:
        raise _bad(external_id, f"a datasource holds at most {MAX_ENTRIES} values")
    result: dict[str, str] = {}
    for item in values:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise _bad(external_id, "every datasource value needs a string 'value'")
        if not item["value"].strip():
            raise _bad(external_id, "datasource values cannot be empty")
        entry_id = str(item.get("external_id") or ids.new_hex_id())
        if entry_id in result:
            raise _bad(external_id, f"datasource external_id {entry_id} is repeated")
        result[entry_id] = item["value"]
    return list(result.items())


def _check_definition(field: MetadataField) -> None:
    """Validation rule, mandatory/default and the default value against everything."""
    if field.validation is not None:
        check_rule(field, field.validation)
    if field.mandatory and is_empty(field.default_value):
        raise _bad(field.external_id, "a mandatory field needs a default_value")
    if not is_empty(field.default_value):
        try:
            check_value(field, field.default_value)
        except BadRequestError as exc:
            raise BadRequestError(f"Invalid default_value: {exc.message}") from None


def _dict_param(params: Mapping[str, Any], name: str, external_id: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad(external_id, f"{name} must be a JSON object")
    return dict(value)


def _normal_default(field: MetadataField) -> Any:
    return None if is_empty(field.default_value) else check_value(field, field.default_value)


# -- use cases ------------------------------------------------------------------------------
def find_field(deps: Deps, cloud: Cloud, external_id: str) -> MetadataField:
    """The field or NotFoundError."""
    field = deps.catalog.get_metadata_field(cloud.id, external_id)
    if field is None:
        raise NotFoundError(f"Metadata field {external_id} not found")
    return field


def list_fields(deps: Deps, cloud: Cloud) -> dict[str, Any]:
    """``GET /metadata_fields``."""
    return {
        "metadata_fields": [present_field(f) for f in deps.catalog.list_metadata_fields(cloud.id)]
    }


def get_field(deps: Deps, cloud: Cloud, external_id: str) -> dict[str, Any]:
    """``GET /metadata_fields/{external_id}``."""
    return present_field(find_field(deps, cloud, external_id))


def create_field(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /metadata_fields``: check the whole definition, then store it."""
    kind = as_str(params, "type")
    if kind is None:
        raise BadRequestError("Missing required parameter - type")
    if kind not in FIELD_TYPES:
        raise BadRequestError(
            f"Invalid metadata field type {kind}: expected one of {', '.join(FIELD_TYPES)}"
        )
    external_id = as_str(params, "external_id") or ids.new_hex_id()
    label = as_str(params, "label")
    if not label:
        raise _bad(external_id, "Missing required parameter - label")
    entries: list[tuple[str, str]] = []
    if kind in LIST_TYPES:
        if params.get("datasource") is None:
            raise _bad(external_id, f"an {kind} field needs a datasource")
        entries = _entries(external_id, params.get("datasource"))
    field = MetadataField(
        id=0, external_id=external_id, type=kind, label=label,
        mandatory=as_bool(params, "mandatory"), default_value=params.get("default_value"),
        default_disabled=as_bool(params, "default_disabled"),
        validation=_dict_param(params, "validation", external_id),
        restrictions=_dict_param(params, "restrictions", external_id),
        allow_dynamic_list_values=as_bool(params, "allow_dynamic_list_values"),
        position=0, created_at=deps.now(),
        datasource=tuple(DatasourceEntry(e, v, "active", 0, deps.now()) for e, v in entries),
    )  # fmt: skip
    _check_definition(field)
    columns = _columns(field)
    columns.update(external_id=external_id, type=kind)
    try:
        stored = deps.catalog.create_metadata_field(cloud.id, columns, entries, deps.now())
    except AlreadyExistsError as exc:
        raise BadRequestError(exc.message) from None  # Cloudinary answers 400 here
    return present_field(stored)


def _columns(field: MetadataField) -> dict[str, Any]:
    return {
        "label": field.label,
        "mandatory": field.mandatory,
        "default_value": _normal_default(field),
        "default_disabled": field.default_disabled,
        "validation": field.validation,
        "restrictions": field.restrictions,
        "allow_dynamic_list_values": field.allow_dynamic_list_values,
    }


def update_field(
    deps: Deps, cloud: Cloud, external_id: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``PUT /metadata_fields/{external_id}``: type and external_id cannot change (ignored)."""
    field = find_field(deps, cloud, external_id)
    changes: dict[str, Any] = {}
    if as_str(params, "label"):
        changes["label"] = as_str(params, "label")
    for name in ("mandatory", "default_disabled", "allow_dynamic_list_values"):
        if name in params:
            changes[name] = as_bool(params, name)
    for name in ("validation", "restrictions"):
        if name in params:
            changes[name] = _dict_param(params, name, external_id)
    if "default_value" in params:
        changes["default_value"] = params["default_value"]
    entries = None
    if field.type in LIST_TYPES and params.get("datasource") is not None:
        entries = _entries(external_id, params.get("datasource"))
    updated = _merged(field, changes, entries or [], deps)
    _check_definition(updated)
    columns = {k: v for k, v in _columns(updated).items() if k in changes}
    stored = deps.catalog.update_metadata_field(cloud.id, external_id, columns, entries, deps.now())
    return present_field(stored)


def _merged(
    field: MetadataField, changes: dict[str, Any], entries: list[tuple[str, str]], deps: Deps
) -> MetadataField:
    """The field as it would be after the update (to check it before storing)."""
    datasource = {e.external_id: e for e in field.datasource}
    for entry_id, value in entries:
        datasource[entry_id] = DatasourceEntry(entry_id, value, "active", 0, deps.now())
    return replace(field, **changes, datasource=tuple(datasource.values()))


def delete_field(deps: Deps, cloud: Cloud, external_id: str) -> dict[str, Any]:
    """``DELETE /metadata_fields/{external_id}``: assets lose their values for it."""
    if not deps.catalog.delete_metadata_field(cloud.id, external_id):
        raise NotFoundError(f"Metadata field {external_id} not found")
    return {"message": "ok"}


def _list_field(deps: Deps, cloud: Cloud, external_id: str) -> MetadataField:
    field = find_field(deps, cloud, external_id)
    if field.type not in LIST_TYPES:
        raise _bad(external_id, f"a {field.type} field has no datasource")
    return field


def update_datasource(
    deps: Deps, cloud: Cloud, external_id: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``PUT /metadata_fields/{id}/datasource``: add entries, change values of known ids."""
    _list_field(deps, cloud, external_id)
    entries = _entries(external_id, {"values": params.get("values")})
    if not entries:
        raise _bad(external_id, "Missing required parameter - values")
    stored = deps.catalog.update_metadata_field(cloud.id, external_id, {}, entries, deps.now())
    return present_datasource(stored)


def change_entries_state(
    deps: Deps, cloud: Cloud, external_id: str, params: Mapping[str, Any], *, active: bool
) -> dict[str, Any]:
    """``DELETE …/datasource`` (deactivate) and ``POST …/datasource_restore`` (reactivate)."""
    field = _list_field(deps, cloud, external_id)
    wanted = as_list(params, "external_ids")
    if not wanted:
        raise _bad(external_id, "Missing required parameter - external_ids")
    known = {e.external_id for e in field.datasource}
    unknown = [e for e in wanted if e not in known]
    if unknown:
        raise NotFoundError(
            f"Metadata field {external_id}: datasource entry {unknown[0]} not found"
        )
    state = "active" if active else "inactive"
    stored = deps.catalog.set_datasource_state(cloud.id, external_id, wanted, state)
    return present_datasource(stored)


def _direction(params: Mapping[str, Any]) -> bool:
    """True for descending; ``asc`` is the default."""
    direction = (as_str(params, "direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise BadRequestError(f"Invalid direction {direction}: expected asc or desc")
    return direction == "desc"


def order_datasource(
    deps: Deps, cloud: Cloud, external_id: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST …/datasource/order``: ``order_by`` value or created_at, ``direction``."""
    field = _list_field(deps, cloud, external_id)
    order_by = as_str(params, "order_by")
    if order_by not in DATASOURCE_ORDER:
        raise BadRequestError(f"Invalid order_by {order_by}: expected value or created_at")
    descending = _direction(params)
    key = (lambda e: e.value) if order_by == "value" else (lambda e: e.created_at)
    ordered = sorted(field.datasource, key=key, reverse=descending)
    stored = deps.catalog.order_datasource(cloud.id, external_id, [e.external_id for e in ordered])
    return present_datasource(stored)


def order_fields(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /metadata_fields/order``: ``order_by`` label, external_id or created_at."""
    order_by = as_str(params, "order_by")
    if order_by not in FIELD_ORDER:
        raise BadRequestError(
            f"Invalid order_by {order_by}: expected label, external_id or created_at"
        )
    descending = _direction(params)
    fields = deps.catalog.list_metadata_fields(cloud.id)
    ordered = sorted(fields, key=lambda f: getattr(f, order_by), reverse=descending)
    deps.catalog.order_metadata_fields(cloud.id, [f.external_id for f in ordered])
    return list_fields(deps, cloud)
