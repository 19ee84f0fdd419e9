"""The Upload API's ``text`` method: an image made from a string, stored as an asset."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from cloudlet.catalog.model import Cloud
from cloudlet.errors import BadRequestError
from cloudlet.imaging.text_image import TextImageStyle, draw_text_image
from cloudlet.services.deps import Deps
from cloudlet.services.staging import Staged, file_md5
from cloudlet.services.upload import store_staged
from cloudlet.services.values import as_int, as_str
from cloudlet.transform.grammar import parse_color

MAX_TEXT = 4000
_CHOICES = {
    "font_weight": ("normal", "bold"),
    "font_style": ("normal", "italic"),
    "text_decoration": ("none", "underline", "strikethrough"),
    "text_align": ("", "left", "center", "right"),
}


def _rgba(value: str | None, name: str, default: tuple[int, int, int, int] | None) -> Any:
    if not value:
        return default
    text = value.strip()
    if text.lower() == "transparent":
        return None
    if text.startswith("#"):
        text = "rgb:" + text[1:]
    try:
        return parse_color(text).rgba()
    except ValueError:
        raise BadRequestError(f"Invalid {name}: {value!r}") from None


def _choice(params: Mapping[str, Any], name: str, default: str) -> str:
    value = (as_str(params, name) or default).lower()
    if value not in _CHOICES[name]:
        raise BadRequestError(f"Invalid {name}: {value!r} (one of {', '.join(_CHOICES[name])})")
    return value


def style_from(params: Mapping[str, Any]) -> TextImageStyle:
    """The text style the parameters describe, with Cloudinary's defaults."""
    return TextImageStyle(
        font_family=as_str(params, "font_family") or "Arial",
        font_size=as_int(params, "font_size", 12, minimum=1, maximum=1000) or 12,
        font_color=_rgba(as_str(params, "font_color"), "font_color", (0, 0, 0, 255)),
        font_weight=_choice(params, "font_weight", "normal"),
        font_style=_choice(params, "font_style", "normal"),
        text_decoration=_choice(params, "text_decoration", "none"),
        text_align=_choice(params, "text_align", ""),
        background=_rgba(as_str(params, "background"), "background", None),
        opacity=as_int(params, "opacity", 100, minimum=0, maximum=100) or 0,
    )


def text(deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /image/text``: draw the text, store the PNG as an image asset (overwriting a
    given ``public_id``), remember its style, answer like an upload."""
    if resource_type != "image":
        raise BadRequestError("The text method creates images only")
    content = as_str(params, "text")
    if not content:
        raise BadRequestError("Missing required parameter - text")
    if len(content) > MAX_TEXT:
        raise BadRequestError(f"text is longer than {MAX_TEXT} characters")
    style = style_from(params)
    path = deps.storage.new_staging_path(".png")
    try:
        draw_text_image(content, style, path)
        staged = Staged(path, "text.png", path.stat().st_size, file_md5(path))
        options = {k: params[k] for k in ("public_id", "tags", "context") if k in params}
        result = store_staged(deps, cloud, "image", {**options, "overwrite": True}, staged)
    finally:
        path.unlink(missing_ok=True)
    asset = deps.catalog.get_asset_by_asset_id(cloud.id, result["asset_id"])
    if asset is not None:
        deps.catalog.update_asset(asset.id, extra={"text_style": asdict(style)}, now=deps.now())
    return result
