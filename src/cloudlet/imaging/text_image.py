"""Images made from text (the Upload API's ``text`` method), drawn like text layers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pyvips

from cloudlet.transform.model import Color, Component, Layer, TextStyle

from .limits import RenderError, RenderLimits
from .text import render_text


@dataclass(frozen=True)
class TextImageStyle:
    """The ``text`` method's parameters, with Cloudinary's defaults."""

    font_family: str = "Arial"
    font_size: int = 12
    font_color: tuple[int, int, int, int] = (0, 0, 0, 255)
    font_weight: str = "normal"  # normal | bold
    font_style: str = "normal"  # normal | italic
    text_decoration: str = "none"  # none | underline | strikethrough
    text_align: str = ""  # left | center | right | ""
    background: tuple[int, int, int, int] | None = None  # None: transparent
    opacity: int = 100


def styled_text(
    text: str,
    style: TextImageStyle,
    limits: RenderLimits,
    component: Component | None = None,
) -> tuple[pyvips.Image, Component]:
    """``text`` drawn in a saved style, as an sRGB + alpha image, and what is left of
    ``component`` to apply to it. A ``co_`` in ``component`` wins over the style's colour
    (as with any text layer); the style's background and opacity are applied last."""
    keywords = [k for k in (style.font_weight, style.font_style) if k != "normal"]
    if style.text_decoration != "none":
        keywords.append(style.text_decoration)
    if style.text_align:
        keywords.append(style.text_align)
    layer = Layer(
        kind="text", text=text, style=TextStyle(style.font_family, style.font_size, tuple(keywords))
    )
    own = component or Component.of()
    injected = own.get("color") is None
    if injected:
        hex_color = "".join(f"{v:02x}" for v in style.font_color)
        own = own.with_params(color=Color(hex=hex_color))
    image, rest = render_text(layer, own, limits)
    if style.background is not None:
        image = image.flatten(background=list(style.background[:3])).bandjoin(style.background[3])
    if style.opacity < 100:
        alpha = (image[3] * (style.opacity / 100)).cast("uchar")
        image = image[:3].bandjoin(alpha)
    return image, rest.with_params(color=None) if injected else rest


def style_from_saved(saved: Mapping[str, Any]) -> TextImageStyle:
    """The style stored with a text image (``asdict`` of a ``TextImageStyle``); unknown keys
    are ignored so that styles saved by older versions still load."""
    known = {f.name for f in fields(TextImageStyle)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in saved.items() if k in known
    }
    return TextImageStyle(**values)


def draw_text_image(text: str, style: TextImageStyle, dest: Path) -> tuple[int, int]:
    """Draw ``text`` into a PNG at ``dest``; returns (width, height). RenderError if the text
    cannot be drawn or would be too large."""
    image, _ = styled_text(text, style, RenderLimits())
    try:
        image.pngsave(str(dest))
    except pyvips.Error as error:
        raise RenderError("The text image cannot be written") from error
    return image.width, image.height
