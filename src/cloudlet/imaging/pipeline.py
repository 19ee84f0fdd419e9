"""Rendering a derived image: ``render(source, transformation, …) -> Rendered``.

The pipeline is fixed and made of small steps (imgproxy's ``processing/pipeline.go`` is the
model): check the transformation is supported → read the source's header and check its size
(``loading``) → decide the output format (``encode``) and the pages → decode, fusing the first
component's resize with decoding (shrink-on-load) and auto-orienting → per component:
turns, geometry, effect, corners, border, angle, opacity, background (``chain``) → layers
where their ``fl_layer_apply`` (or their own component) puts them (``overlays``) → flatten
for formats without alpha → encode.

Every failure is a ``RenderError`` (a 400 whose message is public): unsupported parameters
(``transform.require_supported``), corrupt or truncated sources, sources whose header
declares more than ``max_source_pixels`` (checked before any decoding), outputs over
``max_output_pixels``/``max_output_side``, empty crops. A missing layer asset is a
``LayerNotFoundError`` (a ``RenderError`` with status 404).

The caller's jobs: named transformations (``t_``) are expanded before rendering, ``d_``
(default image) is resolved before, ``f_auto`` responses carry ``Vary: Accept`` (see
``negotiated_format``), and a per-render time limit is enforced around the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyvips

from cloudlet.transform.errors import TransformationError
from cloudlet.transform.model import Page, Transformation
from cloudlet.transform.steps import Rect
from cloudlet.transform.support import require_supported

from .canvas import WHITE, flatten, with_alpha
from .chain import (
    Context,
    LayerLoader,
    TextStyleLoader,
    begin,
    needs_random_access,
    run_chain,
)
from .encode import (
    ALPHA_FORMATS,
    ANIMATED_FORMATS,
    WEBP_EFFORT,
    Output,
    encode,
    negotiated_format,
)
from .faces import FaceBox
from .focus import Regions
from .limits import (
    LayerNotFoundError,
    RenderError,
    RenderLimits,
    check_output,
    vips_message,
)
from .loading import SourceInfo, open_source, select_pages
from .overlays import Apply, Node, build_chain
from .resizing import ignores_orientation

__all__ = [
    "LayerLoader",
    "LayerNotFoundError",
    "RenderError",
    "RenderLimits",
    "Rendered",
    "negotiated_format",
    "render",
]

_ANIMATION_FIELDS = ("page-height", "n-pages", "delay", "loop", "gif-delay", "gif-loop")


@dataclass(frozen=True)
class Rendered:
    """An encoded derived image: its bytes, format (Cloudinary's name: jpg, png, webp, avif,
    gif, tiff) and pixel size (of one frame, for an animation)."""

    data: bytes
    format: str
    width: int
    height: int


@dataclass(frozen=True)
class _Job:
    source: SourceInfo
    transformation: Transformation
    nodes: tuple[Node, ...]
    output: Output
    pages: tuple[int, ...]
    load_layer: LayerLoader | None
    faces: Callable[[], list[FaceBox]] | None
    custom: tuple[Rect, ...]
    limits: RenderLimits
    load_text_style: TextStyleLoader | None = None


def render(
    source: Path,
    transformation: Transformation,
    *,
    requested_format: str | None,
    source_format: str,
    accept: str = "",
    load_layer: LayerLoader | None = None,
    faces: Callable[[], list[FaceBox]] | None = None,
    custom_coordinates: list[tuple[int, int, int, int]] | None = None,
    limits: RenderLimits = RenderLimits(),
    load_text_style: TextStyleLoader | None = None,
    webp_effort: int = WEBP_EFFORT,
) -> Rendered:
    """Render ``transformation`` of the image at ``source``.

        ``requested_format`` is the URL's extension (or None), ``source_format`` the stored
        original's format, ``accept`` the request's ``Accept`` header (for ``f_auto``).
        ``load_layer(resource_type, type, public_id)`` finds the original of a layer's asset
        (``("image", "fetch", url)`` for ``l_fetch:``), None when unknown. ``faces`` lazily detects
        faces of the original (called only when a face gravity needs them) and
        ``custom_coordinates`` are ``(x, y, width, height)`` boxes; both are in the pixels of the
        auto-oriented original. ``load_text_style(public_id)`` finds a saved text style for
        ``l_text:<public_id>:…``, None when unknown. ``webp_effort`` is libwebp's method for WebP
    output (0 fastest … 6 smallest). Raises ``RenderError``."""
    try:
        require_supported(transformation)
    except TransformationError as error:
        raise RenderError(error.message) from error
    if any("named" in component for component in transformation):
        raise RenderError("Named transformations (t_) must be expanded before rendering")
    info = open_source(source, limits)
    fmt = negotiated_format(
        transformation, requested_format, source_format, accept, animated=info.animated
    )
    pages = select_pages(info, _page(transformation), keep_animation=fmt in ANIMATED_FORMATS)
    if len(pages) > 1 and fmt not in ANIMATED_FORMATS:
        raise RenderError(f"Several pages cannot be delivered as {fmt}: choose one with pg_")
    custom = tuple(Rect(*box) for box in custom_coordinates or ())
    output = Output.of(transformation, fmt, webp_effort)
    nodes = build_chain(transformation.components)
    job = _Job(
        info, transformation, nodes, output, pages, load_layer, faces, custom, limits,
        load_text_style,
    )  # fmt: skip
    return _render(job)


def _page(transformation: Transformation) -> Page | None:
    for component in transformation:
        page = component.typed("page", Page)
        if page is not None:
            return page
    return None


def _render(job: _Job) -> Rendered:
    sequential = len(job.pages) == 1 and not needs_random_access(job.nodes, job.source)
    try:
        return _attempt(job, sequential)
    except pyvips.Error as error:
        if sequential and "out of order" in str(error):
            return _guarded(job, sequential=False)
        raise RenderError(f"The image cannot be processed: {vips_message(error)}") from error


def _guarded(job: _Job, *, sequential: bool) -> Rendered:
    try:
        return _attempt(job, sequential)
    except pyvips.Error as error:
        raise RenderError(f"The image cannot be processed: {vips_message(error)}") from error


def _attempt(job: _Job, sequential: bool) -> Rendered:
    nodes = job.nodes
    ctx = Context(job.limits, job.load_layer, job.load_text_style)
    regions = Regions(faces_fn=job.faces, custom=job.custom)
    autorotate = not any(ignores_orientation(c) for c in job.transformation)
    first = nodes[0].component if nodes and isinstance(nodes[0], Apply) else None
    works, subject = begin(
        job.source,
        first,
        ctx,
        regions,
        pages=job.pages,
        sequential=sequential,
        autorotate=autorotate,
    )
    rest = nodes[1:] if first is not None else nodes
    finished = [run_chain(work, rest, ctx, subject) for work in works]
    frames = [done.image for done in finished]
    if job.output.format not in ALPHA_FORMATS:
        frames = [flatten(frame, ctx.background or WHITE) for frame in frames]
    image = _joined(frames, job)
    size = finished[0].size  # flattening keeps the size
    check_output(size.width, size.height, job.limits, pages=len(frames))
    return Rendered(encode(image, job.output), job.output.format, size.width, size.height)


def _joined(frames: list[pyvips.Image], job: _Job) -> pyvips.Image:
    """One image for the encoder: a single frame, or the frames stacked as an animation."""
    if len(frames) == 1 and not job.source.paged:
        return frames[0]  # no animation fields to drop (looking costs 18 libvips calls)
    image = _without_animation(frames[0])
    if len(frames) == 1:
        return image
    if any((f.width, f.height) != (image.width, image.height) for f in frames):
        raise RenderError("The frames of the animation came out in different sizes")
    if len({f.bands for f in frames}) > 1:
        frames = [with_alpha(f) for f in frames]
    stacked = _without_animation(pyvips.Image.arrayjoin(frames, across=1)).copy()  # set below
    stacked.set_type(pyvips.GValue.gint_type, "page-height", image.height)
    stacked.set_type(pyvips.GValue.gint_type, "n-pages", len(frames))
    stacked.set_type(pyvips.GValue.gint_type, "loop", job.source.loop)
    delays = job.source.delays
    if delays:
        chosen = [delays[p] if p < len(delays) else delays[-1] for p in job.pages]
        stacked.set_type(pyvips.GValue.array_int_type, "delay", chosen)
    return stacked


def _without_animation(image: pyvips.Image) -> pyvips.Image:
    """The image without the (possibly stale) animation fields of the source (a copy, when it
    has any)."""
    present = [name for name in _ANIMATION_FIELDS if image.get_typeof(name)]
    if not present:
        return image
    image = image.copy()
    for name in present:
        image.remove(name)
    return image
