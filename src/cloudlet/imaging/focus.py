"""Regions of interest for gravity: faces, custom coordinates and a saliency box, kept in step
with the image as the pipeline changes it.

Faces and custom coordinates are given in the pixels of the auto-oriented original. A
``Tracker`` maps them onto the current image through every resize, crop, pad, right-angle
rotation, flip and border; after an arbitrary rotation (or with ``a_ignore``) the mapping is
lost, and faces are then detected again on the current image.

``g_auto`` (a documented approximation of Cloudinary's AI gravity): a saliency map is computed
on a copy at most ``SALIENCY_SIDE`` pixels wide — gradient magnitude of the CIE L* lightness
(detail, texture, edges) plus half the CIE chroma (colourful things), multiplied by a mild
centre prior and blurred — and the box of interest is the 10th–90th percentile extent, along
each axis, of the pixels at least half as salient as the most salient one. Faces are not
looked for unless asked (``g_auto:face``, ``g_auto:faces``); when they are and none is found
the saliency box is used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
import pyvips

from cloudlet.transform.model import Component, Gravity
from cloudlet.transform.steps import Focus, Rect

from .faces import FaceBox, detect_faces_in_image
from .limits import RenderError

SALIENCY_SIDE = 160
FACE_WORDS = frozenset({"face", "faces", "adv_face", "adv_faces", "adv_eyes"})
_CUSTOM_WORDS = frozenset({"custom", "custom_no_override"})

RectMap = Callable[[Rect], Rect | None]


# ----------------------------------------------------------------------------- tracking


@dataclass(frozen=True)
class Tracker:
    """Maps rectangles from the oriented original's pixels to the current image's."""

    steps: tuple[RectMap, ...] = ()
    lost: bool = False

    def then(self, step: RectMap) -> Tracker:
        """This mapping followed by ``step``."""
        return self if self.lost else Tracker((*self.steps, step))

    def lose(self) -> Tracker:
        """No mapping any more (after an arbitrary rotation)."""
        return Tracker((), lost=True)

    def map(self, rects: tuple[Rect, ...]) -> tuple[Rect, ...] | None:
        """The rectangles in current pixels (those moved out of the image dropped), or None
        when the mapping is lost."""
        if self.lost:
            return None
        result = []
        for rect in rects:
            mapped: Rect | None = rect
            for step in self.steps:
                mapped = step(mapped) if mapped is not None else None
            if mapped is not None:
                result.append(mapped)
        return tuple(result)

    def scale(self, sx: float, sy: float) -> Tracker:
        """After a resize by ``sx``, ``sy``."""
        return self.then(lambda r: _scaled(r, sx, sy))

    def shift(self, dx: int, dy: int, width: int, height: int) -> Tracker:
        """After moving the content by ``(dx, dy)`` onto a ``width × height`` image."""
        return self.then(lambda r: _clipped(_moved(r, dx, dy), width, height))

    def rotate(self, turns: int, width: int, height: int) -> Tracker:
        """After ``turns`` quarter turns clockwise of a ``width × height`` image."""
        return self.then(lambda r: _turned(r, turns % 4, width, height))

    def flip(self, horizontal: bool, width: int, height: int) -> Tracker:
        """After a mirror of a ``width × height`` image."""
        if horizontal:
            return self.then(lambda r: Rect(width - r.left - r.width, r.top, r.width, r.height))
        return self.then(lambda r: Rect(r.left, height - r.top - r.height, r.width, r.height))


def _scaled(rect: Rect, sx: float, sy: float) -> Rect:
    left, top = math.floor(rect.left * sx), math.floor(rect.top * sy)
    right = math.ceil((rect.left + rect.width) * sx)
    bottom = math.ceil((rect.top + rect.height) * sy)
    return Rect(left, top, max(right - left, 1), max(bottom - top, 1))


def _moved(rect: Rect, dx: int, dy: int) -> Rect:
    return Rect(rect.left + dx, rect.top + dy, rect.width, rect.height)


def _clipped(rect: Rect, width: int, height: int) -> Rect | None:
    left, top = max(rect.left, 0), max(rect.top, 0)
    right = min(rect.left + rect.width, width)
    bottom = min(rect.top + rect.height, height)
    if right <= left or bottom <= top:
        return None
    return Rect(left, top, right - left, bottom - top)


def _turned(r: Rect, turns: int, width: int, height: int) -> Rect:
    if turns == 1:
        return Rect(height - r.top - r.height, r.left, r.height, r.width)
    if turns == 2:
        return Rect(width - r.left - r.width, height - r.top - r.height, r.width, r.height)
    if turns == 3:
        return Rect(r.top, width - r.left - r.width, r.height, r.width)
    return r


# ----------------------------------------------------------------------------- regions


@dataclass
class Regions:
    """Where faces and custom regions are in one source (its oriented original's pixels),
    computed only when a gravity asks."""

    faces_fn: Callable[[], list[FaceBox]] | None = None
    custom: tuple[Rect, ...] = ()
    original_fn: Callable[[], pyvips.Image] | None = None  # a small oriented copy
    original_size: tuple[int, int] = (0, 0)  # the oriented original's width and height
    _faces: tuple[Rect, ...] | None = field(default=None, init=False)
    _saliency: Rect | None = field(default=None, init=False)
    _saliency_done: bool = field(default=False, init=False)

    def faces(self) -> tuple[Rect, ...]:
        """The detected faces (detection runs at most once)."""
        if self._faces is None:
            boxes = _detected(self.faces_fn) if self.faces_fn is not None else []
            self._faces = tuple(Rect(b.x, b.y, b.width, b.height) for b in boxes)
        return self._faces

    def original_saliency(self) -> Rect | None:
        """The saliency box of the original, in its pixels (computed on a small copy)."""
        if not self._saliency_done and self.original_fn is not None:
            small = self.original_fn()
            box = saliency_box(small)
            width, height = self.original_size
            sx, sy = width / small.width, height / small.height
            self._saliency = _scaled(box, sx, sy) if box is not None else None
            self._saliency_done = True
        return self._saliency


def focus_for(
    component: Component,
    regions: Regions,
    tracker: Tracker,
    current: Callable[[], pyvips.Image] | None,
) -> tuple[Focus | None, Component]:
    """The focus the component's gravity needs (None when it needs none), and the component
    to plan with (``g_auto:faces`` without faces becomes ``g_auto``). ``current`` gives the
    current image when it exists."""
    gravity = component.typed("gravity", Gravity)
    if gravity is None or gravity.is_compass or gravity.name == "xy_center":
        return None, component
    words = {gravity.name, *gravity.args}
    if words & FACE_WORDS:
        faces = _faces(regions, tracker, current)
        if faces or not gravity.is_auto:
            return Focus(faces=faces), component
        component = component.with_params(gravity=Gravity("auto"))
    elif words & _CUSTOM_WORDS:
        custom = tracker.map(regions.custom) or ()
        if not gravity.is_auto:
            return Focus(custom=custom), component
        if custom:
            return Focus(auto=union(custom)), component
    if gravity.is_auto:
        return Focus(auto=_saliency(regions, tracker, current)), component
    return None, component


def _faces(
    regions: Regions, tracker: Tracker, current: Callable[[], pyvips.Image] | None
) -> tuple[Rect, ...]:
    mapped = tracker.map(regions.faces())
    if mapped is not None:
        return mapped
    if current is None:
        return ()
    boxes = _detected(lambda: detect_faces_in_image(current()))
    return tuple(Rect(b.x, b.y, b.width, b.height) for b in boxes)


def _detected(detect: Callable[[], list[FaceBox]]) -> list[FaceBox]:
    try:
        return detect()
    except ValueError as error:  # the image cannot be read for detection
        raise RenderError(f"Faces cannot be detected: {error}") from error


def _saliency(
    regions: Regions,
    tracker: Tracker,
    current: Callable[[], pyvips.Image] | None,
) -> Rect | None:
    if current is not None:
        return saliency_box(current())
    box = regions.original_saliency()
    mapped = tracker.map((box,)) if box is not None else None
    return mapped[0] if mapped else None


def union(rects: tuple[Rect, ...]) -> Rect:
    """The smallest rectangle holding all of ``rects`` (not empty)."""
    left = min(r.left for r in rects)
    top = min(r.top for r in rects)
    right = max(r.left + r.width for r in rects)
    bottom = max(r.top + r.height for r in rects)
    return Rect(left, top, right - left, bottom - top)


# ----------------------------------------------------------------------------- saliency


def saliency_box(image: pyvips.Image) -> Rect | None:
    """The box of interest of ``image``, in its pixels (see the module docstring); None for
    a featureless image."""
    small = image.thumbnail_image(SALIENCY_SIDE, height=SALIENCY_SIDE, size="down", no_rotate=True)
    if small.hasalpha():
        small = small.flatten(background=[255, 255, 255])
    lab = _array(small.colourspace("lab"))
    saliency = _saliency_map(lab)
    peak = float(saliency.max())
    if peak <= 1e-6:
        return None
    box = _extent(saliency >= peak / 2, saliency)
    sx, sy = image.width / small.width, image.height / small.height
    return _scaled(box, sx, sy)


def _array(image: pyvips.Image) -> np.ndarray:
    data = image.cast("float").write_to_memory()
    return np.frombuffer(data, dtype=np.float32).reshape(image.height, image.width, image.bands)


def _saliency_map(lab: np.ndarray) -> np.ndarray:
    lightness = lab[:, :, 0]
    gy, gx = np.gradient(lightness)
    detail = np.hypot(gx, gy)
    chroma = np.hypot(lab[:, :, 1], lab[:, :, 2])
    saliency = _normalised(detail) + 0.5 * _normalised(chroma)
    height, width = saliency.shape
    ys, xs = np.mgrid[0:height, 0:width]
    distance = ((xs / max(width - 1, 1) - 0.5) ** 2 + (ys / max(height - 1, 1) - 0.5) ** 2) * 2
    saliency = saliency * (1.0 - 0.4 * distance)
    sigma = max(1.0, 0.04 * max(width, height))
    blurred: np.ndarray = cv2.GaussianBlur(saliency.astype(np.float32), (0, 0), sigma)
    return blurred


def _normalised(values: np.ndarray) -> np.ndarray:
    top = float(np.percentile(values, 99))
    return np.clip(values / top, 0, 1) if top > 1e-6 else np.zeros_like(values)


def _extent(mask: np.ndarray, weights: np.ndarray) -> Rect:
    kept = np.where(mask, weights, 0.0)
    left, right = _quantiles(kept.sum(axis=0))
    top, bottom = _quantiles(kept.sum(axis=1))
    return Rect(left, top, right - left + 1, bottom - top + 1)


def _quantiles(profile: np.ndarray) -> tuple[int, int]:
    cumulative = np.cumsum(profile)
    total = cumulative[-1]
    low = int(np.searchsorted(cumulative, 0.1 * total))
    high = int(np.searchsorted(cumulative, 0.9 * total))
    return low, max(low, min(high, len(profile) - 1))
