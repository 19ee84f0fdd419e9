"""The Upload API's ``multi`` method: every image with a tag as the frames of an animated GIF
or WebP, or the pages of a PDF."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Cloud
from cloudlet.errors import BadRequestError
from cloudlet.imaging.compose import encode_animation, encode_pdf, fit_frames
from cloudlet.services import tag_outputs
from cloudlet.services.deps import Deps
from cloudlet.services.tag_outputs import Output, output_url
from cloudlet.services.values import as_int

MULTI_FORMATS = ("gif", "webp", "pdf")
DEFAULT_DELAY_MS = 100


def multi(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST /image/multi``: one frame (or page) per tagged image, in public id order, all the
    size of the first; stored as the asset ``image/multi/{public_id}``."""
    if resource_type != "image":
        raise BadRequestError("multi combines images only")
    tag = tag_outputs.source_tag(params)
    recipe = tag_outputs.parse_recipe(params.get("transformation"))
    fmt = recipe.format or "gif"
    if fmt not in MULTI_FORMATS:
        raise BadRequestError(f"Invalid multi format {fmt}: one of {', '.join(MULTI_FORMATS)}")
    delay = recipe.delay
    if delay is None:
        delay = as_int(params, "delay", DEFAULT_DELAY_MS, minimum=0, maximum=65_535)
    public_id = tag_outputs.output_public_id(params, tag)
    images = tag_outputs.tagged_images(deps, cloud, tag)
    frames = fit_frames(tag_outputs.load_frames(deps, cloud, images, recipe))
    width, height = frames[0].width, frames[0].height
    if width * height * len(frames) > deps.settings.max_image_pixels:
        raise BadRequestError(
            f"Too many pixels: {len(frames)} frames of {width}x{height} is more than "
            f"{deps.settings.max_image_pixels}"
        )
    data = encode_pdf(frames) if fmt == "pdf" else encode_animation(frames, fmt, delay or 0)
    output = Output(
        kind="multi", public_id=public_id, format=fmt, data=data, width=width, height=height,
        pages=len(frames), extra={"transformation": recipe.canonical, "tag": tag},
    )  # fmt: skip
    asset = tag_outputs.store_output(deps, cloud, output)
    return {
        "url": output_url(deps.settings.base_url, cloud, asset, fmt),
        "secure_url": output_url(deps.settings.secure_base_url, cloud, asset, fmt),
        "asset_id": asset.asset_id,
        "public_id": asset.public_id,
        "version": asset.version,
    }
