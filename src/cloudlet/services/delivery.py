"""Delivering originals: find the asset a delivery URL names, check access, pick the bytes."""

from __future__ import annotations

import dataclasses
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.delivery import signatures
from cloudlet.delivery.url import DeliveryRequest
from cloudlet.errors import AuthenticationError, NotFoundError
from cloudlet.services import defaults, derive
from cloudlet.services.deps import Deps

DELIVERABLE_TYPES = ("upload", "private", "authenticated")
_EXTRA_TYPES = {
    "jpg": "image/jpeg", "webp": "image/webp", "avif": "image/avif", "heic": "image/heic",
    "svg": "image/svg+xml", "ico": "image/x-icon", "mkv": "video/x-matroska",
    "ogv": "video/ogg", "flv": "video/x-flv", "m4a": "audio/mp4", "flac": "audio/flac",
}  # fmt: skip
_FORMAT_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tif": "tiff"}


@dataclass(frozen=True)
class Delivery:
    """What the web layer needs to send an original."""

    storage_key: str
    content_type: str
    etag: str
    last_modified: datetime
    bytes: int
    versioned: bool  # the URL names the version delivered: its bytes can never change
    headers: dict[str, str] = field(default_factory=dict)
    vary: str | None = None  # "Accept" when the format was negotiated (f_auto)


def content_type_for(fmt: str) -> str:
    """The MIME type for a Cloudinary format name."""
    fmt = fmt.lower()
    if fmt in _EXTRA_TYPES:
        return _EXTRA_TYPES[fmt]
    guessed, _ = mimetypes.guess_type(f"x.{fmt}")
    return guessed or "application/octet-stream"


def resolve(
    deps: Deps, request: DeliveryRequest, token: str | None = None, accept: str = ""
) -> Delivery:
    """The original or derivative a delivery URL names, after access checks; typed errors
    otherwise."""
    cloud = deps.catalog.get_cloud(request.cloud)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {request.cloud}")
    return resolve_in(deps, cloud, request, token, accept)


def resolve_in(
    deps: Deps, cloud: Cloud, request: DeliveryRequest, token: str | None, accept: str
) -> Delivery:
    """``resolve`` for a caller that has looked the URL's cloud up already."""
    if request.resource_type not in ("image", "video", "raw"):
        raise NotFoundError(f"Invalid resource type {request.resource_type}")
    if request.type not in DELIVERABLE_TYPES:
        raise NotFoundError(f"Delivery type {request.type} is not supported")
    _check_access(cloud, request, token, deps.now())
    try:
        asset, requested_format = _find(deps, cloud, request)
    except NotFoundError as missing:
        return _default_image(deps, cloud, request, accept, missing)
    # segments that read as transformations may still be folders of this public id
    whole = unquote("/".join([*request.transformations, request.raw_public_path]))
    transformed = bool(request.transformations) and not whole.startswith(asset.public_id)
    converted = bool(requested_format) and (
        _FORMAT_ALIASES.get(requested_format, requested_format) != asset.format
    )
    if transformed or converted:
        text = "/".join(request.transformations) if transformed else ""
        return _derivative(deps, cloud, asset, request, text, requested_format, accept)
    return _pick_version(deps, asset, request)


def _derivative(
    deps: Deps,
    cloud: Cloud,
    asset: Asset,
    request: DeliveryRequest,
    text: str,
    requested_format: str,
    accept: str,
) -> Delivery:
    """A derivative: from the cache, or rendered now (signed URLs may create one even when
    the cloud has strict transformations on)."""
    wanted = derive.parse_request(deps, cloud, text, asset, requested_format or None, accept)
    found = derive.derive(
        deps, cloud, asset, wanted, allowed=request.signature is not None, accept=accept
    )
    return Delivery(
        storage_key=found.storage_key,
        content_type=content_type_for(found.format),
        etag=found.etag,
        last_modified=found.created_at,
        bytes=found.bytes,
        versioned=request.version == asset.version,
        headers=dict(asset.extra.get("headers") or {}),
        vary="Accept" if wanted.negotiated else None,
    )


def _default_image(
    deps: Deps, cloud: Cloud, request: DeliveryRequest, accept: str, missing: NotFoundError
) -> Delivery:
    """The ``d_`` default image rendered with the URL's transformation (see
    ``services.defaults``); ``missing`` (the 404) when there is none."""
    found = defaults.default_image(deps, cloud, request)
    if found is None:
        raise missing
    asset, fmt = found
    text = "/".join(request.transformations)
    delivery = _derivative(deps, cloud, asset, request, text, fmt, accept)
    return dataclasses.replace(delivery, versioned=False)


def _check_access(cloud: Cloud, request: DeliveryRequest, token: str | None, now: datetime) -> None:
    secret = cloud.api_secret
    if request.signature is not None:
        candidates = request.to_sign_candidates
        if not any(
            signatures.verify_delivery_signature(request.signature, text, secret)
            for text in candidates
        ):
            raise AuthenticationError("Invalid signature")
        return
    if request.type == "upload":
        return
    key = str(cloud.settings.get("auth_token_key") or "")
    if token and key:
        # the SDK signs the URL's path as sent, so the raw path is what gets verified
        if signatures.auth_token_valid(token, request.raw_path, key, int(now.timestamp())):
            return
        raise AuthenticationError("Invalid token")
    raise AuthenticationError(f"Access to {request.type} assets requires a signed URL")


def _find(deps: Deps, cloud: Cloud, request: DeliveryRequest) -> tuple[Asset, str]:
    """Look the asset up (one query for every reading of the path); returns it with the
    format the URL asks for ('' for none)."""
    candidates: list[tuple[str, str]] = []
    path = request.public_path
    if request.transformations and request.version is None:
        whole = "/".join([*request.transformations, request.raw_public_path])
        candidates.append((unquote(whole), ""))
    if request.resource_type != "raw":
        stem, dot, ext = path.rpartition(".")
        if dot and stem and "/" not in ext:
            candidates.append((stem, ext.lower()))
    candidates.append((path, ""))
    found = deps.catalog.get_assets_by_public_ids(
        cloud.id,
        request.resource_type,
        request.type,
        [public_id for public_id, _ in candidates],
        with_tags=False,
    )
    by_id = {asset.public_id: asset for asset in found}
    for public_id, fmt in candidates:
        if public_id in by_id:
            return by_id[public_id], fmt
    raise NotFoundError(f"Resource not found - {path}")


def _pick_version(deps: Deps, asset: Asset, request: DeliveryRequest) -> Delivery:
    headers = dict(asset.extra.get("headers") or {})
    current = Delivery(
        storage_key=asset.storage_key,
        content_type=content_type_for(asset.format or asset.public_id.rpartition(".")[2]),
        etag=asset.etag,
        last_modified=asset.created_at,
        bytes=asset.bytes,
        # /v1/ (the SDKs' default for public ids with slashes) names no version: the bytes
        # behind it change with an overwrite, so only the real version is immutable
        versioned=request.version == asset.version,
        headers=headers,
    )
    if request.version is None or request.version == asset.version:
        return current
    old = deps.catalog.get_version(asset.id, request.version)
    if old is None or old.version_id == asset.version_id:
        return current  # v1 and other unknown versions: Cloudinary serves the current bytes
    if old.storage_key is None:  # overwritten: its bytes live on only in a backup
        kept = deps.catalog.get_backup(asset.cloud_id, old.version_id)
        old = dataclasses.replace(old, storage_key=kept.storage_key if kept else None)
    if old.storage_key is None:
        raise NotFoundError(
            f"Resource not found - version {request.version} of {asset.public_id} no longer exists"
        )
    return Delivery(
        storage_key=old.storage_key,
        content_type=content_type_for(old.format or asset.format),
        etag=old.etag,
        last_modified=old.created_at,
        bytes=old.bytes,
        versioned=True,
        headers=headers,
    )
