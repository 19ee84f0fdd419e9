"""Rounded corners (``r_``), borders (``bo_``), opacity (``o_``) and background colours
(``b_``).

* ``r_<n>`` rounds every corner by n pixels; ``r_a:b``, ``r_a:b:c`` and ``r_a:b:c:d`` give the
  corners in CSS order (top-left, top-right, bottom-right, bottom-left); each radius is capped
  at half the shorter side; ``r_max`` cuts the largest ellipse (a circle on a square). Corners
  become transparent; a JPEG shows the background colour there (``b_``, default white).
* ``bo_<w>px_solid_<colour>`` draws a border of that width *outside* the image (it grows by
  2w each way); with ``r_`` in the same component the border follows the rounded outline.
  Transparent areas inside the image stay transparent.
* ``o_<n>`` multiplies the alpha by n %.
* ``b_<colour>`` is the padding colour of ``pad``, ``lpad``, ``mpad`` and ``fill_pad``; with no
  padding in its component it fills the image's transparent areas. Padding without ``b_`` is
  transparent on an image with alpha and white otherwise.
* ``b_auto[:<mode>]`` (a documented approximation): ``border`` (the default) is the
  predominant colour of the image's outermost pixels, ``predominant`` that of the whole image
  (the fullest cell of a 16-level-per-channel colour histogram, averaged), and the
  ``…_contrast`` modes its RGB complement. Gradient modes use the same solid colour; palette
  and direction options are ignored.
"""

from __future__ import annotations

import math

import numpy as np
import pyvips

from cloudlet.transform.expression import evaluate
from cloudlet.transform.model import Background, Border, Color, Component, Length, Radius, Scalar

from .canvas import RGBA, TRANSPARENT, WHITE, multiply_alpha, solid, with_alpha
from .limits import RenderError, RenderLimits, check_output

Radii = tuple[float, float, float, float]  # top-left, top-right, bottom-right, bottom-left


# ----------------------------------------------------------------------------- radius


def radii_of(component: Component, width: int, height: int) -> Radii | None:
    """The corner radii ``r_`` asks for on a ``width × height`` image; None for ``r_max``
    (an ellipse) and ``(0, 0, 0, 0)`` without ``r_``."""
    radius = component.typed("radius", Radius)
    if radius is None:
        return (0, 0, 0, 0)
    if radius.maximum:
        return None
    env = {"w": float(width), "h": float(height), "iw": float(width), "ih": float(height)}
    values = [_corner(corner, env) for corner in radius.corners]
    a = values + [values[0]] * (4 - len(values))
    if len(values) == 2:
        a = [values[0], values[1], values[0], values[1]]
    elif len(values) == 3:
        a = [values[0], values[1], values[2], values[1]]
    cap = min(width, height) / 2
    return (min(a[0], cap), min(a[1], cap), min(a[2], cap), min(a[3], cap))


def _corner(corner: Length, env: dict[str, float]) -> float:
    if corner.expression is None:
        return max(corner.number, 0.0)
    if corner.expression.variables:
        raise RenderError("Variables are not supported in radius")
    try:
        return max(evaluate(corner.expression, env), 0.0)
    except ValueError:
        raise RenderError(f"Invalid radius: '{corner.expression.text}'") from None


def shape_mask(width: int, height: int, radii: Radii | None) -> pyvips.Image | None:
    """A one-band 0–255 mask of the rounded shape (None when nothing is rounded)."""
    if radii is None:
        return _ellipse(width, height)
    if not any(r >= 0.5 for r in radii):
        return None
    mask = (pyvips.Image.black(width, height) + 255).cast("uchar")
    for index, radius in enumerate(radii):
        size = math.ceil(radius)
        if size < 1:
            continue
        patch = _corner_patch(radius, size, index)
        left = 0 if index in (0, 3) else width - size
        top = 0 if index in (0, 1) else height - size
        mask = mask.insert(patch, left, top)
    return mask


def _corner_patch(radius: float, size: int, corner: int) -> pyvips.Image:
    """The top-left corner's antialiased quarter disc (computed lazily by libvips), mirrored
    into the given corner."""
    xyz = pyvips.Image.xyz(size, size)
    dx = radius - (xyz.extract_band(0) + 0.5)
    dy = radius - (xyz.extract_band(1) + 0.5)
    dx = (dx < 0).ifthenelse(0, dx)
    dy = (dy < 0).ifthenelse(0, dy)
    inside = radius - (dx * dx + dy * dy) ** 0.5 + 0.5
    inside = (inside < 0).ifthenelse(0, (inside > 1).ifthenelse(1, inside))
    patch = (inside * 255 + 0.5).cast("uchar")
    if corner in (1, 2):
        patch = patch.flip("horizontal")
    if corner in (2, 3):
        patch = patch.flip("vertical")
    return patch


def _ellipse(width: int, height: int) -> pyvips.Image:
    rx, ry = width / 2, height / 2
    xyz = pyvips.Image.xyz(width, height)
    dx = (xyz.extract_band(0) + 0.5 - rx) / rx
    dy = (xyz.extract_band(1) + 0.5 - ry) / ry
    edge = (1 - (dx * dx + dy * dy) ** 0.5) * min(rx, ry) + 0.5
    edge = (edge < 0).ifthenelse(0, (edge > 1).ifthenelse(1, edge))
    return (edge * 255).cast("uchar")


def round_corners(image: pyvips.Image, component: Component) -> pyvips.Image:
    """The image with ``r_`` applied (unchanged without it)."""
    if "radius" not in component:
        return image
    mask = shape_mask(image.width, image.height, radii_of(component, image.width, image.height))
    return image if mask is None else multiply_alpha(image, mask)


# ----------------------------------------------------------------------------- border


def border_width(component: Component) -> int:
    """The ``bo_`` width in pixels (0 without one)."""
    border = component.typed("border", Border)
    return 0 if border is None else max(1, round(border.width))


def add_border(image: pyvips.Image, component: Component, limits: RenderLimits) -> pyvips.Image:
    """The image inside its ``bo_`` border (unchanged without one)."""
    border = component.typed("border", Border)
    if border is None:
        return image
    size = border_width(component)
    width, height = image.width + 2 * size, image.height + 2 * size
    check_output(width, height, limits)
    ring = solid(width, height, color_rgba(border.color))
    outer, inner = _outlines(component, image.width, image.height, size)
    ring_alpha = ring.extract_band(3)
    if outer is not None:
        ring_alpha = (ring_alpha * outer / 255).cast("uchar")
    hole = inner.embed(size, size, width, height) if inner is not None else _box(image, size)
    ring_alpha = (hole > 127).ifthenelse(0, ring_alpha).cast("uchar")
    ring = ring.extract_band(0, n=3).bandjoin(ring_alpha)
    placed = with_alpha(image).embed(size, size, width, height)
    return ring.composite2(placed, "over").cast("uchar").copy(interpretation="srgb")


def _outlines(
    component: Component, width: int, height: int, size: int
) -> tuple[pyvips.Image | None, pyvips.Image | None]:
    if "radius" not in component:
        return None, None
    radii = radii_of(component, width, height)
    inner = shape_mask(width, height, radii)
    grown = None if radii is None else tuple(r + size if r >= 0.5 else 0.0 for r in radii)
    outer = shape_mask(width + 2 * size, height + 2 * size, grown)  # type: ignore[arg-type]
    return outer, inner


def _box(image: pyvips.Image, size: int) -> pyvips.Image:
    inner = (pyvips.Image.black(image.width, image.height) + 255).cast("uchar")
    return inner.embed(size, size, image.width + 2 * size, image.height + 2 * size)


# ----------------------------------------------------------------------------- opacity


def apply_opacity(image: pyvips.Image, component: Component) -> pyvips.Image:
    """The image with ``o_`` applied (unchanged without it)."""
    opacity = component.typed("opacity", Scalar)
    if opacity is None:
        return image
    if opacity.expression is not None:
        raise RenderError("Expressions are not supported in opacity")
    if opacity.number >= 100:
        return image
    level = round(255 * max(opacity.number, 0) / 100)
    return multiply_alpha(image, (pyvips.Image.black(image.width, image.height) + level))


# ----------------------------------------------------------------------------- background


def color_rgba(color: Color) -> RGBA:
    """A model colour as RGBA; RenderError for a variable."""
    if color.is_variable:
        raise RenderError("Variables are not supported in colours")
    return color.rgba()


def fill_color(component: Component) -> RGBA | None:
    """The plain ``b_<colour>`` of a component, if it has one."""
    background = component.typed("background", Background)
    if background is None or background.color is None:
        return None
    return color_rgba(background.color)


def pad_color(component: Component, image: pyvips.Image) -> RGBA:
    """The colour padding gets (see the module docstring)."""
    background = component.typed("background", Background)
    if background is None:
        return TRANSPARENT if image.hasalpha() else WHITE
    if background.color is not None:
        return color_rgba(background.color)
    return auto_color(image, background.options)


def auto_color(image: pyvips.Image, options: tuple[str, ...]) -> RGBA:
    """``b_auto[:mode]`` (see the module docstring)."""
    mode = options[0] if options else "border"
    small = image.thumbnail_image(64, height=64, no_rotate=True)
    pixels = _pixels(with_alpha(small))
    if mode.startswith("border"):
        pixels = np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])
    pixels = pixels.reshape(-1, 4)
    color = _predominant(pixels)
    if mode.endswith("contrast") and color[3] > 0:
        color = (255 - color[0], 255 - color[1], 255 - color[2], 255)
    return color


def _pixels(image: pyvips.Image) -> np.ndarray:
    data = image.cast("uchar").write_to_memory()
    return np.frombuffer(data, dtype=np.uint8).reshape(image.height, image.width, 4)


def _predominant(pixels: np.ndarray) -> RGBA:
    opaque = pixels[pixels[:, 3] >= 128]
    if len(opaque) * 2 < len(pixels):
        return TRANSPARENT
    cells = (opaque[:, :3] // 16).astype(np.int32)
    keys = cells[:, 0] * 256 + cells[:, 1] * 16 + cells[:, 2]
    fullest = np.bincount(keys).argmax()
    mean = opaque[keys == fullest][:, :3].mean(axis=0)
    return (int(round(mean[0])), int(round(mean[1])), int(round(mean[2])), 255)
