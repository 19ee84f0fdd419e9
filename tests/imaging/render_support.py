"""Helpers for the render tests: sample photographs, images made with pyvips, and perceptual
hashes to compare renders with goldens computed independently with plain pyvips calls.

scikit-image's data photographs are found without importing scikit-image; without it the
tests that need them skip, except under CI, where they fail.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import pyvips

from cloudlet.imaging.faces import FaceBox
from cloudlet.imaging.pipeline import Rendered, RenderLimits, render
from cloudlet.transform import parse_transformation

HASH_THRESHOLD = 10  # of 64 bits


def sample(name: str) -> Path:
    """A photograph from scikit-image's data folder (astronaut.png is 512×512 with a face)."""
    spec = importlib.util.find_spec("skimage")
    path = Path(spec.origin).parent / "data" / name if spec and spec.origin else None
    if path is None or not path.is_file():
        message = f"scikit-image's data/{name} is needed (pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def load(path: Path) -> pyvips.Image:
    """An image file, fully decoded, as 8-bit sRGB (alpha kept)."""
    image = pyvips.Image.new_from_file(str(path), access="random")
    if image.bands < 3:
        image = image.colourspace("srgb")
    return image.cast("uchar")


def save(image: pyvips.Image, path: Path, **options: object) -> Path:
    """Write ``image`` to ``path`` (format from the suffix) and return the path."""
    image.write_to_file(str(path), **options)
    return path


def solid(width: int, height: int, rgba: tuple[int, ...]) -> pyvips.Image:
    """A plain image of one colour (3 or 4 bands)."""
    image = pyvips.Image.black(width, height, bands=len(rgba)) + list(rgba)
    return image.cast("uchar").copy(interpretation="srgb")


def decode(rendered: Rendered) -> pyvips.Image:
    """The rendered bytes decoded (all frames of an animation, stacked)."""
    n = -1 if rendered.format in ("gif", "webp") else 1
    options = {"n": n} if n == -1 else {}
    return pyvips.Image.new_from_buffer(rendered.data, "", access="random", **options)


def run(
    source: Path,
    text: str,
    fmt: str | None = "png",
    *,
    source_format: str | None = None,
    accept: str = "",
    load_layer: Callable[[str, str, str], Path | None] | None = None,
    faces: Callable[[], list[FaceBox]] | None = None,
    custom: list[tuple[int, int, int, int]] | None = None,
    limits: RenderLimits = RenderLimits(),
) -> Rendered:
    """``render`` with a transformation string."""
    return render(
        source,
        parse_transformation(text),
        requested_format=fmt,
        source_format=source_format or source.suffix.lstrip(".") or "png",
        accept=accept,
        load_layer=load_layer,
        faces=faces,
        custom_coordinates=custom,
        limits=limits,
    )


def dhash(image: pyvips.Image) -> int:
    """64-bit difference hash: grey 9×8, one bit per horizontally adjacent pair."""
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    grey = image.colourspace("b-w") if image.bands >= 3 else image
    small = grey.thumbnail_image(9, height=8, size="force").cast("uchar")
    pixels = bytes(small.write_to_memory())
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return bits


def ahash(image: pyvips.Image) -> int:
    """64-bit average hash: grey 8×8, one bit per pixel brighter than the mean."""
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    grey = image.colourspace("b-w") if image.bands >= 3 else image
    small = grey.thumbnail_image(8, height=8, size="force").cast("uchar")
    pixels = list(bytes(small.write_to_memory()))
    mean = sum(pixels) / len(pixels)
    bits = 0
    for value in pixels:
        bits = (bits << 1) | (1 if value > mean else 0)
    return bits


def distance(a: pyvips.Image, b: pyvips.Image) -> int:
    """Hamming distance of the difference hashes (0 = same picture, 64 = opposite)."""
    return bin(dhash(a) ^ dhash(b)).count("1")


def same_picture(a: pyvips.Image, b: pyvips.Image, threshold: int = HASH_THRESHOLD) -> bool:
    """Whether two images look alike by both hashes."""
    by_average = bin(ahash(a) ^ ahash(b)).count("1")
    return distance(a, b) <= threshold and by_average <= threshold


def pixel(image: pyvips.Image, x: int, y: int) -> tuple[int, ...]:
    """The pixel at ``(x, y)`` as integers."""
    return tuple(int(round(v)) for v in image.getpoint(x, y))
