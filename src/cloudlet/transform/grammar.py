"""Value grammars: one ``parse_<kind>`` (text → model value, ValueError when malformed) and one
``format_<kind>`` (model value → canonical text) per value kind. ``params`` pairs them with the
parameter codes; nothing here knows a code.

Canonical numbers: integers without leading zeros; decimals with the shortest text that reads
back to the same float and always a ``.`` (``0.5``, ``2.0``) where the decimal point matters.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .colors import NAMED_COLORS, TRANSPARENT
from .escape import NAME_UNSAFE, escape
from .expression import NUMBER, parse_expression
from .model import (
    Angle,
    AspectRatio,
    AssetRef,
    Background,
    Border,
    Color,
    Dpr,
    Effect,
    Expression,
    FetchFormat,
    Flag,
    Flags,
    Gravity,
    Length,
    LengthKind,
    Named,
    Offset,
    Page,
    Quality,
    Radius,
    Scalar,
    Token,
)
from .vocabulary import (
    ANGLE_MODES,
    AUTO_FORMAT_QUALIFIERS,
    BARE_EFFECTS,
    CHROMA_SUBSAMPLING,
    EFFECTS,
    FORMATS,
    GENERATIVE_PREFIX,
    GRAVITIES,
    LEVEL_EFFECTS,
    QUALITY_AUTO_LEVELS,
    CropMode,
)

INTEGER = re.compile(r"-?\d{1,9}")
DECIMAL = re.compile(r"-?(?:\d{1,9}\.\d{0,20}|\.\d{1,20})")
_WORD = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
_VAR = re.compile(r"\$[A-Za-z][A-Za-z0-9]{0,49}")
_HEX = re.compile(r"[0-9A-Fa-f]{3,4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8}")
_AUTO_WIDTH = re.compile(r"(?::\d{1,5}(?::\d{1,5})?|:breakpoints(?:_\d{1,5}){0,4}(?::json)?)?")
_FLAG = re.compile(r"([a-z][a-z0-9_]{0,63})(?::([A-Za-z0-9_\-]{1,100}))?")
_EFFECT_ARG = re.compile(r"[^:,/\s]{1,200}")
_PAGE = re.compile(
    r"(?:-?\d{1,6}(?:-\d{0,6})?)(?:;-?\d{1,6}(?:-\d{0,6})?)*|(?:name|embedded):[^,/\s]{1,200}"
)
_BORDER = re.compile(r"(\d{1,4}(?:\.\d{1,4})?)px_(solid)_(.+)")
_OFFSET = re.compile(r"(\d{1,9}(?:\.\d{1,20})?)([p%]?)")
_TOKEN = re.compile(r"[^,/\s%]{1,500}")
_NAME_PART = re.compile(r"[^,/:]{1,255}")
_BACKGROUND_OPTION = re.compile(r"[a-z0-9_]{1,100}")

# ----------------------------------------------------------------------------- numbers


def format_decimal(value: float) -> str:
    """A float with a decimal point: ``0.5``, ``2.0``, ``0.000001``."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def format_number(value: float) -> str:
    """An integral value as an integer (``80``), anything else as a decimal (``0.4``)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format_decimal(value)


def parse_number(text: str) -> float:
    """An integer or a decimal."""
    if not NUMBER.fullmatch(text):
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def _integer(text: str, low: int, high: int) -> int:
    if not INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise ValueError(f"not an integer in [{low}, {high}]: {text!r}")
    return int(text)


# ----------------------------------------------------------------------------- lengths


def _length(text: str, *, signed: bool, allow_auto: bool) -> Length:
    if INTEGER.fullmatch(text):
        value = int(text)
        if not signed and value <= 0:
            raise ValueError("must be positive")
        return Length.pixels(value)
    if DECIMAL.fullmatch(text):
        factor = float(text)
        if not signed and factor <= 0:
            raise ValueError("must be positive")
        return Length.relative(factor)
    if allow_auto and text.startswith("auto") and _AUTO_WIDTH.fullmatch(text[4:]):
        return Length.auto_width(text[4:])
    return Length(LengthKind.EXPRESSION, expression=parse_expression(text))


def parse_width(text: str) -> Length:
    """``w_``: pixels, relative decimal, expression or ``auto[…]``."""
    return _length(text, signed=False, allow_auto=True)


def parse_size(text: str) -> Length:
    """``h_``: pixels, relative decimal or expression."""
    return _length(text, signed=False, allow_auto=False)


def parse_offset_length(text: str) -> Length:
    """``x_``/``y_``: signed pixels, signed relative decimal or expression."""
    return _length(text, signed=True, allow_auto=False)


def format_length(length: Length) -> str:
    """Canonical text of a ``Length``."""
    if length.kind is LengthKind.PIXELS:
        return str(int(length.number))
    if length.kind is LengthKind.RELATIVE:
        return format_decimal(length.number)
    if length.kind is LengthKind.AUTO:
        return "auto" + length.auto
    return _expression_text(length.expression)


def _expression_text(expression: Expression | None) -> str:
    if expression is None:
        raise ValueError("expression missing")
    return expression.text


# ----------------------------------------------------------------------------- scalars


def _scalar(text: str, low: float, high: float) -> Scalar:
    if NUMBER.fullmatch(text):
        value = float(text)
        if not low <= value <= high:
            raise ValueError(f"out of range [{low}, {high}]")
        return Scalar(value)
    return Scalar(expression=parse_expression(text))


def parse_opacity(text: str) -> Scalar:
    """``o_``: 0–100 or an expression."""
    return _scalar(text, 0, 100)


def parse_zoom(text: str) -> Scalar:
    """``z_``: a positive factor or an expression."""
    scalar = _scalar(text, 0, 1e6)
    if scalar.expression is None and scalar.number <= 0:
        raise ValueError("zoom must be positive")
    return scalar


def parse_count(text: str) -> Scalar:
    """``dn_``/``dl_``: a non-negative integer."""
    return Scalar(_integer(text, 0, 10**9))


def format_scalar(scalar: Scalar) -> str:
    """Canonical text of a ``Scalar``."""
    if scalar.expression is not None:
        return scalar.expression.text
    return format_number(scalar.number)


def parse_aspect_ratio(text: str) -> AspectRatio:
    """``ar_16:9``, ``ar_1.5`` or an expression."""
    if ":" in text:
        left, _, right = text.partition(":")
        numerator, denominator = parse_number(left), parse_number(right)
        if numerator <= 0 or denominator <= 0:
            raise ValueError("ratio terms must be positive")
        return AspectRatio(numerator, denominator)
    if NUMBER.fullmatch(text):
        if float(text) <= 0:
            raise ValueError("ratio must be positive")
        return AspectRatio(float(text))
    return AspectRatio(expression=parse_expression(text))


def format_aspect_ratio(ratio: AspectRatio) -> str:
    """Canonical text of an ``AspectRatio``."""
    if ratio.expression is not None:
        return ratio.expression.text
    if ratio.denominator is None:
        return format_decimal(ratio.numerator)
    return f"{format_number(ratio.numerator)}:{format_number(ratio.denominator)}"


def parse_dpr(text: str) -> Dpr:
    """``dpr_2.0``, ``dpr_2`` or ``dpr_auto``."""
    if text == "auto":
        return Dpr(auto=True)
    value = parse_number(text)
    if not 0 < value <= 100:
        raise ValueError("dpr out of range")
    return Dpr(value)


def format_dpr(dpr: Dpr) -> str:
    """``auto`` or a decimal with a point (``2.0``, as the SDK docs write it)."""
    return "auto" if dpr.auto else format_decimal(dpr.number)


def parse_time_offset(text: str, *, allow_auto: bool = False) -> Offset:
    """``so_2.5``, ``so_35p`` (``35%`` too), ``so_auto`` (start offset only)."""
    if allow_auto and text == "auto":
        return Offset(auto=True)
    match = _OFFSET.fullmatch(text)
    if match is None:
        raise ValueError(f"bad offset {text!r}")
    percent = bool(match.group(2))
    value = float(match.group(1))
    if percent and value > 100:
        raise ValueError("percent above 100")
    return Offset(value, percent=percent)


def parse_start_offset(text: str) -> Offset:
    """``so_``: also accepts ``auto``."""
    return parse_time_offset(text, allow_auto=True)


def format_offset(offset: Offset) -> str:
    """Canonical text of an ``Offset``."""
    if offset.auto:
        return "auto"
    return format_number(offset.number) + ("p" if offset.percent else "")


# ----------------------------------------------------------------------------- words


def parse_crop(text: str) -> CropMode:
    """``c_``: one of the crop modes."""
    return CropMode(text)


def format_crop(mode: CropMode) -> str:
    """The mode's name."""
    return mode.value


def parse_gravity(text: str) -> Gravity:
    """``g_<name>[:<arg>…]`` with a known first name and word arguments."""
    name, *args = text.split(":")
    if name not in GRAVITIES:
        raise ValueError(f"unknown gravity {name!r}")
    if not all(_WORD.fullmatch(arg) for arg in args):
        raise ValueError(f"bad gravity qualifier in {text!r}")
    return Gravity(name, tuple(args))


def format_gravity(gravity: Gravity) -> str:
    """``name[:arg…]``."""
    return ":".join((gravity.name, *gravity.args))


def parse_quality(text: str) -> Quality:
    """``q_80``, ``q_80:444``, ``q_70:qmax_20``, ``q_auto[:level][:chroma]``, ``q_jpegmini[:n]``."""
    head, *options = text.split(":")
    if head == "auto":
        if options and options[0] not in QUALITY_AUTO_LEVELS:
            raise ValueError("bad auto quality level")
        if len(options) > 1 and (len(options) > 2 or options[1] not in CHROMA_SUBSAMPLING):
            raise ValueError("bad auto quality option")
        return Quality("auto", options=tuple(options))
    if head == "jpegmini":
        if options and (len(options) > 1 or options[0] not in ("0", "1", "2")):
            raise ValueError("bad jpegmini level")
        return Quality("jpegmini", options=tuple(options))
    if NUMBER.fullmatch(head):
        return _numeric_quality(float(head), tuple(options))
    if options:
        raise ValueError("options after an expression")
    return Quality("expression", expression=parse_expression(head))


def _numeric_quality(value: float, options: tuple[str, ...]) -> Quality:
    if not 0 < value <= 100:
        raise ValueError("quality out of range")
    for option in options:
        max_ok = option.startswith("qmax_") and INTEGER.fullmatch(option[5:])
        if option not in CHROMA_SUBSAMPLING and not max_ok:
            raise ValueError(f"bad quality option {option!r}")
    return Quality("number", value, options)


def format_quality(quality: Quality) -> str:
    """Canonical text of a ``Quality``."""
    if quality.mode == "expression":
        return _expression_text(quality.expression)
    head = format_number(quality.number) if quality.mode == "number" else quality.mode
    return ":".join((head, *quality.options))


def parse_fetch_format(text: str) -> FetchFormat:
    """``f_<format>`` or ``f_auto[:image|video|animated|audio]``."""
    name, _, qualifier = text.partition(":")
    if name == "auto" and (not qualifier or qualifier in AUTO_FORMAT_QUALIFIERS):
        return FetchFormat(name, qualifier)
    if name in FORMATS and not qualifier:
        return FetchFormat(name)
    raise ValueError(f"unknown format {text!r}")


def format_fetch_format(value: FetchFormat) -> str:
    """``name[:qualifier]``."""
    return f"{value.name}:{value.qualifier}" if value.qualifier else value.name


# ----------------------------------------------------------------------------- colours


def parse_color(text: str) -> Color:
    """A CSS colour name, ``rgb:<hex>`` or a ``$variable``."""
    if text.startswith("rgb:") and _HEX.fullmatch(text[4:]):
        return Color(hex=text[4:])
    lowered = text.lower()
    if lowered in NAMED_COLORS or lowered == TRANSPARENT:
        return Color(name=lowered)
    if _VAR.fullmatch(text):
        return Color(name=text)
    raise ValueError(f"unknown colour {text!r}")


def format_color(color: Color) -> str:
    """``rgb:<hex>`` or the name."""
    return f"rgb:{color.hex}" if color.hex else color.name


def parse_background(text: str) -> Background:
    """``b_<colour>``, ``b_auto[:…]``, ``b_blurred[:…]`` or ``b_gen_fill[:…]``."""
    mode, *options = text.split(":")
    if mode in ("auto", "blurred", "gen_fill"):
        if not all(_BACKGROUND_OPTION.fullmatch(o) for o in options):
            raise ValueError(f"bad background option in {text!r}")
        return Background(mode=mode, options=tuple(options))
    return Background(color=parse_color(text))


def format_background(background: Background) -> str:
    """Canonical text of a ``Background``."""
    if background.color is not None:
        return format_color(background.color)
    return ":".join((background.mode, *background.options))


def parse_border(text: str) -> Border:
    """``<width>px_solid_<colour>``."""
    match = _BORDER.fullmatch(text)
    if match is None:
        raise ValueError(f"bad border {text!r}")
    return Border(float(match.group(1)), parse_color(match.group(3)), match.group(2))


def format_border(border: Border) -> str:
    """``5px_solid_black``."""
    return f"{format_number(border.width)}px_{border.style}_{format_color(border.color)}"


# ----------------------------------------------------------------------------- effects


def parse_effect(text: str) -> Effect:
    """``e_<name>[:<arg>…]``; level effects need an integer first argument."""
    name, *args = text.split(":")
    known = name in EFFECTS or (name.startswith(GENERATIVE_PREFIX) and _WORD.fullmatch(name))
    if not known and not _VAR.fullmatch(name):
        raise ValueError(f"unknown effect {name!r}")
    if not all(_EFFECT_ARG.fullmatch(arg) for arg in args):
        raise ValueError(f"bad effect argument in {text!r}")
    if name in BARE_EFFECTS and args:
        raise ValueError(f"{name} takes no argument")
    if name in LEVEL_EFFECTS and args and not _is_level(args[0]):
        raise ValueError(f"{name} needs an integer level")
    return Effect(name, tuple(args))


def _is_level(text: str) -> bool:
    return bool(INTEGER.fullmatch(text) or _VAR.fullmatch(text))


def format_effect(effect: Effect) -> str:
    """``name[:arg…]``."""
    return ":".join((effect.name, *effect.args))


def parse_flags(text: str) -> Flags:
    """``fl_a``, ``fl_a.b``; a flag may carry an argument (``attachment:report``) that has
    no ``.`` in it. Unknown flag names parse (the SDK tests use ``fl_abc.def``)."""
    flags = []
    for item in text.split("."):
        match = _FLAG.fullmatch(item)
        if match is None:
            raise ValueError(f"bad flag {item!r}")
        flags.append(Flag(match.group(1), match.group(2) or ""))
    return Flags(tuple(flags))


def format_flags(flags: Flags) -> str:
    """Sorted flags joined with ``.``."""
    return ".".join(f"{f.name}:{f.argument}" if f.argument else f.name for f in flags.items)


def parse_angle(text: str) -> Angle:
    """``a_90``, ``a_-20``, ``a_hflip``, ``a_auto.55`` (steps joined with ``.``)."""
    steps: list[int | str] = []
    for step in text.split("."):
        if INTEGER.fullmatch(step):
            steps.append(int(step))
        elif step in ANGLE_MODES or _VAR.fullmatch(step):
            steps.append(step)
        else:
            raise ValueError(f"bad angle {step!r}")
    return Angle(tuple(steps))


def format_angle(angle: Angle) -> str:
    """Steps joined with ``.``."""
    return ".".join(str(step) for step in angle.steps)


def parse_radius(text: str) -> Radius:
    """``r_max`` or 1–4 colon-separated corner values (pixels or expressions)."""
    if text == "max":
        return Radius(maximum=True)
    parts = text.split(":")
    if len(parts) > 4:
        raise ValueError("at most 4 corners")
    corners = [_corner(part) for part in parts]
    return Radius(tuple(corners))


def _corner(text: str) -> Length:
    if INTEGER.fullmatch(text):
        if int(text) < 0:
            raise ValueError("negative radius")
        return Length.pixels(int(text))
    if DECIMAL.fullmatch(text):
        raise ValueError("radius is in pixels")
    return Length(LengthKind.EXPRESSION, expression=parse_expression(text))


def format_radius(radius: Radius) -> str:
    """``max`` or the corners joined with ``:``."""
    if radius.maximum:
        return "max"
    return ":".join(format_length(corner) for corner in radius.corners)


# ----------------------------------------------------------------------------- references


def parse_page(text: str) -> Page:
    """``pg_3``, ``pg_2-4;6;8``, ``pg_name:<name>``, ``pg_embedded:<n>``."""
    if not _PAGE.fullmatch(text):
        raise ValueError(f"bad page {text!r}")
    return Page(text)


def format_page(page: Page) -> str:
    """The page spec."""
    return page.spec


def parse_public_id(text: str) -> str:
    """A decoded public id written with ``:`` between folders, returned with ``/``."""
    parts = text.split(":")
    if not all(_NAME_PART.fullmatch(part) and part.strip() for part in parts):
        raise ValueError(f"bad public id {text!r}")
    return "/".join(parts)


def format_public_id(public_id: str) -> str:
    """``folder/id`` as ``folder:id``, each part percent-encoded where unsafe."""
    return ":".join(escape(part, NAME_UNSAFE) for part in public_id.split("/"))


def parse_asset_ref(text: str) -> AssetRef:
    """``d_avatar.png``, ``d_folder:avatar.png``."""
    return AssetRef(parse_public_id(text))


def format_asset_ref(ref: AssetRef) -> str:
    """Canonical text of an ``AssetRef``."""
    return format_public_id(ref.public_id)


def parse_named(text: str) -> Named:
    """``t_name`` or ``t_a.b`` (names decoded once: ``t_blip%20blop``)."""
    names = text.split(".")
    if not all(_NAME_PART.fullmatch(name) and name.strip() for name in names):
        raise ValueError(f"bad transformation name {text!r}")
    return Named(tuple(names))


def format_named(named: Named) -> str:
    """Names joined with ``.``, each percent-encoded where unsafe."""
    return ".".join(escape(name, NAME_UNSAFE) for name in named.names)


def parse_token(text: str) -> Token:
    """An opaque value: no separators, spaces or ``%``."""
    if not _TOKEN.fullmatch(text):
        raise ValueError(f"bad value {text!r}")
    return Token(text)


def format_token(token: Token) -> str:
    """The token text."""
    return token.text
