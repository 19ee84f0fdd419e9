"""Crop-mode geometry against the formula table of transformations.md §A2."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.transform import (
    ClientHints,
    Embed,
    Extract,
    Focus,
    InvalidParameterError,
    Plan,
    Rect,
    Resize,
    Size,
    UnsupportedTransformationError,
    parse_component,
    plan_geometry,
)
from cloudlet.transform.steps import Step

WIDE = Size(1000, 500)
TALL = Size(500, 1000)
CAMERA = Size(1280, 853)  # the docs' camera.jpg
SMALL_FACE = Focus(faces=(Rect(600, 100, 50, 60),))
BIG_FACE = Focus(faces=(Rect(200, 100, 300, 300),))
TWO_FACES = Focus(faces=(Rect(100, 100, 50, 50), Rect(300, 200, 100, 100)))
SALIENT = Focus(auto=Rect(100, 0, 800, 500))
NONE = Focus()

# (source, transformation, focus, expected steps, expected output size)
CASES: list[tuple[Size, str, Focus, tuple[Step, ...], tuple[int, int]]] = [
    # nothing to do
    (WIDE, "e_sepia", NONE, (), (1000, 500)),
    (WIDE, "c_fill", NONE, (), (1000, 500)),
    (WIDE, "c_crop,x_10,y_10", NONE, (), (1000, 500)),
    # scale (the default mode): distorts with both sides, keeps the ratio with one
    (WIDE, "w_200", NONE, (Resize(200, 100),), (200, 100)),
    (WIDE, "c_scale,h_100", NONE, (Resize(200, 100),), (200, 100)),
    (WIDE, "c_scale,w_200,h_50", NONE, (Resize(200, 50),), (200, 50)),
    (CAMERA, "c_scale,w_150", NONE, (Resize(150, 100),), (150, 100)),
    (WIDE, "c_scale,w_200,fl_ignore_aspect_ratio", NONE, (Resize(200, 500),), (200, 500)),
    (WIDE, "c_scale,w_200,ar_1", NONE, (Resize(200, 200),), (200, 200)),
    (WIDE, "c_scale,w_2000", NONE, (Resize(2000, 1000),), (2000, 1000)),
    # relative values and expressions
    (WIDE, "c_scale,w_0.5", NONE, (Resize(500, 250),), (500, 250)),
    (WIDE, "c_scale,w_1.5", NONE, (Resize(1500, 750),), (1500, 750)),
    (WIDE, "c_scale,h_0.1", NONE, (Resize(100, 50),), (100, 50)),
    (WIDE, "c_scale,w_iw_mul_0.25", NONE, (Resize(250, 125),), (250, 125)),
    (WIDE, "c_scale,w_iw_add_100_div_2", NONE, (Resize(550, 275),), (550, 275)),
    (WIDE, "c_scale,h_ih", NONE, (), (1000, 500)),
    # dpr multiplies w/h (and pixel x/y)
    (WIDE, "c_scale,w_100,dpr_2.0", NONE, (Resize(200, 100),), (200, 100)),
    (WIDE, "c_scale,w_100,dpr_1.5", NONE, (Resize(150, 75),), (150, 75)),
    (WIDE, "c_scale,w_100,dpr_auto", NONE, (Resize(100, 50),), (100, 50)),
    (WIDE, "c_limit,w_600,dpr_2.0", NONE, (), (1000, 500)),
    (
        WIDE,
        "c_fill,h_100,w_100,dpr_2.0",
        NONE,
        (Resize(400, 200), Extract(100, 0, 200, 200)),
        (200, 200),
    ),
    # fit, limit (never enlarges), mfit (only enlarges)
    (CAMERA, "c_fit,w_250,h_250", NONE, (Resize(250, 167),), (250, 167)),
    (WIDE, "c_fit,w_4000,h_4000", NONE, (Resize(4000, 2000),), (4000, 2000)),
    (CAMERA, "c_limit,w_2000,h_2000", NONE, (), (1280, 853)),
    (WIDE, "c_limit,w_200,h_200", NONE, (Resize(200, 100),), (200, 100)),
    (WIDE, "c_limit,w_400", NONE, (Resize(400, 200),), (400, 200)),
    (CAMERA, "c_mfit,w_2000,h_2000", NONE, (Resize(2000, 1333),), (2000, 1333)),
    (WIDE, "c_mfit,w_200,h_200", NONE, (), (1000, 500)),
    # fill: cover then crop at the gravity
    (WIDE, "c_fill,w_200,h_200", NONE, (Resize(400, 200), Extract(100, 0, 200, 200)), (200, 200)),
    (CAMERA, "c_fill,w_250,h_250", NONE, (Resize(375, 250), Extract(63, 0, 250, 250)), (250, 250)),
    (
        WIDE,
        "c_fill,g_west,w_200,h_200",
        NONE,
        (Resize(400, 200), Extract(0, 0, 200, 200)),
        (200, 200),
    ),
    (
        WIDE,
        "c_fill,g_east,w_200,h_200",
        NONE,
        (Resize(400, 200), Extract(200, 0, 200, 200)),
        (200, 200),
    ),
    (
        WIDE,
        "c_fill,g_east,w_200,h_200,x_50",
        NONE,
        (Resize(400, 200), Extract(150, 0, 200, 200)),
        (200, 200),
    ),
    (
        WIDE,
        "c_fill,g_west,w_200,h_200,x_-50",
        NONE,
        (Resize(400, 200), Extract(0, 0, 200, 200)),
        (200, 200),
    ),
    (
        TALL,
        "c_fill,g_south,w_200,h_200",
        NONE,
        (Resize(200, 400), Extract(0, 200, 200, 200)),
        (200, 200),
    ),
    (
        TALL,
        "c_fill,g_north,w_200,h_200,y_20",
        NONE,
        (Resize(200, 400), Extract(0, 20, 200, 200)),
        (200, 200),
    ),
    (
        WIDE,
        "c_fill,g_face,w_200,h_200",
        BIG_FACE,
        (Resize(400, 200), Extract(40, 0, 200, 200)),
        (200, 200),
    ),
    (
        WIDE,
        "c_fill,g_face,w_200,h_200",
        NONE,
        (Resize(400, 200), Extract(100, 0, 200, 200)),
        (200, 200),
    ),
    (
        WIDE,
        "c_fill,g_auto,w_100,h_100",
        Focus(auto=Rect(0, 0, 100, 100)),
        (Resize(200, 100), Extract(0, 0, 100, 100)),
        (100, 100),
    ),
    (
        WIDE,
        "c_fill,w_2000,h_2000",
        NONE,
        (Resize(4000, 2000), Extract(1000, 0, 2000, 2000)),
        (2000, 2000),
    ),
    (WIDE, "c_fill,w_200", NONE, (Resize(200, 100),), (200, 100)),
    # aspect ratio with one side, or alone (the largest box of that ratio)
    (WIDE, "c_fill,w_300,ar_1.5", NONE, (Resize(400, 200), Extract(50, 0, 300, 200)), (300, 200)),
    (WIDE, "c_fill,h_100,ar_16:9", NONE, (Resize(200, 100), Extract(11, 0, 178, 100)), (178, 100)),
    (WIDE, "ar_1:1,c_fill", NONE, (Extract(250, 0, 500, 500),), (500, 500)),
    (WIDE, "ar_16:9,c_fill", NONE, (Extract(56, 0, 889, 500),), (889, 500)),
    (TALL, "ar_1:1,c_crop,g_north", NONE, (Extract(0, 0, 500, 500),), (500, 500)),
    # lfill: as fill, never enlarging (fewer pixels than asked)
    (WIDE, "c_lfill,w_200,h_200", NONE, (Resize(400, 200), Extract(100, 0, 200, 200)), (200, 200)),
    (Size(400, 200), "c_lfill,w_800,h_100", NONE, (Extract(0, 50, 400, 100),), (400, 100)),
    (CAMERA, "c_lfill,w_2000,h_100", NONE, (Extract(0, 377, 1280, 100),), (1280, 100)),
    (WIDE, "c_lfill,w_2000,h_2000", NONE, (), (1000, 500)),
    # pad: fit, then a canvas of exactly w×h with the image at the gravity
    (
        CAMERA,
        "b_brown,c_pad,w_250,h_250",
        NONE,
        (Resize(250, 167), Embed(250, 250, 0, 42)),
        (250, 250),
    ),
    (WIDE, "c_pad,w_200,h_200", NONE, (Resize(200, 100), Embed(200, 200, 0, 50)), (200, 200)),
    (
        WIDE,
        "c_pad,g_north,w_200,h_200",
        NONE,
        (Resize(200, 100), Embed(200, 200, 0, 0)),
        (200, 200),
    ),
    (
        WIDE,
        "c_pad,g_south,w_200,h_200",
        NONE,
        (Resize(200, 100), Embed(200, 200, 0, 100)),
        (200, 200),
    ),
    (
        WIDE,
        "c_pad,g_south,w_200,h_200,y_10",
        NONE,
        (Resize(200, 100), Embed(200, 200, 0, 90)),
        (200, 200),
    ),
    (
        WIDE,
        "c_pad,g_face,w_200,h_200",
        BIG_FACE,
        (Resize(200, 100), Embed(200, 200, 0, 50)),
        (200, 200),
    ),
    (
        WIDE,
        "c_pad,w_4000,h_4000",
        NONE,
        (Resize(4000, 2000), Embed(4000, 4000, 0, 1000)),
        (4000, 4000),
    ),
    (WIDE, "c_pad,w_200", NONE, (Resize(200, 100),), (200, 100)),
    # lpad: never enlarges, pads all round; mpad: only enlarges, larger images unchanged
    (WIDE, "c_lpad,w_4000,h_4000", NONE, (Embed(4000, 4000, 1500, 1750),), (4000, 4000)),
    (WIDE, "c_lpad,w_200,h_200", NONE, (Resize(200, 100), Embed(200, 200, 0, 50)), (200, 200)),
    (WIDE, "c_mpad,w_500,h_500", NONE, (), (1000, 500)),
    (
        WIDE,
        "c_mpad,w_4000,h_4000",
        NONE,
        (Resize(4000, 2000), Embed(4000, 4000, 0, 1000)),
        (4000, 4000),
    ),
    # crop: no scaling; gravity, offsets, x/y as the corner, xy_center, relative sizes
    (WIDE, "c_crop,w_200,h_100", NONE, (Extract(400, 200, 200, 100),), (200, 100)),
    (WIDE, "c_crop,w_200,h_100,x_10,y_20", NONE, (Extract(10, 20, 200, 100),), (200, 100)),
    (
        WIDE,
        "c_crop,g_north_west,w_200,h_100,x_10,y_20",
        NONE,
        (Extract(10, 20, 200, 100),),
        (200, 100),
    ),
    (
        WIDE,
        "c_crop,g_south_east,w_200,h_100,x_10,y_20",
        NONE,
        (Extract(790, 380, 200, 100),),
        (200, 100),
    ),
    (WIDE, "c_crop,g_center,w_200,h_100,x_10", NONE, (Extract(410, 200, 200, 100),), (200, 100)),
    (
        WIDE,
        "c_crop,g_xy_center,w_200,h_200,x_100,y_100",
        NONE,
        (Extract(0, 0, 200, 200),),
        (200, 200),
    ),
    (
        WIDE,
        "c_crop,g_xy_center,w_200,h_100,x_500,y_250",
        NONE,
        (Extract(400, 200, 200, 100),),
        (200, 100),
    ),
    (WIDE, "c_crop,w_0.5,h_0.5", NONE, (Extract(250, 125, 500, 250),), (500, 250)),
    (WIDE, "c_crop,w_0.5", NONE, (Extract(250, 125, 500, 250),), (500, 250)),
    (WIDE, "c_crop,w_200,h_100,x_0.1,y_0.2", NONE, (Extract(100, 100, 200, 100),), (200, 100)),
    (WIDE, "c_crop,w_2000,h_100", NONE, (Extract(0, 200, 1000, 100),), (1000, 100)),
    (WIDE, "c_crop,w_200,h_100,x_900,y_450", NONE, (Extract(800, 400, 200, 100),), (200, 100)),
    (WIDE, "c_crop,w_100,h_100,x_10,y_10,dpr_2.0", NONE, (Extract(20, 20, 200, 200),), (200, 200)),
    # crop with faces: centred on the face, x/y ignored, zoom takes a smaller region
    (WIDE, "c_crop,g_face", SMALL_FACE, (Extract(600, 100, 50, 60),), (50, 60)),
    (WIDE, "c_crop,g_faces", TWO_FACES, (Extract(100, 100, 300, 200),), (300, 200)),
    (WIDE, "c_crop,g_face", NONE, (), (1000, 500)),
    (WIDE, "c_crop,g_face,w_200,h_200", SMALL_FACE, (Extract(525, 30, 200, 200),), (200, 200)),
    (
        WIDE,
        "c_crop,g_face,w_200,h_200,x_100",
        SMALL_FACE,
        (Extract(525, 30, 200, 200),),
        (200, 200),
    ),
    (
        WIDE,
        "c_crop,g_face,z_2",
        SMALL_FACE,
        (Resize(2000, 1000), Extract(1225, 230, 50, 60)),
        (50, 60),
    ),
    (
        WIDE,
        "c_crop,g_custom",
        Focus(custom=(Rect(10, 20, 30, 40),)),
        (Extract(10, 20, 30, 40),),
        (30, 40),
    ),
    # thumb: the face region grown to the ratio, never smaller than w×h, then scaled
    (WIDE, "c_thumb,g_face,w_100,h_100", SMALL_FACE, (Extract(575, 80, 100, 100),), (100, 100)),
    (
        WIDE,
        "c_thumb,g_face,w_100,h_100",
        BIG_FACE,
        (Resize(333, 167), Extract(67, 33, 100, 100)),
        (100, 100),
    ),
    (
        WIDE,
        "c_thumb,g_face,w_100,h_100,z_0.5",
        BIG_FACE,
        (Resize(200, 100), Extract(20, 0, 100, 100)),
        (100, 100),
    ),
    (
        WIDE,
        "c_thumb,g_face,w_100,h_100,z_2",
        BIG_FACE,
        (Resize(667, 333), Extract(183, 117, 100, 100)),
        (100, 100),
    ),
    (
        WIDE,
        "c_thumb,g_face,w_100,h_100",
        NONE,
        (Resize(200, 100), Extract(50, 0, 100, 100)),
        (100, 100),
    ),
    (
        WIDE,
        "c_thumb,g_auto,w_100,h_100",
        Focus(faces=BIG_FACE.faces),
        (Resize(333, 167), Extract(67, 33, 100, 100)),
        (100, 100),
    ),
    # fill_pad: fill, but keep the salient box whole and pad the rest
    (
        WIDE,
        "c_fill_pad,g_auto,w_200,h_200",
        SALIENT,
        (Resize(250, 125), Extract(25, 0, 200, 125), Embed(200, 200, 0, 38)),
        (200, 200),
    ),
    (
        WIDE,
        "c_fill_pad,g_auto,w_200,h_200",
        NONE,
        (Resize(400, 200), Extract(100, 0, 200, 200)),
        (200, 200),
    ),
]


def _id(case: tuple[Size, str, Focus, tuple[Step, ...], tuple[int, int]]) -> str:
    source, text, focus, _, _ = case
    marks = (
        "+faces" if focus.faces else "+custom" if focus.custom else "+auto" if focus.auto else ""
    )
    return f"{source.width}x{source.height}:{text}{marks}"


@pytest.mark.parametrize(
    ("source", "text", "focus", "steps", "output"), CASES, ids=[_id(c) for c in CASES]
)
def test_plan(
    source: Size, text: str, focus: Focus, steps: tuple[Step, ...], output: tuple[int, int]
) -> None:
    plan = plan_geometry(source, parse_component(text), focus=focus)
    assert plan.steps == steps
    assert plan.output == Size(*output)
    assert _replay(plan) == plan.output


@pytest.mark.parametrize(
    ("text", "hints", "resize"),
    [
        ("c_scale,w_100,dpr_auto", ClientHints(dpr=3.0), Resize(300, 150)),
        ("c_scale,w_auto", ClientHints(width=250), Resize(250, 125)),
        ("c_scale,w_auto", ClientHints(), None),
        ("c_scale,w_auto:100", ClientHints(width=333), Resize(400, 200)),
        ("c_scale,w_auto:100:300", ClientHints(), Resize(300, 150)),
        ("c_scale,w_auto:100:300", ClientHints(width=420), Resize(500, 250)),
    ],
)
def test_client_hints(text: str, hints: ClientHints, resize: Resize | None) -> None:
    plan = plan_geometry(WIDE, parse_component(text), hints=hints)
    assert plan.step(Resize) == resize


def test_initial_size_is_iw_and_relative_values_follow_the_current_size() -> None:
    component = parse_component("c_scale,w_iw")
    plan = plan_geometry(Size(500, 250), component, initial=Size(1000, 500))
    assert plan.steps == (Resize(1000, 500),)
    relative = plan_geometry(Size(500, 250), parse_component("c_scale,w_0.5"), initial=WIDE)
    assert relative.steps == (Resize(250, 125),)


def test_relative_to_another_size() -> None:
    plan = plan_geometry(WIDE, parse_component("c_scale,w_0.5"), relative_to=Size(400, 300))
    assert plan.steps == (Resize(200, 100),)


@pytest.mark.parametrize("text", ["c_scale,w_$foo", "ar_$r,c_fill,w_10", "c_crop,w_10,z_$z"])
def test_variables_are_not_supported(text: str) -> None:
    with pytest.raises(UnsupportedTransformationError):
        plan_geometry(WIDE, parse_component(text))


@pytest.mark.parametrize(
    "text", ["c_scale,w_iw_div_0", "c_scale,w_iw_sub_iw", "c_scale,w_iw_pow_9999"]
)
def test_expressions_that_cannot_be_evaluated(text: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        plan_geometry(WIDE, parse_component(text))
    assert caught.value.parameter == "width"


def _replay(plan: Plan) -> Size:
    """Execute the steps on sizes only, checking each stays within its image."""
    current = plan.source
    for step in plan.steps:
        if isinstance(step, Resize):
            current = Size(step.width, step.height)
        elif isinstance(step, Extract):
            assert step.left >= 0 and step.left + step.width <= current.width
            assert step.top >= 0 and step.top + step.height <= current.height
            current = Size(step.width, step.height)
        else:
            assert step.left >= 0 and step.left + current.width <= step.width
            assert step.top >= 0 and step.top + current.height <= step.height
            current = Size(step.width, step.height)
    return current


MODES = [
    "scale",
    "fit",
    "limit",
    "mfit",
    "fill",
    "lfill",
    "fill_pad",
    "pad",
    "lpad",
    "mpad",
    "crop",
    "thumb",
]
EXACT = {"fill", "pad", "lpad", "thumb", "fill_pad"}  # always exactly w×h


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 3000),
    st.integers(1, 3000),
    st.sampled_from(MODES),
    st.integers(1, 3000),
    st.integers(1, 3000),
    st.sampled_from(["", ",g_north_east", ",g_face", ",g_auto", ",g_xy_center,x_30,y_40"]),
)
def test_plans_are_consistent(
    width: int, height: int, mode: str, w: int, h: int, gravity: str
) -> None:
    if "auto" in gravity and mode not in ("fill", "lfill", "fill_pad", "crop", "thumb"):
        gravity = ""
    component = parse_component(f"c_{mode},w_{w},h_{h}{gravity}")
    focus = Focus(faces=(Rect(width // 3, height // 3, max(1, width // 5), max(1, height // 5)),))
    plan = plan_geometry(Size(width, height), component, focus=focus)
    assert _replay(plan) == plan.output
    if mode in EXACT:
        assert plan.output == Size(w, h)
