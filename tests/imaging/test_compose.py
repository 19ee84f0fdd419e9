"""Composition of several images: sprite packing, animations, the hand-written PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pyvips

from cloudlet.imaging.compose import (
    encode_animation,
    encode_pdf,
    fit_frames,
    load_frame,
    pack_vertically,
    pdf_of_jpegs,
)


def _rgba(width: int, height: int, value: int) -> pyvips.Image:
    return (pyvips.Image.black(width, height, bands=3) + value).cast("uchar").bandjoin(255)


def test_pack_vertically_places_images_top_to_bottom() -> None:
    canvas, spots = pack_vertically([_rgba(10, 5, 50), _rgba(20, 7, 150), _rgba(3, 3, 250)])
    assert (canvas.width, canvas.height) == (20, 15)
    assert [(s.x, s.y, s.width, s.height) for s in spots] == [
        (0, 0, 10, 5),
        (0, 5, 20, 7),
        (0, 12, 3, 3),
    ]
    assert canvas.getpoint(0, 12)[:3] == [250, 250, 250]
    assert canvas.getpoint(15, 0)[3] == 0  # right of a narrow image: transparent


def test_load_frame_makes_rgba(tmp_path: Path) -> None:
    grey = pyvips.Image.black(4, 3).cast("uchar") + 9
    grey.write_to_file(str(tmp_path / "g.png"))
    frame = load_frame(tmp_path / "g.png")
    assert frame.bands == 4 and frame.format == "uchar"


def test_fit_frames_scales_down_and_centres() -> None:
    frames = fit_frames([_rgba(10, 10, 0), _rgba(20, 10, 200), _rgba(4, 4, 100)])
    assert {(f.width, f.height) for f in frames} == {(10, 10)}
    assert frames[2].getpoint(0, 0)[3] == 0 and frames[2].getpoint(5, 5)[:3] == [100] * 3


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_animation_frames_and_delay(fmt: str) -> None:
    data = encode_animation([_rgba(6, 4, 0), _rgba(6, 4, 255)], fmt, 70)
    image = pyvips.Image.new_from_buffer(data, "", n=-1)
    assert image.get("n-pages") == 2 and image.get("page-height") == 4
    assert image.get("delay") == [70, 70]


def test_animation_refuses_other_formats() -> None:
    with pytest.raises(ValueError):
        encode_animation([_rgba(2, 2, 0)], "png", 10)


def test_pdf_structure_is_consistent() -> None:
    pdf = encode_pdf([_rgba(30, 20, 10), _rgba(8, 9, 200)])
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    assert re.findall(rb"/MediaBox \[0 0 (\d+) (\d+)\]", pdf) == [(b"30", b"20"), (b"8", b"9")]
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split()[0])
    table = pdf[start:].split(b"trailer")[0].split(b"\n")
    # the free entry, catalog, page tree and 3 objects per page
    assert table[0] == b"xref" and table[1] == b"0 9"
    for number, line in enumerate(table[3:-1], start=1):
        assert pdf[int(line[:10]) :].startswith(b"%d 0 obj" % number)
    for match in re.finditer(rb"/Length (\d+) >>\nstream\n", pdf):
        end = match.end() + int(match.group(1))
        assert pdf[end : end + 10] == b"\nendstream"


def test_pdf_of_jpegs_embeds_the_jpeg_bytes() -> None:
    jpeg = bytes(_rgba(5, 5, 90).flatten().write_to_buffer(".jpg"))
    pdf = pdf_of_jpegs([(jpeg, 5, 5)])
    assert jpeg in pdf and b"/Filter /DCTDecode" in pdf and b"/Count 1" in pdf
