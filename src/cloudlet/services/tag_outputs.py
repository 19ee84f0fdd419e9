"""What sprites and multis share: the tagged images they are made of, the transformation
they apply to each image, storing the result as an asset of type ``sprite`` or ``multi``, and
delivering it at ``/{cloud}/image/{sprite|multi}/[{transformation}/]v{version}/{id}.{ext}``.

One asset per (type, public id): generating again replaces the previous output (and its
files) whatever transformation it had; only the latest is delivered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from cloudlet.catalog.model import Asset, Cloud, NewAsset
from cloudlet.delivery.url import DeliveryRequest
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.faults import crash_point
from cloudlet.imaging.compose import load_frame
from cloudlet.services import derive, ids
from cloudlet.services.blobs import remove_blobs
from cloudlet.services.delivery import Delivery, content_type_for
from cloudlet.services.deps import Deps
from cloudlet.services.values import as_str
from cloudlet.transform import TransformationError, parse_transformation, serialize
from cloudlet.transform.model import FetchFormat, Transformation

OUTPUT_TYPES = ("sprite", "multi")
SOURCE_TYPES = ("upload", "private", "authenticated")
MAX_IMAGES = 1000
_PAGE = 500


@dataclass(frozen=True)
class Recipe:
    """The ``transformation`` parameter taken apart: what each image is rendered with, the
    output format and frame delay it names, and the canonical text used in delivery URLs."""

    per_image: str  # without f_ and dl_
    format: str | None
    delay: int | None
    canonical: str


def parse_recipe(text: str | None) -> Recipe:
    """Split the request's transformation; 400 naming the bad parameter."""
    try:
        parsed = parse_transformation(text or "")
    except TransformationError as exc:
        raise BadRequestError(str(exc)) from None
    fmt: str | None = None
    delay: int | None = None
    kept = []
    for component in parsed:
        chosen = component.get("fetch_format")
        if isinstance(chosen, FetchFormat):
            fmt = {"jpeg": "jpg", "jpe": "jpg"}.get(chosen.name.lower(), chosen.name.lower())
        raw_delay = component.get("delay")
        if raw_delay is not None:
            delay = _delay(raw_delay)
        kept.append(component.with_params(fetch_format=None, delay=None))
    per_image = serialize(Transformation(tuple(kept)))
    return Recipe(per_image, fmt, delay, serialize(parsed))


def _delay(value: object) -> int:
    try:
        delay = int(float(str(getattr(value, "number", value))))
    except ValueError:
        raise BadRequestError(f"Invalid delay {value}") from None
    if not 0 <= delay <= 65_535:
        raise BadRequestError(f"Invalid delay {delay}: expected 0 to 65535 milliseconds")
    return delay


def source_tag(params: Mapping[str, Any]) -> str:
    """The ``tag`` the output is made from; 400 for ``urls`` (not supported) or neither."""
    tag = as_str(params, "tag")
    if params.get("urls") not in (None, "", []):
        if tag:
            raise BadRequestError("Either 'tag' or 'urls' parameter has to be set but not both")
        raise BadRequestError("The urls parameter is not supported by Cloudlet; use tag")
    if not tag:
        raise BadRequestError("Missing required parameter - tag")
    return tag


def tagged_images(deps: Deps, cloud: Cloud, tag: str) -> list[Asset]:
    """The cloud's image assets (of every deliverable type) with ``tag``, by public id; 404 when
    there are none, 400 above ``MAX_IMAGES``."""
    found = sorted(
        (a for a in _iter_tagged(deps, cloud, tag) if a.type in SOURCE_TYPES),
        key=lambda a: (a.public_id, a.type),
    )
    if not found:
        raise NotFoundError(f"No images found with tag {tag}")
    if len(found) > MAX_IMAGES:
        raise BadRequestError(f"Too many images with tag {tag}: at most {MAX_IMAGES}")
    return found


def _iter_tagged(deps: Deps, cloud: Cloud, tag: str) -> Iterator[Asset]:
    cursor: str | None = None
    seen = 0
    while True:
        page = deps.catalog.list_assets(
            cloud.id, "image", None, tag=tag, max_results=_PAGE, cursor=cursor
        )
        yield from page.items
        seen += len(page.items)
        cursor = page.next_cursor
        if not cursor or seen > MAX_IMAGES + len(OUTPUT_TYPES) * _PAGE:
            return


def load_frames(deps: Deps, cloud: Cloud, images: list[Asset], recipe: Recipe) -> list[Any]:
    """Each image, rendered with the per-image transformation, loaded as RGBA pixels."""
    return [load_frame(_rendered_path(deps, cloud, asset, recipe)) for asset in images]


def _rendered_path(deps: Deps, cloud: Cloud, asset: Asset, recipe: Recipe) -> Path:
    if recipe.per_image:
        wanted = derive.parse_request(deps, cloud, recipe.per_image, asset, "png", "")
        found = derive.derive(deps, cloud, asset, wanted, allowed=True)
        key = found.storage_key
    else:
        key = asset.storage_key
    path = deps.storage.local_path(key)
    if path is None:
        raise NotFoundError(f"Resource not found - {asset.public_id}")
    return path


def output_public_id(params: Mapping[str, Any], tag: str) -> str:
    """The output's public id: ``public_id`` if given, else the tag."""
    return ids.validate_public_id(as_str(params, "public_id") or tag)


@dataclass(frozen=True)
class Output:
    """A composed file about to be stored as the asset of a sprite or multi."""

    kind: str  # sprite | multi
    public_id: str
    format: str
    data: bytes
    width: int
    height: int
    pages: int
    extra: dict[str, Any]


def store_output(deps: Deps, cloud: Cloud, output: Output) -> Asset:
    """Store the file as the asset (image, ``output.kind``, ``output.public_id``), replacing a
    previous one. The blob is journalled before it is written and the journal entry cleared
    in the catalog transaction, like uploads; the replaced blob and derived files are removed."""
    version_id = ids.new_hex_id()
    key = f"{cloud.id}/originals/{version_id[:2]}/{version_id}"
    new = NewAsset(
        resource_type="image", type=output.kind, public_id=output.public_id,
        version_id=version_id, format=output.format, bytes=len(output.data),
        width=output.width, height=output.height, pages=output.pages, duration=None,
        etag=hashlib.md5(output.data, usedforsecurity=False).hexdigest(), storage_key=key,
        original_filename=output.public_id.rpartition("/")[2], asset_folder="",
        display_name=output.public_id.rpartition("/")[2], tags=[], context={},
        extra=output.extra,
    )  # fmt: skip
    catalog, storage = deps.catalog, deps.storage
    catalog.journal_add(key, deps.now())
    try:
        storage.put_bytes(key, output.data)
        crash_point("output_after_blob_write")
        asset, previous, _ = catalog.create_or_replace_asset(
            cloud.id, new, overwrite=True, now=deps.now()
        )
    except BaseException:
        storage.delete(key)
        catalog.journal_remove(key)
        raise
    if previous is not None and previous.storage_key != asset.storage_key:
        remove_blobs(deps, [previous.storage_key])
        stale = catalog.delete_derived(asset.id, keep_version_id=asset.version_id, now=deps.now())
        remove_blobs(deps, [d.storage_key for d in stale])
    return asset


def store_companion(deps: Deps, cloud: Cloud, asset: Asset, fmt: str, data: bytes) -> None:
    """A file that goes with the asset's current version (a sprite's CSS and JSON), stored as
    a derived file under the output's transformation; journalled like every blob."""
    derived_id = ids.new_hex_id()
    key = f"{cloud.id}/derived/{derived_id[:2]}/{derived_id}"
    deps.catalog.journal_add(key, deps.now())
    deps.storage.put_bytes(key, data)
    _, loser = deps.catalog.put_derived(
        asset.id, asset.version_id, str(asset.extra.get("transformation", "")), fmt,
        storage_key=key, bytes=len(data), width=0, height=0,
        etag=hashlib.md5(data, usedforsecurity=False).hexdigest(), now=deps.now(),
        replace=True,
    )  # fmt: skip
    if loser is not None:
        remove_blobs(deps, [loser])


def output_url(base_url: str, cloud: Cloud, asset: Asset, fmt: str) -> str:
    """``{base}/{cloud}/image/{kind}/[{transformation}/]v{version}/{public_id}.{fmt}``."""
    transformation = str(asset.extra.get("transformation", ""))
    parts = [base_url, cloud.name, "image", asset.type]
    if transformation:
        parts.append(transformation)
    parts += [f"v{asset.version}", f"{quote(asset.public_id, safe='/:-_.~')}.{fmt}"]
    return "/".join(parts)


def resolve(deps: Deps, request: DeliveryRequest) -> Delivery:
    """The file a sprite or multi delivery URL names: the asset itself in its format, or a
    sprite's CSS/JSON; 404 for another transformation than the one last generated."""
    cloud = deps.catalog.get_cloud(request.cloud)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {request.cloud}")
    stem, _, ext = request.public_path.rpartition(".")
    asset = deps.catalog.get_asset(cloud.id, request.resource_type, request.type, stem)
    if asset is None or not stem:
        raise NotFoundError(f"Resource not found - {request.public_path}")
    asked = _canonical("/".join(unquote(t) for t in request.transformations))
    if asked != asset.extra.get("transformation", ""):
        raise NotFoundError(f"Resource not found - {request.public_path} ({asked or 'none'})")
    if ext.lower() == asset.format:
        return _delivery(asset.storage_key, ext, asset.etag, asset.bytes, asset, request)
    found = deps.catalog.get_derived(asset.id, asset.version_id, asked, ext.lower())
    if found is None:
        raise NotFoundError(f"Resource not found - {request.public_path}")
    return _delivery(found.storage_key, ext, found.etag, found.bytes, asset, request)


def _canonical(text: str) -> str:
    try:
        return serialize(parse_transformation(text))
    except TransformationError:
        raise NotFoundError(f"Resource not found - {text}") from None


def _delivery(
    key: str, ext: str, etag: str, size: int, asset: Asset, request: DeliveryRequest
) -> Delivery:
    content_type = content_type_for(ext)
    if ext.lower() in ("css", "json"):
        content_type = {"css": "text/css", "json": "application/json"}[ext.lower()]
    return Delivery(
        storage_key=key,
        content_type=content_type,
        etag=etag,
        last_modified=asset.created_at,
        bytes=size,
        versioned=request.versioned,
    )
