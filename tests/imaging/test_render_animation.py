"""Animated and multi-page sources: frames kept for GIF/WebP, the first frame otherwise, and
``pg_`` page selection."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips
from tests.imaging.render_support import decode, pixel, run, sample, save, solid

from cloudlet.imaging.limits import RenderError

FRAMES = 6


@pytest.fixture(scope="module")
def animation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-frame 60×40 GIF: frame i is a grey of 40·i, with 100 + 10·i ms delays."""
    frames = [solid(60, 40, (40 * i, 40 * i, 40 * i)) for i in range(FRAMES)]
    strip = pyvips.Image.arrayjoin(frames, across=1).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", 40)
    strip.set_type(pyvips.GValue.array_int_type, "delay", [100 + 10 * i for i in range(FRAMES)])
    strip.set_type(pyvips.GValue.gint_type, "loop", 3)
    return save(strip, tmp_path_factory.mktemp("animation") / "grey.gif")


def _frames(image: pyvips.Image) -> list[pyvips.Image]:
    height = image.get_page_height()
    return [image.crop(0, i * height, image.width, height) for i in range(image.height // height)]


def test_gif_keeps_every_frame_and_its_timing(animation: Path) -> None:
    rendered = run(animation, "c_fill,w_30,h_30", "gif", source_format="gif")
    image = decode(rendered)
    assert (rendered.width, rendered.height) == (30, 30)
    assert image.get("n-pages") == FRAMES and image.get_page_height() == 30
    assert list(image.get("delay")) == [100 + 10 * i for i in range(FRAMES)]
    assert image.get("loop") == 3
    greys = [pixel(frame, 15, 15)[0] for frame in _frames(image)]
    assert all(abs(g - 40 * i) <= 3 for i, g in enumerate(greys))


def test_animated_webp(animation: Path) -> None:
    rendered = run(animation, "w_20,e_negate", "webp", source_format="gif")
    image = decode(rendered)
    assert image.get("n-pages") == FRAMES
    assert abs(pixel(_frames(image)[0], 10, 5)[0] - 255) <= 3


def test_still_formats_get_the_first_frame(animation: Path) -> None:
    rendered = run(animation, "w_20", "png", source_format="gif")
    assert (rendered.width, rendered.height) == (20, 13)
    assert pixel(decode(rendered), 10, 5)[0] == 0


def test_page_selection(animation: Path) -> None:
    third = decode(run(animation, "pg_3", "png", source_format="gif"))
    assert pixel(third, 5, 5)[0] == 80
    last = decode(run(animation, "pg_-1", "png", source_format="gif"))
    assert pixel(last, 5, 5)[0] == 200
    some = decode(run(animation, "pg_2-3;5", "gif", source_format="gif"))
    greys = [pixel(f, 5, 5)[0] for f in _frames(some)]
    assert all(abs(g - e) <= 2 for g, e in zip(greys, [40, 80, 160], strict=True))
    assert list(some.get("delay")) == [110, 120, 140]


@pytest.mark.parametrize("text", ["pg_9", "pg_0", "pg_4-2"])
def test_bad_pages(animation: Path, text: str) -> None:
    with pytest.raises(RenderError):
        run(animation, text, "png", source_format="gif")


def test_several_pages_need_an_animated_format(animation: Path) -> None:
    with pytest.raises(RenderError, match="pg_"):
        run(animation, "pg_1-2", "jpg", source_format="gif")


def test_f_auto_keeps_animation(animation: Path) -> None:
    webp = run(animation, "f_auto", None, source_format="gif", accept="image/avif,image/webp")
    assert webp.format == "webp" and decode(webp).get("n-pages") == FRAMES
    gif = run(animation, "f_auto", None, source_format="gif", accept="image/png")
    assert gif.format == "gif" and decode(gif).get("n-pages") == FRAMES


def test_layers_on_every_frame(animation: Path) -> None:
    rendered = run(animation, "l_text:Arial_12:x,co_red,g_north_west", "gif", source_format="gif")
    image = decode(rendered)
    for frame in _frames(image):
        corner = frame.crop(0, 0, 12, 14)
        assert corner[0].max() > 200 and corner[1].min() < 60


def test_multipage_tiff_page(tmp_path: Path) -> None:
    source = sample("multipage.tif")
    first = run(source, "", "png", source_format="tiff")
    second = run(source, "pg_2", "png", source_format="tiff")
    assert (first.width, first.height) == (second.width, second.height)
    assert first.data != second.data
