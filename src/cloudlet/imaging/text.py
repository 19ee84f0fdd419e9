"""Text layers (``l_text:<style>:<text>``), drawn by libvips with Pango.

The style's family, size, weight, italic, underline, strikethrough and letter spacing become
attributes of one Pango ``<span>`` around the (markup-escaped) text; the size is in pixels
(Pango renders at 72 dpi, where a point is a pixel). Alignment and ``line_spacing`` go to
libvips' ``text`` (``align``, ``justify``, ``spacing``). The colour is the component's ``co_``
(default black, alpha honoured). ``w_`` with ``c_fit`` wraps the text at that width instead of
scaling it (as Cloudinary does); otherwise ``w``/``h``/``c`` scale the rendered text like any
layer. ``stroke`` with a ``bo_`` in the same component outlines the glyphs with the border's
width and colour (a square dilation of the glyphs). ``antialias`` and ``hinting`` keywords are
accepted and ignored. Without a style the text is drawn in ``DEFAULT_FAMILY`` at
``DEFAULT_SIZE`` px. Fonts come from fontconfig; an unknown family falls back to its default.
Saved text styles (``l_text:<style id>:…``, the public id of an image made by the ``text``
method) are drawn by ``text_image.styled_text``; ``render_text`` handles inline styles only.
"""

from __future__ import annotations

import html
import math

import pyvips

from cloudlet.transform.model import Border, Color, Component, Layer, Length, LengthKind, TextStyle
from cloudlet.transform.vocabulary import CropMode

from .canvas import BLACK, RGBA, rgba, solid, with_alpha
from .limits import RenderError, RenderLimits, check_output

DEFAULT_FAMILY = "Arial"
DEFAULT_SIZE = 20
MAX_STROKE = 50  # the dilation costs the square of the width per pixel
_WEIGHTS = {
    "thin": 100,
    "extralight": 200,
    "light": 300,
    "book": 380,
    "normal": 400,
    "medium": 500,
    "demibold": 600,
    "semibold": 600,
    "bold": 700,
    "extrabold": 800,
    "ultrabold": 800,
    "black": 900,
    "heavy": 900,
}
_ALIGN = {"left": "low", "start": "low", "center": "centre", "right": "high", "end": "high"}


def render_text(
    layer: Layer, component: Component, limits: RenderLimits
) -> tuple[pyvips.Image, Component]:
    """The text as an sRGB + alpha image, and what is left of ``component`` to apply to it
    (without the parameters the text used up: the wrap width, the stroke border)."""
    if layer.style_id:
        raise RenderError(f"Saved text style '{layer.style_id}' needs its stored style")
    style = layer.style or TextStyle(DEFAULT_FAMILY, DEFAULT_SIZE)
    wrap = _wrap_width(component)
    _check_size(layer.text, style, wrap, limits)
    image = _draw(layer.text, style, _color(component), wrap)
    check_output(image.width, image.height, limits)
    if wrap is not None:
        component = component.with_params(width=None, height=None, crop=None)
    border = component.typed("border", Border)
    if "stroke" in style.keywords and border is not None:
        image = _stroke(image, border)
        component = component.with_params(border=None)
    return image, component


def _color(component: Component) -> RGBA:
    color = component.typed("color", Color)
    if color is not None and color.is_variable:
        raise RenderError("Variables are not supported in colours")
    return rgba(color, BLACK)


def _wrap_width(component: Component) -> int | None:
    width = component.typed("width", Length)
    if component.get("crop") != CropMode.FIT or width is None:
        return None
    if width.kind is not LengthKind.PIXELS:
        return None
    return max(1, int(width.number))


def _check_size(text: str, style: TextStyle, wrap: int | None, limits: RenderLimits) -> None:
    """Refuse, before drawing, text whose image would be over the limits."""
    lines = text.split("\n")
    spacing = _spacing(style, "letter_spacing")
    longest = max(len(line) for line in lines)
    width = longest * (style.font_size * 0.7 + max(spacing, 0)) + style.font_size
    rows = len(lines)
    if wrap is not None and width > wrap:
        rows += math.ceil(width / wrap)
        width = wrap
    height = rows * (style.font_size * 1.4 + max(_spacing(style, "line_spacing"), 0))
    check_output(max(1, math.ceil(width)), max(1, math.ceil(height)), limits)


def _spacing(style: TextStyle, name: str) -> float:
    for keyword in style.keywords:
        if keyword.startswith(name + "_"):
            return float(keyword[len(name) + 1 :])
    return 0.0


def _markup(text: str, style: TextStyle, color: RGBA) -> str:
    attributes = {
        "font_family": style.font_family,
        "size": str(style.font_size * 1024),
        "foreground": "#{:02x}{:02x}{:02x}".format(*color[:3]),
    }
    if color[3] < 255:
        attributes["alpha"] = f"{max(1, round(color[3] / 255 * 100))}%"
    for keyword in style.keywords:
        if keyword in _WEIGHTS:
            attributes["weight"] = str(_WEIGHTS[keyword])
        elif keyword == "italic":
            attributes["style"] = "italic"
        elif keyword == "underline":
            attributes["underline"] = "single"
        elif keyword == "strikethrough":
            attributes["strikethrough"] = "true"
    letter_spacing = _spacing(style, "letter_spacing")
    if letter_spacing:
        attributes["letter_spacing"] = str(round(letter_spacing * 1024))
    written = " ".join(f'{key}="{html.escape(value)}"' for key, value in attributes.items())
    return f"<span {written}>{html.escape(text, quote=False)}</span>"


def _draw(text: str, style: TextStyle, color: RGBA, wrap: int | None) -> pyvips.Image:
    options: dict[str, object] = {"dpi": 72, "rgba": True}
    align = next((_ALIGN[k] for k in style.keywords if k in _ALIGN), None)
    if align:
        options["align"] = align
    if "justify" in style.keywords:
        options["justify"] = True
    line_spacing = _spacing(style, "line_spacing")
    if line_spacing:
        options["spacing"] = round(line_spacing)
    if wrap is not None:
        options["width"] = wrap
    try:
        image = pyvips.Image.text(_markup(text, style, color), **options)
    except pyvips.Error as error:
        raise RenderError("The overlay text cannot be drawn") from error
    if image.width == 0 or image.height == 0:
        return solid(1, 1, (0, 0, 0, 0))
    return with_alpha(image).cast("uchar").copy(interpretation="srgb")


def _stroke(image: pyvips.Image, border: Border) -> pyvips.Image:
    """The glyphs outlined: the alpha grown by the border's width, in its colour, beneath."""
    if border.color.is_variable:
        raise RenderError("Variables are not supported in colours")
    size = max(1, round(border.width))
    if size > MAX_STROKE:
        raise RenderError(f"A text stroke may be at most {MAX_STROKE} pixels wide")
    width, height = image.width + 2 * size, image.height + 2 * size
    glyphs = image.embed(size, size, width, height)
    grown = glyphs.extract_band(3).rank(2 * size + 1, 2 * size + 1, (2 * size + 1) ** 2 - 1)
    outline = solid(width, height, border.color.rgba())
    alpha = (outline.extract_band(3) * grown / 255).cast("uchar")
    outline = outline.extract_band(0, n=3).bandjoin(alpha)
    return outline.composite2(glyphs, "over").cast("uchar").copy(interpretation="srgb")
