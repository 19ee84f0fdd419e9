"""The output: which format (``f_``, the URL's extension, ``f_auto`` against ``Accept``), at
which quality, and the encoding itself.

Format precedence: an explicit ``f_<format>`` > the URL's extension > the source's format
(HEIC becomes ``jpg``; SVG, BMP, ICO and PDF become ``png``). ``f_auto`` picks ``avif`` when
``Accept`` lists ``image/avif``, else ``webp`` when it lists ``image/webp`` (a ``q=0``
listing does not count; ``*/*`` and ``image/*`` do not name a format), else the
extension's or source's format when every browser shows it (``jpg``, ``png``, ``gif``), else
``png`` for formats that may carry transparency (``webp``, ``avif``, ``tiff``) and ``jpg``
otherwise. An animated source with ``f_auto`` stays animated: ``webp`` when accepted, else
``gif``.

Quality (``q_``), per format:

=============  ====  ====  ====
level          jpg   webp  avif
=============  ====  ====  ====
``auto:best``   90    90    70
``auto:good``   80    80    60  (also ``q_auto``, and the default without ``q_``)
``auto:eco``    70    70    50
``auto:low``    60    60    40
=============  ====  ====  ====

``q_<n>`` is libvips' Q (1–100) for jpg, webp and avif; ``:444`` turns chroma subsampling
off, ``:420`` on (default: libvips' choice, subsampled below Q 90); ``qmax_`` is ignored.
PNG is lossless (zlib level 6, adaptive row filters) and ignores ``q_`` unless ``fl_lossy``,
which quantises it to a palette (libimagequant) at that quality; GIF ignores it; TIFF is
deflate-compressed. JPEG has optimised Huffman tables; AVIF uses effort 4; WebP uses effort 4
(libwebp's default: the WebP bitstream is the one Pillow writes at the same quality) unless
the deployment sets another (``CLOUDLET_WEBP_EFFORT``, 0–6: 2 encodes about twice as fast
for a few per cent more bytes, see docs/benchmarks.md).

Metadata is stripped except the ICC colour profile; ``fl_strip_profile`` drops that too and
``fl_keep_iptc`` also keeps IPTC and XMP. ``fl_progressive`` (any mode but ``:none``) writes
progressive JPEG and interlaced PNG/GIF. WebP and AVIF are always lossy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyvips

from cloudlet.transform.model import FetchFormat, Flags, Quality, Transformation

from .limits import RenderError

OUTPUT_FORMATS = frozenset({"jpg", "png", "webp", "avif", "gif", "tiff"})
ANIMATED_FORMATS = frozenset({"gif", "webp"})
ALPHA_FORMATS = frozenset({"png", "webp", "avif", "gif", "tiff"})
_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tif": "tiff", "heif": "heic"}
_AS_PNG = frozenset({"svg", "bmp", "ico", "pdf", "psd", "ai", "eps"})
_EVERY_BROWSER = frozenset({"jpg", "png", "gif"})
_LEVELS = {
    "best": {"jpg": 90, "webp": 90, "avif": 70},
    "good": {"jpg": 80, "webp": 80, "avif": 60},
    "eco": {"jpg": 70, "webp": 70, "avif": 50},
    "low": {"jpg": 60, "webp": 60, "avif": 40},
}
_LOSSY = frozenset({"jpg", "webp", "avif"})
WEBP_EFFORT = 4  # libwebp's default method


def _name(fmt: str) -> str:
    lowered = fmt.lower().lstrip(".")
    return _ALIASES.get(lowered, lowered)


def _output_name(fmt: str) -> str:
    name = _name(fmt)
    if name not in OUTPUT_FORMATS:
        raise RenderError(f"Output format '{fmt}' is not supported")
    return name


def _source_output(source_format: str) -> str:
    name = _name(source_format)
    if name in OUTPUT_FORMATS:
        return name
    return "png" if name in _AS_PNG else "jpg"


def fetch_format(transformation: Transformation) -> FetchFormat | None:
    """The last ``f_`` of the chain, if any."""
    found = None
    for component in transformation:
        found = component.typed("fetch_format", FetchFormat) or found
    return found


def accepted(accept: str) -> frozenset[str]:
    """The media types an ``Accept`` header lists with a non-zero quality."""
    types = set()
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        weights = [p.split("=", 1)[1] for p in params if p.replace(" ", "").startswith("q=")]
        try:
            if weights and float(weights[0]) <= 0:
                continue
        except ValueError:
            continue
        if media:
            types.add(media.lower())
    return frozenset(types)


def negotiated_format(
    transformation: Transformation,
    requested_format: str | None,
    source_format: str,
    accept: str = "",
    *,
    animated: bool = False,
) -> str:
    """The format ``render`` produces (see the module docstring): a pure function of the
    transformation, the URL's extension, the source's format and ``Accept`` (and whether the
    source is animated, for ``f_auto``), for the derived-asset key and ``Vary: Accept``."""
    chosen = fetch_format(transformation)
    if chosen is not None and chosen.name != "auto":
        return _output_name(chosen.name)
    fallback = _output_name(requested_format) if requested_format else None
    if chosen is None:
        return fallback or _source_output(source_format)
    types = accepted(accept)
    if animated or chosen.qualifier == "animated":
        return "webp" if "image/webp" in types else "gif"
    if "image/avif" in types:
        return "avif"
    if "image/webp" in types:
        return "webp"
    base = fallback or _source_output(source_format)
    if base in _EVERY_BROWSER:
        return base
    return "png" if base in ALPHA_FORMATS else "jpg"


def is_auto_format(transformation: Transformation) -> bool:
    """Whether the format depends on ``Accept`` (``f_auto``): the response varies by it."""
    chosen = fetch_format(transformation)
    return chosen is not None and chosen.name == "auto"


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Output:
    """How to encode: format, quality and the flags that matter to encoding."""

    format: str
    quality: Quality | None
    flags: Flags
    webp_effort: int = WEBP_EFFORT  # libwebp's method: 0 fastest … 6 smallest

    @classmethod
    def of(cls, transformation: Transformation, fmt: str, webp_effort: int = WEBP_EFFORT) -> Output:
        """The output settings a transformation asks for (last ``q_``, every flag)."""
        quality, flags = None, Flags(())
        for component in transformation:
            quality = component.typed("quality", Quality) or quality
            found = component.typed("flags", Flags)
            flags = flags.merged(found) if found is not None else flags
        return cls(fmt, quality, flags, webp_effort)

    @property
    def progressive(self) -> bool:
        """``fl_progressive`` (but not ``fl_progressive:none``)."""
        return any(f.name == "progressive" and f.argument != "none" for f in self.flags.items)

    def q(self) -> int:
        """libvips' Q for a lossy format (or a PNG palette)."""
        quality = self.quality
        table = "jpg" if self.format not in _LOSSY else self.format
        if quality is None or quality.mode == "auto":
            level = quality.options[0] if quality and quality.options else "good"
            return _LEVELS.get(level, _LEVELS["good"])[table]
        if quality.mode != "number":
            raise RenderError("Quality expressions are not supported")
        return min(max(round(quality.number), 1), 100)

    def subsample(self) -> str:
        """libvips' chroma ``subsample_mode``."""
        options = self.quality.options if self.quality else ()
        if "444" in options:
            return "off"
        if "420" in options or "422" in options:
            return "on"
        return "auto"

    def keep(self) -> str:
        """libvips' ``keep`` (which metadata survives)."""
        kept = [] if "strip_profile" in self.flags else ["icc"]
        if "keep_iptc" in self.flags:
            kept += ["iptc", "xmp"]
        return "|".join(kept) or "none"


# ----------------------------------------------------------------------------- encoding


def encode(image: pyvips.Image, output: Output) -> bytes:
    """The image in the output format (animation comes from its ``page-height``)."""
    fmt = output.format
    options: dict[str, Any] = {"keep": output.keep()}
    if fmt == "jpg":
        options |= {
            "Q": output.q(),
            "optimize_coding": True,
            "interlace": output.progressive,
            "subsample_mode": output.subsample(),
        }
        return bytes(image.jpegsave_buffer(**options))
    if fmt == "png":
        options |= {"compression": 6, "interlace": output.progressive}
        if "lossy" in output.flags:
            options |= {"palette": True, "Q": output.q()}
        else:
            # adaptive row filters, as libpng (and so Pillow) use by default: photographs
            # come out 35-40 % smaller than libvips' unfiltered default, for ~8 ms more at 500 px
            options["filter"] = "all"
        return bytes(image.pngsave_buffer(**options))
    if fmt == "webp":
        return bytes(image.webpsave_buffer(Q=output.q(), effort=output.webp_effort, **options))
    if fmt == "avif":
        return bytes(
            image.heifsave_buffer(
                Q=output.q(),
                compression="av1",
                effort=4,
                subsample_mode=output.subsample(),
                **options,
            )
        )
    if fmt == "gif":
        # effort 3 quantises 7 times faster than libvips' default 7, for about the same size
        return bytes(image.gifsave_buffer(interlace=output.progressive, effort=3, **options))
    return bytes(image.tiffsave_buffer(compression="deflate", predictor="horizontal", **options))
