"""Random chains of the parameters Cloudlet renders, on small images (opaque, transparent,
animated, EXIF-rotated): every render either succeeds with an image of the size it reports
or fails with a RenderError, never anything else."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.imaging.render_support import decode, run, save, solid

from cloudlet.imaging.limits import RenderError, RenderLimits
from cloudlet.transform import TransformationError, parse_transformation

PARAMETERS = [
    "w_40", "h_30", "w_0.5", "h_1.5", "w_iw_div_2", "ar_16:9", "ar_1.0", "dpr_2.0", "z_1.5",
    "c_scale", "c_fit", "c_limit", "c_mfit", "c_fill", "c_lfill", "c_fill_pad", "c_pad",
    "c_lpad", "c_mpad", "c_crop", "c_thumb",
    "g_center", "g_north_west", "g_south", "g_east", "g_face", "g_faces", "g_auto",
    "g_auto:faces", "g_custom", "g_xy_center",
    "x_10", "y_-5", "x_0.2", "y_0.3",
    "a_90", "a_-90", "a_33", "a_hflip", "a_vflip", "a_auto_right", "a_auto_left", "a_ignore",
    "e_grayscale", "e_sepia:50", "e_blur:200", "e_sharpen", "e_pixelate:7", "e_negate",
    "e_brightness:-30", "e_contrast:40", "e_saturation:-50", "e_gamma:20", "e_tint:50:red:blue",
    "e_colorize:60", "e_vignette", "e_trim", "e_improve", "e_background_removal",
    "r_5", "r_max", "r_1:2:3:4", "bo_3px_solid_red", "o_40", "co_green",
    "b_blue", "b_auto", "b_auto:predominant_contrast", "b_rgb:00000080",
    "q_30", "q_auto:eco", "fl_progressive", "fl_lossy", "fl_relative",
    "l_text:Arial_12_bold:Hi", "l_dot", "u_dot", "pg_1",
]  # fmt: skip


def _component(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=4))
    by_key: dict[str, str] = {}
    for parameter in chosen:
        by_key.setdefault(parameter.split("_")[0], parameter)  # one of each kind
    return ",".join(by_key.values())


@st.composite
def transformations(draw: st.DrawFn) -> str:
    return "/".join(_component(draw) for _ in range(draw(st.integers(1, 3))))


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    gradient = pyvips.Image.xyz(64, 48).extract_band(0) * 4
    photo = gradient.bandjoin([gradient.flip("horizontal"), gradient * 0 + 90]).cast("uchar")
    photo = photo.copy(interpretation="srgb")
    turned = photo.rot90().copy()
    turned.set_type(pyvips.GValue.gint_type, "orientation", 8)
    frames = pyvips.Image.arrayjoin([photo, photo.invert(), photo], across=1).copy()
    frames.set_type(pyvips.GValue.gint_type, "page-height", 48)
    return {
        "jpg": save(photo, folder / "photo.jpg"),
        "png": save(solid(30, 20, (255, 0, 0, 255)).embed(10, 10, 50, 40), folder / "logo.png"),
        "turned": save(turned, folder / "turned.jpg"),
        "gif": save(frames, folder / "anim.gif"),
        "dot": save(solid(8, 8, (0, 0, 255)), folder / "dot.png"),
    }


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=transformations(),
    which=st.sampled_from(["jpg", "png", "turned", "gif"]),
    fmt=st.sampled_from(["png", "jpg", "gif", "webp"]),
)
def test_random_chains_render_or_refuse_cleanly(
    sources: dict[str, Path], text: str, which: str, fmt: str
) -> None:
    try:
        transformation = parse_transformation(text)
    except TransformationError:
        return
    assert transformation is not None
    limits = RenderLimits(max_output_pixels=4_000_000, max_output_side=4000)
    try:
        rendered = run(
            sources[which],
            text,
            fmt,
            source_format="gif" if which == "gif" else "jpg",
            load_layer=lambda *_: sources["dot"],
            faces=lambda: [],
            custom=[(5, 5, 10, 10)],
            limits=limits,
        )
    except RenderError:
        return
    image = decode(rendered)
    assert image.width == rendered.width
    assert image.get_page_height() == rendered.height
