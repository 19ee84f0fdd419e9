"""The canonical text of a transformation: the derived-asset key.

Within a component the order is pycloudinary's ``generate_transformation_string``: the ``if_``
condition first, then the ``$variables`` in their (meaningful) order, then every other
parameter sorted by short code — so ``w_100,c_fill`` and ``c_fill,w_100`` are one key. Values
are written in their canonical form (see ``grammar``), so ``serialize(parse(s))`` is a fixed
point: parsing it again gives the same model and the same text.
"""

from __future__ import annotations

from typing import Any

from .errors import TransformationError
from .model import Component, Transformation
from .params import BY_NAME, CONDITION, VARIABLES, ParamSpec


def serialize(transformation: Transformation) -> str:
    """Components joined with ``/`` (empty components are dropped)."""
    return "/".join(serialize_component(c) for c in transformation if not c.is_empty)


def serialize_component(component: Component) -> str:
    """One component: condition, variables, then parameters sorted by code."""
    parts: list[str] = []
    if component.condition is not None:
        parts.append(CONDITION.write(component.condition))
    parts.extend(VARIABLES.write(variable) for variable in component.variables)
    rows = [(_spec(name), value) for name, value in component.params]
    rows.sort(key=lambda row: row[0].code)
    parts.extend(spec.write(value) for spec, value in rows)
    return ",".join(parts)


def _spec(name: str) -> ParamSpec[Any]:
    spec = BY_NAME.get(name)
    if spec is None or spec is CONDITION or spec is VARIABLES:
        raise TransformationError(f"Unknown transformation parameter name '{name}'", name)
    return spec
