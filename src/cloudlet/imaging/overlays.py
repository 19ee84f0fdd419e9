"""Layers (``l_`` overlays, ``u_`` underlays): which components belong to a layer, and where
the finished layer lands.

Scoping, as Cloudinary's layers page describes it (transformations.md §A1.8):

* **Block form.** ``l_logo/c_scale,w_100/fl_layer_apply,g_north_west,x_10,y_10``: the
  component holding ``l_`` opens the layer, and its other parameters transform the layer; the
  components up to the matching ``fl_layer_apply`` transform the layer too; the
  ``fl_layer_apply`` component places it: ``g_``, ``x``, ``y`` and ``o_`` (flags such as
  ``fl_relative`` may sit there as well). Any other parameter there is refused. Blocks nest.
* **Inline form** (the SDKs' legacy shorthand: no ``fl_layer_apply`` left to close it):
  ``l_text:Arial_20:Hi,co_red,g_south_east,x_10,y_10,w_100`` — ``g_``, ``x`` and ``y`` place the
  layer and every other parameter of the component transforms it.

Placement: the gravity anchors the layer in the base image (default ``center``); ``x``/``y``
move it from there, inwards from the edges a compass gravity names (``g_south_east,x_10`` is
10 px from the right edge) and right/down otherwise; decimals are fractions of the base's
size. ``g_xy_center`` puts the layer's centre at ``(x, y)``; ``g_face``/``g_faces`` centre it
on the base image's face(s) (``x``/``y`` then offset it). As on Cloudinary, a layer that
sticks out of the base enlarges the canvas (transparent where nothing was drawn); an
underlay is drawn beneath the base on the same enlarged canvas.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from cloudlet.transform.expression import evaluate
from cloudlet.transform.geometry import COMPASS_ANCHORS
from cloudlet.transform.model import Component, Flags, Gravity, Layer, Length, LengthKind
from cloudlet.transform.steps import Rect, Size

from .canvas import TRANSPARENT, composite, embed, with_alpha
from .limits import RenderError, RenderLimits, check_output
from .resizing import Work
from .shapes import apply_opacity

PLACEMENT = frozenset({"gravity", "x", "y"})
_APPLY_ALLOWED = PLACEMENT | {"opacity", "flags"}


# ----------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class Apply:
    """A component applied to the current image."""

    component: Component


@dataclass(frozen=True)
class LayerBlock:
    """A layer: its source, what transforms it, and where it lands."""

    layer: Layer
    underlay: bool
    own: Component  # the opening component's parameters that transform the layer
    body: tuple[Node, ...]  # the components between opening and fl_layer_apply
    placement: Component  # gravity, x, y (and opacity) that place it


Node = Apply | LayerBlock


def _layer_of(component: Component) -> tuple[Layer, bool] | None:
    overlay = component.typed("overlay", Layer)
    underlay = component.typed("underlay", Layer)
    if overlay is not None and underlay is not None:
        raise RenderError("A component cannot hold both an overlay and an underlay")
    if overlay is not None:
        return overlay, False
    return (underlay, True) if underlay is not None else None


def _applies(component: Component) -> bool:
    flags = component.typed("flags", Flags)
    return flags is not None and "layer_apply" in flags


def _keep(component: Component, names: frozenset[str]) -> Component:
    return component.with_params(**{n: None for n in component.names if n not in names})


def _drop(component: Component, names: frozenset[str]) -> Component:
    return component.with_params(**{n: None for n in component.names if n in names})


@dataclass
class _Open:
    layer: Layer
    underlay: bool
    own: Component
    body: list[Node]


def build_chain(components: tuple[Component, ...]) -> tuple[Node, ...]:
    """The components as a tree of plain steps and layers (see the module docstring)."""
    closers_after = [sum(_applies(c) for c in components[i + 1 :]) for i in range(len(components))]
    root: list[Node] = []
    stack: list[_Open] = []
    for index, component in enumerate(components):
        body = stack[-1].body if stack else root
        found = _layer_of(component)
        if found is not None and not _applies(component) and closers_after[index] > len(stack):
            own = component.with_params(overlay=None, underlay=None)
            stack.append(_Open(found[0], found[1], own, []))
        elif found is not None:
            body.append(_inline(component, *found))
        elif _applies(component):
            if not stack:
                raise RenderError("fl_layer_apply has no overlay or underlay to apply")
            block = _close(stack.pop(), component)
            (stack[-1].body if stack else root).append(block)
        else:
            body.append(Apply(component))
    return tuple(root)


def _inline(component: Component, layer: Layer, underlay: bool) -> LayerBlock:
    own = _drop(component.with_params(overlay=None, underlay=None), PLACEMENT)
    return LayerBlock(layer, underlay, own, (), _keep(component, PLACEMENT))


def _close(opened: _Open, component: Component) -> LayerBlock:
    extra = [n for n in component.names if n not in _APPLY_ALLOWED]
    if extra:
        raise RenderError(
            f"Parameters {', '.join(extra)} in a fl_layer_apply component are not supported"
        )
    placement = _keep(component, PLACEMENT | {"opacity"})
    return LayerBlock(opened.layer, opened.underlay, opened.own, tuple(opened.body), placement)


# ----------------------------------------------------------------------------- placement


def _offset(component: Component, name: str, base: int) -> float:
    length = component.typed(name, Length)
    if length is None:
        return 0.0
    if length.kind is LengthKind.RELATIVE:
        return length.number * base
    if length.kind is LengthKind.EXPRESSION and length.expression is not None:
        if length.expression.variables:
            raise RenderError(f"Variables are not supported in {name}")
        return evaluate(length.expression, {"w": base, "h": base, "iw": base, "ih": base})
    return length.number


def position(base: Size, layer: Size, placement: Component, focus: Rect | None) -> tuple[int, int]:
    """Top-left corner of the layer in the base image's pixels."""
    gravity = placement.typed("gravity", Gravity)
    x = _offset(placement, "x", base.width)
    y = _offset(placement, "y", base.height)
    if gravity is not None and gravity.name == "xy_center":
        return round(x - layer.width / 2), round(y - layer.height / 2)
    if focus is not None:
        cx, cy = focus.center
        return round(cx - layer.width / 2 + x), round(cy - layer.height / 2 + y)
    name = gravity.name if gravity is not None and gravity.is_compass else "center"
    fx, fy = COMPASS_ANCHORS[name]
    left = (base.width - layer.width) * fx + (-x if fx == 1.0 else x)
    top = (base.height - layer.height) * fy + (-y if fy == 1.0 else y)
    return round(left), round(top)


def compose(
    base: Work,
    layer: pyvips.Image,
    corner: tuple[int, int],
    *,
    underlay: bool,
    limits: RenderLimits,
) -> Work:
    """The layer drawn over (or under) the base at ``corner``, the canvas enlarged to hold
    both."""
    left, top = corner
    width, height = base.image.width, base.image.height
    x0, y0 = min(0, left), min(0, top)
    x1 = max(width, left + layer.width)
    y1 = max(height, top + layer.height)
    canvas = Size(x1 - x0, y1 - y0)
    check_output(canvas.width, canvas.height, limits)
    image, tracker = base.image, base.tracker
    if canvas != Size(width, height):
        image = embed(image, -x0, -y0, canvas.width, canvas.height, TRANSPARENT)
        tracker = tracker.shift(-x0, -y0, canvas.width, canvas.height)
    lx, ly = left - x0, top - y0
    if not underlay:
        return Work(composite(image, layer, lx, ly), tracker)
    beneath = embed(with_alpha(layer), lx, ly, canvas.width, canvas.height, TRANSPARENT)
    return Work(composite(beneath, image, 0, 0), tracker)


def place(
    base: Work,
    layer: pyvips.Image,
    block: LayerBlock,
    focus: Rect | None,
    limits: RenderLimits,
) -> Work:
    """Position ``layer`` (finished) by the block's placement and draw it on ``base``."""
    layer = apply_opacity(layer, block.placement)
    corner = position(base.size, Size(layer.width, layer.height), block.placement, focus)
    return compose(base, layer, corner, underlay=block.underlay, limits=limits)
