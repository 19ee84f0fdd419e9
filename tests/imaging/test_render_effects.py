"""Effects (``e_``), corners (``r_``), borders (``bo_``), opacity (``o_``) and backgrounds
(``b_``), judged by the pixels they leave."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips
from tests.imaging.render_support import (
    decode,
    load,
    pixel,
    run,
    same_picture,
    sample,
    save,
    solid,
)

from cloudlet.imaging.limits import RenderError


@pytest.fixture(scope="module")
def astronaut() -> Path:
    return sample("astronaut.png")


@pytest.fixture(scope="module")
def original(astronaut: Path) -> pyvips.Image:
    return load(astronaut)


def _chroma(image: pyvips.Image) -> float:
    """The largest difference between colour bands anywhere."""
    r, g, b = image[0], image[1], image[2]
    return max((r - g).abs().max(), (g - b).abs().max(), (r - b).abs().max())


def _detail(image: pyvips.Image) -> float:
    """Mean absolute Laplacian of the grey image: high for sharp, low for blurred."""
    kernel = pyvips.Image.new_from_array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
    return float(image.colourspace("b-w").cast("float").conv(kernel).abs().avg())


def test_grayscale_has_zero_chroma(astronaut: Path, original: pyvips.Image) -> None:
    rendered = decode(run(astronaut, "e_grayscale"))
    assert _chroma(rendered) <= 1
    assert _chroma(original) > 100
    assert same_picture(rendered, original.colourspace("b-w"))


def test_negate_inverts_every_band(astronaut: Path, original: pyvips.Image) -> None:
    rendered = decode(run(astronaut, "e_negate"))
    assert (rendered + original - 255).abs().max() == 0


def test_sepia_is_warm_and_monochrome(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "e_sepia:100"))
    r, g, b = (rendered[i].avg() for i in range(3))
    assert r > g > b


def test_blur_removes_detail_and_more_with_strength(
    astronaut: Path, original: pyvips.Image
) -> None:
    light = _detail(decode(run(astronaut, "e_blur:50")))
    heavy = _detail(decode(run(astronaut, "e_blur:1000")))
    assert heavy < light < _detail(original)
    assert same_picture(decode(run(astronaut, "e_blur:100")), original)


def test_sharpen_adds_detail(astronaut: Path, original: pyvips.Image) -> None:
    assert _detail(decode(run(astronaut, "e_sharpen:300"))) > _detail(original)


def test_pixelate_makes_blocks(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "e_pixelate:16"))
    block = rendered.crop(32, 32, 16, 16)
    assert all(block[band].max() == block[band].min() for band in range(3))
    assert rendered.deviate() > 10


@pytest.mark.parametrize(
    ("text", "brighter"),
    [("e_brightness:50", True), ("e_brightness:-50", False), ("e_gamma:100", True)],
)
def test_brightness_and_gamma(
    astronaut: Path, original: pyvips.Image, text: str, brighter: bool
) -> None:
    mean = decode(run(astronaut, text)).avg()
    assert (mean > original.avg() + 5) if brighter else (mean < original.avg() - 5)


def test_contrast_spreads_the_values(astronaut: Path, original: pyvips.Image) -> None:
    assert decode(run(astronaut, "e_contrast:60")).deviate() > original.deviate() * 1.2
    assert decode(run(astronaut, "e_contrast:-60")).deviate() < original.deviate() * 0.7


def test_saturation(astronaut: Path, original: pyvips.Image) -> None:
    assert _chroma(decode(run(astronaut, "e_saturation:-100"))) <= 8
    lab = decode(run(astronaut, "e_saturation:80")).colourspace("lch")
    assert lab[1].avg() > original.colourspace("lch")[1].avg() * 1.3


def test_colorize_pulls_towards_the_colour(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "co_rgb:ff0000,e_colorize:100"))
    assert pixel(rendered, 10, 10)[:3] == (255, 0, 0)
    half = decode(run(astronaut, "co_blue,e_colorize:50"))
    assert half[2].avg() > half[0].avg()


def test_tint_maps_lightness_to_the_colours(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "e_tint:100:blue"))
    assert rendered[2].avg() > rendered[0].avg() + 20
    two = decode(run(astronaut, "e_tint:100:rgb:ff0000:yellow"))
    assert two[0].min() >= 250  # every lightness maps between red and yellow


def test_vignette_darkens_the_corners_more_than_the_centre(tmp_path: Path) -> None:
    source = save(solid(300, 200, (200, 200, 200)), tmp_path / "grey.png")
    rendered = decode(run(source, "e_vignette:60"))
    assert pixel(rendered, 150, 100)[0] >= 195
    assert pixel(rendered, 2, 2)[0] < 60


def test_trim_removes_a_plain_border(tmp_path: Path, original: pyvips.Image) -> None:
    framed = original.embed(40, 30, 512 + 80, 512 + 60, extend="white")
    source = save(framed, tmp_path / "framed.png")
    rendered = run(source, "e_trim")
    assert abs(rendered.width - 512) <= 2 and abs(rendered.height - 512) <= 2
    blue = original.embed(10, 10, 532, 532, extend="background", background=[0, 0, 255])
    colored = save(blue, tmp_path / "blue.png")
    assert run(colored, "e_trim:10:blue").width <= 514


def test_trim_of_a_transparent_margin(tmp_path: Path) -> None:
    logo = solid(50, 40, (255, 0, 0, 255)).embed(25, 30, 100, 100)
    source = save(logo, tmp_path / "logo.png")
    rendered = run(source, "e_trim")
    assert (rendered.width, rendered.height) == (50, 40)


def test_improve_stretches_a_dull_image(tmp_path: Path, original: pyvips.Image) -> None:
    dull = (original * 0.4 + 80).cast("uchar")
    source = save(dull, tmp_path / "dull.png")
    rendered = decode(run(source, "e_improve"))
    assert rendered.deviate() > dull.deviate() * 1.5


def test_background_removal_cuts_out_the_object(tmp_path: Path) -> None:
    backdrop = pyvips.Image.gaussnoise(320, 240, mean=220, sigma=4)
    scene = (backdrop.bandjoin([backdrop, backdrop])).cast("uchar").copy(interpretation="srgb")
    subject = solid(120, 100, (180, 30, 40)).draw_circle([40, 60, 200], 60, 50, 30, fill=True)
    scene = scene.insert(subject, 100, 70)
    source = save(scene, tmp_path / "product.png")
    rendered = decode(run(source, "e_background_removal"))
    assert rendered.bands == 4
    assert pixel(rendered, 5, 5)[3] == 0
    assert pixel(rendered, 160, 120)[3] == 255


def test_round_corners_are_transparent_in_png(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "r_max"))
    assert pixel(rendered, 0, 0)[3] == 0 and pixel(rendered, 511, 511)[3] == 0
    assert pixel(rendered, 256, 256)[3] == 255 and pixel(rendered, 256, 1)[3] == 255
    corners = decode(run(astronaut, "r_40"))
    assert pixel(corners, 2, 2)[3] == 0 and pixel(corners, 45, 2)[3] == 255


def test_round_corners_get_the_background_in_jpeg(astronaut: Path) -> None:
    assert pixel(decode(run(astronaut, "r_max", "jpg")), 1, 1)[0] >= 250
    red = decode(run(astronaut, "b_red,r_max", "jpg"))
    r, g, b = pixel(red, 1, 1)
    assert r > 240 and g < 15 and b < 15


def test_radius_per_corner(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "r_0:60:0:60"))
    assert pixel(rendered, 1, 1)[3] == 255
    assert pixel(rendered, 510, 1)[3] == 0
    assert pixel(rendered, 510, 510)[3] == 255
    assert pixel(rendered, 1, 510)[3] == 0


def test_border_of_that_colour_around_the_image(astronaut: Path, original: pyvips.Image) -> None:
    rendered = decode(run(astronaut, "bo_10px_solid_rgb:00ff00"))
    assert (rendered.width, rendered.height) == (532, 532)
    for x, y in [(0, 0), (5, 266), (531, 531), (266, 528)]:
        assert pixel(rendered, x, y)[:3] == (0, 255, 0)
    assert pixel(rendered, 266, 266)[:3] == pixel(original, 256, 256)[:3]


def test_border_follows_rounded_corners(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "bo_8px_solid_blue,r_max"))
    assert pixel(rendered, 0, 0)[3] == 0
    assert pixel(rendered, 264, 2)[:3] == (0, 0, 255)
    assert pixel(rendered, 264, 264)[3] == 255


def test_opacity_scales_alpha(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "o_50"))
    assert abs(pixel(rendered, 100, 100)[3] - 128) <= 1


def test_background_fills_transparency(tmp_path: Path) -> None:
    logo = solid(40, 40, (255, 0, 0, 255)).embed(30, 30, 100, 100)
    source = save(logo, tmp_path / "logo.png")
    rendered = decode(run(source, "b_blue"))
    assert pixel(rendered, 5, 5)[:3] == (0, 0, 255) and rendered.bands == 3
    padded = decode(run(source, "c_pad,w_200,h_100"))
    assert pixel(padded, 5, 5)[3] == 0  # transparent padding for an image with alpha


def test_auto_background_is_the_border_colour(tmp_path: Path, original: pyvips.Image) -> None:
    green = [0, 128, 0]
    framed = original.resize(0.5).embed(20, 20, 296, 296, extend="background", background=green)
    source = save(framed, tmp_path / "framed.png")
    rendered = decode(run(source, "b_auto,c_pad,w_600,h_296"))
    assert pixel(rendered, 5, 150)[:3] == (0, 128, 0)


def test_unsupported_effect_is_refused(astronaut: Path) -> None:
    with pytest.raises(RenderError, match="oil_paint"):
        run(astronaut, "e_oil_paint")
