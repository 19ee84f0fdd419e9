"""Probing of uploaded files: what they are, how big, how many pages, how long.

Images go through pyvips, but only through a fixed set of loaders: libvips also has loaders
for matrix, CSV and its own formats that would happily "decode" a text file, so the loader
that libvips picks from the file's magic bytes must be one of ``_VIPS_FORMATS``. BMP and ICO,
which the pyvips-binary build cannot read, are decoded by FFmpeg through PyAV.

Video and audio go through PyAV with an FFmpeg demuxer whitelist (``format_whitelist``), so
FFmpeg never runs the playlist or concat demuxers (HLS, DASH, ffconcat), which would open further
files or URLs named inside the upload, and never mistakes text for "tty" video. Random bytes
that a lenient demuxer (MP3, MPEG) accepts are weeded out by decoding the first frame.

A probe decodes the pixels as well as the header, because a truncated upload must fail now and
not on its first delivery. It stays cheap: JPEG decodes at 1/8 scale in the DCT domain (the whole
entropy-coded stream is still read, so truncation is still caught), WebP and SVG scale on load,
and every decode streams (``access="sequential"``) into ``avg()`` without holding the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pyvips

from cloudlet.errors import BadRequestError

if TYPE_CHECKING:  # PyAV (FFmpeg, ~15 MB resident) is imported when a file needs it
    import av

RESOURCE_TYPES = ("image", "video", "raw", "auto")

# libvips loader (class name without "VipsForeignLoad"/"Source", lowercased) -> format.
_VIPS_FORMATS = {
    "jpeg": "jpg",
    "png": "png",
    "spng": "png",
    "nsgif": "gif",
    "gif": "gif",
    "webp": "webp",
    "tiff": "tiff",
    "heif": "heic",  # "avif" when the HEIF container holds AV1, see _image_format
    "svg": "svg",
}
# Loaders that decode at a reduced scale for the integrity check (keyword -> value).
_VIPS_REDUCE: dict[str, dict[str, Any]] = {"jpeg": {"shrink": 8}, "webp": {"scale": 0.125}}
# Loaders whose pages all have one size, so n=-1 can load them as one tall strip.
_ANIMATED_LOADERS = frozenset({"nsgif", "gif", "webp"})
_SVG_CHECK_SIZE = 256  # longest side an SVG is rendered at to check it renders at all

# FFmpeg image demuxers for formats libvips lacks -> format.
_AV_IMAGE_FORMATS = {"bmp_pipe": "bmp", "ico": "ico"}

# FFmpeg demuxer (first name of the format) -> (default format, formats a filename may pick).
_AV_MEDIA_FORMATS: dict[str, tuple[str, frozenset[str]]] = {
    "mov": ("mp4", frozenset({"mp4", "mov", "m4a", "m4v", "3gp", "3g2"})),
    "matroska": ("mkv", frozenset({"mkv", "webm"})),
    "ogg": ("ogv", frozenset({"ogv", "ogg", "oga", "opus"})),
    "avi": ("avi", frozenset({"avi"})),
    "flv": ("flv", frozenset({"flv"})),
    "mp3": ("mp3", frozenset({"mp3"})),
    "wav": ("wav", frozenset({"wav"})),
    "flac": ("flac", frozenset({"flac"})),
    "aac": ("aac", frozenset({"aac"})),
    "mpegts": ("ts", frozenset({"ts", "m2ts", "mts"})),
    "mpeg": ("mpeg", frozenset({"mpeg", "mpg"})),
    "asf": ("wmv", frozenset({"wmv", "wma", "asf"})),
    "aiff": ("aiff", frozenset({"aiff", "aif"})),
    "amr": ("amr", frozenset({"amr"})),
    "gif": ("gif", frozenset({"gif"})),
}
_WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "vorbis", "opus"})
# ISO-BMFF brands of HEIF/AVIF images: images, even though the MP4 demuxer reads them.
_IMAGE_BRANDS = frozenset({"avif", "avis", "heic", "heix", "heim", "heis", "mif1", "msf1"})
_MAX_PACKETS_TO_FIRST_FRAME = 500

_CONVERT_SAVERS: dict[str, tuple[str, dict[str, Any]]] = {
    "jpg": (".jpg", {"Q": 90, "optimize_coding": True}),
    "jpeg": (".jpg", {"Q": 90, "optimize_coding": True}),
    "png": (".png", {}),
    "webp": (".webp", {"Q": 85}),
    "avif": (".avif", {"Q": 60, "compression": "av1"}),
    "gif": (".gif", {}),
    "tiff": (".tif", {}),
    "tif": (".tif", {}),
}


@dataclass(frozen=True)
class ProbeResult:
    """What an uploaded file is, in Cloudinary's vocabulary.

    ``format`` uses Cloudinary's names (``jpg``, ``tiff``, ``mp4``, ``m4a``); for raw files it
    is the filename's extension. ``pages`` is the frame or page count of an image (1 for a still
    image) and ``duration`` the length of video and audio in seconds. ``extra`` holds
    ``{"has_alpha": bool}`` for images, and for video and audio the fields Cloudinary returns
    on upload: ``video`` (``pix_format, codec, level, profile, bit_rate, dar, time_base,
    frame_rate``; None for audio), ``audio`` (``codec, bit_rate, frequency, channels,
    channel_layout``; None when silent), ``is_audio``, ``bit_rate``, ``frame_rate``,
    ``nb_frames`` and ``rotation``.
    """

    resource_type: str
    format: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    duration: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def probe(
    path: Path,
    resource_type: str,
    *,
    filename: str | None = None,
    max_pixels: int = 100_000_000,
) -> ProbeResult:
    """Identify and validate the file at ``path`` as ``resource_type``.

    ``resource_type`` is ``image``, ``video``, ``raw`` or ``auto``. Images are decoded (cheaply)
    to catch truncation; video and audio must demux and decode a first frame; raw files are
    never read. ``auto`` tries image, then video, then falls back to raw; a file that starts
    like a known image format but fails to decode is refused rather than stored as raw.
    ``filename`` (the client's name) picks between formats one container can hold (mov/mp4,
    mkv/webm) and gives raw files their format. Raises BadRequestError for empty, invalid or
    over-``max_pixels`` files.
    """
    if resource_type not in RESOURCE_TYPES:
        raise BadRequestError(f"Invalid resource type {resource_type!r}")
    if path.stat().st_size == 0:
        raise BadRequestError("Empty file")
    if resource_type == "raw":
        return _raw_result(filename)
    if resource_type == "image":
        return _probe_image(path, max_pixels) or _invalid("Invalid image file")
    if resource_type == "video":
        return _probe_media(path, filename) or _invalid("Invalid video file")
    return _probe_image(path, max_pixels) or _probe_media(path, filename) or _raw_result(filename)


def convert_image(source: Path, dest: Path, fmt: str) -> ProbeResult:
    """Re-encode the image at ``source`` as ``fmt`` (jpg, png, webp, avif, gif or tiff) into
    ``dest`` and return the probe of the result. Animation is kept for gif and webp targets;
    transparency is flattened onto white for jpg. BadRequestError for other targets or when
    ``source`` is not a readable image."""
    saver = _CONVERT_SAVERS.get(fmt.lower())
    if saver is None:
        raise BadRequestError(f"Cannot convert an image to format {fmt!r}")
    suffix, options = saver
    animated = suffix in (".gif", ".webp")
    image = _prepare_for_save(_load_for_convert(source, animated), suffix)
    target = pyvips.Target.new_to_file(str(dest))
    image.write_to_target(target, suffix, **options)
    return probe(dest, "image")


# ---------------------------------------------------------------------------------- images


def _probe_image(path: Path, max_pixels: int) -> ProbeResult | None:
    """The image result, None when no accepted image loader recognises the file."""
    loader = _vips_loader(path)
    if loader is not None:
        return _probe_vips_image(path, loader, max_pixels)
    return _probe_av_image(path, max_pixels)


def _vips_loader(path: Path) -> str | None:
    """The libvips loader class for the file if it is one we accept, sniffed from its bytes
    (never from the file name)."""
    source = pyvips.Source.new_from_file(str(path))
    pointer = pyvips.vips_lib.vips_foreign_find_load_source(source.pointer)
    if pointer == pyvips.ffi.NULL:
        pyvips.vips_lib.vips_error_clear()  # "not in a known format" would pile up otherwise
        return None
    loader: str = pyvips.ffi.string(pointer).decode()
    return loader if _loader_key(loader) in _VIPS_FORMATS else None


def _loader_key(loader: str) -> str:
    return loader.removeprefix("VipsForeignLoad").removesuffix("Source").lower()


def _vips_load(path: Path, loader: str, **options: Any) -> pyvips.Image:
    source = pyvips.Source.new_from_file(str(path))
    return pyvips.Operation.call(loader, source, access="sequential", fail_on="error", **options)


def _probe_vips_image(path: Path, loader: str, max_pixels: int) -> ProbeResult:
    try:
        header = _vips_load(path, loader)
        width, height, pages = header.width, header.height, _page_count(header)
        _check_pixels(width, height, max_pixels)
        _check_vips_pixels(path, loader, header, max_pixels)
        image_format = _image_format(loader, header)
        has_alpha = bool(header.hasalpha())
    except pyvips.Error as exc:
        raise BadRequestError("Invalid image file") from exc
    extra = {"has_alpha": has_alpha}
    return ProbeResult("image", image_format, width, height, pages, None, extra)


def _page_count(image: pyvips.Image) -> int:
    if image.get_typeof("n-pages") == 0:
        return 1
    return max(1, int(image.get("n-pages")))


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise BadRequestError("Invalid image file")
    if width * height > max_pixels:
        raise BadRequestError(
            f"Maximum image size is {max_pixels / 1e6:g} Megapixels. "
            f"Requested {width * height / 1e6:.1f} Megapixels ({width}x{height})"
        )


def _check_vips_pixels(path: Path, loader: str, header: pyvips.Image, max_pixels: int) -> None:
    """Decode the pixel data (reduced where the format allows) so that truncated or corrupt
    files fail now. Every page is checked while all pages together stay within
    ``max_pixels`` (animations only: TIFF and HEIF pages may differ in size); otherwise
    only the first page is."""
    key = _loader_key(loader)
    options: dict[str, Any] = {**_VIPS_REDUCE.get(key, {})}
    if key == "svg":
        options["scale"] = min(1.0, _SVG_CHECK_SIZE / max(header.width, header.height))
    pages = _page_count(header)
    all_pages = header.width * header.height * pages <= max_pixels
    if pages > 1 and key in _ANIMATED_LOADERS and all_pages:
        options["n"] = -1
    _vips_load(path, loader, **options).avg()


def _image_format(loader: str, header: pyvips.Image) -> str:
    key = _loader_key(loader)
    if key == "heif" and header.get_typeof("heif-compression") != 0:
        return "avif" if header.get("heif-compression") == "av1" else "heic"
    return _VIPS_FORMATS[key]


def _probe_av_image(path: Path, max_pixels: int) -> ProbeResult | None:
    """BMP and ICO through FFmpeg; None when the file is neither."""
    container = _av_open(path, _AV_IMAGE_FORMATS, max_pixels=max_pixels)
    if container is None:
        return None
    with container:
        image_format = _AV_IMAGE_FORMATS[container.format.name]
        if image_format == "bmp":
            # FFmpeg reports 0x0 for a BMP it refused to decode; the header has the truth.
            _check_pixels(*_bmp_size(path), max_pixels)
        stream = _largest_stream(container)
        frame = None if stream is None else _first_frame(container, stream)
    if frame is None:
        raise BadRequestError("Invalid image file")
    _check_pixels(frame.width, frame.height, max_pixels)
    extra = {"has_alpha": _av_has_alpha(frame)}
    return ProbeResult("image", image_format, frame.width, frame.height, 1, None, extra)


def _bmp_size(path: Path) -> tuple[int, int]:
    """Width and height from a BMP header (core or info header; height < 0 is top-down)."""
    with path.open("rb") as file:
        head = file.read(26)
    if len(head) < 26:
        return 0, 0
    if int.from_bytes(head[14:18], "little") == 12:
        return int.from_bytes(head[18:20], "little"), int.from_bytes(head[20:22], "little")
    width = int.from_bytes(head[18:22], "little", signed=True)
    return width, abs(int.from_bytes(head[22:26], "little", signed=True))


def _largest_stream(container: av.container.InputContainer) -> av.VideoStream | None:
    """The biggest picture: an ICO file holds one stream per icon size."""
    streams = container.streams.video
    return max(streams, key=lambda s: s.codec_context.width, default=None)


def _av_has_alpha(frame: av.VideoFrame) -> bool:
    return any(c.is_alpha for c in frame.format.components)


def _av_frame_to_vips(frame: av.VideoFrame) -> pyvips.Image:
    """An 8-bit sRGB(A) pyvips image holding a decoded FFmpeg frame."""
    pix_fmt, bands = ("rgba", 4) if _av_has_alpha(frame) else ("rgb24", 3)
    rgb = frame.reformat(format=pix_fmt)
    plane, row = rgb.planes[0], rgb.width * bands
    data = bytes(plane)
    if plane.line_size != row:  # FFmpeg pads rows for alignment
        data = b"".join(
            data[y * plane.line_size : y * plane.line_size + row] for y in range(rgb.height)
        )
    image = pyvips.Image.new_from_memory(data, rgb.width, rgb.height, bands, "uchar")
    return image.copy(interpretation="srgb")


# ------------------------------------------------------------------------- video and audio


def _probe_media(path: Path, filename: str | None) -> ProbeResult | None:
    """The video/audio result, None when FFmpeg cannot demux and decode the file."""
    container = _av_open(path, _AV_MEDIA_FORMATS)
    if container is None:
        return None
    with container:
        if _is_image_brand(container):
            return None
        video, audio = _main_streams(container)
        first = video or audio
        frame = None if first is None else _first_frame(container, first)
        if frame is None:
            return None
        return _media_result(container, video, audio, frame, filename)


def _av_open(
    path: Path, demuxers: dict[str, Any], *, max_pixels: int | None = None
) -> av.container.InputContainer | None:
    """Open with FFmpeg, allowing only ``demuxers`` and plain-file I/O; None if that fails.
    ``max_pixels`` also stops FFmpeg's decoders from allocating bigger pictures."""
    import av
    import av.error

    options = {"format_whitelist": ",".join(demuxers), "protocol_whitelist": "file"}
    if max_pixels is not None:
        options["max_pixels"] = str(max_pixels)
    try:
        container = av.open(str(path), options=options)
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    if container.format.name.split(",")[0] not in demuxers:
        container.close()
        return None
    return container


def _is_image_brand(container: av.container.InputContainer) -> bool:
    brand = str(container.metadata.get("major_brand", "")).strip().lower()
    return container.format.name.startswith("mov,") and brand in _IMAGE_BRANDS


def _main_streams(
    container: av.container.InputContainer,
) -> tuple[av.VideoStream | None, av.AudioStream | None]:
    """The first real video stream (cover art does not count) and the first audio stream."""
    import av

    videos = [
        s
        for s in container.streams.video
        if not s.disposition & av.stream.Disposition.attached_pic and s.codec_context.width
    ]
    audios = [s for s in container.streams.audio if s.codec_context.sample_rate]
    return (videos[0] if videos else None), (audios[0] if audios else None)


def _first_frame(container: av.container.InputContainer, stream: av.stream.Stream) -> Any:
    """Decode until the first frame of ``stream``; None if none comes."""
    import av.error

    try:
        for count, packet in enumerate(container.demux(stream)):
            for frame in packet.decode():
                return frame
            if count >= _MAX_PACKETS_TO_FIRST_FRAME:
                return None
    except (av.error.FFmpegError, ValueError):
        return None
    return None


def _media_result(
    container: av.container.InputContainer,
    video: av.VideoStream | None,
    audio: av.AudioStream | None,
    frame: Any,
    filename: str | None,
) -> ProbeResult:
    rotation = int(getattr(frame, "rotation", 0) or 0) if video is not None else 0
    frame_rate = _frame_rate(video)
    extra: dict[str, Any] = {
        "video": _video_info(video, frame_rate) if video is not None else None,
        "audio": _audio_info(audio) if audio is not None else None,
        "is_audio": video is None,
        "bit_rate": int(container.bit_rate or 0),
        "frame_rate": frame_rate,
        "nb_frames": (video.frames or None) if video is not None else None,
        "rotation": rotation,
    }
    width = video.codec_context.width if video is not None else None
    height = video.codec_context.height if video is not None else None
    media_format = _media_format(container, video, audio, filename)
    return ProbeResult("video", media_format, width, height, None, _duration(container), extra)


def _frame_rate(video: av.VideoStream | None) -> float | None:
    if video is None:
        return None
    rate = video.average_rate or video.guessed_rate
    return round(float(rate), 3) if rate else None


def _video_info(video: av.VideoStream, frame_rate: float | None) -> dict[str, Any]:
    ctx = video.codec_context
    return {
        "pix_format": ctx.pix_fmt,
        "codec": ctx.codec.canonical_name,
        "level": ctx.level if ctx.level is not None and ctx.level >= 0 else None,
        "profile": ctx.profile,
        "bit_rate": str(ctx.bit_rate or 0),
        "dar": _display_aspect(ctx.width, ctx.height, video.sample_aspect_ratio),
        "time_base": str(video.time_base),
        "frame_rate": frame_rate,
    }


def _display_aspect(width: int, height: int, sar: Fraction | None) -> str:
    ratio = Fraction(width, height) * (sar if sar else 1)
    return f"{ratio.numerator}:{ratio.denominator}"


def _audio_info(audio: av.AudioStream) -> dict[str, Any]:
    ctx = audio.codec_context
    return {
        "codec": ctx.codec.canonical_name,
        "bit_rate": str(ctx.bit_rate or 0),
        "frequency": ctx.sample_rate,
        "channels": ctx.channels,
        "channel_layout": ctx.layout.name if ctx.layout is not None else None,
    }


def _duration(container: av.container.InputContainer) -> float | None:
    import av

    if container.duration is not None and container.duration > 0:
        return round(container.duration / av.time_base, 6)
    spans = [
        float(s.duration * s.time_base)
        for s in container.streams
        if s.duration is not None and s.time_base is not None
    ]
    return round(max(spans), 6) if spans else None


def _media_format(
    container: av.container.InputContainer,
    video: av.VideoStream | None,
    audio: av.AudioStream | None,
    filename: str | None,
) -> str:
    demuxer = container.format.name.split(",")[0]
    default, choices = _AV_MEDIA_FORMATS[demuxer]
    extension = _extension(filename)
    if extension in choices:
        return extension
    if demuxer == "mov":
        brand = str(container.metadata.get("major_brand", "")).strip().lower()
        return "mov" if brand == "qt" else ("mp4" if video is not None else "m4a")
    if demuxer == "matroska":
        codecs = {s.codec_context.codec.canonical_name for s in (video, audio) if s is not None}
        return "webm" if codecs <= _WEBM_CODECS else "mkv"
    if demuxer == "ogg" and video is None:
        return "ogg"
    if demuxer == "asf" and video is None:
        return "wma"
    return default


# --------------------------------------------------------------------------------- helpers


def _raw_result(filename: str | None) -> ProbeResult:
    return ProbeResult("raw", _extension(filename))


def _extension(filename: str | None) -> str:
    """The filename's extension, lowercased, without the dot; "" when it has none."""
    if not filename:
        return ""
    return PurePosixPath(filename.replace("\\", "/")).suffix[1:].lower()


def _invalid(message: str) -> ProbeResult:
    raise BadRequestError(message)


def _load_for_convert(source: Path, animated: bool) -> pyvips.Image:
    loader = _vips_loader(source)
    if loader is None:
        return _load_av_image(source)
    options: dict[str, Any] = {}
    if animated and _loader_key(loader) in _ANIMATED_LOADERS:
        options["n"] = -1
    try:
        return pyvips.Operation.call(
            loader, pyvips.Source.new_from_file(str(source)), fail_on="error", **options
        )
    except pyvips.Error as exc:
        raise BadRequestError("Invalid image file") from exc


def _load_av_image(source: Path) -> pyvips.Image:
    container = _av_open(source, _AV_IMAGE_FORMATS)
    if container is None:
        raise BadRequestError("Invalid image file")
    with container:
        stream = _largest_stream(container)
        frame = None if stream is None else _first_frame(container, stream)
    if frame is None:
        raise BadRequestError("Invalid image file")
    return _av_frame_to_vips(frame)


def _prepare_for_save(image: pyvips.Image, suffix: str) -> pyvips.Image:
    """sRGB 8-bit (or greyscale), alpha flattened for JPEG."""
    if image.interpretation not in ("srgb", "b-w"):
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    if suffix == ".jpg" and image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1))
    return image
