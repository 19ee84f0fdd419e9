"""Opening a source: which loader, how big, how many pages, which pages to decode, and how.

``open_source`` reads only the header: the loader libvips picks from the file's bytes must be
one of ``LOADERS`` (libvips also has loaders for matrix, CSV and its own formats that would
"decode" a text file), and the declared size times the page count is checked against
``max_source_pixels`` before a single pixel is decoded.

``load_frames`` then decodes the chosen pages, one ``pyvips.Image`` per page, in one of two
ways (as imgproxy does):

* ``shrink_to`` given: ``thumbnail``, which lets the JPEG decoder shrink by 2, 4 or 8 in the
  DCT domain and WebP/SVG scale while they decode, then finishes with a high-quality resample
  to exactly that size, so a 36 MP JPEG never exists at full size in memory;
* otherwise a plain load, ``access="sequential"`` when the rest of the pipeline reads every
  pixel once, top to bottom (libvips then streams the file in strips), random otherwise.

Both auto-orient from the EXIF orientation tag unless told not to. Truncated files fail
(``fail_on="truncated"``) instead of rendering grey.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyvips

from cloudlet.transform.model import Page
from cloudlet.transform.steps import Size

from .canvas import normalize
from .limits import RenderError, RenderLimits, check_source, vips_message

# libvips loader class (without "VipsForeignLoad"/"Source", lowercased) -> format.
LOADERS = {
    "jpeg": "jpg",
    "png": "png",
    "spng": "png",
    "nsgif": "gif",
    "gif": "gif",
    "webp": "webp",
    "tiff": "tiff",
    "heif": "heic",
    "svg": "svg",
}
_PAGED = frozenset({"nsgif", "gif", "webp", "tiff", "heif"})
_ANIMATED = frozenset({"nsgif", "gif", "webp"})
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
_PAGE_RANGE = re.compile(r"(-?\d+)(?:(-)(\d*))?")


@dataclass(frozen=True)
class SourceInfo:
    """What the header of a source says."""

    path: Path
    loader: str  # key of LOADERS
    width: int  # of one page, as stored (before EXIF orientation)
    height: int
    pages: int
    orientation: int
    delays: tuple[int, ...]
    loop: int

    @property
    def format(self) -> str:
        """The source's format in Cloudinary's words."""
        return LOADERS[self.loader]

    @property
    def paged(self) -> bool:
        """A format whose loader may set page and animation fields (GIF, WebP, TIFF, HEIF)."""
        return self.loader in _PAGED

    @property
    def animated(self) -> bool:
        """A GIF or WebP with more than one frame."""
        return self.loader in _ANIMATED and self.pages > 1

    def oriented_size(self, autorotate: bool = True) -> Size:
        """A page's size as delivered (EXIF orientation applied unless ``autorotate`` is off)."""
        if autorotate and self.orientation in _SWAPPING_ORIENTATIONS:
            return Size(self.height, self.width)
        return Size(self.width, self.height)


def open_source(path: Path, limits: RenderLimits) -> SourceInfo:
    """Read the header of the image at ``path``; RenderError when it is not an image Cloudlet
    reads, or is larger than ``limits`` allow."""
    loader = _loader(path)
    try:
        header = pyvips.Image.new_from_source(_source(path), "", access="sequential")
        info = _info(path, loader, header)
    except pyvips.Error as error:
        raise RenderError(f"Invalid image file: {vips_message(error)}") from error
    check_source(info.width, info.height, info.pages, limits)
    return info


def _source(path: Path) -> pyvips.Source:
    try:
        return pyvips.Source.new_from_file(str(path))
    except pyvips.Error as error:
        raise RenderError("Image file cannot be read") from error


def _loader(path: Path) -> str:
    pointer = pyvips.vips_lib.vips_foreign_find_load_source(_source(path).pointer)
    if pointer == pyvips.ffi.NULL:
        pyvips.vips_lib.vips_error_clear()
        raise RenderError("Invalid image file: not a known image format")
    name = str(pyvips.ffi.string(pointer).decode())
    key = name.removeprefix("VipsForeignLoad").removesuffix("Source").lower()
    if key not in LOADERS:
        raise RenderError("Invalid image file: unsupported image format")
    return key


def _info(path: Path, loader: str, header: pyvips.Image) -> SourceInfo:
    pages = _int_field(header, "n-pages", 1) if loader in _PAGED else 1
    delays: tuple[int, ...] = ()
    if header.get_typeof("delay"):
        delays = tuple(int(d) for d in header.get("delay"))
    return SourceInfo(
        path=path,
        loader=loader,
        width=header.width,
        height=header.get_page_height(),
        pages=max(pages, 1),
        orientation=_int_field(header, "orientation", 1),
        delays=delays,
        loop=_int_field(header, "loop", 0),
    )


def _int_field(image: pyvips.Image, name: str, default: int) -> int:
    return int(image.get(name)) if image.get_typeof(name) else default


# ----------------------------------------------------------------------------- pages


def select_pages(info: SourceInfo, page: Page | None, *, keep_animation: bool) -> tuple[int, ...]:
    """The 0-based pages to decode: those ``pg_`` names (1-based, ``-1`` the last, ``2-4;6``,
    ``3-`` to the end), else every frame of an animation kept as one, else the first page."""
    if page is None:
        return tuple(range(info.pages)) if info.animated and keep_animation else (0,)
    if ":" in page.spec:
        raise RenderError(f"Page selection '{page.spec}' is not supported")
    chosen: list[int] = []
    for part in page.spec.split(";"):
        chosen.extend(_page_range(part, info.pages))
    return tuple(dict.fromkeys(chosen))


def _page_range(part: str, count: int) -> list[int]:
    match = _PAGE_RANGE.fullmatch(part)
    if match is None:
        raise RenderError(f"Invalid page range '{part}'")
    first = _page_index(match.group(1), count)
    tail = match.group(3)
    last = first if match.group(2) is None else (_page_index(tail, count) if tail else count - 1)
    if last < first:
        raise RenderError(f"Invalid page range '{part}'")
    return list(range(first, last + 1))


def _page_index(text: str, count: int) -> int:
    number = int(text)
    index = number - 1 if number > 0 else count + number
    if number == 0 or not 0 <= index < count:
        raise RenderError(f"Page {number} does not exist (the image has {count})")
    return index


def _runs(pages: tuple[int, ...]) -> list[tuple[int, int]]:
    """Consecutive pages as ``(first, count)`` runs."""
    runs: list[tuple[int, int]] = []
    for index in pages:
        if runs and runs[-1][0] + runs[-1][1] == index:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((index, 1))
    return runs


# ----------------------------------------------------------------------------- decoding


@dataclass(frozen=True)
class LoadOptions:
    """How to decode: shrink-on-load target (a page's size after orientation), access
    pattern and EXIF auto-orientation. A shrunk image streams out of its decoder once;
    ``sequential=False`` keeps it in memory so that later steps may read it again."""

    shrink_to: Size | None = None
    sequential: bool = False
    autorotate: bool = True


def load_frames(
    info: SourceInfo, pages: tuple[int, ...], options: LoadOptions, limits: RenderLimits
) -> list[pyvips.Image]:
    """The chosen pages, decoded and normalised to 8-bit sRGB(A), one image per page."""
    frames: list[pyvips.Image] = []
    try:
        for first, count in _runs(pages):
            frames.extend(_load_run(info, first, count, options, limits))
    except pyvips.Error as error:
        raise RenderError(f"Invalid image file: {vips_message(error)}") from error
    return frames


def _page_options(info: SourceInfo, first: int, count: int) -> dict[str, Any]:
    if info.loader not in _PAGED or (info.pages == 1 and first == 0):
        return {}
    return {"page": first, "n": count}


def _load_run(
    info: SourceInfo, first: int, count: int, options: LoadOptions, limits: RenderLimits
) -> list[pyvips.Image]:
    paging = _page_options(info, first, count)
    if paging:
        _check_pages(info, paging, limits)  # later pages may be larger than the first
    if options.shrink_to is not None:
        image = _thumbnail(info, paging, options)
        if not options.sequential:
            image = image.copy_memory()
    else:
        image = _plain(info, paging, options)
    page_height = image.get_page_height() if count > 1 else image.height
    image = normalize(image)
    if count == 1:
        return [image]
    return [image.crop(0, i * page_height, image.width, page_height) for i in range(count)]


def _check_pages(info: SourceInfo, paging: dict[str, Any], limits: RenderLimits) -> None:
    header = pyvips.Image.new_from_source(_source(info.path), "", access="sequential", **paging)
    check_source(header.width, header.get_page_height(), paging["n"], limits)


def _thumbnail(info: SourceInfo, paging: dict[str, Any], options: LoadOptions) -> pyvips.Image:
    assert options.shrink_to is not None
    # thumbnail's own fail_on does not reach the loader; the option string does
    loader_options = {"fail_on": "truncated", **paging}
    option_string = ",".join(f"{key}={value}" for key, value in loader_options.items())
    return pyvips.Image.thumbnail_source(
        _source(info.path),
        options.shrink_to.width,
        height=options.shrink_to.height,
        size="force",
        no_rotate=not options.autorotate,
        option_string=option_string,
    )


def _plain(info: SourceInfo, paging: dict[str, Any], options: LoadOptions) -> pyvips.Image:
    access = "sequential" if options.sequential else "random"
    image = pyvips.Image.new_from_source(
        _source(info.path), "", access=access, fail_on="truncated", **paging
    )
    if options.autorotate and info.orientation != 1:
        image = image.autorot()
    return image
