"""Crop-mode geometry (transformations.md §A2): pure arithmetic, no images.

``plan_geometry`` turns a source size and one component's ``width``, ``height``,
``aspect_ratio``, ``crop``, ``gravity``, ``x``, ``y``, ``zoom``, ``dpr`` (and ``flags``:
``ignore_aspect_ratio``) into a ``Plan``: a few steps an image pipeline executes in order —

1. ``Resize`` the whole image to exactly ``width × height``;
2. ``Extract`` a rectangle of the resized image;
3. ``Embed`` the result on a ``width × height`` canvas with its top-left at ``(left, top)``
   (padding; the colour comes from ``background``).

Steps that would do nothing are left out. Decisions where the reference is UNCONFIRMED:

* A decimal ``w``/``h``/``x``/``y`` is a factor of the current size (or of ``relative_to``,
  for layers with ``fl_relative``); ``iw``/``ih``/``ow``/``oh`` are the initial size.
* ``dpr`` multiplies the resolved ``w`` and ``h`` and pixel ``x``/``y`` (A2: "a multiplier of
  w/h"), before the mode's rules, so ``c_limit,w_1000,dpr_2`` limits at 2000 px.
* One of ``w``/``h`` with no ``ar``: the other follows the source's aspect ratio, in every mode.
  ``ar`` alone: the largest box of that ratio inside the source.
* Rounding is to the nearest integer (halves up), at least 1 px.
* ``c_crop``: the rectangle is ``w × h`` at the gravity (default centre; with ``x``/``y`` and no
  gravity, ``(x, y)`` is its top-left corner); ``z`` > 1 takes a ``w/z × h/z`` region and
  enlarges it to ``w × h``. Without ``w``/``h`` a focal gravity crops to the face box.
  Compass offsets point inwards (``g_south_east,x_10`` moves left); focal gravities ignore
  ``x``/``y``. The rectangle is clamped to the image.
* ``c_thumb``: the focus box (faces, custom box, or the ``auto`` box) grown to the target
  ratio, divided by ``z``, never smaller than ``w × h`` (no enlarging a small face) nor larger
  than the image, then scaled to ``w × h``. Without a focus box it behaves as ``fill``.
* ``c_fill_pad``: as ``fill``, but the scale is lowered (down to ``pad``'s) until the focus
  box fits; what is left is padded, centred. Without a focus box it is ``fill``.
* ``c_mpad`` on an image larger than the box returns it unchanged.
* ``auto``, ``auto_pad``, ``imagga_crop`` and ``imagga_scale`` are planned as ``fill``,
  ``fill_pad``, ``fill`` and ``scale`` (``support`` reports them as not supported).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import InvalidParameterError, UnsupportedTransformationError
from .expression import evaluate
from .model import AspectRatio, Component, Dpr, Flags, Gravity, Length, LengthKind, Scalar
from .steps import ClientHints, Embed, Extract, Focus, Plan, Rect, Resize, Size, Step
from .vocabulary import COMPASS, OBJECT_GRAVITIES, CropMode

# ----------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class _Request:
    mode: CropMode
    target: tuple[float, float] | None
    gravity: Gravity | None
    x: float | None
    y: float | None
    zoom: float


@dataclass(frozen=True)
class _Context:
    source: Size
    target: tuple[float, float]
    request: _Request
    focus: Rect | None


def plan_geometry(
    source: Size,
    component: Component,
    *,
    focus: Focus | None = None,
    hints: ClientHints | None = None,
    initial: Size | None = None,
    relative_to: Size | None = None,
) -> Plan:
    """The resize/extract/embed plan of ``component`` on a ``source``-sized image.

    ``initial`` is the size of the original asset (for ``iw``/``ih``; defaults to ``source``),
    ``relative_to`` the size decimals refer to (defaults to ``source``). Raises
    ``TransformationError`` for a value it cannot resolve (an expression on a variable)."""
    if source.width <= 0 or source.height <= 0:
        raise ValueError(f"source size must be positive, not {source}")
    request = _request(source, component, hints or ClientHints(), initial or source, relative_to)
    if request.target is None and not _crops_to_focus(request):
        return Plan(source, (), source)
    box = _focus_box(request.gravity, focus or Focus())
    if request.target is None:
        if box is None:
            return Plan(source, (), source)
        request = _with_target(request, (float(box.width), float(box.height)))
    assert request.target is not None
    return _MODES[request.mode](_Context(source, request.target, request, box))


def _crops_to_focus(request: _Request) -> bool:
    return request.mode in (CropMode.CROP, CropMode.THUMB) and request.gravity is not None


def _with_target(request: _Request, target: tuple[float, float]) -> _Request:
    return _Request(request.mode, target, request.gravity, request.x, request.y, request.zoom)


def _request(
    source: Size,
    component: Component,
    hints: ClientHints,
    initial: Size,
    relative_to: Size | None,
) -> _Request:
    base = relative_to or source
    env = _environment(source, initial)
    dpr = _dpr(component.typed("dpr", Dpr), hints)
    width = _dimension("width", component, base.width, env, hints)
    height = _dimension("height", component, base.height, env, hints)
    flags = component.typed("flags", Flags)
    target = _target(
        source,
        width * dpr if width is not None else None,
        height * dpr if height is not None else None,
        _ratio(component.typed("aspect_ratio", AspectRatio)),
        ignore_aspect=flags is not None and "ignore_aspect_ratio" in flags,
    )
    return _Request(
        mode=component.typed("crop", CropMode) or CropMode.SCALE,
        target=target,
        gravity=component.typed("gravity", Gravity),
        x=_offset("x", component, base.width, env, dpr),
        y=_offset("y", component, base.height, env, dpr),
        zoom=_zoom(component),
    )


def _environment(source: Size, initial: Size) -> dict[str, float]:
    return {
        "w": source.width,
        "h": source.height,
        "iw": initial.width,
        "ih": initial.height,
        "ow": initial.width,
        "oh": initial.height,
        "ar": source.width / source.height,
        "iar": initial.width / initial.height,
    }


def _dpr(dpr: Dpr | None, hints: ClientHints) -> float:
    if dpr is None:
        return 1.0
    if dpr.auto:
        return hints.dpr or 1.0
    return dpr.number


def _resolve(name: str, length: Length, base: int, env: dict[str, float]) -> float:
    if length.kind is LengthKind.RELATIVE:
        return length.number * base
    if length.kind is LengthKind.EXPRESSION and length.expression is not None:
        if length.expression.variables:
            raise UnsupportedTransformationError(
                f"Variables are not supported ({name} '{length.expression.text}')", name
            )
        try:
            return evaluate(length.expression, env)
        except ValueError as error:
            raise InvalidParameterError.value(name, length.expression.text) from error
    return length.number


def _dimension(
    name: str, component: Component, base: int, env: dict[str, float], hints: ClientHints
) -> float | None:
    length = component.typed(name, Length)
    if length is None:
        return None
    if length.kind is LengthKind.AUTO:
        return float(_auto_width(length.auto, hints, base))
    value = _resolve(name, length, base, env)
    if value <= 0:
        raise InvalidParameterError.value(name, str(value))
    return value


def _auto_width(spec: str, hints: ClientHints, base: int) -> int:
    """``w_auto[:step[:fallback]]``: the hinted width rounded up to ``step``, else the
    fallback, else the current width. (Breakpoint variants use the hint as is.)"""
    parts = spec.split(":")[1:]
    numbers = [int(p) for p in parts if p.isdigit()]
    if hints.width is None:
        return numbers[1] if len(numbers) > 1 else base
    step = numbers[0] if numbers and numbers[0] > 0 else 1
    return math.ceil(hints.width / step) * step


def _offset(
    name: str, component: Component, base: int, env: dict[str, float], dpr: float
) -> float | None:
    length = component.typed(name, Length)
    if length is None:
        return None
    value = _resolve(name, length, base, env)
    return value * dpr if length.kind is LengthKind.PIXELS else value


def _ratio(ratio: AspectRatio | None) -> float | None:
    if ratio is None:
        return None
    if ratio.value is None:
        raise UnsupportedTransformationError(
            "Variables and expressions are not supported in aspect_ratio", "aspect_ratio"
        )
    return ratio.value


def _zoom(component: Component) -> float:
    zoom = component.typed("zoom", Scalar)
    if zoom is None:
        return 1.0
    if zoom.expression is not None:
        raise UnsupportedTransformationError("Expressions are not supported in zoom", "zoom")
    return zoom.number


def _target(
    source: Size,
    width: float | None,
    height: float | None,
    ratio: float | None,
    *,
    ignore_aspect: bool,
) -> tuple[float, float] | None:
    """The box asked for, with a missing side completed (see the module docstring)."""
    sw, sh = source.width, source.height
    if width is not None and height is not None:
        return (width, height)
    if width is not None:
        other = width / ratio if ratio else (sh if ignore_aspect else width * sh / sw)
        return (width, other)
    if height is not None:
        other = height * ratio if ratio else (sw if ignore_aspect else height * sw / sh)
        return (other, height)
    if ratio:
        return (sh * ratio, float(sh)) if sw / sh > ratio else (float(sw), sw / ratio)
    return None


# ----------------------------------------------------------------------------- focus


_ONE_FACE = frozenset({"face", "adv_face", "adv_eyes"})
_ALL_FACES = frozenset({"faces", "adv_faces"})
_CUSTOM = frozenset({"custom", "custom_no_override"})


def _union(boxes: tuple[Rect, ...]) -> Rect | None:
    if not boxes:
        return None
    left = min(b.left for b in boxes)
    top = min(b.top for b in boxes)
    right = max(b.left + b.width for b in boxes)
    bottom = max(b.top + b.height for b in boxes)
    return Rect(left, top, right - left, bottom - top)


def _largest(boxes: tuple[Rect, ...]) -> Rect | None:
    return max(boxes, key=lambda b: b.width * b.height, default=None)


def _faces_box(name: str, focus: Focus) -> Rect | None:
    return _largest(focus.faces) if name in _ONE_FACE else _union(focus.faces)


def _usable(boxes: tuple[Rect, ...]) -> tuple[Rect, ...]:
    return tuple(b for b in boxes if b.width > 0 and b.height > 0)


def _focus_box(gravity: Gravity | None, focus: Focus) -> Rect | None:
    """The region a focal gravity points at, or None (then the centre is used)."""
    if gravity is None:
        return None
    auto = _usable((focus.auto,) if focus.auto else ())
    focus = Focus(_usable(focus.faces), _usable(focus.custom), auto[0] if auto else None)
    words = (gravity.name, *gravity.args)
    face_word = next((w for w in words if w in _ONE_FACE | _ALL_FACES), None)
    if gravity.name in _CUSTOM and focus.custom:
        return _union(focus.custom)
    if face_word is not None:
        return _faces_box(face_word, focus)
    if gravity.name == "auto":
        return focus.auto or _union(focus.faces)
    if gravity.name in OBJECT_GRAVITIES or gravity.name in ("body", "ocr_text"):
        return focus.auto
    return None


# ----------------------------------------------------------------------------- placement


# Where each compass gravity puts a box inside an area, as fractions of the free space.
COMPASS_ANCHORS = {
    "north_west": (0.0, 0.0),
    "north": (0.5, 0.0),
    "north_east": (1.0, 0.0),
    "west": (0.0, 0.5),
    "center": (0.5, 0.5),
    "east": (1.0, 0.5),
    "south_west": (0.0, 1.0),
    "south": (0.5, 1.0),
    "south_east": (1.0, 1.0),
}


# Placement with no gravity and no offsets: centred.
_CENTRED = _Request(CropMode.PAD, None, None, None, None, 1.0)


def _round(value: float) -> int:
    return max(1, math.floor(value + 0.5))


def _clamp(value: float, high: float) -> float:
    return min(max(value, 0.0), max(high, 0.0))


def _place(
    area: tuple[float, float],
    box: tuple[float, float],
    request: _Request,
    center: tuple[float, float] | None,
) -> tuple[float, float]:
    """Top-left of a ``box`` inside an ``area`` for the request's gravity and offsets."""
    (aw, ah), (bw, bh) = area, box
    gravity = request.gravity
    x, y = request.x or 0.0, request.y or 0.0
    if gravity is not None and gravity.name == "xy_center":
        left, top = x - bw / 2, y - bh / 2
    elif gravity is not None and gravity.name in COMPASS:
        left, top = _anchored(area, box, COMPASS_ANCHORS[gravity.name], (x, y))
    elif gravity is None and request.mode is CropMode.CROP and (request.x or request.y):
        left, top = x, y
    elif center is not None:
        left, top = center[0] - bw / 2, center[1] - bh / 2
    else:
        left, top = (aw - bw) / 2, (ah - bh) / 2
    return (_clamp(left, aw - bw), _clamp(top, ah - bh))


def _anchored(
    area: tuple[float, float],
    box: tuple[float, float],
    anchor: tuple[float, float],
    offset: tuple[float, float],
) -> tuple[float, float]:
    (aw, ah), (bw, bh), (fx, fy), (x, y) = area, box, anchor, offset
    left = (aw - bw) * fx + (-x if fx == 1.0 else x)
    top = (ah - bh) * fy + (-y if fy == 1.0 else y)
    return left, top


def _scaled(point: tuple[float, float] | None, scale: float) -> tuple[float, float] | None:
    return None if point is None else (point[0] * scale, point[1] * scale)


# ----------------------------------------------------------------------------- assembly


def _assemble(
    source: Size,
    resize: Size,
    extract: Rect | None = None,
    embed: Embed | None = None,
) -> Plan:
    """A plan from its parts, leaving out steps that change nothing."""
    steps: list[Step] = []
    current = source
    if resize != source:
        steps.append(Resize(resize.width, resize.height))
        current = resize
    if extract is not None and (extract.width, extract.height) != (current.width, current.height):
        steps.append(Extract(extract.left, extract.top, extract.width, extract.height))
        current = Size(extract.width, extract.height)
    if embed is not None and (embed.width, embed.height) != (current.width, current.height):
        steps.append(embed)
        current = Size(embed.width, embed.height)
    return Plan(source, tuple(steps), current)


def _resized(source: Size, scale: float) -> Size:
    return Size(_round(source.width * scale), _round(source.height * scale))


def _cut(ctx: _Context, resized: Size, scale: float, wanted: tuple[int, int]) -> Rect:
    """A ``wanted``-sized rectangle (clamped to ``resized``) placed by gravity or focus."""
    width, height = min(wanted[0], resized.width), min(wanted[1], resized.height)
    center = _scaled(ctx.focus.center if ctx.focus else None, scale)
    left, top = _place((resized.width, resized.height), (width, height), ctx.request, center)
    return Rect(_position(left), _position(top), width, height)


def _position(value: float) -> int:
    return math.floor(value + 0.5)


# ----------------------------------------------------------------------------- modes


def _fit_scale(ctx: _Context) -> float:
    return min(ctx.target[0] / ctx.source.width, ctx.target[1] / ctx.source.height)


def _fill_scale(ctx: _Context) -> float:
    return max(ctx.target[0] / ctx.source.width, ctx.target[1] / ctx.source.height)


def _wanted(ctx: _Context) -> tuple[int, int]:
    return (_round(ctx.target[0]), _round(ctx.target[1]))


def _scale(ctx: _Context) -> Plan:
    return _assemble(ctx.source, Size(*_wanted(ctx)))


def _fitting(low: float, high: float) -> Callable[[_Context], Plan]:
    def plan(ctx: _Context) -> Plan:
        scale = min(max(_fit_scale(ctx), low), high)
        return _assemble(ctx.source, _resized(ctx.source, scale))

    return plan


def _filling(high: float) -> Callable[[_Context], Plan]:
    def plan(ctx: _Context) -> Plan:
        scale = min(_fill_scale(ctx), high)
        resized = _resized(ctx.source, scale)
        return _assemble(ctx.source, resized, _cut(ctx, resized, scale, _wanted(ctx)))

    return plan


def _padding(low: float, high: float) -> Callable[[_Context], Plan]:
    def plan(ctx: _Context) -> Plan:
        fit = _fit_scale(ctx)
        if low >= 1.0 and fit < 1.0:
            return _assemble(ctx.source, ctx.source)  # mpad: larger images stay as they are
        resized = _resized(ctx.source, min(max(fit, low), high))
        return _assemble(ctx.source, resized, embed=_embed(ctx, resized))

    return plan


def _embed(ctx: _Context, image: Size) -> Embed:
    """The canvas for a padded image: compass gravities (with offsets) place it, anything
    else centres it."""
    wanted = _wanted(ctx)
    canvas = (max(wanted[0], image.width), max(wanted[1], image.height))
    gravity = ctx.request.gravity
    request = ctx.request if gravity is not None and gravity.is_compass else _CENTRED
    left, top = _place(canvas, (image.width, image.height), request, None)
    return Embed(canvas[0], canvas[1], _position(left), _position(top))


def _fill_pad(ctx: _Context) -> Plan:
    scale = _fill_scale(ctx)
    if ctx.focus is not None:
        fits = min(ctx.target[0] / ctx.focus.width, ctx.target[1] / ctx.focus.height)
        scale = max(_fit_scale(ctx), min(scale, fits))
    resized = _resized(ctx.source, scale)
    cut = _cut(ctx, resized, scale, _wanted(ctx))
    wanted = _wanted(ctx)
    left, top = _place(wanted, (cut.width, cut.height), _CENTRED, None)
    embed = Embed(wanted[0], wanted[1], _position(left), _position(top))
    return _assemble(ctx.source, resized, cut, embed)


def _region_plan(ctx: _Context, region: tuple[float, float, float, float]) -> Plan:
    """Scale so that ``region`` (source pixels) becomes the target size, and extract it."""
    left, top, width, height = region
    scale = ctx.target[0] / width
    resized = _resized(ctx.source, scale)
    wanted = (
        min(_round(width * scale), resized.width),
        min(_round(height * scale), resized.height),
    )
    x = _clamp(left * scale, resized.width - wanted[0])
    y = _clamp(top * scale, resized.height - wanted[1])
    return _assemble(ctx.source, resized, Rect(_position(x), _position(y), *wanted))


def _crop(ctx: _Context) -> Plan:
    zoom = ctx.request.zoom
    sw, sh = ctx.source.width, ctx.source.height
    width = min(ctx.target[0] / zoom, sw)
    height = min(ctx.target[1] / zoom, sh)
    center = ctx.focus.center if ctx.focus else None
    left, top = _place((sw, sh), (width, height), ctx.request, center)
    if zoom == 1.0:
        box = Rect(_position(left), _position(top), _round(width), _round(height))
        return _assemble(ctx.source, ctx.source, _inside(box, ctx.source))
    return _region_plan(ctx, (left, top, width, height))


def _inside(box: Rect, size: Size) -> Rect:
    width, height = min(box.width, size.width), min(box.height, size.height)
    left = min(max(box.left, 0), size.width - width)
    top = min(max(box.top, 0), size.height - height)
    return Rect(left, top, width, height)


def _thumb(ctx: _Context) -> Plan:
    if ctx.focus is None:
        return _filling(math.inf)(ctx)
    tw, th = ctx.target
    ratio = tw / th
    width, height = float(ctx.focus.width), float(ctx.focus.height)
    width, height = (height * ratio, height) if width / height < ratio else (width, width / ratio)
    width, height = width / ctx.request.zoom, height / ctx.request.zoom
    if width < tw:
        width, height = tw, th
    sw, sh = ctx.source.width, ctx.source.height
    if width > sw or height > sh:
        width, height = (sh * ratio, float(sh)) if sw / sh > ratio else (float(sw), sw / ratio)
    cx, cy = ctx.focus.center
    left = _clamp(cx - width / 2, sw - width)
    top = _clamp(cy - height / 2, sh - height)
    return _region_plan(ctx, (left, top, width, height))


_MODES: dict[CropMode, Callable[[_Context], Plan]] = {
    CropMode.SCALE: _scale,
    CropMode.FIT: _fitting(0.0, math.inf),
    CropMode.LIMIT: _fitting(0.0, 1.0),
    CropMode.MFIT: _fitting(1.0, math.inf),
    CropMode.FILL: _filling(math.inf),
    CropMode.LFILL: _filling(1.0),
    CropMode.FILL_PAD: _fill_pad,
    CropMode.PAD: _padding(0.0, math.inf),
    CropMode.LPAD: _padding(0.0, 1.0),
    CropMode.MPAD: _padding(1.0, math.inf),
    CropMode.CROP: _crop,
    CropMode.THUMB: _thumb,
    CropMode.AUTO: _filling(math.inf),
    CropMode.AUTO_PAD: _fill_pad,
    CropMode.IMAGGA_CROP: _filling(math.inf),
    CropMode.IMAGGA_SCALE: _scale,
}
