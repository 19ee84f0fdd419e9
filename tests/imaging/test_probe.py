"""Probing uploads: fixtures are generated here with pyvips and PyAV, never checked in."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import av
import pytest
import pyvips

from cloudlet.errors import BadRequestError
from cloudlet.imaging.probe import ProbeResult, convert_image, probe

# ----------------------------------------------------------------------------- fixtures


def _gradient(width: int, height: int, *, alpha: bool = False) -> pyvips.Image:
    xyz = pyvips.Image.xyz(width, height)
    red = xyz[0] * (255 / max(width - 1, 1))
    green = xyz[1] * (255 / max(height - 1, 1))
    image = red.bandjoin([green, (red + green) / 2])
    if alpha:
        image = image.bandjoin(128)
    return image.cast("uchar").copy(interpretation="srgb")


def _animation(frames: int = 3) -> pyvips.Image:
    still = _gradient(241, 51)
    strip = pyvips.Image.arrayjoin(
        [still.linear(1, 40 * i).cast("uchar") for i in range(frames)], across=1
    ).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", 51)
    strip.set_type(pyvips.GValue.array_int_type, "delay", [100] * frames)
    return strip


def _bmp(width: int, height: int, *, pixels: bytes | None = None, v5: bool = False) -> bytes:
    """A 24-bit bottom-up BMP; ``v5`` uses the 124-byte header the Cloudinary SDK tests use."""
    row = (width * 3 + 3) & ~3
    data = pixels if pixels is not None else b"\x80" * (row * height)
    dib_size = 124 if v5 else 40
    offset = 14 + dib_size
    size = (offset + row * height) & 0xFFFFFFFF
    dib = struct.pack(
        "<IiiHHIIiiII",
        dib_size,
        width,
        height,
        1,
        24,
        0,
        (row * height) & 0xFFFFFFFF,
        2835,
        2835,
        0,
        0,
    )
    return struct.pack("<2sIHHI", b"BM", size, 0, 0, offset) + dib.ljust(dib_size, b"\0") + data


def _encode_video(path: Path, *, codec: str = "libx264", fmt: str | None = None) -> None:
    """One second of 64x48 video at 25 fps."""
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(25):
            frame = av.VideoFrame.from_bytes(bytes([i * 9]) * (64 * 48 * 4), 64, 48, "rgba")
            frame.pts = i
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _encode_audio(path: Path, *, codec: str = "pcm_s16le", rate: int = 8000) -> None:
    """One second of mono silence."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame_size = stream.codec_context.frame_size or 800
        for pts in range(0, rate, frame_size):
            frame = av.AudioFrame(format="s16", layout="mono", samples=frame_size)
            frame.planes[0].update(bytes(frame_size * 2))
            frame.sample_rate, frame.pts = rate, pts
            for packet in stream.encode(frame if codec == "pcm_s16le" else _fltp(frame)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _fltp(frame: av.AudioFrame) -> av.AudioFrame:
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=frame.sample_rate)
    (out,) = resampler.resample(frame)
    out.pts = frame.pts
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("probe")
    _gradient(241, 51).write_to_file(str(d / "logo.png"))
    _gradient(241, 51, alpha=True).write_to_file(str(d / "alpha.png"))
    _gradient(300, 200).write_to_file(str(d / "photo.jpg"), Q=90)
    _gradient(241, 51).write_to_file(str(d / "still.webp"))
    _gradient(241, 51).write_to_file(str(d / "still.avif"))
    _gradient(241, 51).write_to_file(str(d / "still.tif"))
    _animation().write_to_file(str(d / "anim.gif"))
    _animation().write_to_file(str(d / "anim.webp"))
    (d / "drawing.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">'
        '<rect width="120" height="80" fill="red"/></svg>'
    )
    (d / "v5.bmp").write_bytes(_bmp(140, 100, v5=True))
    jpeg = (d / "photo.jpg").read_bytes()
    (d / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    png = (d / "logo.png").read_bytes()
    (d / "truncated.png").write_bytes(png[: len(png) // 2])
    (d / "random.bin").write_bytes(os.urandom(64 * 1024))
    (d / "matrix.txt").write_text("2 2\n1 2\n3 4\n")  # libvips' matrix loader would take this
    (d / "empty.dat").write_bytes(b"")
    _encode_video(d / "clip.mp4")
    _encode_audio(d / "sound.wav")
    return d


def _probe(files: Path, name: str, resource_type: str = "auto", **kwargs: object) -> ProbeResult:
    return probe(files / name, resource_type, filename=name, **kwargs)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- images

IMAGES = [
    ("logo.png", "png", 241, 51, 1, False),
    ("alpha.png", "png", 241, 51, 1, True),
    ("photo.jpg", "jpg", 300, 200, 1, False),
    ("still.webp", "webp", 241, 51, 1, False),
    ("still.avif", "avif", 241, 51, 1, False),
    ("still.tif", "tiff", 241, 51, 1, False),
    ("anim.gif", "gif", 241, 51, 3, None),
    ("anim.webp", "webp", 241, 51, 3, None),
    ("drawing.svg", "svg", 120, 80, 1, None),
    ("v5.bmp", "bmp", 140, 100, 1, False),
]


@pytest.mark.parametrize("resource_type", ["image", "auto"])
@pytest.mark.parametrize(("name", "fmt", "width", "height", "pages", "alpha"), IMAGES)
def test_images(files, resource_type, name, fmt, width, height, pages, alpha):
    result = _probe(files, name, resource_type)
    assert (result.resource_type, result.format) == ("image", fmt)
    assert (result.width, result.height, result.pages) == (width, height, pages)
    assert result.duration is None
    if alpha is not None:
        assert result.extra == {"has_alpha": alpha}


def test_the_filename_does_not_decide_an_image_format(files):
    assert probe(files / "logo.png", "image", filename="logo.jpg").format == "png"


@pytest.mark.parametrize("name", ["truncated.jpg", "truncated.png"])
@pytest.mark.parametrize("resource_type", ["image", "auto"])
def test_truncated_images_are_refused(files, name, resource_type):
    with pytest.raises(BadRequestError, match="^Invalid image file$"):
        _probe(files, name, resource_type)


def test_truncated_bmp_is_refused(tmp_path):
    path = tmp_path / "short.bmp"
    path.write_bytes(_bmp(200, 200, pixels=b"\x80" * 1000))
    with pytest.raises(BadRequestError, match="Invalid image file"):
        probe(path, "image")


@pytest.mark.parametrize("name", ["random.bin", "matrix.txt", "clip.mp4", "sound.wav"])
def test_non_images_are_invalid_images(files, name):
    with pytest.raises(BadRequestError, match="^Invalid image file$"):
        _probe(files, name, "image")


def test_pixel_limit(files):
    with pytest.raises(BadRequestError, match="Maximum image size is 0.01 Megapixels"):
        _probe(files, "logo.png", "image", max_pixels=10_000)
    assert _probe(files, "logo.png", "image", max_pixels=241 * 51).width == 241


def test_pixel_limit_is_checked_from_the_header_before_decoding(tmp_path):
    path = tmp_path / "bomb.bmp"
    path.write_bytes(_bmp(100_000, 100_000, pixels=b"\0" * 1000))
    with pytest.raises(BadRequestError, match="Maximum image size is 100 Megapixels"):
        probe(path, "auto")


def test_a_12_megapixel_jpeg_probes_fast(tmp_path):
    path = tmp_path / "large.jpg"
    noise = pyvips.Image.gaussnoise(4000, 3000, sigma=12)
    (_gradient(4000, 3000) + noise).cast("uchar").write_to_file(str(path), Q=85)
    probe(path, "image")  # warm up libvips
    start = time.perf_counter()
    result = probe(path, "image")
    assert time.perf_counter() - start < 1.0
    assert (result.width, result.height) == (4000, 3000)


# --------------------------------------------------------------------------------- media


@pytest.mark.parametrize("resource_type", ["video", "auto"])
def test_mp4(files, resource_type):
    result = _probe(files, "clip.mp4", resource_type)
    assert (result.resource_type, result.format) == ("video", "mp4")
    assert (result.width, result.height, result.pages) == (64, 48, None)
    assert result.duration == pytest.approx(1.0, abs=0.05)
    assert result.extra["is_audio"] is False
    assert result.extra["video"]["codec"] == "h264"
    assert result.extra["video"]["dar"] == "4:3"
    assert result.extra["frame_rate"] == 25
    assert result.extra["audio"] is None


def test_the_filename_picks_among_a_containers_formats(files):
    assert probe(files / "clip.mp4", "video", filename="CLIP.MOV").format == "mov"
    assert probe(files / "clip.mp4", "video", filename="clip.avi").format == "mp4"
    assert probe(files / "clip.mp4", "video").format == "mp4"


@pytest.mark.parametrize("resource_type", ["video", "auto"])
def test_wav_is_an_audio_only_video(files, resource_type):
    result = _probe(files, "sound.wav", resource_type)
    assert (result.resource_type, result.format) == ("video", "wav")
    assert (result.width, result.height) == (None, None)
    assert result.duration == pytest.approx(1.0, abs=0.05)
    assert result.extra["is_audio"] is True
    assert result.extra["video"] is None
    assert result.extra["audio"]["frequency"] == 8000
    assert result.extra["audio"]["channels"] == 1


def test_audio_only_mp4_is_m4a(tmp_path):
    path = tmp_path / "voice.mp4"
    _encode_audio(path, codec="aac", rate=44100)
    result = probe(path, "video")
    assert (result.format, result.extra["is_audio"]) == ("m4a", True)
    assert result.extra["audio"]["codec"] == "aac"


def test_vp9_in_matroska_is_webm(tmp_path):
    path = tmp_path / "clip.mkv"
    _encode_video(path, codec="libvpx-vp9", fmt="matroska")
    assert probe(path, "video").format == "webm"
    assert probe(path, "video", filename="clip.mkv").format == "mkv"


@pytest.mark.parametrize("name", ["random.bin", "matrix.txt", "logo.png", "still.avif"])
def test_non_media_are_invalid_videos(files, name):
    with pytest.raises(BadRequestError, match="^Invalid video file$"):
        _probe(files, name, "video")


def test_animated_gif_may_be_uploaded_as_video(files):
    result = _probe(files, "anim.gif", "video")
    assert (result.resource_type, result.format) == ("video", "gif")
    assert result.extra["nb_frames"] == 3


# ----------------------------------------------------------------------------------- raw


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("random.bin", "bin"),
        ("Report.PDF", "pdf"),
        ("archive.tar.gz", "gz"),
        ("noext", ""),
        (None, ""),
    ],
)
def test_raw_format_comes_from_the_filename(files, filename, fmt):
    result = probe(files / "logo.png", "raw", filename=filename)
    assert result == ProbeResult("raw", fmt)


@pytest.mark.parametrize("name", ["random.bin", "matrix.txt"])
def test_auto_falls_back_to_raw(files, name):
    result = _probe(files, name, "auto")
    assert (result.resource_type, result.format) == ("raw", name.rsplit(".", 1)[1])


@pytest.mark.parametrize("resource_type", ["image", "video", "raw", "auto"])
def test_empty_file(files, resource_type):
    with pytest.raises(BadRequestError, match="^Empty file$"):
        _probe(files, "empty.dat", resource_type)


def test_unknown_resource_type(files):
    with pytest.raises(BadRequestError):
        _probe(files, "logo.png", "document")


# ------------------------------------------------------------------------------- convert


def test_convert_png_to_jpg(files, tmp_path):
    dest = tmp_path / "out.bin"
    result = convert_image(files / "alpha.png", dest, "jpg")
    assert (result.format, result.width, result.height) == ("jpg", 241, 51)
    assert dest.read_bytes()[:3] == b"\xff\xd8\xff"
    assert result.extra["has_alpha"] is False


@pytest.mark.parametrize("fmt", ["png", "webp", "avif", "gif", "tiff"])
def test_convert_to_other_formats(files, tmp_path, fmt):
    result = convert_image(files / "photo.jpg", tmp_path / f"out.{fmt}", fmt)
    assert (result.format, result.width, result.height) == (fmt, 300, 200)


def test_convert_keeps_animation(files, tmp_path):
    result = convert_image(files / "anim.gif", tmp_path / "anim.webp", "webp")
    assert (result.format, result.pages, result.height) == ("webp", 3, 51)


def test_convert_bmp(files, tmp_path):
    result = convert_image(files / "v5.bmp", tmp_path / "out.png", "png")
    assert (result.format, result.width, result.height) == ("png", 140, 100)
    assert pyvips.Image.new_from_file(str(tmp_path / "out.png")).avg() == pytest.approx(128, abs=1)


def test_convert_refuses_unknown_targets_and_non_images(files, tmp_path):
    with pytest.raises(BadRequestError):
        convert_image(files / "logo.png", tmp_path / "out.bmp", "bmp")
    with pytest.raises(BadRequestError, match="Invalid image file"):
        convert_image(files / "random.bin", tmp_path / "out.png", "png")
