"""Named transformations: the Admin API's ``/transformations`` and ``t_<name>`` expansion."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Cloud, NamedTransformation
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services.deps import Deps
from cloudlet.services.values import as_bool, as_int, as_str
from cloudlet.transform import TransformationError, parse_transformation, serialize
from cloudlet.transform.model import Component, Named, Transformation

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
MAX_DEPTH = 5


def _canonical(text: str) -> str:
    try:
        return serialize(parse_transformation(text))
    except TransformationError as exc:
        raise BadRequestError(str(exc)) from None


def _name(params: Mapping[str, Any], key: str = "transformation") -> str:
    name = (as_str(params, key) or "").removeprefix("t_")
    if not _NAME.match(name):
        raise BadRequestError(f"Invalid transformation name {name!r}")
    return name


def _json(found: NamedTransformation) -> dict[str, Any]:
    return {
        "name": f"t_{found.name}",
        "allowed_for_strict": found.allowed_for_strict,
        "used": False,
        "named": True,
        "info": found.transformation,
    }


def create(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /transformations`` with ``name`` and ``transformation``."""
    name = _name(params, "name")
    definition = as_str(params, "transformation")
    if not definition:
        raise BadRequestError("Missing required parameter - transformation")
    canonical = _canonical(definition)
    allowed = as_bool(params, "allowed_for_strict")
    deps.catalog.create_named(cloud.id, name, canonical, allowed, deps.now())
    return {"message": "created"}


def get(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /transformations?transformation=<name>``; without it, the list."""
    if not as_str(params, "transformation"):
        return listing(deps, cloud, params)
    name = _name(params)
    found = deps.catalog.get_named(cloud.id, name)
    if found is None:
        raise NotFoundError(f"Transformation {name} not found")
    return _json(found)


def listing(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """Named transformations (the only ones Cloudlet lists), paged."""
    page = deps.catalog.list_named(
        cloud.id,
        max_results=as_int(params, "max_results", 10, minimum=1, maximum=500) or 10,
        cursor=as_str(params, "next_cursor"),
    )
    body: dict[str, Any] = {"transformations": [_json(n) for n in page.items]}
    if page.next_cursor:
        body["next_cursor"] = page.next_cursor
    return body


def update(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /transformations``: ``allowed_for_strict`` and/or ``unsafe_update``."""
    name = _name(params)
    new = as_str(params, "unsafe_update")
    allowed = as_bool(params, "allowed_for_strict") if "allowed_for_strict" in params else None
    deps.catalog.update_named(
        cloud.id, name, transformation=_canonical(new) if new else None, allowed=allowed
    )
    return {"message": "updated"}


def delete(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``DELETE /transformations?transformation=<name>``."""
    name = _name(params)
    if not deps.catalog.delete_named(cloud.id, name):
        raise NotFoundError(f"Transformation {name} not found")
    return {"message": "deleted"}


def expand(
    deps: Deps, cloud: Cloud, transformation: Transformation, depth: int = 0
) -> tuple[Transformation, bool]:
    """Replace ``t_<name>`` by its definition (recursively). Returns the expanded chain and
    whether it consisted only of named transformations allowed under strict mode."""
    components: list[Component] = []
    only_allowed = bool(transformation.components)
    for component in transformation.components:
        named = component.get("named")
        if not isinstance(named, Named):
            components.append(component)
            only_allowed = False
            continue
        for name in named.names:
            inner, allowed = _resolve(deps, cloud, name, depth)
            components.extend(inner.components)
            only_allowed = only_allowed and allowed
        rest = component.with_params(named=None)
        if not rest.is_empty:
            components.append(rest)
            only_allowed = False
    return Transformation(tuple(components)), only_allowed


def _resolve(deps: Deps, cloud: Cloud, name: str, depth: int) -> tuple[Transformation, bool]:
    if depth >= MAX_DEPTH:
        raise BadRequestError(f"Named transformation {name} nests too deeply")
    found = deps.catalog.get_named(cloud.id, name)
    if found is None:
        raise BadRequestError(f"Transformation t_{name} does not exist")
    inner, _ = expand(deps, cloud, parse_transformation(found.transformation), depth + 1)
    return inner, found.allowed_for_strict
