"""Shaping assets into the JSON the SDKs expect (protocol.md §3.1 upload, §3.2 resources)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.delivery.signatures import response_signature
from cloudlet.settings import Settings


def iso(moment: datetime) -> str:
    """Cloudinary's timestamp format: ISO 8601, UTC, whole seconds, ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def delivery_path(asset: Asset) -> str:
    """``{rt}/{type}/v{version}/{public_id}[.{format}]`` with the public id URL-escaped."""
    name = quote(asset.public_id, safe="/:-_.~")
    if asset.resource_type != "raw" and asset.format:
        name = f"{name}.{asset.format}"
    return f"{asset.resource_type}/{asset.type}/v{asset.version}/{name}"


def asset_urls(settings: Settings, cloud: Cloud, asset: Asset) -> tuple[str, str]:
    """The asset's ``url`` and ``secure_url`` on this server."""
    path = f"{cloud.name}/{delivery_path(asset)}"
    return f"{settings.base_url}/{path}", f"{settings.secure_base_url}/{path}"


def _common_fields(settings: Settings, cloud: Cloud, asset: Asset) -> dict[str, Any]:
    """The fields every asset shape shares; no width/height for raw or dimensionless files."""
    url, secure_url = asset_urls(settings, cloud, asset)
    data: dict[str, Any] = {
        "asset_id": asset.asset_id,
        "public_id": asset.public_id,
        "format": asset.format,
        "version": asset.version,
        "resource_type": asset.resource_type,
        "type": asset.type,
        "created_at": iso(asset.created_at),
        "bytes": asset.bytes,
        "width": asset.width,
        "height": asset.height,
        "asset_folder": asset.asset_folder,
        "display_name": asset.display_name,
        "access_mode": asset.access_mode,
        "url": url,
        "secure_url": secure_url,
    }
    if asset.resource_type == "raw" or asset.width is None:
        del data["width"], data["height"]
    return data


def brief_resource(
    settings: Settings,
    cloud: Cloud,
    asset: Asset,
    *,
    tags: bool = False,
    context: bool = False,
) -> dict[str, Any]:
    """The listing shape (BriefAsset): what ``resources`` and ``resources_by_ids`` return."""
    data = _common_fields(settings, cloud, asset)
    data["backup"] = asset.extra.get("backup") is True  # uploaded with backup on
    if asset.placeholder:
        data["placeholder"] = True
    if tags:
        data["tags"] = list(asset.tags)
    if context and asset.context:
        data["context"] = {"custom": dict(asset.context)}
    return data


def full_resource(settings: Settings, cloud: Cloud, asset: Asset) -> dict[str, Any]:
    """The single-resource shape (AssetResult): brief fields plus details, tags and context."""
    data = brief_resource(settings, cloud, asset, tags=True, context=True)
    data.update(
        {
            "version_id": asset.version_id,
            "etag": asset.etag,
            "placeholder": asset.placeholder,
            "original_filename": asset.original_filename,
            "uploaded_at": iso(asset.uploaded_at),
            "last_updated": {"updated_at": iso(asset.updated_at)},
            "derived": [],
        }
    )
    _add_media_fields(data, asset)
    return data


def upload_result(
    settings: Settings,
    cloud: Cloud,
    asset: Asset,
    *,
    existing: bool = False,
    overwritten: bool = False,
) -> dict[str, Any]:
    """The Upload API response for an uploaded (or already existing) asset."""
    algorithm = str(cloud.settings.get("signature_algorithm", "sha1"))
    data = _common_fields(settings, cloud, asset)
    data.update(
        {
            "version_id": asset.version_id,
            "signature": response_signature(
                asset.public_id, asset.version, cloud.api_secret, algorithm=algorithm
            ),
            "tags": list(asset.tags),
            "etag": asset.etag,
            "placeholder": asset.placeholder,
            "original_filename": asset.original_filename,
            "api_key": cloud.api_key,
        }
    )
    if asset.context:
        data["context"] = {"custom": dict(asset.context)}
    if existing:
        data["existing"] = True
    if overwritten:
        data["overwritten"] = True
    _add_media_fields(data, asset)
    return data


def _add_media_fields(data: dict[str, Any], asset: Asset) -> None:
    if isinstance(asset.extra.get("info"), dict):  # add-on results (background_removal)
        data["info"] = asset.extra["info"]
    if asset.pages is not None and asset.resource_type == "image":
        data["pages"] = asset.pages
    if asset.duration is not None:
        data["duration"] = asset.duration
    media = asset.extra.get("media")
    if isinstance(media, dict):
        for key in ("video", "audio", "is_audio", "bit_rate", "frame_rate"):
            if key in media:
                data[key] = media[key]
    for key in ("face_coordinates", "custom_coordinates"):
        if asset.extra.get(key):
            data.setdefault("coordinates", {})[key.split("_")[0]] = asset.extra[key]
