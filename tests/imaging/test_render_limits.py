"""Bad input: decompression bombs, corrupt and truncated files, outputs too large, unsupported
parameters. Every failure is a RenderError (a 400), never a crash."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import pyvips
from tests.imaging.render_support import load, run, sample, save, solid

from cloudlet.errors import BadRequestError
from cloudlet.imaging import chain
from cloudlet.imaging.limits import RenderError, RenderLimits


def _png_declaring(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose IHDR claims ``width × height`` (the CRC fixed, the data not)."""
    data = bytearray(solid(1, 1, (0, 0, 0)).pngsave_buffer())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def test_a_declared_100000_square_png_is_refused_before_decoding(tmp_path: Path) -> None:
    source = _png_declaring(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(RenderError, match="100000x100000 is over the limit"):
        run(source, "w_100")


def test_a_lazily_written_huge_png_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "black.png"
    pyvips.Image.black(20_000, 20_000).pngsave(str(source), compression=9)
    assert source.stat().st_size < 2_000_000  # small on disk, 400 MP declared
    with pytest.raises(RenderError, match="over the limit"):
        run(source, "w_100", limits=RenderLimits(max_source_pixels=10_000_000))


def test_the_header_check_decodes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "black.png"
    pyvips.Image.black(5_000, 5_000).pngsave(str(source), compression=9)

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(chain, "load_frames", no_decoding)
    with pytest.raises(AssertionError, match="decoded"):  # within the limit it would decode
        run(source, "", limits=RenderLimits(max_source_pixels=100_000_000))
    with pytest.raises(RenderError, match="over the limit"):
        run(source, "", limits=RenderLimits(max_source_pixels=1_000_000))


def test_frames_count_towards_the_source_limit(tmp_path: Path) -> None:
    frames = [solid(100, 100, (i, 0, 0)) for i in range(0, 250, 10)]
    strip = pyvips.Image.arrayjoin(frames, across=1).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", 100)
    source = save(strip, tmp_path / "long.gif")
    with pytest.raises(RenderError, match="25 pages"):
        run(source, "", "gif", limits=RenderLimits(max_source_pixels=200_000))


@pytest.mark.parametrize("text", ["", "w_100", "c_fill,w_50,h_50", "a_90/e_trim"])
def test_truncated_jpeg(tmp_path: Path, text: str) -> None:
    data = save(load(sample("astronaut.png")), tmp_path / "full.jpg", Q=90).read_bytes()
    source = tmp_path / "truncated.jpg"
    source.write_bytes(data[: len(data) // 2])
    with pytest.raises(RenderError):
        run(source, text, "jpg")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.jpg", b""),
        ("noise.jpg", bytes(range(256)) * 20),
        ("matrix.mat", b"2 2\n1 2\n3 4\n"),
        ("table.csv", b"1,2,3\n4,5,6\n"),
        ("page.html", b"<html><body>hello</body></html>"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
    ],
)
def test_files_that_are_not_images(tmp_path: Path, name: str, content: bytes) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(RenderError):
        run(source, "w_10")


def test_a_corrupt_png_body(tmp_path: Path) -> None:
    data = bytearray(save(load(sample("astronaut.png")), tmp_path / "a.png").read_bytes())
    data[200:4000] = bytes(3800)
    source = tmp_path / "corrupt.png"
    source.write_bytes(bytes(data))
    with pytest.raises(RenderError):
        run(source, "e_grayscale")


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("w_3000", RenderLimits(max_output_pixels=1_000_000)),
        ("w_20000,h_10,c_scale", RenderLimits()),
        ("w_100000", RenderLimits()),
        ("bo_2000px_solid_red", RenderLimits(max_output_side=2000)),
        ("l_text:Arial_500:" + "M" * 200, RenderLimits()),
    ],
)
def test_outputs_over_the_limits(text: str, limits: RenderLimits) -> None:
    with pytest.raises(RenderError, match="too large"):
        run(sample("astronaut.png"), text, limits=limits)


def test_crops_outside_the_image_are_clamped() -> None:
    rendered = run(sample("astronaut.png"), "c_crop,w_100,h_50,x_10000,y_10000")
    assert (rendered.width, rendered.height) == (100, 50)


def test_trim_of_a_plain_image_keeps_it(tmp_path: Path) -> None:
    source = save(solid(40, 30, (9, 9, 9)), tmp_path / "plain.png")
    rendered = run(source, "e_trim")
    assert (rendered.width, rendered.height) == (40, 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("if_w_gt_100,w_10", "Conditional"),
        ("$w_100,w_$w", "variables"),
        ("e_cartoonify", "cartoonify"),
        ("c_imagga_crop,w_10", "imagga_crop"),
        ("g_dog,c_fill,w_10,h_10", "dog"),
        ("fl_getinfo", "getinfo"),
        ("t_thumbnail", "Named"),
        ("pg_name:skyline", "not supported"),
        ("q_jpegmini", "jpegmini"),
    ],
)
def test_unsupported_parameters_say_so(text: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        run(sample("astronaut.png"), text)


def test_render_error_is_a_400_and_a_value_error(tmp_path: Path) -> None:
    source = tmp_path / "x.jpg"
    source.write_bytes(b"nope")
    with pytest.raises(RenderError) as caught:
        run(source, "")
    assert isinstance(caught.value, BadRequestError) and isinstance(caught.value, ValueError)
    assert caught.value.status == 400
