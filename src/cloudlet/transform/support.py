"""What Cloudlet renders, as opposed to what it merely parses.

Everything in ``sdk-url-vectors.json`` parses and canonicalises; the renderer implements the
parameters of issue 3 item 2. ``unsupported`` lists, in plain words, every part of a
transformation outside that set, so the delivery layer can answer a clear 400 ("… is not
supported") before rendering anything. The parameter-level flag lives in the params table
(``ParamSpec.supported``); the value-level sets are here.
"""

from __future__ import annotations

from collections.abc import Iterator

from .errors import UnsupportedTransformationError
from .model import (
    Background,
    Component,
    Effect,
    FetchFormat,
    Flags,
    Gravity,
    Layer,
    Quality,
    Transformation,
    Value,
)
from .params import BY_NAME, CONDITION, VARIABLES
from .vocabulary import COMPASS, CropMode

SUPPORTED_CROPS = frozenset(CropMode) - {
    CropMode.AUTO,
    CropMode.AUTO_PAD,
    CropMode.IMAGGA_CROP,
    CropMode.IMAGGA_SCALE,
}
SUPPORTED_GRAVITIES = COMPASS | {"xy_center", "face", "faces", "auto", "custom"}
# ``auto`` qualifiers the saliency/face approximation can honour.
SUPPORTED_AUTO_GRAVITY_ARGS = frozenset(
    {"face", "faces", "adv_face", "adv_faces", "subject", "classic", "custom"}
)
SUPPORTED_EFFECTS = frozenset(
    {
        "grayscale",
        "sepia",
        "blur",
        "sharpen",
        "pixelate",
        "negate",
        "brightness",
        "contrast",
        "saturation",
        "gamma",
        "tint",
        "colorize",
        "vignette",
        "trim",
        "improve",
        "background_removal",
    }
)
SUPPORTED_FLAGS = frozenset(
    {
        "attachment",
        "progressive",
        "lossy",
        "strip_profile",
        "keep_iptc",
        "layer_apply",
        "relative",
        "animated",
        "awebp",
        "ignore_aspect_ratio",
    }
)
SUPPORTED_FORMATS = frozenset({"auto", "jpg", "jpeg", "png", "webp", "avif", "gif", "tiff", "tif"})
SUPPORTED_LAYERS = frozenset({"image", "text", "fetch"})
SUPPORTED_BACKGROUNDS = frozenset({"", "auto"})  # "" is a plain colour


def unsupported(transformation: Transformation) -> tuple[str, ...]:
    """Messages naming every part of ``transformation`` Cloudlet does not render (empty when
    it renders all of it)."""
    return tuple(
        message for component in transformation for _, message in _named_messages(component)
    )


def require_supported(transformation: Transformation) -> None:
    """Raise ``UnsupportedTransformationError`` for the first unsupported part, if any."""
    for component in transformation:
        for name, message in _named_messages(component):
            raise UnsupportedTransformationError(message, name)


def _named_messages(component: Component) -> Iterator[tuple[str, str]]:
    if component.condition is not None:
        yield CONDITION.name, "Conditional transformations (if_) are not supported"
    if component.variables:
        yield VARIABLES.name, "User variables ($name) are not supported"
    for name, value in component.params:
        message = _param_message(name, value)
        if message:
            yield name, message


def _param_message(name: str, value: Value) -> str | None:
    spec = BY_NAME[name]
    if not spec.supported:
        return f"Parameter {spec.code}_ ({name}) is not supported"
    problem = _value_problem(value)
    if problem:
        return f"{name} {problem} is not supported"
    return None


def _value_problem(value: Value) -> str | None:
    """A description of the unsupported value, or None."""
    if isinstance(value, CropMode):
        return None if value in SUPPORTED_CROPS else f"'{value.value}'"
    if isinstance(value, Gravity):
        return _gravity_problem(value)
    if isinstance(value, Effect):
        return None if value.name in SUPPORTED_EFFECTS else f"'{value.name}'"
    if isinstance(value, Flags):
        bad = [n for n in value.names if n not in SUPPORTED_FLAGS]
        return f"'{'.'.join(bad)}'" if bad else None
    if isinstance(value, FetchFormat):
        return None if value.name in SUPPORTED_FORMATS else f"'{value.name}'"
    if isinstance(value, Layer):
        return None if value.kind in SUPPORTED_LAYERS else f"of kind '{value.kind}'"
    if isinstance(value, Quality):
        return "'jpegmini'" if value.mode == "jpegmini" else None
    if isinstance(value, Background):
        return None if value.mode in SUPPORTED_BACKGROUNDS else f"'{value.mode}'"
    return None


def _gravity_problem(gravity: Gravity) -> str | None:
    if gravity.name not in SUPPORTED_GRAVITIES:
        return f"'{gravity.name}'"
    if gravity.name == "auto":
        bad = [a for a in gravity.args if a not in SUPPORTED_AUTO_GRAVITY_ARGS and not a.isdigit()]
        return f"'auto:{':'.join(bad)}'" if bad else None
    return None
