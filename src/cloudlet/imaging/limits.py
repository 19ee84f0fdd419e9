"""What a render may not exceed, and the one error every render failure becomes.

``RenderError`` is a ``BadRequestError`` (HTTP 400) and a ``ValueError``: bad or unsupported
input, a corrupt or truncated source, a decompression bomb, an output too large. Its message
is public. ``LayerNotFoundError`` is the one case a caller may prefer to answer 404 (Cloudinary
answers "Unknown or invalid referenced image … of type upload" for a missing overlay)::

    ValueError, BadRequestError
     └── RenderError
          └── LayerNotFoundError
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from cloudlet.errors import BadRequestError


class RenderError(BadRequestError, ValueError):
    """The image cannot be rendered as asked; the message says why (safe to show)."""


class LayerNotFoundError(RenderError):
    """An overlay or underlay names an asset the layer loader does not know."""


@dataclass(frozen=True)
class RenderLimits:
    """Bounds on one render. Source pixels count every page and are checked from the header,
    before anything is decoded; output pixels count every frame of an animation."""

    max_source_pixels: int = 50_000_000
    max_output_pixels: int = 50_000_000
    max_output_side: int = 16_384

    @property
    def max_working_pixels(self) -> int:
        """Intermediate images (an enlargement later cropped) may be this large; libvips
        computes only the regions a later step reads, so this bounds time, not memory."""
        return self.max_output_pixels * 16


def check_source(width: int, height: int, pages: int, limits: RenderLimits) -> None:
    """Refuse a source whose declared size is over the limit (a decompression bomb)."""
    if width <= 0 or height <= 0:
        raise RenderError("Invalid image: it has no pixels")
    pixels = width * height * max(pages, 1)
    if pixels > limits.max_source_pixels:
        raise RenderError(
            f"Image is too large to process: {width}x{height}"
            + (f" with {pages} pages" if pages > 1 else "")
            + f" is over the limit of {limits.max_source_pixels} pixels"
        )


def check_output(width: int, height: int, limits: RenderLimits, *, pages: int = 1) -> None:
    """Refuse an output (or a step's result) that is over the output limits."""
    if width <= 0 or height <= 0:
        raise RenderError("The transformation leaves an empty image")
    if max(width, height) > limits.max_output_side:
        raise RenderError(
            f"Resulting image {width}x{height} is too large: "
            f"a side is over {limits.max_output_side} pixels"
        )
    if width * height * max(pages, 1) > limits.max_output_pixels:
        raise RenderError(
            f"Resulting image {width}x{height} is too large: over {limits.max_output_pixels} pixels"
        )


def check_working(width: int, height: int, limits: RenderLimits) -> None:
    """Refuse an intermediate image that is absurdly large."""
    if width <= 0 or height <= 0:
        raise RenderError("The transformation leaves an empty image")
    too_wide = max(width, height) > limits.max_output_side * 4
    if too_wide or width * height > limits.max_working_pixels:
        raise RenderError(
            f"The transformation needs an image of {width}x{height}, too large to process"
        )


def vips_message(error: pyvips.Error) -> str:
    """The first meaningful line of a libvips error, for a public message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = [line for line in lines if not line.startswith("unable to call")]
    return (detail or lines or ["unknown error"])[0][:200]
