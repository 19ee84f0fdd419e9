"""Output format negotiation, quality and metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips
from tests.imaging.render_support import decode, load, pixel, run, sample, save, solid

from cloudlet.imaging.encode import accepted
from cloudlet.imaging.limits import RenderError
from cloudlet.imaging.pipeline import negotiated_format
from cloudlet.transform import parse_transformation

CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
OLD_SAFARI = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
MAGIC = {
    "jpg": lambda d: d[:3] == b"\xff\xd8\xff",
    "png": lambda d: d[:8] == b"\x89PNG\r\n\x1a\n",
    "webp": lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP",
    "avif": lambda d: d[4:12] in (b"ftypavif", b"ftypavis"),
    "gif": lambda d: d[:4] == b"GIF8",
    "tiff": lambda d: d[:4] in (b"II*\x00", b"MM\x00*"),
}


@pytest.mark.parametrize(
    ("text", "requested", "source", "accept", "expected"),
    [
        ("", None, "jpg", "", "jpg"),
        ("", None, "jpeg", "", "jpg"),
        ("", "png", "jpg", "", "png"),
        ("", "tif", "jpg", "", "tiff"),
        ("f_webp", "png", "jpg", "", "webp"),
        ("f_jpg/w_100", None, "png", CHROME, "jpg"),
        ("", None, "heic", "", "jpg"),
        ("", None, "svg", "", "png"),
        ("f_auto", None, "jpg", CHROME, "avif"),
        ("f_auto", "png", "png", OLD_SAFARI, "webp"),
        ("f_auto", None, "jpg", "image/webp;q=0,image/png", "jpg"),
        ("f_auto", None, "png", "", "png"),
        ("f_auto", None, "jpg", "*/*", "jpg"),
        ("f_auto", "webp", "jpg", "", "png"),
        ("f_auto", None, "avif", "image/png", "png"),
        ("f_auto", None, "tiff", "", "png"),
        ("f_auto", None, "gif", "", "gif"),
        ("f_auto:image", None, "jpg", "image/webp", "webp"),
        ("f_webp/f_auto", None, "jpg", "", "jpg"),
    ],
)
def test_negotiated_format(
    text: str, requested: str | None, source: str, accept: str, expected: str
) -> None:
    transformation = parse_transformation(text)
    assert negotiated_format(transformation, requested, source, accept) == expected


def test_animated_sources_stay_animated_under_f_auto() -> None:
    auto = parse_transformation("f_auto")
    assert negotiated_format(auto, None, "gif", CHROME, animated=True) == "webp"
    assert negotiated_format(auto, None, "webp", "image/png", animated=True) == "gif"


def test_accept_parsing() -> None:
    assert accepted("image/avif, image/webp;q=0.5 ,image/png;q=0") == {"image/avif", "image/webp"}
    assert accepted("") == frozenset()


def test_unsupported_output_format_is_refused() -> None:
    with pytest.raises(RenderError, match="bmp"):
        negotiated_format(parse_transformation(""), "bmp", "jpg", "")


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("formats")
    return save(load(sample("astronaut.png")), folder / "astronaut.jpg", Q=95)


@pytest.mark.parametrize("fmt", ["jpg", "png", "webp", "avif", "gif", "tiff"])
def test_each_format_is_encoded(photo: Path, fmt: str) -> None:
    rendered = run(photo, "w_120", fmt, source_format="jpg")
    assert rendered.format == fmt and MAGIC[fmt](rendered.data)
    assert (decode(rendered).width, rendered.width) == (120, 120)


def test_f_auto_by_accept(photo: Path) -> None:
    assert run(photo, "f_auto,w_50", None, accept=CHROME).format == "avif"
    webp = run(photo, "f_auto,w_50", None, accept=OLD_SAFARI)
    assert webp.format == "webp" and MAGIC["webp"](webp.data)
    assert run(photo, "f_auto,w_50", None, accept="image/png").format == "jpg"


def test_jpeg_quality_changes_size_monotonically(photo: Path) -> None:
    sizes = [len(run(photo, f"q_{q}", "jpg").data) for q in (10, 30, 50, 70, 90)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 5


def test_auto_quality_levels(photo: Path) -> None:
    sizes = [len(run(photo, f"q_auto:{level}", "jpg").data) for level in ("low", "eco", "good")]
    best = len(run(photo, "q_auto:best", "jpg").data)
    assert sizes == sorted(sizes) and sizes[-1] < best
    assert len(run(photo, "q_auto", "jpg").data) == sizes[-1]
    assert len(run(photo, "", "jpg").data) == sizes[-1]


def test_webp_and_avif_quality(photo: Path) -> None:
    for fmt in ("webp", "avif"):
        low, high = (len(run(photo, f"q_{q}", fmt).data) for q in (20, 90))
        assert low < high


def test_chroma_subsampling_option(photo: Path) -> None:
    full = pyvips.Image.new_from_buffer(run(photo, "q_80:444", "jpg").data, "")
    assert full.get("jpeg-chroma-subsample") == "4:4:4"
    sub = pyvips.Image.new_from_buffer(run(photo, "q_80:420", "jpg").data, "")
    assert sub.get("jpeg-chroma-subsample") == "4:2:0"


def test_progressive_jpeg(photo: Path) -> None:
    plain = pyvips.Image.new_from_buffer(run(photo, "w_100", "jpg").data, "")
    progressive = pyvips.Image.new_from_buffer(run(photo, "fl_progressive,w_100", "jpg").data, "")
    assert plain.get("jpeg-multiscan") == 0 and progressive.get("jpeg-multiscan") == 1


def test_png_rows_are_filtered(photo: Path) -> None:
    """Adaptive row filters (libpng's default): a photograph comes out far smaller than
    libvips' unfiltered default, with the same pixels."""
    encoded = run(photo, "", "png").data
    unfiltered = pyvips.Image.new_from_buffer(encoded, "").pngsave_buffer(compression=6)
    assert len(encoded) < 0.85 * len(unfiltered)


def test_lossy_png_is_a_palette(photo: Path) -> None:
    lossless, lossy = run(photo, "", "png"), run(photo, "fl_lossy", "png")
    assert len(lossy.data) < len(lossless.data) / 2
    assert pyvips.Image.new_from_buffer(lossy.data, "").get("palette")


def _with_metadata(image: pyvips.Image) -> pyvips.Image:
    image = image.copy()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    image.set_type(pyvips.GValue.blob_type, "xmp-data", xmp)
    image.set_type(pyvips.GValue.gint_type, "orientation", 1)
    return image.icc_transform("srgb")  # attaches an sRGB profile


def test_metadata_is_stripped_but_the_profile_kept(tmp_path: Path, photo: Path) -> None:
    source = save(_with_metadata(load(photo)), tmp_path / "meta.jpg")
    original = pyvips.Image.new_from_file(str(source))
    assert original.get_typeof("exif-data") and original.get_typeof("xmp-data")
    out = pyvips.Image.new_from_buffer(run(source, "w_100", "jpg").data, "")
    assert not out.get_typeof("exif-data") and not out.get_typeof("xmp-data")
    assert out.get_typeof("icc-profile-data")
    stripped = pyvips.Image.new_from_buffer(run(source, "fl_strip_profile", "jpg").data, "")
    assert not stripped.get_typeof("icc-profile-data")
    kept = pyvips.Image.new_from_buffer(run(source, "fl_keep_iptc", "jpg").data, "")
    assert kept.get_typeof("xmp-data")


def test_jpeg_flattens_transparency_on_the_background(tmp_path: Path) -> None:
    source = save(solid(20, 20, (0, 0, 0, 0)), tmp_path / "clear.png")
    assert pixel(decode(run(source, "", "jpg")), 10, 10) == (255, 255, 255)
    r, g, b = pixel(decode(run(source, "b_rgb:00ff00", "jpg")), 10, 10)
    assert g > 240 and r < 15 and b < 15
    assert decode(run(source, "", "png")).bands == 4


def test_16_bit_and_grey_sources(tmp_path: Path) -> None:
    grey = save(load(sample("camera.png")).colourspace("b-w"), tmp_path / "grey.png")
    assert decode(run(grey, "w_100", "jpg")).width == 100
    deep = save(load(sample("astronaut.png")).colourspace("rgb16"), tmp_path / "deep.png")
    rendered = decode(run(deep, "w_100", "png"))
    assert rendered.format == "uchar" and rendered.width == 100


def test_cmyk_jpeg_comes_out_rgb(tmp_path: Path, photo: Path) -> None:
    cmyk = load(photo).icc_transform("cmyk")
    source = save(cmyk, tmp_path / "cmyk.jpg")
    assert pyvips.Image.new_from_file(str(source)).interpretation == "cmyk"
    rendered = decode(run(source, "w_100", "jpg"))
    assert rendered.bands == 3 and rendered.interpretation == "srgb"
