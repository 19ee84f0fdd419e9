"""``GET /openapi.json``: an OpenAPI 3.0 document of the Upload and Admin APIs, built from the
one description in ``web.api_doc`` (parameters described once, operations naming them)."""

from __future__ import annotations

import functools
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cloudlet.web.api_doc import OPERATIONS, Operation
from cloudlet.web.api_params import PARAMS, PATH_PARAMS, Param, Schema
from cloudlet.web.responses import json_response

_PATH_PARAM = re.compile(r"{(\w+)}")
_ERRORS = {
    "400": "Bad request: a parameter is missing or invalid.",
    "401": "Missing or wrong credentials or signature.",
    "403": "Not allowed.",
    "404": "No such cloud, asset or route (or not supported yet).",
    "409": "Already exists (Admin API).",
    "420": "Rate limit exceeded (Admin API, see X-FeatureRateLimit-*).",
    "500": "Server error.",
}
_ANSWERS = {
    "Text": ("text/plain", {"type": "string"}),
    "Zip": ("application/zip", {"type": "string", "format": "binary"}),
}
_RATE_HEADERS = {
    f"X-FeatureRateLimit-{name}": {"description": text, "schema": {"type": "string"}}
    for name, text in (
        ("Limit", "Calls allowed per hour."),
        ("Remaining", "Calls left this hour."),
        ("Reset", "RFC 2822 date of the next hour."),
    )
}


def _resource_props() -> Schema:
    text = {"type": "string"}
    number = {"type": "integer"}
    names = ("asset_id", "public_id", "format", "resource_type", "type", "created_at", "etag")
    props: Schema = {name: text for name in names}
    props |= {name: number for name in ("version", "bytes", "width", "height")}
    props |= {"url": {"type": "string"}, "secure_url": {"type": "string"}}
    props |= {"tags": {"type": "array", "items": text}}
    return props


SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message"],
                "properties": {"message": {"type": "string"}},
            }
        },
    },
    "Object": {"type": "object", "additionalProperties": True},
    "Resource": {"type": "object", "properties": _resource_props(), "additionalProperties": True},
    "ResourceList": {
        "type": "object",
        "properties": {
            "resources": {"type": "array", "items": {"$ref": "#/components/schemas/Resource"}},
            "next_cursor": {"type": "string"},
        },
        "additionalProperties": True,
    },
    "Deleted": {
        "type": "object",
        "properties": {
            "deleted": {"type": "object", "additionalProperties": {"type": "string"}},
            "partial": {"type": "boolean"},
            "next_cursor": {"type": "string"},
        },
        "additionalProperties": True,
    },
    "Result": {
        "type": "object",
        "properties": {"result": {"type": "string", "enum": ["ok", "not found"]}},
        "additionalProperties": True,
    },
    "PublicIds": {
        "type": "object",
        "properties": {"public_ids": {"type": "array", "items": {"type": "string"}}},
        "additionalProperties": True,
    },
    "Relations": {
        "type": "object",
        "properties": {
            "success": {"type": "array", "items": {"type": "object"}},
            "failed": {"type": "array", "items": {"type": "object"}},
        },
        "additionalProperties": True,
    },
    "Ready": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document (built once per process)."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Cloudlet: Cloudinary-compatible Upload and Admin APIs",
            "version": "1",
            "description": (
                "Parameters may come in the query string or the body (multipart, form or "
                "JSON) on every method; arrays also as k[] or comma strings. Public ids and "
                "folder paths may contain '/'. Delivery URLs are described in docs/api.md."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name} for name in ("Upload API", "Admin API", "Operations")],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
        },
    }


def _operation(op: Operation) -> dict[str, Any]:
    parameters = [_path_parameter(op, name) for name in _PATH_PARAM.findall(op.path)]
    body = op.method in ("POST", "PUT")
    if not body:
        parameters += [_query_parameter(op, key) for key in op.params]
    spec: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": _responses(op),
        "security": _security(op),
    }
    if body and op.params:
        spec["requestBody"] = _request_body(op)
    return spec


def _path_parameter(op: Operation, name: str) -> dict[str, Any]:
    param = PATH_PARAMS[(op.path_params or {}).get(name, name)]
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": param.text,
        "schema": param.schema,
        "example": param.example,
    }


def _query_parameter(op: Operation, key: str) -> dict[str, Any]:
    param = PARAMS[key]
    return {
        "name": _wire(key, param),
        "in": "query",
        "required": key in op.required,
        "description": param.text,
        "schema": param.schema,
        **({"style": "form", "explode": True} if param.schema.get("type") == "array" else {}),
    }


def _wire(key: str, param: Param) -> str:
    return param.name or key


def _request_body(op: Operation) -> dict[str, Any]:
    properties = {
        _wire(k, PARAMS[k]): PARAMS[k].schema | {"description": PARAMS[k].text} for k in op.params
    }
    schema: Schema = {"type": "object", "properties": properties}
    required = [_wire(k, PARAMS[k]) for k in op.required]
    if required:
        schema["required"] = required
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if not op.json_only:
        multipart = dict(properties)
        if "file" in multipart:
            multipart["file"] = {
                "type": "string",
                "format": "binary",
                "description": PARAMS["file"].text,
            }
        content["multipart/form-data"] = {"schema": {**schema, "properties": multipart}}
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"required": bool(required), "content": content}


def _responses(op: Operation) -> dict[str, Any]:
    media, schema = _ANSWERS.get(
        op.answer, ("application/json", {"$ref": f"#/components/schemas/{op.answer}"})
    )
    ok: dict[str, Any] = {"description": "Success.", "content": {media: {"schema": schema}}}
    if op.auth == "admin":
        ok["headers"] = _RATE_HEADERS
    responses: dict[str, Any] = {"200": ok}
    if op.answer == "Ready":
        responses["503"] = {"description": "Not ready.", "content": {media: {"schema": schema}}}
    if op.auth == "none" and op.tag == "Operations":
        return responses
    codes = ["400", "401", "403", "404", "420", "500"]
    if op.auth == "admin" and op.method in ("POST", "PUT"):
        codes.insert(4, "409")
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for code in codes:
        responses[code] = {"description": _ERRORS[code], "content": error}
    return responses


def _security(op: Operation) -> list[dict[str, list[str]]]:
    if op.auth == "admin":
        return [{"basicAuth": []}]
    if op.auth == "upload":
        return [{"basicAuth": []}, {}]  # or a signature among the parameters
    return []


async def openapi_json(request: Request) -> Response:
    """``GET /openapi.json``."""
    return json_response(document())


routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
