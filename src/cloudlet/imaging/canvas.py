"""Pixel-format helpers every step shares.

The pipeline works on 8-bit sRGB with an optional alpha band (3 or 4 bands, ``uchar``):
``normalize`` brings every loaded image there once, so steps need not care about greyscale,
16-bit, CMYK or palette sources. An RGB image's embedded ICC profile stays attached (and is
written out), so wide-gamut photos keep their colours without a conversion; a profile that
no longer describes the pixels (CMYK or grey converted to sRGB) is dropped.
"""

from __future__ import annotations

import pyvips

from cloudlet.transform.model import Color

RGBA = tuple[int, int, int, int]
WHITE: RGBA = (255, 255, 255, 255)
BLACK: RGBA = (0, 0, 0, 255)
TRANSPARENT: RGBA = (0, 0, 0, 0)
_ICC = "icc-profile-data"


def rgba(color: Color | None, default: RGBA = BLACK) -> RGBA:
    """A model colour as 8-bit RGBA (``default`` when None)."""
    return default if color is None else color.rgba()


def normalize(image: pyvips.Image) -> pyvips.Image:
    """The image as 8-bit sRGB (3 bands) or sRGB + alpha (4 bands)."""
    # every libvips call (a property read is several) releases and retakes the GIL: read
    # each property once and skip the steps that change nothing
    source = image
    interpretation, bands = image.interpretation, image.bands
    if interpretation == "cmyk":
        image = _drop_profile(_from_cmyk(image))
    elif bands <= 2:
        image = _drop_profile(image.colourspace("srgb"))
    elif interpretation == "rgb16":
        image = image.colourspace("srgb")
    elif interpretation not in ("srgb", "multiband"):
        image = _drop_profile(image.colourspace("srgb"))
    if image is not source:
        bands = image.bands
    if bands > 4:
        image = image.extract_band(0, n=4)
    band_format = image.format
    if band_format in ("ushort", "short"):
        image = image / 256
        band_format = image.format
    if band_format != "uchar":
        image = image.cast("uchar")
    if image is source and interpretation == "srgb":
        return image
    return image if image.interpretation == "srgb" else image.copy(interpretation="srgb")


def _from_cmyk(image: pyvips.Image) -> pyvips.Image:
    if image.interpretation != "cmyk":
        image = image.copy(interpretation="cmyk")
    try:
        return image.icc_transform("srgb", embedded=True, input_profile="cmyk")
    except pyvips.Error:
        return image.colourspace("srgb")


def _drop_profile(image: pyvips.Image) -> pyvips.Image:
    if image.get_typeof(_ICC):
        image = image.copy()
        image.remove(_ICC)
    return image


def with_alpha(image: pyvips.Image) -> pyvips.Image:
    """The image with an alpha band (opaque where it had none)."""
    return image if image.hasalpha() else image.bandjoin(255)


def without_alpha(image: pyvips.Image) -> pyvips.Image:
    """The colour bands only."""
    return image.extract_band(0, n=3) if image.hasalpha() else image


def flatten(image: pyvips.Image, background: RGBA) -> pyvips.Image:
    """Transparency composed onto an opaque ``background`` colour (3 bands out)."""
    if not image.hasalpha():
        return image
    return image.flatten(background=list(background[:3])).cast("uchar")


def solid(width: int, height: int, color: RGBA, *, alpha: bool = True) -> pyvips.Image:
    """A plain ``width × height`` image of one colour (4 bands, or 3 without ``alpha``)."""
    bands = list(color) if alpha else list(color[:3])
    base = pyvips.Image.black(width, height, bands=len(bands))
    return (base + bands).cast("uchar").copy(interpretation="srgb")


def embed(
    image: pyvips.Image, left: int, top: int, width: int, height: int, color: RGBA
) -> pyvips.Image:
    """``image`` placed at ``(left, top)`` on a ``width × height`` canvas of ``color``; a
    translucent colour gives the image an alpha band."""
    if color[3] < 255:
        image = with_alpha(image)
    background = list(color) if image.hasalpha() else list(color[:3])
    return image.embed(left, top, width, height, extend="background", background=background)


def multiply_alpha(image: pyvips.Image, mask: pyvips.Image) -> pyvips.Image:
    """The image with its alpha multiplied by ``mask`` (one band, 0–255)."""
    image = with_alpha(image)
    alpha = (image.extract_band(3) * mask / 255).cast("uchar")
    return image.extract_band(0, n=3).bandjoin(alpha)


def composite(base: pyvips.Image, layer: pyvips.Image, left: int, top: int) -> pyvips.Image:
    """``layer`` drawn over ``base`` with its top-left at ``(left, top)`` (clipped to base)."""
    had_alpha = base.hasalpha()
    result = with_alpha(base).composite2(with_alpha(layer), "over", x=left, y=top)
    result = result.cast("uchar").copy(interpretation="srgb")
    return result if had_alpha else without_alpha(result)


def resize_exact(image: pyvips.Image, width: int, height: int) -> pyvips.Image:
    """The image scaled to exactly ``width × height`` (alpha premultiplied while it scales,
    so transparent pixels do not bleed a dark fringe)."""
    if (image.width, image.height) == (width, height):
        return image
    hscale, vscale = width / image.width, height / image.height
    if image.hasalpha():
        scaled = image.premultiply().resize(hscale, vscale=vscale).unpremultiply()
    else:
        scaled = image.resize(hscale, vscale=vscale)
    scaled = scaled.cast("uchar")
    if (scaled.width, scaled.height) != (width, height):
        scaled = scaled.embed(0, 0, width, height, extend="copy")
    return scaled.copy(interpretation="srgb")
