"""The transformation model: frozen dataclasses that both the parser builds and the
serializer writes (one model for both directions, as imagor's ``imagorpath`` does).

A ``Transformation`` is a chain of ``Component`` s (one per ``/``-separated URL segment). A
component maps the SDK's long parameter names (``width``, ``crop``, ``overlay``) to typed
values; short codes (``w``, ``c``, ``l``) exist only in ``params``. Its optional ``if_``
condition and ``$name`` variables are kept apart because their order is meaningful.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from .colors import NAMED_COLORS, TRANSPARENT
from .vocabulary import COMPASS, CropMode, text_keyword_rank

# ----------------------------------------------------------------------------- scalars


@dataclass(frozen=True)
class Expression:
    """Arithmetic in URL form: operands (numbers, ``iw``, ``ih``, ``w``, ``$var``) joined by
    operators (``add sub mul div pow mod``), evaluated left to right: ``iw_mul_0.5``."""

    text: str

    @property
    def tokens(self) -> tuple[str, ...]:
        """Operands and operators, in order."""
        return tuple(self.text.split("_"))

    @property
    def variables(self) -> tuple[str, ...]:
        """The user variables it reads (``$foo``)."""
        return tuple(t for t in self.tokens if t.startswith("$"))


class LengthKind(StrEnum):
    """How a ``Length`` is given."""

    PIXELS = "pixels"  # w_100
    RELATIVE = "relative"  # w_0.5 (a decimal: a factor of the current dimension)
    EXPRESSION = "expression"  # w_iw_mul_0.5, h_ih, w_$foo
    AUTO = "auto"  # w_auto, w_auto:20:350 (responsive width, Client Hints)


@dataclass(frozen=True)
class Length:
    """A width, height, x, y or radius value."""

    kind: LengthKind
    number: float = 0.0
    expression: Expression | None = None
    auto: str = ""  # what follows ``auto`` (``:20:350``, ``:breakpoints``)

    @classmethod
    def pixels(cls, value: int) -> Length:
        """``w_100``."""
        return cls(LengthKind.PIXELS, float(value))

    @classmethod
    def relative(cls, factor: float) -> Length:
        """``w_0.5``."""
        return cls(LengthKind.RELATIVE, float(factor))

    @classmethod
    def of(cls, expression: str) -> Length:
        """``w_iw_mul_0.5`` (the text is not validated here; ``params`` does that)."""
        return cls(LengthKind.EXPRESSION, expression=Expression(expression))

    @classmethod
    def auto_width(cls, spec: str = "") -> Length:
        """``w_auto`` or ``w_auto<spec>``."""
        return cls(LengthKind.AUTO, auto=spec)


@dataclass(frozen=True)
class Scalar:
    """A plain number or an expression: opacity, zoom, density, delay."""

    number: float = 0.0
    expression: Expression | None = None


@dataclass(frozen=True)
class AspectRatio:
    """``ar_16:9`` (numerator and denominator), ``ar_1.5`` (no denominator) or ``ar_$ar``."""

    numerator: float = 0.0
    denominator: float | None = None
    expression: Expression | None = None

    @property
    def value(self) -> float | None:
        """Width divided by height, or None for an expression."""
        if self.expression is not None:
            return None
        if self.denominator is None:
            return self.numerator
        return self.numerator / self.denominator


@dataclass(frozen=True)
class Dpr:
    """``dpr_2.0`` or ``dpr_auto`` (``number`` is ignored when ``auto``)."""

    number: float = 1.0
    auto: bool = False


@dataclass(frozen=True)
class Offset:
    """A time offset: seconds (``so_2.5``), percent (``so_35p``) or ``so_auto``."""

    number: float = 0.0
    percent: bool = False
    auto: bool = False


# ----------------------------------------------------------------------------- words


@dataclass(frozen=True)
class Gravity:
    """``g_<name>[:<arg>…]``: a compass point, ``xy_center``, a focal (``face``), ``auto``
    with its qualifiers (``auto:subject``, ``auto:adv_faces:10``) or objects (``cat:dog``)."""

    name: str
    args: tuple[str, ...] = ()

    @property
    def is_compass(self) -> bool:
        """A compass point (``center`` included)."""
        return self.name in COMPASS and not self.args

    @property
    def is_auto(self) -> bool:
        """Automatic (content-aware) gravity."""
        return self.name == "auto"


@dataclass(frozen=True)
class Quality:
    """``q_80``, ``q_80:444``, ``q_70:qmax_20``, ``q_auto``, ``q_auto:good``,
    ``q_jpegmini:1`` or ``q_$q``. ``mode`` is number, auto, jpegmini or expression."""

    mode: str
    number: float = 0.0
    options: tuple[str, ...] = ()
    expression: Expression | None = None


@dataclass(frozen=True)
class FetchFormat:
    """``f_webp`` or ``f_auto`` / ``f_auto:video``."""

    name: str
    qualifier: str = ""


@dataclass(frozen=True)
class Color:
    """A named colour (``red``), ``rgb:`` hex (3, 4, 6 or 8 digits, case kept) or ``$var``."""

    name: str = ""
    hex: str = ""

    @property
    def is_variable(self) -> bool:
        """A user variable (``$bcolor``)."""
        return self.name.startswith("$")

    def rgba(self) -> tuple[int, int, int, int]:
        """The colour as 8-bit RGBA (raises ValueError for a variable)."""
        if self.is_variable:
            raise ValueError(f"colour variable {self.name} has no value")
        if self.name == TRANSPARENT:
            return (0, 0, 0, 0)
        digits = NAMED_COLORS[self.name] if self.name else self.hex
        if len(digits) in (3, 4):
            digits = "".join(d * 2 for d in digits)
        if len(digits) == 6:
            digits += "ff"
        r, g, b, a = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
        return (r, g, b, a)


@dataclass(frozen=True)
class Background:
    """``b_<color>`` (``mode`` empty), or ``b_auto[:…]``, ``b_blurred[:…]``, ``b_gen_fill[:…]``."""

    color: Color | None = None
    mode: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Border:
    """``bo_<width>px_solid_<color>``."""

    width: float
    color: Color
    style: str = "solid"


@dataclass(frozen=True)
class Effect:
    """``e_<name>[:<arg>…]`` (``name`` may be a ``$variable``)."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flag:
    """One flag, with its optional argument (``attachment:report``, ``progressive:semi``)."""

    name: str
    argument: str = ""


@dataclass(frozen=True)
class Flags:
    """``fl_a.b`` or ``fl_a,fl_b``: a set of flags, kept sorted and without repeats."""

    items: tuple[Flag, ...]

    def __post_init__(self) -> None:
        unique = {(f.name, f.argument): f for f in self.items}
        object.__setattr__(self, "items", tuple(unique[k] for k in sorted(unique)))

    @classmethod
    def of(cls, *names: str) -> Flags:
        """``Flags.of("lossy", "progressive")``."""
        return cls(tuple(Flag(n) for n in names))

    @property
    def names(self) -> tuple[str, ...]:
        """The flag names."""
        return tuple(f.name for f in self.items)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def merged(self, other: Flags) -> Flags:
        """Both sets together (a repeated ``fl_`` parameter)."""
        return Flags(self.items + other.items)


@dataclass(frozen=True)
class Angle:
    """``a_90``, ``a_-20``, ``a_hflip``, ``a_auto.55``: degrees and modes, applied in order.
    An element is an int (degrees) or a string (a mode, or a ``$variable``)."""

    steps: tuple[int | str, ...]


@dataclass(frozen=True)
class Radius:
    """``r_20``, ``r_10:20:30:40`` (1–4 corners) or ``r_max`` (``maximum``)."""

    corners: tuple[Length, ...] = ()
    maximum: bool = False


@dataclass(frozen=True)
class Page:
    """``pg_3``, ``pg_2-4;6;8``, ``pg_name:skyline``, ``pg_embedded:3`` (validated text)."""

    spec: str


@dataclass(frozen=True)
class AssetRef:
    """A reference to another asset by public id (``d_folder:img.png``): folders use ``/``
    here; the URL writes them as ``:``."""

    public_id: str


@dataclass(frozen=True)
class Named:
    """``t_name`` or ``t_a.b``: named transformations, applied in order."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Token:
    """An opaque, validated value of a parameter Cloudlet only carries (``vc_h264:basic:3.1``)."""

    text: str


# ----------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class TextStyle:
    """``<family>_<size>[_<keyword>…]``: ``Arial_18_bold_italic_letter_spacing_4``.

    Keywords are kept in the SDK's order (weight, style, decoration, alignment, stroke,
    letter_spacing, line_spacing, antialias, hinting)."""

    font_family: str
    font_size: int
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.keywords, key=text_keyword_rank))
        object.__setattr__(self, "keywords", ordered)


@dataclass(frozen=True)
class Layer:
    """An overlay (``l_``) or underlay (``u_``) source.

    ``kind`` is one of: ``image`` / ``video`` / ``audio`` / ``subtitles`` / ``lut`` (a stored
    asset: ``public_id`` with ``/`` folders, ``delivery_type`` upload/private/authenticated),
    ``text`` (``text`` decoded, with a ``style`` or a saved ``style_id``), ``fetch`` (``url``;
    ``resource_type`` image or video) or ``variable`` (``public_id`` is ``$name``)."""

    kind: str
    public_id: str = ""
    delivery_type: str = "upload"
    text: str = ""
    style: TextStyle | None = None
    style_id: str = ""
    url: str = ""
    resource_type: str = "image"


# ----------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class Condition:
    """``if_<expression>``, ``if_else`` or ``if_end`` (validated text)."""

    text: str

    @property
    def is_else(self) -> bool:
        """``if_else``."""
        return self.text == "else"

    @property
    def is_end(self) -> bool:
        """``if_end``."""
        return self.text == "end"


@dataclass(frozen=True)
class Variable:
    """``$name_value``: a user variable assignment (``name`` without the ``$``)."""

    name: str
    value: str


Value = (
    Length
    | Scalar
    | AspectRatio
    | Dpr
    | Offset
    | CropMode
    | Gravity
    | Quality
    | FetchFormat
    | Color
    | Background
    | Border
    | Effect
    | Flags
    | Angle
    | Radius
    | Page
    | AssetRef
    | Named
    | Token
    | Layer
)
V = TypeVar("V")


@dataclass(frozen=True)
class Component:
    """One ``/``-separated segment: parameters by long name, plus condition and variables.

    ``params`` is stored sorted by name, so construction order never matters for equality.
    Build one with ``Component.of(width=Length.pixels(100), crop=CropMode.FILL)``."""

    params: tuple[tuple[str, Value], ...] = ()
    variables: tuple[Variable, ...] = ()
    condition: Condition | None = None

    def __post_init__(self) -> None:
        names = [name for name, _ in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"a parameter is repeated: {names}")
        object.__setattr__(self, "params", tuple(sorted(self.params, key=lambda p: p[0])))

    @classmethod
    def of(
        cls,
        params: Mapping[str, Value] | None = None,
        *,
        variables: Iterable[Variable] = (),
        condition: Condition | None = None,
        **named: Value,
    ) -> Component:
        """A component from a mapping and/or keyword arguments of long names."""
        merged = {**(params or {}), **named}
        return cls(tuple(merged.items()), tuple(variables), condition)

    @property
    def mapping(self) -> Mapping[str, Value]:
        """The parameters as a read-only mapping of long name to value."""
        return MappingProxyType(dict(self.params))

    @property
    def names(self) -> tuple[str, ...]:
        """The long names of the parameters present."""
        return tuple(name for name, _ in self.params)

    @property
    def is_empty(self) -> bool:
        """No parameter, variable or condition at all."""
        return not (self.params or self.variables or self.condition)

    def get(self, name: str) -> Value | None:
        """The value of ``name``, or None."""
        return next((value for key, value in self.params if key == name), None)

    def typed(self, name: str, kind: type[V]) -> V | None:
        """The value of ``name`` if present, checked to be a ``kind`` (TypeError otherwise)."""
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, kind):
            raise TypeError(f"{name} holds {type(value).__name__}, not {kind.__name__}")
        return value

    def __getitem__(self, name: str) -> Value:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def with_params(self, **changes: Value | None) -> Component:
        """A copy with parameters set (or removed, where the value is None)."""
        merged: dict[str, Value] = dict(self.params)
        for name, value in changes.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return Component(tuple(merged.items()), self.variables, self.condition)


@dataclass(frozen=True)
class Transformation:
    """A chain of components, each applied to the result of the previous one.

    Empty components are dropped (the SDKs drop them too)."""

    components: tuple[Component, ...] = field(default=())

    def __post_init__(self) -> None:
        kept = tuple(c for c in self.components if not c.is_empty)
        object.__setattr__(self, "components", kept)

    def __iter__(self) -> Iterator[Component]:
        return iter(self.components)

    def __len__(self) -> int:
        return len(self.components)

    def __getitem__(self, index: int) -> Component:
        return self.components[index]
