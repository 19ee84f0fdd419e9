"""``e_background_removal``: an offline foreground cut-out with OpenCV's GrabCut.

Cloudinary's add-on is a neural network; this is a classical substitute that needs no model
file. GrabCut fits Gaussian-mixture colour models to the foreground and the background and
cuts the image along a graph min-cut between them. It is seeded by assuming that a thin
frame along the image's edges (``FRAME`` of each side, at least 2 px) is background and that
everything inside may be foreground, which suits the product and portrait photos the feature
is mostly used on; a subject that runs off the frame loses what lies in that band.

GrabCut runs on a copy at most ``WORK_SIDE`` pixels on its longer side; the resulting mask is
cleaned (a small morphological opening and closing), feathered by a pixel and scaled back up
to the image with bilinear interpolation, then becomes (or multiplies) the alpha band.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyvips

from .canvas import multiply_alpha, without_alpha
from .limits import RenderError

WORK_SIDE = 320
FRAME = 0.02
ITERATIONS = 5


def remove_background(image: pyvips.Image) -> pyvips.Image:
    """The 8-bit sRGB ``image`` with an alpha band that is 0 on its background."""
    colour = without_alpha(image)
    small = colour.thumbnail_image(WORK_SIDE, height=WORK_SIDE, size="down", no_rotate=True)
    pixels = np.ndarray(
        buffer=small.cast("uchar").write_to_memory(),
        dtype=np.uint8,
        shape=(small.height, small.width, 3),
    )
    try:
        mask = _foreground_mask(np.ascontiguousarray(pixels[:, :, ::-1]))
    except cv2.error as error:
        raise RenderError("Background removal failed on this image") from error
    alpha = pyvips.Image.new_from_array(mask).cast("uchar")
    alpha = alpha.resize(image.width / small.width, vscale=image.height / small.height)
    alpha = alpha.embed(0, 0, image.width, image.height, extend="copy").cast("uchar")
    return multiply_alpha(image, alpha)


def _foreground_mask(bgr: np.ndarray) -> np.ndarray:
    """255 on the foreground, 0 on the background (a little feathered)."""
    height, width = bgr.shape[:2]
    margin = max(2, round(FRAME * min(width, height)))
    if width <= 2 * margin + 2 or height <= 2 * margin + 2:
        return np.full((height, width), 255, dtype=np.uint8)
    mask = np.zeros((height, width), dtype=np.uint8)
    rect = (margin, margin, width - 2 * margin, height - 2 * margin)
    background = np.zeros((1, 65), dtype=np.float64)
    foreground = np.zeros((1, 65), dtype=np.float64)
    cv2.grabCut(bgr, mask, rect, background, foreground, ITERATIONS, cv2.GC_INIT_WITH_RECT)
    kept = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    opened = cv2.morphologyEx(kept, cv2.MORPH_OPEN, kernel)
    closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, kernel)
    feathered: np.ndarray = cv2.GaussianBlur(closed, (0, 0), 1.0)
    return feathered
