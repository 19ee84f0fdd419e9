"""The results of crop-mode geometry: sizes, rectangles and the steps of a ``Plan``, plus what
geometry needs to know besides the component (focus regions, client hints).

An image pipeline executes a plan's steps in order: ``Resize`` the whole image, ``Extract`` a
rectangle, ``Embed`` on a padded canvas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """Pixel dimensions."""

    width: int
    height: int


@dataclass(frozen=True)
class Rect:
    """A pixel rectangle (a face box, a crop)."""

    left: int
    top: int
    width: int
    height: int

    @property
    def center(self) -> tuple[float, float]:
        """The centre point."""
        return (self.left + self.width / 2, self.top + self.height / 2)


@dataclass(frozen=True)
class Resize:
    """Scale the whole image to exactly ``width × height``."""

    width: int
    height: int


@dataclass(frozen=True)
class Extract:
    """Keep only this rectangle of the current image."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class Embed:
    """Place the current image on a ``width × height`` canvas at ``(left, top)``."""

    width: int
    height: int
    left: int
    top: int


Step = Resize | Extract | Embed


@dataclass(frozen=True)
class Plan:
    """What to do to a ``source``-sized image, in order, and the size it ends at."""

    source: Size
    steps: tuple[Step, ...]
    output: Size

    def step(self, kind: type[Resize] | type[Extract] | type[Embed]) -> Step | None:
        """The step of that kind, if the plan has one."""
        return next((s for s in self.steps if isinstance(s, kind)), None)


@dataclass(frozen=True)
class Focus:
    """Regions of interest in source pixels: detected faces, the asset's custom coordinates,
    and a content-aware (saliency) box for ``g_auto``."""

    faces: tuple[Rect, ...] = ()
    custom: tuple[Rect, ...] = ()
    auto: Rect | None = None


@dataclass(frozen=True)
class ClientHints:
    """``Width`` and ``DPR`` request hints, for ``w_auto`` and ``dpr_auto``."""

    width: int | None = None
    dpr: float | None = None
