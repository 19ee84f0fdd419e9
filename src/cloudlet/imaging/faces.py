"""Face detection for ``g_face``, ``g_faces`` and ``face_coordinates``.

Faces are found with two of OpenCV's Haar cascades, which ship inside the
``opencv-python-headless`` wheel (``cv2.data.haarcascades``), so nothing is downloaded at run
time: ``haarcascade_frontalface_alt2.xml`` scans the image with a coarse pyramid step, and
``haarcascade_frontalface_alt.xml`` must also see a face of about the same size around each
candidate. Measured on 25 of scikit-image's photographs and on 12 scenes holding 65 of its
LFW face crops, the pair found 62 of the 65 faces and nothing else. ``alt2`` alone does as
well only with the fine step 1.1, at 1.6 times the time; at the coarse step it finds "faces"
in coins, a coffee cup or a motorcycle at every threshold tried, and misses up to 9 faces.
``default`` sees faces in coins and cell micrographs unless tuned to miss many real ones,
``alt_tree`` misses faces, and the profile cascade finds under a third of frontal faces.
OpenCV 5 no longer ships the Haar cascades, hence the ``<5`` pin.

Faces smaller than ``min_size_ratio`` of the image's shorter side are not looked for, so the
image is decoded only as large as makes such a face fill the cascades' 20-pixel window (500
pixels on the shorter side for 0.04), and never larger than ``max_side``: libvips' shrink-on-
load makes even a 36 MP JPEG cheap, and its resampling is cleaner than OpenCV's pyramid.
The grey 8-bit result is searched and the boxes are scaled back up.

Coordinates. :func:`detect_faces` reports boxes in the pixel grid of the original *as
delivered*, that is after EXIF auto-orientation, which is what Cloudinary reports in
``face_coordinates`` and what gravity works on (every delivery auto-orients first). For a
JPEG stored 3000×4000 with orientation 6, boxes are in the 4000×3000 upright frame.
:func:`detect_faces_in_image` takes an image already in the frame the caller works in and
applies no orientation of its own.

Threads. ``CascadeClassifier.detectMultiScale`` keeps per-call state inside the classifier,
so one instance must not be used by two threads at once (opencv/opencv#4287). Classifiers
are kept in a small pool: a call borrows an idle pair or loads a new one (about 20 ms), then
returns it, so the files are parsed once per concurrently detecting thread and never again.
"""

from __future__ import annotations

import math
import queue
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import cv2.data
import numpy as np
import pyvips

SCAN_CASCADE = "haarcascade_frontalface_alt2.xml"
CONFIRM_CASCADE = "haarcascade_frontalface_alt.xml"
MAX_FACES = 20
_WINDOW = 20  # both cascades' window side: no smaller face can be found
_SCAN_SCALE = 1.2  # pyramid step; 1.1 found one more face in 65 at 1.7 times the time
_SCAN_NEIGHBORS = 2  # low: the confirming cascade removes the false faces this lets in
_CONFIRM_SCALE = 1.1
_CONFIRM_NEIGHBORS = 2
_CONFIRM_SIZES = (0.7, 1.4)  # confirming face's side, relative to the candidate's
_OVERLAP = 0.5  # a box this much inside a larger kept box is the same face


@dataclass(frozen=True)
class FaceBox:
    """A face's bounding box in pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        """Width times height."""
        return self.width * self.height


def detect_faces(
    path: Path | str, *, max_side: int = 1024, min_size_ratio: float = 0.04
) -> list[FaceBox]:
    """Find faces in the image file at ``path``, largest first (at most ``MAX_FACES``).

    Boxes are in the auto-oriented original's pixels. Multi-page and animated files use their
    first page; transparency is flattened on white. Faces whose side is under
    ``min_size_ratio`` of the image's shorter side are not looked for: the image is searched at
    the size where such a face just fills the cascade's window, 500 pixels on the shorter side
    for 0.04, and never at more than ``max_side`` on the longer side. Raises ``ValueError`` when
    libvips cannot read the file.
    """
    _check_limits(max_side, min_size_ratio)
    try:
        width, height = _oriented_size(pyvips.Image.new_from_file(str(path)))
        box = _search_box(width, height, max_side, min_size_ratio)
        gray = _gray_pixels(pyvips.Image.thumbnail(str(path), box[0], height=box[1], size="down"))
    except pyvips.Error as exc:
        raise ValueError(f"cannot read image {path}: {_first_line(exc)}") from exc
    return _scaled(_detect(gray, min_size_ratio), gray.shape, (height, width))


def detect_faces_in_image(
    image: pyvips.Image, *, max_side: int = 1024, min_size_ratio: float = 0.04
) -> list[FaceBox]:
    """Find faces in an already loaded image, in its own pixel grid; see :func:`detect_faces`.

    No orientation is applied: orient the image first if its EXIF tag still matters. Raises
    ``ValueError`` when the image's pixels cannot be computed (a corrupt source file).
    """
    _check_limits(max_side, min_size_ratio)
    try:
        image = image.crop(0, 0, image.width, image.get_page_height())
        box = _search_box(image.width, image.height, max_side, min_size_ratio)
        thumb = image.thumbnail_image(box[0], height=box[1], size="down", no_rotate=True)
        gray = _gray_pixels(thumb)
    except pyvips.Error as exc:
        raise ValueError(f"cannot read image: {_first_line(exc)}") from exc
    return _scaled(_detect(gray, min_size_ratio), gray.shape, (image.height, image.width))


def largest_face(boxes: Iterable[FaceBox]) -> FaceBox | None:
    """The box with the largest area (the first such in order), or None when there are none."""
    return max(boxes, key=lambda box: box.area, default=None)


def faces_bounding_box(boxes: Iterable[FaceBox]) -> FaceBox | None:
    """The smallest box holding every given box (for ``g_faces``), or None when there are none."""
    boxes = list(boxes)
    if not boxes:
        return None
    left = min(box.x for box in boxes)
    top = min(box.y for box in boxes)
    right = max(box.x + box.width for box in boxes)
    bottom = max(box.y + box.height for box in boxes)
    return FaceBox(left, top, right - left, bottom - top)


# ----------------------------------------------------------------------------- loading


def _check_limits(max_side: int, min_size_ratio: float) -> None:
    if max_side < 1:
        raise ValueError(f"max_side must be positive, not {max_side}")
    if not 0 <= min_size_ratio <= 1:
        raise ValueError(f"min_size_ratio must lie in [0, 1], not {min_size_ratio}")


def _search_box(width: int, height: int, max_side: int, min_size_ratio: float) -> tuple[int, int]:
    """The box to shrink the image into: the smallest face wanted then fills one window."""
    scale = min(1.0, max_side / max(width, height))
    if min_size_ratio > 0:
        scale = min(scale, _WINDOW / (min_size_ratio * min(width, height)))
    return max(math.ceil(width * scale), 1), max(math.ceil(height * scale), 1)


def _oriented_size(image: pyvips.Image) -> tuple[int, int]:
    """Width and height after auto-orientation (EXIF 5–8 swap the axes), first page only."""
    width, height = image.width, image.get_page_height()
    orientation = image.get("orientation") if image.get_typeof("orientation") else 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _gray_pixels(image: pyvips.Image) -> np.ndarray:
    """The image as an 8-bit single-channel array, transparency flattened on white."""
    try:
        image = image.colourspace("srgb")  # also brings 16-bit and float images to 8 bits
    except pyvips.Error:
        image = _first_band_uchar(image)  # multiband, matrix, …: no known colour meaning
    if image.hasalpha():
        image = image.flatten(background=[255])
    if image.bands > 1:
        image = image.colourspace("b-w")
    image = image.cast("uchar")
    return np.ndarray(
        buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width)
    )


def _first_band_uchar(image: pyvips.Image) -> pyvips.Image:
    if image.format in ("ushort", "short"):
        return (image[0] / 256).cast("uchar")
    return image[0].cast("uchar")


def _first_line(exc: pyvips.Error) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# ----------------------------------------------------------------------------- detection


class _Cascades(NamedTuple):
    scan: cv2.CascadeClassifier
    confirm: cv2.CascadeClassifier


_idle: queue.SimpleQueue[_Cascades] = queue.SimpleQueue()  # the pool; see the module docstring


def _detect(gray: np.ndarray, min_size_ratio: float) -> list[FaceBox]:
    """Faces in the grey array, in its pixels, largest first, overlapping duplicates dropped."""
    min_side = max(_WINDOW, round(min_size_ratio * min(gray.shape)))
    if min(gray.shape) < min_side:
        return []
    with _borrowed_cascades() as cascades:
        found = cascades.scan.detectMultiScale(
            gray, scaleFactor=_SCAN_SCALE, minNeighbors=_SCAN_NEIGHBORS, minSize=(min_side,) * 2
        )
        boxes = [FaceBox(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
        boxes = [box for box in boxes if _confirmed(gray, box, cascades.confirm)]
    boxes.sort(key=lambda box: (-box.area, box.y, box.x))
    return _without_nested(boxes)[:MAX_FACES]


def _confirmed(gray: np.ndarray, box: FaceBox, confirm: cv2.CascadeClassifier) -> bool:
    """Whether the second cascade also sees a face of about this size around the box."""
    margin = box.width // 3
    left, top = max(box.x - margin, 0), max(box.y - margin, 0)
    area = gray[top : box.y + box.height + margin, left : box.x + box.width + margin]
    smallest = max(_WINDOW, round(box.width * _CONFIRM_SIZES[0]))
    largest = max(smallest, round(box.width * _CONFIRM_SIZES[1]))
    found = confirm.detectMultiScale(
        area,
        scaleFactor=_CONFIRM_SCALE,
        minNeighbors=_CONFIRM_NEIGHBORS,
        minSize=(smallest,) * 2,
        maxSize=(largest,) * 2,
    )
    return len(found) > 0


def _without_nested(boxes: list[FaceBox]) -> list[FaceBox]:
    """Drop each box lying mostly inside a larger box kept before it (input largest first)."""
    kept: list[FaceBox] = []
    for box in boxes:
        if all(_intersection(box, other) <= _OVERLAP * box.area for other in kept):
            kept.append(box)
    return kept


def _intersection(a: FaceBox, b: FaceBox) -> int:
    width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    return max(width, 0) * max(height, 0)


def _scaled(boxes: list[FaceBox], small: tuple[int, ...], full: tuple[int, int]) -> list[FaceBox]:
    """Boxes mapped from the small (height, width) grid to the full one, edges rounded out."""
    y_scale, x_scale = full[0] / small[0], full[1] / small[1]
    result = []
    for box in boxes:
        left, top = math.floor(box.x * x_scale), math.floor(box.y * y_scale)
        right = min(math.ceil((box.x + box.width) * x_scale), full[1])
        bottom = min(math.ceil((box.y + box.height) * y_scale), full[0])
        result.append(FaceBox(left, top, right - left, bottom - top))
    return result


@contextmanager
def _borrowed_cascades() -> Iterator[_Cascades]:
    """Borrow an idle pair of classifiers from the pool, loading one when all are in use."""
    try:
        cascades = _idle.get_nowait()
    except queue.Empty:
        cascades = _Cascades(_load(SCAN_CASCADE), _load(CONFIRM_CASCADE))
    try:
        yield cascades
    finally:
        _idle.put(cascades)


def _load(name: str) -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / name
    classifier = cv2.CascadeClassifier(str(path))
    if classifier.empty():
        raise RuntimeError(f"OpenCV cascade {path} is missing: install opencv-python-headless<5")
    return classifier
