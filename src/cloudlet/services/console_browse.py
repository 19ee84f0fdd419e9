"""What the Media Explorer's pages show: folders, asset cards with thumbnails (signed
Cloudlet derivatives, so they load under strict transformations and for private assets too),
and one asset with everything the Admin API knows about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.delivery.signatures import delivery_signature
from cloudlet.errors import NotFoundError
from cloudlet.services import resources
from cloudlet.services.clouds import cloud_settings
from cloudlet.services.deps import Deps
from cloudlet.services.folders import folder_path
from cloudlet.services.presenter import iso

CARD = "c_fill,h_240,w_240"
PREVIEW = "c_limit,h_640,w_640"
PAGE_SIZE = 60


def signed_url(cloud: Cloud, asset: Asset, transformation: str, fmt: str) -> str:
    """A root-relative delivery URL of the asset's current version, signed with the cloud's
    secret (``s--…--``)."""
    name = quote(asset.public_id, safe="/:-_.~")
    name = f"{name}.{fmt}" if fmt else name
    to_sign = f"{transformation}/{name}" if transformation else name
    algorithm = str(cloud.settings.get("signature_algorithm") or "sha1")
    signature = delivery_signature(to_sign, cloud.api_secret, algorithm=algorithm)
    parts = [cloud.name, asset.resource_type, asset.type, signature, transformation]
    return "/" + "/".join(p for p in parts if p) + f"/v{asset.version}/{name}"


def image_url(cloud: Cloud, asset: Asset, transformation: str) -> str | None:
    """A picture of the asset (a video's still); None for raw files."""
    if asset.resource_type == "raw":
        return None
    return signed_url(
        cloud, asset, transformation, "jpg" if asset.resource_type == "video" else "webp"
    )


@dataclass(frozen=True)
class Card:
    """One asset on the browse page."""

    asset: Asset
    name: str  # the last part of the public id
    thumbnail: str | None
    preview: str | None
    created: str
    original: str  # the original file, signed (private and authenticated assets too)

    @property
    def label(self) -> str:
        """What a screen reader says for the card."""
        size = f", {self.asset.width}×{self.asset.height}" if self.asset.width else ""
        kind = f"{self.asset.resource_type}, {self.asset.format or 'raw'}"
        return f"{self.asset.public_id} ({kind}{size})"


def card(cloud: Cloud, asset: Asset) -> Card:
    """The card of one asset."""
    return Card(
        asset=asset,
        name=asset.public_id.rpartition("/")[2],
        thumbnail=image_url(cloud, asset, CARD),
        preview=image_url(cloud, asset, PREVIEW),
        created=iso(asset.created_at),
        original=signed_url(cloud, asset, "", "" if asset.resource_type == "raw" else asset.format),
    )


def folder_page(
    deps: Deps, cloud: Cloud, folder: str, cursor: str | None = None
) -> tuple[list[Card], str | None]:
    """One page of the assets directly in ``folder``, by public id; and the next cursor."""
    page = deps.catalog.list_folder_assets(cloud.id, folder, max_results=PAGE_SIZE, cursor=cursor)
    return [card(cloud, a) for a in page.items], page.next_cursor


def checked_folder(raw: str) -> str:
    """A folder path from the query string ("" for the root)."""
    return folder_path(raw) if raw.strip("/") else ""


def subfolders(deps: Deps, cloud: Cloud, folder: str) -> list[dict[str, str]]:
    """The folders directly inside ``folder`` (at most 500, by path)."""
    page, _total = deps.catalog.list_folders(cloud.id, folder, max_results=500)
    return [{"name": path.rpartition("/")[2], "path": path} for path in page.items]


def breadcrumbs(folder: str) -> list[dict[str, str]]:
    """``a/b/c`` → the links to ``a``, ``a/b`` and ``a/b/c``."""
    crumbs: list[dict[str, str]] = []
    parts = folder.split("/") if folder else []
    for index, name in enumerate(parts):
        crumbs.append({"name": name, "path": "/".join(parts[: index + 1])})
    return crumbs


def asset_by_id(deps: Deps, cloud: Cloud, asset_id: str) -> Asset:
    """The cloud's asset with this asset id (NotFoundError)."""
    asset = deps.catalog.get_asset_by_asset_id(cloud.id, asset_id)
    if asset is None:
        raise NotFoundError(f"Resource not found - {asset_id}")
    return asset


def asset_details(deps: Deps, cloud: Cloud, asset: Asset) -> dict[str, Any]:
    """The Admin API's single-resource answer, with related assets, versions and faces."""
    params = {"related": True, "versions": True, "faces": True, "max_results": 50}
    body = resources.get_resource(
        deps, cloud, asset.resource_type, asset.type, asset.public_id, params
    )
    for item in body.get("related_assets", []):
        item["link_id"] = item.get("asset_id")
    return body


def settings_view(cloud: Cloud) -> dict[str, Any]:
    """The cloud's settings with defaults filled in."""
    return cloud_settings(cloud)
