"""Running a transformation chain on an image: the fixed steps of each component, layers
loaded, transformed and placed, and the first component fused with loading.

Within one component the steps run in this order (imgproxy's pipeline is the model: small
steps, always in the same order, each skipped when its parameter is absent):

1. quarter turns and flips (``a_90``, ``a_hflip``, ``a_auto_right``…);
2. geometry: the ``transform.plan_geometry`` plan (resize, crop, pad) with the focus its
   gravity needs (faces, custom coordinates, saliency);
3. the effect (``e_``, with ``co_``);
4. rounded corners (``r_``), then the border (``bo_``) around them;
5. any other angle (``a_20``);
6. opacity (``o_``);
7. ``b_<colour>``: fills transparency (unless it was the padding colour).

Layers (``l_``/``u_``) are placed after the components before their ``fl_layer_apply``
(see ``overlays``). The first component's plan is worked out from the header alone, so that
its resize happens while decoding (``loading``: shrink-on-load).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyvips

from cloudlet.transform.errors import TransformationError
from cloudlet.transform.geometry import plan_geometry
from cloudlet.transform.model import Background, Color, Component, Effect, Flags, Gravity
from cloudlet.transform.steps import Embed, Focus, Plan, Rect, Resize, Size
from cloudlet.transform.vocabulary import CropMode

from .canvas import RGBA, flatten
from .effects import TWO_PASS_EFFECTS, apply_effect
from .faces import detect_faces
from .focus import FACE_WORDS, Regions, Tracker, focus_for, union
from .limits import LayerNotFoundError, RenderError, RenderLimits, check_working
from .loading import LoadOptions, SourceInfo, load_frames, open_source
from .overlays import Apply, LayerBlock, Node, place
from .resizing import (
    Turn,
    Work,
    apply_turns,
    execute,
    free_angle,
    pre_turns,
    requested_box,
    rotate_freely,
    track_turns,
    turned_size,
)
from .shapes import (
    add_border,
    apply_opacity,
    border_width,
    fill_color,
    pad_color,
    round_corners,
)
from .text import render_text
from .text_image import TextImageStyle, styled_text

LayerLoader = Callable[[str, str, str], Path | None]
# A saved text style (``l_text:<style public id>:…``) by public id, or None when unknown.
TextStyleLoader = Callable[[str], TextImageStyle | None]
MAX_LAYERS = 32
SMALL_SIDE = 256
_PADDING = frozenset({CropMode.PAD, CropMode.LPAD, CropMode.MPAD, CropMode.FILL_PAD})


@dataclass(frozen=True)
class Subject:
    """One source being rendered (the base image or a layer): its regions of interest and
    its original size (``iw``/``ih``)."""

    regions: Regions
    initial: Size


@dataclass
class Context:
    """What a whole render shares."""

    limits: RenderLimits
    load_layer: LayerLoader | None = None
    load_text_style: TextStyleLoader | None = None
    background: RGBA | None = None  # the last b_ colour: a JPEG's transparency goes onto it
    layers: dict[int, pyvips.Image] = field(default_factory=dict)  # finished, by block
    opened: int = 0


@dataclass(frozen=True)
class Prepared:
    """The first component's turns and plan, worked out from the header."""

    turns: tuple[Turn, ...]
    plan: Plan
    resized: bool  # the plan starts with a resize, done while loading


# ----------------------------------------------------------------------------- one component


def _geometry(
    size: Size,
    component: Component,
    focus: Focus | None,
    subject: Subject,
    relative_to: Size | None,
) -> Plan:
    try:
        return plan_geometry(
            size, component, focus=focus, initial=subject.initial, relative_to=relative_to
        )
    except TransformationError as error:
        raise RenderError(error.message) from error


def _requested(
    component: Component, size: Size, subject: Subject, relative_to: Size | None
) -> Size | None:
    def plan(at: Size, bare: Component) -> Plan:
        return _geometry(at, bare, None, subject, relative_to)

    return requested_box(component, size, plan)


def apply_component(
    work: Work,
    component: Component,
    ctx: Context,
    subject: Subject,
    *,
    prepared: Prepared | None = None,
    relative_to: Size | None = None,
) -> Work:
    """The component's steps, in the order of the module docstring (``prepared``: its turns
    and plan were worked out while loading)."""
    if prepared is None:
        requested = _requested(component, work.size, subject, relative_to)
        work = apply_turns(work, pre_turns(component, work.size, requested))
        plan, resized = _plan(work, component, subject, relative_to), False
    else:
        work = apply_turns(work, prepared.turns)
        plan, resized = prepared.plan, prepared.resized
    pads = any(isinstance(step, Embed) for step in plan.steps)
    pad = pad_color(component, work.image) if pads else (0, 0, 0, 0)
    work = execute(work, plan, pad, ctx.limits, resized=resized)
    effect = component.typed("effect", Effect)
    if effect is not None:
        work = apply_effect(work, effect, component.typed("color", Color))
    return _decorate(work, component, ctx)


def _plan(work: Work, component: Component, subject: Subject, relative_to: Size | None) -> Plan:
    focus, planned = focus_for(component, subject.regions, work.tracker, lambda: work.image)
    return _geometry(work.size, planned, focus, subject, relative_to)


def _decorate(work: Work, component: Component, ctx: Context) -> Work:
    image = round_corners(work.image, component)
    size = border_width(component)
    if size:
        image = add_border(image, component, ctx.limits)
        tracker = work.tracker.shift(size, size, image.width, image.height)
        work = Work(image, tracker)
    elif image is not work.image:
        work = Work(image, work.tracker)
    work = rotate_freely(work, free_angle(component), ctx.limits)
    image = apply_opacity(work.image, component)
    fill = fill_color(component)
    if fill is not None:
        ctx.background = fill
        if component.get("crop") not in _PADDING and image.hasalpha() and fill[3] == 255:
            image = flatten(image, fill)
    return work if image is work.image else Work(image, work.tracker)


# ----------------------------------------------------------------------------- the chain


def run_chain(work: Work, nodes: tuple[Node, ...], ctx: Context, subject: Subject) -> Work:
    """Every node, in order, on ``work``."""
    for node in nodes:
        if isinstance(node, Apply):
            work = apply_component(work, node.component, ctx, subject)
        else:
            work = _with_layer(work, node, ctx, subject)
    return work


def _with_layer(base: Work, block: LayerBlock, ctx: Context, subject: Subject) -> Work:
    layer = ctx.layers.get(id(block))
    if layer is None:
        layer = _finished_layer(block, base.size, ctx)
        ctx.layers[id(block)] = layer
    focus = _placement_focus(block.placement, base, subject)
    return place(base, layer, block, focus, ctx.limits)


def _placement_focus(placement: Component, base: Work, subject: Subject) -> Rect | None:
    gravity = placement.typed("gravity", Gravity)
    if gravity is None or gravity.is_compass or gravity.name == "xy_center":
        return None
    focus, _ = focus_for(placement, subject.regions, base.tracker, lambda: base.image)
    if focus is None:
        return None
    if focus.faces:
        if gravity.name in ("face", "adv_face", "adv_eyes"):
            return max(focus.faces, key=lambda r: r.width * r.height)
        return union(focus.faces)
    return union(focus.custom) if focus.custom else focus.auto


def _finished_layer(block: LayerBlock, base: Size, ctx: Context) -> pyvips.Image:
    ctx.opened += 1
    if ctx.opened > MAX_LAYERS:
        raise RenderError(f"A transformation may use at most {MAX_LAYERS} layers")
    background = ctx.background  # a layer's b_ is its own, not the base's
    try:
        return _layer_image(block, base, ctx)
    finally:
        ctx.background = background


def _layer_image(block: LayerBlock, base: Size, ctx: Context) -> pyvips.Image:
    flags = block.own.typed("flags", Flags)
    relative_to = base if flags is not None and "relative" in flags else None
    if block.layer.kind == "text":
        image, own = _text_layer(block, ctx)
        subject = Subject(Regions(), Size(image.width, image.height))
        work = apply_component(Work(image, Tracker()), own, ctx, subject, relative_to=relative_to)
    else:
        path = _layer_path(block, ctx)
        info = open_source(path, ctx.limits)
        regions = Regions(faces_fn=lambda: detect_faces(path))
        works, subject = begin(
            info, block.own, ctx, regions, pages=(0,), sequential=False, relative_to=relative_to
        )
        work = works[0]
    return run_chain(work, block.body, ctx, subject).image


def _text_layer(block: LayerBlock, ctx: Context) -> tuple[pyvips.Image, Component]:
    layer = block.layer
    if not layer.style_id:
        return render_text(layer, block.own, ctx.limits)
    if layer.style_id.startswith("$"):
        raise RenderError("Variables are not supported as text styles")
    style = ctx.load_text_style(layer.style_id) if ctx.load_text_style is not None else None
    if style is None:
        raise LayerNotFoundError(f"Unknown text style {layer.style_id}", status=404)
    return styled_text(layer.text, style, ctx.limits, block.own)


def _layer_path(block: LayerBlock, ctx: Context) -> Path:
    layer = block.layer
    if layer.kind == "fetch":
        key = (layer.resource_type, "fetch", layer.url)
    elif layer.kind == "image":
        key = ("image", layer.delivery_type, layer.public_id)
    else:
        raise RenderError(f"Layers of kind '{layer.kind}' are not supported")
    path = ctx.load_layer(*key) if ctx.load_layer is not None else None
    if path is None:
        shown = layer.url if layer.kind == "fetch" else layer.public_id
        raise LayerNotFoundError(
            f"Unknown or invalid referenced image {shown} of type {key[1]}", status=404
        )
    return path


# ----------------------------------------------------------------------------- loading


def begin(
    info: SourceInfo,
    first: Component | None,
    ctx: Context,
    regions: Regions,
    *,
    pages: tuple[int, ...],
    sequential: bool,
    autorotate: bool = True,
    relative_to: Size | None = None,
) -> tuple[list[Work], Subject]:
    """The source's chosen pages loaded, with ``first`` (the chain's first component, if it
    is a plain one) already applied, its resize done while decoding when it starts with one."""
    size = info.oriented_size(autorotate)
    regions.original_size = (size.width, size.height)
    regions.original_fn = lambda: _small_original(info, size, autorotate, ctx.limits)
    subject = Subject(regions, size)
    tracker = Tracker() if autorotate else Tracker().lose()
    if first is None:
        options = LoadOptions(sequential=sequential, autorotate=autorotate)
        frames = load_frames(info, pages, options, ctx.limits)
        return [Work(frame, tracker) for frame in frames], subject
    prepared = _prepare(first, size, tracker, subject, relative_to)
    shrink = _shrink_target(prepared, ctx.limits, sequential)
    if shrink is None:
        prepared = Prepared(prepared.turns, prepared.plan, resized=False)
    options = LoadOptions(shrink_to=shrink, sequential=sequential, autorotate=autorotate)
    frames = load_frames(info, pages, options, ctx.limits)
    if shrink is not None:
        tracker = tracker.scale(shrink.width / size.width, shrink.height / size.height)
    return [
        apply_component(
            Work(frame, tracker), first, ctx, subject, prepared=prepared, relative_to=relative_to
        )
        for frame in frames
    ], subject


def _prepare(
    first: Component, size: Size, tracker: Tracker, subject: Subject, relative_to: Size | None
) -> Prepared:
    turns = pre_turns(first, size, _requested(first, size, subject, relative_to))
    turned = turned_size(size, turns)
    focus, planned = focus_for(first, subject.regions, track_turns(tracker, turns, size), None)
    plan = _geometry(turned, planned, focus, subject, relative_to)
    resized = bool(plan.steps) and isinstance(plan.steps[0], Resize)
    return Prepared(turns, plan, resized)


def _shrink_target(prepared: Prepared, limits: RenderLimits, sequential: bool) -> Size | None:
    """The size to decode at (before the turns), when the plan starts with a resize. A
    render that reads its image twice keeps the shrunk image in memory, so only when that
    stays within the output limit; otherwise it decodes normally and resizes later."""
    if not prepared.resized:
        return None
    step = prepared.plan.steps[0]
    assert isinstance(step, Resize)
    check_working(step.width, step.height, limits)
    if not sequential and step.width * step.height > limits.max_output_pixels:
        return None
    target = Size(step.width, step.height)
    return turned_size(target, prepared.turns)


def _small_original(
    info: SourceInfo, size: Size, autorotate: bool, limits: RenderLimits
) -> pyvips.Image:
    scale = min(1.0, SMALL_SIDE / max(size.width, size.height))
    small = Size(max(1, round(size.width * scale)), max(1, round(size.height * scale)))
    options = LoadOptions(shrink_to=small, autorotate=autorotate)
    return load_frames(info, (0,), options, limits)[0]


# ----------------------------------------------------------------------------- access


def needs_random_access(nodes: tuple[Node, ...], info: SourceInfo) -> bool:
    """Whether the render reads the source more than once or out of order (then it cannot
    stream it sequentially)."""
    if info.orientation != 1 or info.animated:
        return True
    return any(_random_node(node, index) for index, node in enumerate(nodes))


def _random_node(node: Node, index: int) -> bool:
    if isinstance(node, LayerBlock):
        return _random_component(node.placement, 1)
    return _random_component(node.component, index)


def _random_component(component: Component, index: int) -> bool:
    if "angle" in component:
        return True
    effect = component.typed("effect", Effect)
    if effect is not None and effect.name in TWO_PASS_EFFECTS:
        return True
    background = component.typed("background", Background)
    if background is not None and background.mode == "auto":
        return True
    gravity = component.typed("gravity", Gravity)
    if gravity is None:
        return False
    focal = gravity.is_auto or bool({gravity.name, *gravity.args} & FACE_WORDS)
    return focal and index > 0
