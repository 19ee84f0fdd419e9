"""Overlays and underlays: image and text layers, where they land, which components belong to
them, and the errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import pyvips
from tests.imaging.render_support import decode, pixel, run, sample, save, solid

from cloudlet.imaging.faces import detect_faces
from cloudlet.imaging.limits import LayerNotFoundError, RenderError
from cloudlet.imaging.overlays import Apply, LayerBlock, build_chain
from cloudlet.transform import parse_transformation


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("layers")
    return {
        "white": save(solid(400, 300, (255, 255, 255)), folder / "white.png"),
        "red": save(solid(50, 50, (255, 0, 0)), folder / "red.png"),
        "folder/blue": save(solid(40, 20, (0, 0, 255)), folder / "blue.png"),
        "holed": save(
            solid(100, 100, (0, 255, 0, 255)).draw_rect([0, 0, 0, 0], 25, 25, 50, 50, fill=True),
            folder / "holed.png",
        ),
    }


Loader = Callable[[str, str, str], Path | None]


def _loader(assets: dict[str, Path], calls: list[tuple[str, str, str]]) -> Loader:
    def load(resource_type: str, delivery_type: str, public_id: str) -> Path | None:
        calls.append((resource_type, delivery_type, public_id))
        if delivery_type == "fetch":
            return assets["red"]
        return assets.get(public_id)

    return load


def _render(
    assets: dict[str, Path], text: str, fmt: str = "png", base: str = "white"
) -> tuple[pyvips.Image, list[tuple[str, str, str]]]:
    calls: list[tuple[str, str, str]] = []
    rendered = run(assets[base], text, fmt, load_layer=_loader(assets, calls))
    return decode(rendered), calls


def _is(color: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 2 for a, b in zip(color[:3], expected, strict=True))


def test_image_overlay_lands_at_the_gravity_position(assets: dict[str, Path]) -> None:
    image, calls = _render(assets, "l_red,g_south_east,x_10,y_20")
    assert calls == [("image", "upload", "red")]
    assert (image.width, image.height) == (400, 300)
    assert _is(pixel(image, 400 - 10 - 25, 300 - 20 - 25), (255, 0, 0))
    assert _is(pixel(image, 400 - 10 - 55, 300 - 20 - 25), (255, 255, 255))
    assert _is(pixel(image, 395, 295), (255, 255, 255))


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("l_red", (200, 150), (150, 150)),
        ("l_red,g_north_west", (25, 25), (60, 25)),
        ("l_red,g_north,y_5", (200, 30), (200, 60)),
        ("l_red,x_100", (300, 150), (200, 150)),
        ("l_red,g_xy_center,x_100,y_50", (100, 50), (200, 150)),
        ("l_red,g_west,x_0.25", (125, 150), (25, 150)),
    ],
)
def test_placement(
    assets: dict[str, Path],
    text: str,
    inside: tuple[int, int],
    outside: tuple[int, int],
) -> None:
    image, _ = _render(assets, text)
    assert _is(pixel(image, *inside), (255, 0, 0))
    assert _is(pixel(image, *outside), (255, 255, 255))


def test_folders_in_layer_ids(assets: dict[str, Path]) -> None:
    image, calls = _render(assets, "l_folder:blue,g_north_west")
    assert calls == [("image", "upload", "folder/blue")]
    assert _is(pixel(image, 5, 5), (0, 0, 255))


def test_inline_layer_parameters_transform_the_layer(assets: dict[str, Path]) -> None:
    image, _ = _render(assets, "l_red,w_100,h_20,c_scale,g_north_west,e_negate")
    assert _is(pixel(image, 95, 15), (0, 255, 255))
    assert _is(pixel(image, 95, 25), (255, 255, 255))
    assert (image.width, image.height) == (400, 300)


def test_layer_block_with_layer_apply(assets: dict[str, Path]) -> None:
    text = "l_red/c_scale,w_100/e_negate/fl_layer_apply,g_north_east,x_10,y_10"
    image, _ = _render(assets, text)
    assert _is(pixel(image, 400 - 15, 15), (0, 255, 255))
    assert _is(pixel(image, 400 - 105, 105), (0, 255, 255))
    assert _is(pixel(image, 400 - 115, 15), (255, 255, 255))


def test_relative_layer_size(assets: dict[str, Path]) -> None:
    image, _ = _render(assets, "l_red,fl_relative,w_0.5,h_0.5,c_scale,g_north_west")
    assert _is(pixel(image, 195, 145), (255, 0, 0))
    assert _is(pixel(image, 205, 155), (255, 255, 255))


def test_a_layer_sticking_out_grows_the_canvas(assets: dict[str, Path]) -> None:
    image, _ = _render(assets, "l_red,x_200")
    assert (image.width, image.height) == (200 + 175 + 50, 300)
    assert pixel(image, 420, 10)[3] == 0  # nothing was drawn there
    assert _is(pixel(image, 420, 150), (255, 0, 0))


def test_underlay_shows_through_transparent_areas(assets: dict[str, Path]) -> None:
    image, _ = _render(assets, "u_red,w_100,h_100,c_scale", base="holed")
    assert _is(pixel(image, 50, 50), (255, 0, 0))
    assert _is(pixel(image, 5, 5), (0, 255, 0))


def test_nested_layers(assets: dict[str, Path]) -> None:
    text = (
        "l_red/c_scale,w_100,h_100/l_folder:blue/fl_layer_apply,g_north_west"
        "/fl_layer_apply,g_north_west"
    )
    image, calls = _render(assets, text)
    assert [c[2] for c in calls] == ["red", "folder/blue"]
    assert _is(pixel(image, 5, 5), (0, 0, 255))
    assert _is(pixel(image, 80, 80), (255, 0, 0))
    assert _is(pixel(image, 150, 150), (255, 255, 255))


def test_fetch_layer_asks_the_loader_for_the_url(assets: dict[str, Path]) -> None:
    _, calls = _render(assets, "l_fetch:aHR0cDovL2V4YW1wbGUuY29tL2xvZ28ucG5n")
    assert calls == [("image", "fetch", "http://example.com/logo.png")]


def test_text_layer_puts_dark_pixels_where_it_is_placed(assets: dict[str, Path]) -> None:
    image, _ = _render(assets, "l_text:Arial_40_bold:HELLO,co_black,g_north_west,x_10,y_10")
    ink = image.colourspace("b-w").crop(0, 0, 200, 70)
    assert ink.min() < 50
    assert image.colourspace("b-w").crop(0, 100, 400, 200).min() > 250


def test_text_colour_and_south_east_gravity(assets: dict[str, Path]) -> None:
    image, _ = _render(assets, "co_rgb:ff0000,l_text:Arial_30:Hi,g_south_east")
    corner = image.crop(330, 250, 70, 50)
    r, g, b = corner[0].min(), corner[1].min(), corner[2].min()
    assert r > 200 and g < 100 and b < 100
    assert image.crop(0, 0, 300, 200).colourspace("b-w").min() > 250


def test_text_wraps_at_the_fit_width(assets: dict[str, Path]) -> None:
    words = "The%20quick%20brown%20fox%20jumps%20over%20the%20lazy%20dog"
    wide, _ = _render(assets, f"l_text:Arial_20:{words},g_north_west,co_black")
    wrapped, _ = _render(assets, f"l_text:Arial_20:{words},w_120,c_fit,g_north_west,co_black")
    ink_right = wrapped.colourspace("b-w").crop(125, 0, 275, 300).min()
    assert ink_right > 250
    assert wide.colourspace("b-w").crop(125, 0, 275, 30).min() < 100


def test_text_stroke_outlines_the_glyphs(assets: dict[str, Path]) -> None:
    text = "l_text:Arial_60_bold_stroke:I,co_white,bo_4px_solid_red,g_north_west"
    image, _ = _render(assets, text)
    reds = (image[0] > 200) & (image[1] < 60) & (image[2] < 60)
    assert reds.avg() > 0  # a red outline around white glyphs on white
    assert image.crop(0, 0, 60, 80).colourspace("b-w").min() < 200


def test_text_is_markup_escaped(assets: dict[str, Path]) -> None:
    image, _ = _render(assets, "l_text:Arial_30:%3Cb%3E%20%26%20%3C%2Fb%3E,g_north_west")
    assert image.colourspace("b-w").min() < 100


def test_overlay_on_the_face(tmp_path: Path, assets: dict[str, Path]) -> None:
    astronaut = sample("astronaut.png")
    faces = detect_faces(astronaut)
    calls: list[tuple[str, str, str]] = []
    rendered = run(
        astronaut,
        "l_red,g_face",
        load_layer=_loader(assets, calls),
        faces=lambda: faces,
    )
    centre = (faces[0].x + faces[0].width // 2, faces[0].y + faces[0].height // 2)
    assert _is(pixel(decode(rendered), *centre), (255, 0, 0))


def test_missing_layer_is_layer_not_found(assets: dict[str, Path]) -> None:
    with pytest.raises(LayerNotFoundError, match="nothere") as caught:
        _render(assets, "l_nothere")
    assert caught.value.status == 404


def test_no_loader_means_not_found(assets: dict[str, Path]) -> None:
    with pytest.raises(LayerNotFoundError):
        run(assets["white"], "l_red")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fl_layer_apply", "no overlay"),
        ("l_red/fl_layer_apply,e_sepia", "not supported"),
        ("l_video:dog", "not supported"),
        ("l_text:mystyle:hello", "Unknown text style mystyle"),
        ("l_text:$style:hello", "Variables"),
        ("l_text:Arial_9000:" + "W" * 40, "too large"),
        ("l_text:Arial_20_stroke:x,bo_200px_solid_red", "stroke"),
        ("e_multiply,l_red", "not supported"),
    ],
)
def test_layer_errors(assets: dict[str, Path], text: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        _render(assets, text)


def test_too_many_layers(assets: dict[str, Path]) -> None:
    with pytest.raises(RenderError, match="at most"):
        _render(assets, "/".join(["l_red"] * 40))


def test_chain_structure() -> None:
    chain = build_chain(
        parse_transformation(
            "w_100/l_logo,w_10/e_negate/fl_layer_apply,g_north/l_text:Arial_10:hi,g_south,x_5"
        ).components
    )
    assert isinstance(chain[0], Apply)
    block, inline = chain[1], chain[2]
    assert isinstance(block, LayerBlock) and isinstance(inline, LayerBlock)
    assert block.layer.public_id == "logo" and "width" in block.own and len(block.body) == 1
    assert block.placement.names == ("gravity",)
    assert set(inline.placement.names) == {"gravity", "x"} and "gravity" not in inline.own
