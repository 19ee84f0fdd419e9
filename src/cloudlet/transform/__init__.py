"""The transformation language (pure: standard library only).

``parse_transformation`` reads the transformation part of a delivery URL into the model
(``model``), ``serialize`` writes its canonical text (the derived-asset key),
``plan_geometry`` works out a component's resize/crop/pad steps, and ``unsupported`` says what
the renderer will refuse. Short codes live only in ``params.TABLE``.
"""

from .errors import (
    InvalidParameterError,
    TransformationError,
    UnknownParameterError,
    UnsupportedTransformationError,
)
from .geometry import plan_geometry
from .model import Component, Transformation
from .params import BY_CODE, BY_NAME, TABLE, ParamSpec
from .parse import is_component, parse_component, parse_transformation
from .serialize import serialize, serialize_component
from .steps import ClientHints, Embed, Extract, Focus, Plan, Rect, Resize, Size, Step
from .support import require_supported, unsupported

__all__ = [
    "BY_CODE",
    "BY_NAME",
    "TABLE",
    "ClientHints",
    "Component",
    "Embed",
    "Extract",
    "Focus",
    "InvalidParameterError",
    "ParamSpec",
    "Plan",
    "Rect",
    "Resize",
    "Size",
    "Step",
    "Transformation",
    "TransformationError",
    "UnknownParameterError",
    "UnsupportedTransformationError",
    "canonical",
    "is_component",
    "parse_component",
    "parse_transformation",
    "plan_geometry",
    "require_supported",
    "serialize",
    "serialize_component",
    "unsupported",
]


def canonical(text: str) -> str:
    """The canonical form of a transformation string: ``serialize(parse_transformation(text))``."""
    return serialize(parse_transformation(text))
