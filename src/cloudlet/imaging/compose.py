"""Composing several images into one file: sprites (images packed into one), animations
(GIF, WebP: one frame per image) and PDFs (one JPEG page per image).

pyvips does the pixels; the PDF container is written here with the standard library because
the libvips build Cloudlet ships has no PDF writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyvips

ANIMATION_FORMATS = ("gif", "webp")
SPRITE_FORMATS = ("png", "jpg", "webp", "gif", "avif")
_SAVE_SUFFIX = {"jpg": ".jpg", "png": ".png", "webp": ".webp", "gif": ".gif", "avif": ".avif"}


@dataclass(frozen=True)
class Placement:
    """Where one image sits inside a sprite."""

    x: int
    y: int
    width: int
    height: int


def load_frame(path: Path) -> pyvips.Image:
    """The first page of the image at ``path``, upright, as 8-bit sRGB with alpha."""
    image = pyvips.Image.new_from_file(str(path), access="sequential").autorot()
    if image.interpretation not in ("srgb", "b-w") or image.format != "uchar":
        image = image.colourspace("srgb").cast("uchar")
    if image.bands in (1, 3):
        image = image.bandjoin(255)
    if image.bands == 2:
        image = image.colourspace("srgb")
    return image.copy_memory()


def pack_vertically(images: Sequence[pyvips.Image]) -> tuple[pyvips.Image, list[Placement]]:
    """Stack the images top to bottom, left-aligned, on a transparent canvas as wide as the
    widest: the layout Cloudlet's sprites use (each image at x=0, no gaps)."""
    placements: list[Placement] = []
    top = 0
    for image in images:
        placements.append(Placement(0, top, image.width, image.height))
        top += image.height
    width = max(image.width for image in images)
    canvas = pyvips.Image.black(width, top, bands=4).copy(interpretation="srgb")
    for image, spot in zip(images, placements, strict=True):
        canvas = canvas.insert(image, spot.x, spot.y)
    return canvas, placements


def encode_still(image: pyvips.Image, fmt: str) -> bytes:
    """One image as bytes of ``fmt`` (JPEG is flattened on white)."""
    if fmt == "jpg":
        image = image.flatten(background=[255, 255, 255])
        return bytes(image.write_to_buffer(".jpg", Q=90))
    return bytes(image.write_to_buffer(_SAVE_SUFFIX[fmt]))


def fit_frames(images: Sequence[pyvips.Image]) -> list[pyvips.Image]:
    """Every image on a canvas the size of the first one: scaled down to fit if larger, and
    centred on transparency (animations need frames of one size)."""
    width, height = images[0].width, images[0].height
    frames = []
    for image in images:
        if image.width > width or image.height > height:
            scale = min(width / image.width, height / image.height)
            image = image.resize(scale)
        left, top = (width - image.width) // 2, (height - image.height) // 2
        frames.append(image.embed(left, top, width, height, extend="background", background=0))
    return frames


def encode_animation(frames: Sequence[pyvips.Image], fmt: str, delay_ms: int) -> bytes:
    """The frames as an animated GIF or WebP that loops forever, ``delay_ms`` per frame."""
    if fmt not in ANIMATION_FORMATS:
        raise ValueError(f"not an animation format: {fmt}")
    height = frames[0].height
    strip = pyvips.Image.arrayjoin(list(frames), across=1).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", height)
    strip.set_type(pyvips.GValue.array_int_type, "delay", [delay_ms] * len(frames))
    strip.set_type(pyvips.GValue.gint_type, "loop", 0)
    return bytes(strip.write_to_buffer(f".{fmt}"))


def encode_pdf(frames: Sequence[pyvips.Image]) -> bytes:
    """A PDF with one page per image, each page the image's size in points (JPEG inside)."""
    pages = [
        (bytes(frame.flatten(background=[255, 255, 255]).write_to_buffer(".jpg", Q=90)), frame)
        for frame in frames
    ]
    return pdf_of_jpegs([(data, f.width, f.height) for data, f in pages])


def pdf_of_jpegs(pages: Sequence[tuple[bytes, int, int]]) -> bytes:
    """A minimal PDF 1.4: a catalog, a page tree and, per (jpeg, width, height), a page that
    draws the RGB JPEG (DCTDecode) over the whole page."""
    count = len(pages)
    page_ids = [3 + 3 * i for i in range(count)]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % pid for pid in page_ids), count),
    ]
    for pid, (jpeg, width, height) in zip(page_ids, pages, strict=True):
        draw = b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (width, height)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (width, height, pid + 1, pid + 2)
        )
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
            % (width, height, len(jpeg), jpeg)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
    return _pdf_file(objects)


def _pdf_file(objects: Sequence[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
