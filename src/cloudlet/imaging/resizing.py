"""Geometry on pixels: rotations and flips (``a_``), and the resize/extract/embed steps of a
``transform.Plan``, each keeping the focus ``Tracker`` in step with the image.

Where ``a_`` applies within a component (Cloudinary does not document it; decided here):
quarter turns (multiples of 90°, negative ones counter-clockwise), ``hflip``, ``vflip``,
``auto_right`` and ``auto_left`` (``auto`` is read as ``auto_right``: a quarter turn when the
requested box is portrait and the image landscape, or the reverse) apply *before* the crop or
resize, so ``a_90,c_fill,w_200,h_100`` gives 200×100. Any other angle applies *after* the
effects, turning the image clockwise inside a larger, transparent bounding box (a JPEG gets
the background colour there). ``a_ignore`` turns EXIF auto-orientation off (at load).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pyvips

from cloudlet.transform.model import Angle, Component
from cloudlet.transform.steps import Embed, Extract, Plan, Resize, Size
from cloudlet.transform.vocabulary import CropMode

from .canvas import RGBA, TRANSPARENT, embed, resize_exact, with_alpha
from .focus import Tracker
from .limits import RenderError, RenderLimits, check_output, check_working


@dataclass(frozen=True)
class Work:
    """An image in the making and how the original's regions map onto it."""

    image: pyvips.Image
    tracker: Tracker

    @cached_property
    def size(self) -> Size:
        """Current pixel size (read once: each read of a libvips property is several calls,
        each releasing and retaking the GIL)."""
        return Size(self.image.width, self.image.height)

    @classmethod
    def sized(cls, image: pyvips.Image, tracker: Tracker, size: Size) -> Work:
        """A Work whose image is known to be ``size`` (a crop or an embed made it so)."""
        work = cls(image, tracker)
        work.__dict__["size"] = size  # what the cached property would read back
        return work


# ----------------------------------------------------------------------------- angles

Turn = str  # "r90", "r180", "r270", "hflip", "vflip"
_QUARTERS = {1: "r90", 2: "r180", 3: "r270"}
_QUARTER_COUNT = {"r90": 1, "r180": 2, "r270": 3}


def angle_of(component: Component) -> Angle | None:
    """The component's ``a_`` value; RenderError for variables."""
    angle = component.typed("angle", Angle)
    if angle is not None and any(isinstance(s, str) and s.startswith("$") for s in angle.steps):
        raise RenderError("Variables are not supported in angle")
    return angle


def ignores_orientation(component: Component) -> bool:
    """``a_ignore``: do not apply the EXIF orientation."""
    angle = angle_of(component)
    return angle is not None and "ignore" in angle.steps


def pre_turns(component: Component, size: Size, requested: Size | None) -> tuple[Turn, ...]:
    """The quarter turns and flips to apply before the geometry, in order; ``requested`` is
    the box the component asks for (for ``auto_right``/``auto_left``)."""
    angle = angle_of(component)
    if angle is None:
        return ()
    turns: list[Turn] = []
    current = size
    for step in angle.steps:
        turn = _turn(step, current, requested)
        if turn:
            turns.append(turn)
            current = turned_size(current, (turn,))
    return tuple(turns)


def _turn(step: int | str, size: Size, requested: Size | None) -> Turn | None:
    if isinstance(step, int):
        quarters = (step // 90) % 4 if step % 90 == 0 else 0
        return _QUARTERS.get(quarters)
    if step in ("hflip", "vflip"):
        return step
    if step in ("auto", "auto_right", "auto_left") and _mismatched(size, requested):
        return "r270" if step == "auto_left" else "r90"
    return None


def _mismatched(size: Size, requested: Size | None) -> bool:
    if requested is None or requested.width == requested.height or size.width == size.height:
        return False
    return (requested.width > requested.height) != (size.width > size.height)


def turned_size(size: Size, turns: tuple[Turn, ...]) -> Size:
    """The size after ``turns``."""
    swaps = sum(1 for t in turns if t in ("r90", "r270"))
    return Size(size.height, size.width) if swaps % 2 else size


def track_turns(tracker: Tracker, turns: tuple[Turn, ...], size: Size) -> Tracker:
    """The tracker after ``turns`` of an image of ``size``."""
    for turn in turns:
        if turn in ("hflip", "vflip"):
            tracker = tracker.flip(turn == "hflip", size.width, size.height)
        else:
            tracker = tracker.rotate(_QUARTER_COUNT[turn], size.width, size.height)
            size = turned_size(size, (turn,))
    return tracker


def apply_turns(work: Work, turns: tuple[Turn, ...]) -> Work:
    """Rotate and flip the image (and its tracker)."""
    if not turns:
        return work  # keeps its size, already read
    image = work.image
    for turn in turns:
        if turn in ("hflip", "vflip"):
            image = image.flip("horizontal" if turn == "hflip" else "vertical")
        else:
            image = image.rot(f"d{_QUARTER_COUNT[turn] * 90}")
    return Work(image, track_turns(work.tracker, turns, work.size))


def free_angle(component: Component) -> float:
    """The degrees to turn after the effects (the angles that are not quarter turns)."""
    angle = angle_of(component)
    if angle is None:
        return 0.0
    return float(sum(s for s in angle.steps if isinstance(s, int) and s % 90 != 0))


def rotate_freely(work: Work, degrees: float, limits: RenderLimits) -> Work:
    """Turn by ``degrees`` clockwise into a larger transparent box (the tracker is lost)."""
    if degrees % 360 == 0:
        return work
    image = with_alpha(work.image).rotate(degrees % 360, background=list(TRANSPARENT))
    check_output(image.width, image.height, limits)
    return Work(image.cast("uchar").copy(interpretation="srgb"), work.tracker.lose())


# ----------------------------------------------------------------------------- plans


def requested_box(component: Component, size: Size, plan_fn: Callable[..., Plan]) -> Size | None:
    """The box a component asks for (its ``w``/``h``/``ar`` as ``c_scale`` reads them)."""
    names = ("width", "height", "aspect_ratio")
    if not any(name in component for name in names):
        return None
    bare = component.with_params(crop=CropMode.SCALE, gravity=None, zoom=None)
    return plan_fn(size, bare).output


def execute(
    work: Work,
    plan: Plan,
    pad: RGBA,
    limits: RenderLimits,
    *,
    resized: bool = False,
) -> Work:
    """Run the plan's steps (``resized``: its ``Resize`` was done while loading)."""
    for step in plan.steps:
        if isinstance(step, Resize):
            if not resized:
                work = _resize(work, step, limits)
        elif isinstance(step, Extract):
            work = _extract(work, step, limits)
        elif isinstance(step, Embed):
            work = _embed(work, step, pad, limits)
    return work


def _resize(work: Work, step: Resize, limits: RenderLimits) -> Work:
    check_working(step.width, step.height, limits)
    sx, sy = step.width / work.image.width, step.height / work.image.height
    image = resize_exact(work.image, step.width, step.height)
    return Work(image, work.tracker.scale(sx, sy))


def _extract(work: Work, step: Extract, limits: RenderLimits) -> Work:
    check_output(step.width, step.height, limits)
    size = work.size
    left = min(max(step.left, 0), size.width - 1)
    top = min(max(step.top, 0), size.height - 1)
    width = min(step.width, size.width - left)
    height = min(step.height, size.height - top)
    image = work.image.crop(left, top, width, height)
    return Work.sized(image, work.tracker.shift(-left, -top, width, height), Size(width, height))


def _embed(work: Work, step: Embed, color: RGBA, limits: RenderLimits) -> Work:
    check_output(step.width, step.height, limits)
    image = embed(work.image, step.left, step.top, step.width, step.height, color)
    tracker = work.tracker.shift(step.left, step.top, step.width, step.height)
    return Work.sized(image, tracker, Size(step.width, step.height))
