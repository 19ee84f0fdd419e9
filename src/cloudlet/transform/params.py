"""THE parameter table: short code ↔ long name ↔ value grammar ↔ serializer ↔ support.

This is the only place where short codes (``w``, ``c``, ``l``) are written. Long names are the
SDK option names (pycloudinary ``generate_transformation_string``), except ``named`` for ``t_``
(the SDK's ``transformation`` option) and ``variables`` for ``$name_value``.

``supported=False`` marks parameters that parse (so every SDK URL is understood and can be
canonicalised) but that Cloudlet's renderer does not implement; ``support.unsupported`` reports
them. ``raw=True`` parameters get their value still percent-encoded (overlay text is decoded
twice; conditions and variables are kept verbatim); all others are percent-decoded once first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from . import grammar as g
from .escape import unescape
from .expression import parse_condition, parse_variable
from .layers import format_layer, parse_layer
from .model import Condition, Flags, Variable

V = TypeVar("V")


@dataclass(frozen=True)
class ParamSpec(Generic[V]):
    """One row of the table."""

    code: str
    name: str
    parse: Callable[[str], V]
    format: Callable[[V], str]
    supported: bool = True
    raw: bool = False
    merge: Callable[[V, V], V] | None = None  # how repeats combine; None: a repeat is an error
    separator: str = "_"  # between code and value

    def write(self, value: V) -> str:
        """``code_value`` as it appears in a component."""
        return f"{self.code}{self.separator}{self.format(value)}"


def _condition_text(condition: Condition) -> str:
    return condition.text


def _parse_variable(text: str) -> Variable:
    name, sep, value = text.partition("_")
    if not sep:
        raise ValueError("a variable needs a value")
    return parse_variable(name, value)


def _variable_text(variable: Variable) -> str:
    return f"{variable.name}_{variable.value}"


def _merge_flags(first: Flags, second: Flags) -> Flags:
    return first.merged(second)


def _spec(
    code: str,
    name: str,
    parse: Callable[[str], Any],
    format: Callable[[Any], str],
    **options: Any,
) -> ParamSpec[Any]:
    return ParamSpec(code, name, parse, format, **options)


def _carried(code: str, name: str) -> ParamSpec[Any]:
    """A parameter Cloudlet parses as an opaque token and does not render."""
    return _spec(code, name, g.parse_token, g.format_token, supported=False)


TABLE: tuple[ParamSpec[Any], ...] = (
    _spec("a", "angle", g.parse_angle, g.format_angle),
    _carried("ac", "audio_codec"),
    _carried("af", "audio_frequency"),
    _spec("ar", "aspect_ratio", g.parse_aspect_ratio, g.format_aspect_ratio),
    _spec("b", "background", g.parse_background, g.format_background),
    _carried("bl", "baseline"),
    _spec("bo", "border", g.parse_border, g.format_border),
    _carried("br", "bit_rate"),
    _spec("c", "crop", g.parse_crop, g.format_crop),
    _spec("co", "color", g.parse_color, g.format_color),
    _carried("cs", "color_space"),
    _spec("d", "default_image", g.parse_asset_ref, g.format_asset_ref),
    _spec("dl", "delay", g.parse_count, g.format_scalar, supported=False),
    _spec("dn", "density", g.parse_count, g.format_scalar, supported=False),
    _spec("dpr", "dpr", g.parse_dpr, g.format_dpr),
    _spec("du", "duration", g.parse_time_offset, g.format_offset, supported=False),
    _spec("e", "effect", g.parse_effect, g.format_effect),
    _spec("eo", "end_offset", g.parse_time_offset, g.format_offset, supported=False),
    _spec("f", "fetch_format", g.parse_fetch_format, g.format_fetch_format),
    _spec("fl", "flags", g.parse_flags, g.format_flags, merge=_merge_flags),
    _carried("fn", "custom_function"),
    _carried("fps", "fps"),
    _spec("g", "gravity", g.parse_gravity, g.format_gravity),
    _spec("h", "height", g.parse_size, g.format_length),
    _spec("if", "if", parse_condition, _condition_text, supported=False, raw=True),
    _carried("ki", "keyframe_interval"),
    _spec("l", "overlay", parse_layer, format_layer, raw=True),
    _spec("o", "opacity", g.parse_opacity, g.format_scalar),
    _carried("p", "prefix"),
    _spec("pg", "page", g.parse_page, g.format_page),
    _spec("q", "quality", g.parse_quality, g.format_quality),
    _spec("r", "radius", g.parse_radius, g.format_radius),
    _spec("so", "start_offset", g.parse_start_offset, g.format_offset),
    _carried("sp", "streaming_profile"),
    _spec("t", "named", g.parse_named, g.format_named),
    _spec("u", "underlay", parse_layer, format_layer, raw=True),
    _carried("vc", "video_codec"),
    _carried("vs", "video_sampling"),
    _spec("w", "width", g.parse_width, g.format_length),
    _spec("x", "x", g.parse_offset_length, g.format_length),
    _spec("y", "y", g.parse_offset_length, g.format_length),
    _spec("z", "zoom", g.parse_zoom, g.format_scalar),
    _spec(
        "$",
        "variables",
        _parse_variable,
        _variable_text,
        supported=False,
        raw=True,
        separator="",
    ),
)

BY_CODE: dict[str, ParamSpec[Any]] = {spec.code: spec for spec in TABLE}
BY_NAME: dict[str, ParamSpec[Any]] = {spec.name: spec for spec in TABLE}
CONDITION: ParamSpec[Condition] = BY_NAME["if"]
VARIABLES: ParamSpec[Variable] = BY_NAME["variables"]
# Parameters proper: what a ``Component.params`` may hold.
PARAMETERS: tuple[ParamSpec[Any], ...] = tuple(
    s for s in TABLE if s is not CONDITION and s is not VARIABLES
)


def split_param(raw: str) -> tuple[ParamSpec[Any] | None, str, str]:
    """``(spec, key, value)`` for one raw ``key_value`` parameter; spec is None when the key
    is not in the table. The key is percent-decoded (``%24x_1`` is ``$x_1``)."""
    if raw.startswith(("$", "%24")):
        body = raw[1:] if raw.startswith("$") else raw[3:]
        return VARIABLES, "$", body
    key, _, value = raw.partition("_")
    key = unescape(key)
    return BY_CODE.get(key), key, value


def spec_for(name: str) -> ParamSpec[Any]:
    """The row of a long name (KeyError when unknown)."""
    return BY_NAME[name]
