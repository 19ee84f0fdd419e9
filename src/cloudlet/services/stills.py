"""Video stills as derivatives: a video asked for with an image format renders one frame.

``…/video/upload/so_2,w_300,h_200,c_fill/clip.jpg`` (or ``f_png``) picks the frame at ``so_``
(``imaging.video``), writes it to a scratch file in the staging directory and hands that to
the image pipeline with the rest of the transformation, so every image parameter works on
stills; the result is stored and served like any derivative (keyed by the canonical
transformation, ``so_`` included). Any other transformation of a video is refused with a 400
until video transcoding exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cloudlet.catalog.model import Asset
from cloudlet.errors import BadRequestError
from cloudlet.imaging.encode import OUTPUT_FORMATS, fetch_format
from cloudlet.imaging.video import grab_still, still_time
from cloudlet.services.deps import Deps
from cloudlet.transform.model import Offset, Transformation

_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tif": "tiff"}


def check_still_request(transformation: Transformation, requested_format: str | None) -> None:
    """BadRequestError unless the URL's extension or ``f_`` asks for an image format."""
    chosen = fetch_format(transformation)
    wanted = chosen.name if chosen is not None and chosen.name != "auto" else requested_format
    name = (wanted or "").lower()
    if _ALIASES.get(name, name) not in OUTPUT_FORMATS:
        shown = f" to {name}" if name else ""
        raise BadRequestError(
            f"Transforming videos{shown} is not supported: ask for a still with an image "
            "extension (.jpg, .png, .webp, .avif, .gif)"
        )


@contextmanager
def render_source(
    deps: Deps, asset: Asset, original: Path, transformation: Transformation
) -> Iterator[tuple[Path, Transformation]]:
    """The image file and transformation to render: the original itself for images; for a
    video, its still at ``so_`` in a scratch file (removed afterwards) and the
    transformation without ``so_``."""
    if asset.resource_type != "video":
        yield original, transformation
        return
    seconds = still_time(start_offset(transformation), asset.duration)
    still = grab_still(original, seconds, max_pixels=deps.settings.max_source_pixels)
    scratch = deps.storage.new_staging_path(".tif")
    try:
        still.image.tiffsave(str(scratch), compression="none")
        yield scratch, without_start_offset(transformation)
    finally:
        scratch.unlink(missing_ok=True)


def start_offset(transformation: Transformation) -> Offset | None:
    """The first ``so_`` of the chain, if any."""
    for component in transformation:
        offset = component.typed("start_offset", Offset)
        if offset is not None:
            return offset
    return None


def without_start_offset(transformation: Transformation) -> Transformation:
    """The chain with every ``so_`` removed (the image pipeline has no use for it)."""
    return Transformation(tuple(c.with_params(start_offset=None) for c in transformation))
