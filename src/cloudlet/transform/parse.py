"""Parse the transformation part of a delivery URL into the model.

Input is the raw text between ``{type}/`` (or the ``s--…--`` segment) and the version or public
id, still percent-encoded as it appears in the URL: components are split on ``/`` and
parameters on ``,`` *before* any decoding, so that double-encoded overlay text (``%252C``)
cannot split anything (transformations.md §A1.8).
"""

from __future__ import annotations

from typing import Any

from .errors import (
    InvalidParameterError,
    TransformationError,
    UnknownParameterError,
)
from .escape import unescape
from .expression import VARIABLE_NAME
from .model import Component, Condition, Gravity, Transformation, Value, Variable
from .params import CONDITION, VARIABLES, ParamSpec, split_param
from .vocabulary import CropMode

MAX_LENGTH = 16384  # characters; far beyond anything an SDK writes
_MAX_SHOWN = 100  # characters of a bad value quoted in an error message
# "Use auto gravity only with crop, fill, lfill, fill_pad or thumb" (X-Cld-Error list).
AUTO_GRAVITY_CROPS = frozenset(
    {
        CropMode.CROP,
        CropMode.FILL,
        CropMode.LFILL,
        CropMode.FILL_PAD,
        CropMode.THUMB,
        CropMode.AUTO,
        CropMode.AUTO_PAD,
    }
)


def parse_transformation(text: str) -> Transformation:
    """The ``Transformation`` that ``text`` (``c_fill,w_100/e_sepia``) spells.

    Raises ``TransformationError`` (a ValueError) naming the bad parameter; never anything
    else. An empty string is the empty transformation."""
    if len(text) > MAX_LENGTH:
        raise TransformationError(f"Transformation is longer than {MAX_LENGTH} characters")
    if not text:
        return Transformation()
    return Transformation(tuple(parse_component(segment) for segment in text.split("/")))


def parse_component(text: str) -> Component:
    """One ``/``-separated component: ``key_value`` parameters separated by ``,``, in any
    order; ``fl_`` may repeat (the flags merge), nothing else may."""
    if not text:
        raise TransformationError("Empty transformation component")
    builder = _ComponentBuilder()
    for raw in text.split(","):
        builder.add(raw)
    component = builder.build()
    _check_auto_gravity(component)
    return component


def is_component(segment: str) -> bool:
    """Whether a URL path segment reads as a transformation component.

    The rule: the segment is non-empty and *every* comma-separated part is ``<key>_<…>``
    where ``<key>`` is a code of the params table (or ``$name``). Values are not checked, so
    ``w_abc`` is a (malformed) component — the request then fails with a 400 naming the
    parameter instead of looking for an asset called ``w_abc``. ``sample``, ``my_folder``
    (``my`` is no code) and ``v123`` are not components; ``w_100``, ``t_named``,
    ``c_fill,w_100`` and ``fl_layer_apply`` are. A folder whose name starts with a code and
    ``_`` (``e_shop``) reads as a component; that is why the SDKs put ``/v1/`` before public
    ids with folders, and a version segment always ends the transformation."""
    if not segment or len(segment) > MAX_LENGTH:
        return False
    return all(_reads_as_param(raw) for raw in segment.split(","))


def _reads_as_param(raw: str) -> bool:
    spec, _, value = split_param(raw)
    if spec is VARIABLES:
        name, sep, _ = value.partition("_")
        return bool(sep) and bool(VARIABLE_NAME.fullmatch(name))
    return spec is not None and "_" in raw


class _ComponentBuilder:
    """Collects the parameters of one component, rejecting repeats."""

    def __init__(self) -> None:
        self.params: dict[str, Value] = {}
        self.variables: list[Variable] = []
        self.condition: Condition | None = None

    def add(self, raw: str) -> None:
        if not raw:
            raise TransformationError("Empty transformation parameter")
        spec, key, value = split_param(raw)
        if spec is None:
            raise UnknownParameterError(_shown(raw), key)
        parsed = _parse_value(spec, value)
        if spec is CONDITION:
            self._set_condition(parsed)
        elif spec is VARIABLES:
            self._add_variable(parsed)
        else:
            self._set_param(spec, parsed)

    def _set_condition(self, condition: Condition) -> None:
        if self.condition is not None:
            raise InvalidParameterError("Duplicate if parameter", CONDITION.name)
        self.condition = condition

    def _add_variable(self, variable: Variable) -> None:
        if any(v.name == variable.name for v in self.variables):
            raise InvalidParameterError(f"Duplicate variable ${variable.name}", VARIABLES.name)
        self.variables.append(variable)

    def _set_param(self, spec: ParamSpec[Any], value: Value) -> None:
        previous = self.params.get(spec.name)
        if previous is not None:
            if spec.merge is None:
                raise InvalidParameterError(f"Duplicate {spec.name} parameter", spec.name)
            value = spec.merge(previous, value)
        self.params[spec.name] = value

    def build(self) -> Component:
        return Component(tuple(self.params.items()), tuple(self.variables), self.condition)


def _parse_value(spec: ParamSpec[Any], value: str) -> Any:
    text = value if spec.raw else unescape(value)
    try:
        return spec.parse(text)
    except TransformationError:
        raise
    except ValueError as error:
        raise InvalidParameterError.value(spec.name, _shown(text)) from error


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


def _check_auto_gravity(component: Component) -> None:
    gravity = component.get("gravity")
    if not isinstance(gravity, Gravity) or not gravity.is_auto:
        return
    crop = component.get("crop")
    resizes = crop is not None or any(
        name in component for name in ("width", "height", "aspect_ratio")
    )
    if resizes and crop not in AUTO_GRAVITY_CROPS:
        raise InvalidParameterError(
            "Use auto gravity only with crop, fill, lfill, fill_pad or thumb", "gravity"
        )
