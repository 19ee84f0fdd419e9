"""``e_`` effects: approximations of Cloudinary's, built from libvips operations.

Every effect works on the colour bands of an 8-bit sRGB image and keeps its alpha band. The
levels, ranges and defaults are Cloudinary's (transformations.md §A1.6); what a level does is
decided here, since Cloudinary does not publish its formulas:

* ``grayscale``: CIE luminance, written back as three equal bands.
* ``sepia[:level=80]``: the classic sepia colour matrix, mixed with the original by level %.
* ``blur[:strength=100]``: Gaussian blur with σ = strength / 20 pixels (large σ is done on a
  shrunk copy, so ``e_blur:2000`` stays fast).
* ``sharpen[:strength=100]``: libvips' unsharp mask on lightness, slope 3 × strength / 100.
* ``pixelate[:size=5]``: the mean of each size × size square.
* ``negate``: 255 − value.
* ``brightness[:level=80]``: adds 1.28 × level to each band (−99…100).
* ``contrast[:level=0]``: scales the distance from mid-grey by 1 + level / 100.
* ``saturation[:level=80]``: scales CIE chroma by 1 + level / 100 (−100 is grey).
* ``gamma[:level=0]``: value ** (1 / γ) with γ = 1 + level / 100 (> 0 brightens midtones).
* ``tint[:equalize][:amount=60][:color[:position]]…``: a gradient map of the lightness (one
  colour: black → colour → white; several: the colours spread evenly, or at their ``Np``
  positions), mixed with the original by amount %; the default colour is red; ``equalize``
  equalises the histogram first.
* ``colorize[:level=100]`` with ``co_`` (default grey): a mix towards that colour by level %.
* ``vignette[:strength=20]``: darkens towards black along a smoothstep that starts at a
  normalised distance of 1 − strength / 100 from the centre (1 is the middle of an edge) and
  reaches black 0.8 further out.
* ``trim[:tolerance=10][:color]``: crops away the border of ``color`` (default: the corner
  pixel's, or the transparent border of an image with alpha); tolerance is libvips'
  ``find_trim`` threshold in 0–255 units.
* ``improve[:mode][:blend=100]``: an auto-levels stretch of lightness between its 0.5th and
  99.5th percentiles, mixed with the original by blend %; ``indoor``/``outdoor`` are accepted
  and treated alike.
* ``background_removal``: see ``background``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvips

from cloudlet.transform.grammar import parse_color
from cloudlet.transform.model import Color, Effect

from .background import remove_background
from .canvas import RGBA, rgba
from .limits import RenderError
from .resizing import Work

_SEPIA = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]
_BLUR_DIRECT_SIGMA = 10.0
_VIGNETTE_FALLOFF = 0.8  # normalised distance over which the edge goes from clear to black


def apply_effect(work: Work, effect: Effect, color: Color | None) -> Work:
    """The image with ``effect`` applied (``color`` is the component's ``co_``)."""
    if effect.name.startswith("$") or any(a.startswith("$") for a in effect.args):
        raise RenderError("Variables are not supported in effect")
    if effect.name == "trim":
        return _trim(work, effect.args)
    apply = _EFFECTS.get(effect.name)
    if apply is None:
        raise RenderError(f"effect '{effect.name}' is not supported")
    return Work(apply(work.image, effect.args, color), work.tracker)


# ----------------------------------------------------------------------------- helpers


def _level(args: tuple[str, ...], default: int, low: int, high: int) -> int:
    if not args or not args[0]:
        return default
    try:
        value = int(args[0])
    except ValueError:
        raise RenderError(f"Invalid effect level '{args[0]}'") from None
    return min(max(value, low), high)


def _split(image: pyvips.Image) -> tuple[pyvips.Image, pyvips.Image | None]:
    if image.hasalpha():
        return image.extract_band(0, n=3), image.extract_band(3)
    return image, None


def _on_colour(image: pyvips.Image, change: Callable[[pyvips.Image], pyvips.Image]) -> pyvips.Image:
    """``change`` applied to the colour bands; the result clipped to 8 bits, alpha kept."""
    colour, alpha = _split(image)
    result = _to_uchar(change(colour))
    return result.bandjoin(alpha) if alpha is not None else result


def _to_uchar(image: pyvips.Image) -> pyvips.Image:
    if image.format != "uchar":
        image = (image > 255).ifthenelse(255, (image < 0).ifthenelse(0, image)).cast("uchar")
    return image.copy(interpretation="srgb")


def _mix(original: pyvips.Image, changed: pyvips.Image, amount: float) -> pyvips.Image:
    if amount >= 1:
        return changed
    return original * (1 - amount) + changed * amount


def _srgb(image: pyvips.Image) -> pyvips.Image:
    return image.colourspace("srgb")


# ----------------------------------------------------------------------------- colour


def _grayscale(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    return _on_colour(image, lambda c: _srgb(c.colourspace("b-w")))


def _sepia(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    amount = _level(args, 80, 0, 100) / 100
    matrix = pyvips.Image.new_from_array(_SEPIA)
    return _on_colour(image, lambda c: _mix(c, c.recomb(matrix), amount))


def _negate(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    return _on_colour(image, lambda c: c.invert())


def _brightness(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    offset = 1.28 * _level(args, 80, -99, 100)
    return _on_colour(image, lambda c: c.linear([1, 1, 1], [offset] * 3))


def _contrast(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    factor = 1 + _level(args, 0, -100, 100) / 100
    return _on_colour(image, lambda c: c.linear([factor] * 3, [128 * (1 - factor)] * 3))


def _saturation(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    factor = 1 + _level(args, 80, -100, 100) / 100

    def change(colour: pyvips.Image) -> pyvips.Image:
        return _srgb(colour.colourspace("lch").linear([1, factor, 1], [0, 0, 0]))

    return _on_colour(image, change)


def _gamma(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    exponent = 1 / (1 + _level(args, 0, -50, 150) / 100)
    return _on_colour(image, lambda c: ((c / 255) ** exponent) * 255)


def _colorize(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    amount = _level(args, 100, 0, 100) / 100
    target = list(rgba(color, (128, 128, 128, 255))[:3])
    return _on_colour(image, lambda c: c * (1 - amount) + [v * amount for v in target])


def _improve(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    numbers = [a for a in args if a.lstrip("-").isdigit()]
    amount = _level(tuple(numbers), 100, 0, 100) / 100
    return _on_colour(image, lambda c: _mix(c, _levels(c), amount))


def _levels(colour: pyvips.Image) -> pyvips.Image:
    lab = colour.colourspace("lab")
    lightness = lab.extract_band(0)
    small = lightness.thumbnail_image(256, height=256, no_rotate=True)
    low, high = (float(v) for v in np.percentile(_values(small), [0.5, 99.5]))
    if high - low < 1:
        return colour
    scale = 100 / (high - low)
    return _srgb(lab.linear([scale, 1, 1], [-low * scale, 0, 0]))


def _values(image: pyvips.Image) -> np.ndarray:
    data = image.cast("float").write_to_memory()
    return np.frombuffer(data, dtype=np.float32)


# ----------------------------------------------------------------------------- tint


def _tint(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    rest = list(args)
    equalize = bool(rest) and rest[0] == "equalize"
    if equalize:
        rest.pop(0)
    amount = 60
    if rest and rest[0].lstrip("-").isdigit():
        amount = min(max(int(rest.pop(0)), 0), 100)
    lut = _gradient(_stops(rest))

    def change(colour: pyvips.Image) -> pyvips.Image:
        grey = colour.colourspace("b-w")
        if equalize:
            grey = grey.hist_equal()
        return _mix(colour, grey.maplut(lut), amount / 100)

    return _on_colour(image, change)


def _stops(words: list[str]) -> list[tuple[float | None, RGBA]]:
    stops: list[tuple[float | None, RGBA]] = []
    index = 0
    while index < len(words):
        text = words[index]
        if text == "rgb" and index + 1 < len(words):
            text, index = f"rgb:{words[index + 1]}", index + 1
        position = None
        if index + 1 < len(words) and words[index + 1].rstrip("p%").isdigit():
            position, index = float(words[index + 1].rstrip("p%")) / 100, index + 1
        stops.append((position, _color(text)))
        index += 1
    if not stops:
        stops = [(None, (255, 0, 0, 255))]
    if len(stops) == 1:
        stops = [(0.0, (0, 0, 0, 255)), (0.5, stops[0][1]), (1.0, (255, 255, 255, 255))]
    return stops


def _color(text: str) -> RGBA:
    try:
        return parse_color(text).rgba()
    except (ValueError, KeyError):
        raise RenderError(f"Invalid tint colour '{text}'") from None


def _gradient(stops: list[tuple[float | None, RGBA]]) -> pyvips.Image:
    count = len(stops)
    positions = [p if p is not None else i / max(count - 1, 1) for i, (p, _) in enumerate(stops)]
    order = np.argsort(positions, kind="stable")
    xs = np.array([positions[i] for i in order]) * 255
    table = np.zeros((1, 256, 3), dtype=np.uint8)
    for band in range(3):
        ys = [stops[i][1][band] for i in order]
        table[0, :, band] = np.clip(np.interp(np.arange(256), xs, ys), 0, 255)
    return pyvips.Image.new_from_array(table, interpretation="srgb")


# ----------------------------------------------------------------------------- spatial


def _blur(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    sigma = max(_level(args, 100, 1, 2000) / 20, 0.3)
    premultiplied = image.premultiply() if image.hasalpha() else image.cast("float")
    blurred = _gaussian(premultiplied, sigma)
    if image.hasalpha():
        blurred = blurred.unpremultiply()
    return _to_uchar(blurred)


def _gaussian(image: pyvips.Image, sigma: float) -> pyvips.Image:
    if sigma <= _BLUR_DIRECT_SIGMA:
        return image.gaussblur(sigma, min_ampl=0.05)
    factor = sigma / _BLUR_DIRECT_SIGMA * 2
    width, height = image.width, image.height
    small = image.resize(1 / factor, kernel="linear") if min(width, height) > factor else image
    blurred = small.gaussblur(sigma * small.width / width, min_ampl=0.05)
    return blurred.resize(width / blurred.width, vscale=height / blurred.height, kernel="linear")


def _sharpen(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    slope = min(3 * _level(args, 100, 1, 2000) / 100, 60)
    return _on_colour(image, lambda c: _srgb(c.sharpen(sigma=1.0, m2=slope)))


def _pixelate(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    size = min(_level(args, 5, 1, 200), image.width, image.height)
    if size <= 1:
        return image
    width, height = image.width, image.height
    blocks = image.shrink(size, size)
    big = blocks.zoom(size, size)
    big = big.embed(0, 0, max(width, big.width), max(height, big.height), extend="copy")
    return big.crop(0, 0, width, height).cast("uchar").copy(interpretation="srgb")


def _vignette(image: pyvips.Image, args: tuple[str, ...], color: Color | None) -> pyvips.Image:
    strength = _level(args, 20, 0, 100) / 100
    if strength <= 0:
        return image
    width, height = image.width, image.height
    xyz = pyvips.Image.xyz(width, height)
    dx = (xyz.extract_band(0) - (width - 1) / 2) / max((width - 1) / 2, 1)
    dy = (xyz.extract_band(1) - (height - 1) / 2) / max((height - 1) / 2, 1)
    distance = (dx * dx + dy * dy) ** 0.5
    start = 1 - strength
    ramp = (distance - start) / _VIGNETTE_FALLOFF
    ramp = (ramp < 0).ifthenelse(0, (ramp > 1).ifthenelse(1, ramp))
    keep = 1 - ramp * ramp * (3 - 2 * ramp)
    return _on_colour(image, lambda c: c * keep)


def _trim(work: Work, args: tuple[str, ...]) -> Work:
    image = work.image
    tolerance = _level(args, 10, 0, 100)
    named = args[1:] if len(args) > 1 else ()
    if named:
        text = f"rgb:{named[1]}" if named[0] == "rgb" and len(named) > 1 else named[0]
        probe, background = _split(image)[0], list(_color(text)[:3])
    elif image.hasalpha():
        probe, background = image.extract_band(3), [0]
    else:
        probe, background = image, list(image.getpoint(0, 0))
    left, top, width, height = probe.find_trim(threshold=max(tolerance, 1), background=background)
    if width <= 0 or height <= 0 or (width, height) == (image.width, image.height):
        return work
    cropped = image.crop(left, top, width, height)
    return Work(cropped, work.tracker.shift(-left, -top, width, height))


def _background_removal(
    image: pyvips.Image, args: tuple[str, ...], color: Color | None
) -> pyvips.Image:
    return remove_background(image)


_Apply = Callable[[pyvips.Image, tuple[str, ...], Color | None], pyvips.Image]
_EFFECTS: dict[str, _Apply] = {
    "grayscale": _grayscale,
    "sepia": _sepia,
    "blur": _blur,
    "sharpen": _sharpen,
    "pixelate": _pixelate,
    "negate": _negate,
    "brightness": _brightness,
    "contrast": _contrast,
    "saturation": _saturation,
    "gamma": _gamma,
    "tint": _tint,
    "colorize": _colorize,
    "vignette": _vignette,
    "improve": _improve,
    "background_removal": _background_removal,
}

# Effects that read the image twice (statistics, then pixels): they need random access.
TWO_PASS_EFFECTS = frozenset({"trim", "improve", "background_removal", "tint"})
