"""Admin API routes for structured metadata fields (``/v1_1/{cloud}/metadata_fields…``, JSON
bodies, basic auth), dispatched to ``services.metadata_fields``."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from cloudlet.catalog.model import Cloud
from cloudlet.services import metadata_fields as fields
from cloudlet.services.deps import Deps
from cloudlet.web.admin_api import admin_route


def _external_id(params: dict[str, Any]) -> str:
    return str(params["_path"]["external_id"])


def _collection(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    if params["_method"] == "POST":
        return fields.create_field(deps, cloud, params)
    return fields.list_fields(deps, cloud)


def _field(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    external_id = _external_id(params)
    method = params["_method"]
    if method == "PUT":
        return fields.update_field(deps, cloud, external_id, params)
    if method == "DELETE":
        return fields.delete_field(deps, cloud, external_id)
    return fields.get_field(deps, cloud, external_id)


def _datasource(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    external_id = _external_id(params)
    if params["_method"] == "PUT":
        return fields.update_datasource(deps, cloud, external_id, params)
    return fields.change_entries_state(deps, cloud, external_id, params, active=False)


def _restore(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return fields.change_entries_state(deps, cloud, _external_id(params), params, active=True)


def _order_datasource(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return fields.order_datasource(deps, cloud, _external_id(params), params)


def _order_fields(deps: Deps, cloud: Cloud, params: dict[str, Any]) -> Any:
    return fields.order_fields(deps, cloud, params)


_BASE = "/v1_1/{cloud}/metadata_fields"

routes = [
    Route(_BASE, admin_route(_collection), methods=["GET", "POST"]),
    # before the {external_id} route: PUT /order reorders the fields
    Route(f"{_BASE}/order", admin_route(_order_fields), methods=["PUT"]),
    Route(f"{_BASE}/{{external_id}}", admin_route(_field), methods=["GET", "PUT", "DELETE"]),
    Route(
        f"{_BASE}/{{external_id}}/datasource",
        admin_route(_datasource),
        methods=["PUT", "DELETE"],
    ),
    Route(
        f"{_BASE}/{{external_id}}/datasource/order",
        admin_route(_order_datasource),
        methods=["POST"],
    ),
    Route(f"{_BASE}/{{external_id}}/datasource_restore", admin_route(_restore), methods=["POST"]),
]
