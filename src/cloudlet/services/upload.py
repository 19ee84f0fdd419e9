"""The upload use case: from staged bytes to a stored original and a catalog row.

An upload lands whole or not at all: the blob key is journalled before the blob is written,
and the catalog row that references it is committed in the same transaction that clears the
journal entry. A crash in between leaves a journalled orphan that the start-up sweep and
``cloudlet fsck --repair`` remove.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from cloudlet.catalog.model import Asset, Cloud, Derived, NewAsset
from cloudlet.errors import BadRequestError
from cloudlet.faults import crash_point
from cloudlet.imaging.probe import ProbeResult, convert_image, probe
from cloudlet.services import eager_async, faces, ids
from cloudlet.services import notification_bodies as bodies
from cloudlet.services.addons import check_addons, request_background_removal
from cloudlet.services.auth import UploadAuth
from cloudlet.services.backups import mark_backup
from cloudlet.services.blobs import remove_blobs
from cloudlet.services.deps import Deps
from cloudlet.services.eager import eager_fields, parse_eager
from cloudlet.services.encodings import parse_context, parse_coordinates, parse_headers, parse_tags
from cloudlet.services.events import Actor, Change, Snapshot, publish, wants_invalidation
from cloudlet.services.metadata import add_metadata, upload_values
from cloudlet.services.presenter import upload_result
from cloudlet.services.staging import Staged, UploadSource, file_md5, stage, too_large
from cloudlet.services.values import as_bool, as_list, as_str

RESOURCE_TYPES = ("image", "video", "raw", "auto")
UPLOAD_TYPES = ("upload", "private", "authenticated")
DELETE_TOKEN_TTL = timedelta(minutes=10)
CONVERTIBLE_FORMATS = {"jpg", "jpeg", "png", "webp", "avif", "gif", "tiff", "tif"}

# What an unsigned upload may set itself (Cloudinary's list); the preset supplies the rest.
UNSIGNED_ALLOWED = {
    "upload_preset", "file", "timestamp", "public_id", "folder", "asset_folder", "callback",
    "tags", "context", "metadata", "face_coordinates", "custom_coordinates", "filename_override",
    "display_name", "resource_type",
}  # fmt: skip


@dataclass(frozen=True)
class UploadPlan:
    """Everything decided about an upload before its bytes are stored."""

    public_id: str
    type: str
    overwrite: bool
    asset_folder: str
    display_name: str
    original_filename: str
    tags: list[str]
    context: dict[str, str]
    extra: dict[str, Any]
    metadata: Mapping[int, Any] | None = None  # structured metadata: field id → value


def effective_options(params: Mapping[str, Any], auth: UploadAuth) -> dict[str, Any]:
    """Request parameters merged with the upload preset's.

    Signed calls: the request wins over the preset. Unsigned calls: only the parameters
    Cloudinary allows unsigned are taken from the request, the preset decides the rest, and
    ``overwrite`` defaults to false."""
    preset = dict(auth.preset.settings) if auth.preset else {}
    if auth.signed:
        return {**preset, **params}
    disallowed = sorted(k for k in params if k not in UNSIGNED_ALLOWED)
    if disallowed:
        raise BadRequestError(
            f"Parameter {disallowed[0]} is not allowed when using unsigned upload"
        )
    if preset.get("disallow_public_id") and "public_id" in params:
        raise BadRequestError("public_id parameter is not allowed by this upload preset")
    merged = {**params, **{k: v for k, v in preset.items() if k != "unsigned"}}
    merged.setdefault("overwrite", False)
    return merged


def upload(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    params: Mapping[str, Any],
    source: UploadSource,
    auth: UploadAuth,
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """Upload one file and return the Upload API response. ``actor``: see
    ``services.events`` (an overwrite from the UI always invalidates the CDN)."""
    if resource_type not in RESOURCE_TYPES:
        raise BadRequestError(f"Invalid resource type {resource_type}")
    options = effective_options(params, auth)
    _check_type(options)
    limit = upload_size_limit(deps, resource_type)
    staged = stage(deps, source, limit)
    try:
        return store_staged(deps, cloud, resource_type, options, staged, actor=actor)
    finally:
        staged.discard()


def store_staged(
    deps: Deps,
    cloud: Cloud,
    resource_type: str,
    options: Mapping[str, Any],
    staged: Staged,
    *,
    actor: Actor = Actor.API,
) -> dict[str, Any]:
    """Probe, check and store a staged file as an asset; returns the Upload API response.
    Reports the upload (``services.events``) once it is committed."""
    check_addons(options)
    batch = _eager_batch(options)  # a bad eager transformation: 400, nothing written
    if staged.bytes == 0:
        raise BadRequestError("Empty file")
    filename = as_str(options, "filename_override") or staged.filename
    probed = probe(
        staged.path, resource_type, filename=filename, max_pixels=deps.settings.max_image_pixels
    )
    limit = deps.settings.max_bytes_for(probed.resource_type)
    if staged.bytes > limit:
        raise too_large(staged.bytes, limit)
    _check_allowed_formats(options, probed)
    probed = _convert_if_asked(deps, options, staged, probed)
    plan = plan_upload(options, probed, filename)
    mark_backup(plan.extra, cloud, options)
    plan = replace(plan, metadata=upload_values(deps, cloud, options))
    faces.prepare_upload(plan.extra, staged.path, probed.resource_type, options)
    asset, existing, previous, queued = _commit_with_eager(deps, cloud, probed, staged, plan, batch)
    overwritten = previous is not None
    if not existing:
        asset = request_background_removal(deps, cloud, asset, options)
    result = upload_result(deps.settings, cloud, asset, existing=existing, overwritten=overwritten)
    if plan.metadata or existing:
        add_metadata(deps, result, asset)
    faces.after_upload(deps, asset, existing=existing)
    faces.add_faces(deps, result, asset, options)
    if as_bool(options, "return_delete_token") and not existing:
        result["delete_token"] = _issue_delete_token(deps, cloud, asset)
    stale = _drop_stale_derived(deps, asset) if overwritten else []
    if not existing:
        result.update(queued or eager_fields(deps, cloud, asset, options, force=False))
    _report(deps, cloud, options, result, previous, stale, actor)
    return result


def _drop_stale_derived(deps: Deps, asset: Asset) -> list[Derived]:
    """Remove the renders of the versions before the current one; what they were."""
    stale = deps.catalog.delete_derived(asset.id, keep_version_id=asset.version_id, now=deps.now())
    remove_blobs(deps, [d.storage_key for d in stale])
    return stale


def _report(
    deps: Deps,
    cloud: Cloud,
    options: Mapping[str, Any],
    result: Mapping[str, Any],
    previous: Asset | None,
    stale: list[Derived],
    actor: Actor,
) -> None:
    """The upload happened: an overwrite may invalidate what caches hold of the previous
    version; the ``upload`` notification goes out."""
    publish(
        deps,
        Change(
            kind="upload",
            cloud=cloud,
            assets=[Snapshot.of(previous, stale)] if previous is not None else [],
            actor=actor,
            invalidate=previous is not None and wants_invalidation(options, actor),
            notification_url=as_str(options, "notification_url") or "",
            notification=bodies.upload(result, deps.now()),
        ),
    )


def plan_upload(options: Mapping[str, Any], probed: ProbeResult, filename: str) -> UploadPlan:
    """Decide public id, folder, names, tags, context and extras from the options."""
    stem, ext = _split_filename(filename)
    public_id = _public_id(options, probed, stem, ext)
    folder = (as_str(options, "folder") or "").strip("/")
    asset_folder = as_str(options, "asset_folder")
    if asset_folder is None:
        asset_folder = folder or public_id.rpartition("/")[0]
    extra: dict[str, Any] = {}
    headers = parse_headers(options.get("headers"))
    if headers:
        extra["headers"] = headers
    for name in ("face_coordinates", "custom_coordinates"):
        boxes = parse_coordinates(options.get(name), name)
        if boxes:
            extra[name] = boxes
    if probed.extra:
        extra["media"] = dict(probed.extra)
    return UploadPlan(
        public_id=public_id,
        type=as_str(options, "type") or "upload",
        overwrite=as_bool(options, "overwrite", True),
        asset_folder=asset_folder.strip("/"),
        display_name=as_str(options, "display_name") or public_id.rpartition("/")[2],
        original_filename=stem,
        tags=parse_tags(options.get("tags")),
        context=parse_context(options.get("context")),
        extra=extra,
    )


def _public_id(options: Mapping[str, Any], probed: ProbeResult, stem: str, ext: str) -> str:
    folder = (as_str(options, "folder") or "").strip("/")
    explicit = as_str(options, "public_id")
    if explicit is not None:
        base = explicit
    else:
        base = _generated_id(options, stem)
        if probed.resource_type == "raw" and ext:
            base = f"{base}.{ext}"
    prefix = (as_str(options, "public_id_prefix") or "").strip("/")
    parts = [p for p in (prefix, folder, base) if p]
    return ids.validate_public_id("/".join(parts))


def _generated_id(options: Mapping[str, Any], stem: str) -> str:
    if not as_bool(options, "use_filename"):
        return ids.random_public_id()
    name = ids.sanitize_filename(stem)
    if as_bool(options, "unique_filename", True):
        return f"{name}_{ids.random_suffix()}"
    return name


def _split_filename(filename: str) -> tuple[str, str]:
    base = PurePosixPath(filename.replace("\\", "/")).name or "file"
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        return base, ""
    return stem, ext.lower()


def _check_type(options: Mapping[str, Any]) -> None:
    kind = as_str(options, "type") or "upload"
    if kind not in UPLOAD_TYPES:
        raise BadRequestError(f"Invalid type {kind}: expected one of {', '.join(UPLOAD_TYPES)}")


def upload_size_limit(deps: Deps, resource_type: str) -> int:
    """The largest upload accepted for the resource type in the URL (auto: the largest)."""
    settings = deps.settings
    if resource_type == "auto":
        return max(settings.max_image_bytes, settings.max_video_bytes, settings.max_raw_bytes)
    return settings.max_bytes_for(resource_type)


def _check_allowed_formats(options: Mapping[str, Any], probed: ProbeResult) -> None:
    allowed = {f.lower() for f in as_list(options, "allowed_formats", split_commas=True)}
    if not allowed:
        return
    fmt = probed.format.lower()
    aliases = {"jpeg": "jpg", "tif": "tiff"}
    if fmt not in allowed and aliases.get(fmt, fmt) not in {aliases.get(a, a) for a in allowed}:
        noun = {"image": "Image", "video": "Video"}.get(probed.resource_type, "File")
        raise BadRequestError(f"{noun} format {fmt or 'unknown'} not allowed")


def _convert_if_asked(
    deps: Deps, options: Mapping[str, Any], staged: Staged, probed: ProbeResult
) -> ProbeResult:
    target = (as_str(options, "format") or "").lower().lstrip(".")
    if not target or target == probed.format:
        return probed
    if probed.resource_type != "image":
        raise BadRequestError(
            f"Converting {probed.resource_type} files on upload is not supported (format={target})"
        )
    if target not in CONVERTIBLE_FORMATS:
        raise BadRequestError(f"Invalid format {target} for image conversion")
    dest = deps.storage.new_staging_path()
    try:
        converted = convert_image(staged.path, dest, target)
        dest.replace(staged.path)
    finally:
        dest.unlink(missing_ok=True)
    staged.bytes = staged.path.stat().st_size
    staged.etag = file_md5(staged.path)
    return converted


def _eager_batch(options: Mapping[str, Any]) -> eager_async.EagerBatch | None:
    """The ``eager_async`` job this upload asks for, checked; None when it asks for none."""
    items = parse_eager(options.get("eager"))
    if not items or not as_bool(options, "eager_async"):
        return None
    return eager_async.eager_batch(items, options, force=False)


def _commit_with_eager(
    deps: Deps,
    cloud: Cloud,
    probed: ProbeResult,
    staged: Staged,
    plan: UploadPlan,
    batch: eager_async.EagerBatch | None,
) -> tuple[Asset, bool, Asset | None, dict[str, Any] | None]:
    """``_commit``, with the upload's ``eager_async`` job (if any) through the outbox:
    reserved before the write, queued after it committed, cancelled when it failed or kept
    an existing asset. The fourth value: the queued job's response fields, or None."""
    version_id = ids.new_hex_id()
    if batch is None:
        return *_commit(deps, cloud, probed, staged, plan, version_id), None
    reserved = eager_async.reserve_eager(
        deps, cloud, batch, resource_type=probed.resource_type, type=plan.type,
        public_id=plan.public_id, version_id=version_id,
    )  # fmt: skip
    try:
        asset, existing, previous = _commit(deps, cloud, probed, staged, plan, version_id)
    except BaseException:
        eager_async.cancel_eager(deps, reserved)
        raise
    if existing:
        eager_async.cancel_eager(deps, reserved)
        return asset, existing, previous, None
    return asset, existing, previous, eager_async.release_eager(deps, cloud, reserved, asset)


def _commit(
    deps: Deps,
    cloud: Cloud,
    probed: ProbeResult,
    staged: Staged,
    plan: UploadPlan,
    version_id: str,
) -> tuple[Asset, bool, Asset | None]:
    """Store the blob and the catalog row of version ``version_id``: (asset, whether it
    existed and was kept, the version it replaced)."""
    key = f"{cloud.id}/originals/{version_id[:2]}/{version_id}"
    new = NewAsset(
        resource_type=probed.resource_type,
        type=plan.type,
        public_id=plan.public_id,
        version_id=version_id,
        format=probed.format,
        bytes=staged.bytes,
        width=probed.width,
        height=probed.height,
        pages=probed.pages,
        duration=probed.duration,
        etag=staged.etag,
        storage_key=key,
        original_filename=plan.original_filename,
        asset_folder=plan.asset_folder,
        display_name=plan.display_name,
        tags=plan.tags,
        context=plan.context,
        extra=plan.extra,
        metadata=None if plan.metadata is None else dict(plan.metadata),
    )
    catalog, storage = deps.catalog, deps.storage
    catalog.journal_add(key, deps.now())
    try:
        storage.put_file(key, staged.path)
        crash_point("upload_after_blob_write")
        asset, previous, existing = catalog.create_or_replace_asset(
            cloud.id, new, overwrite=plan.overwrite, now=deps.now()
        )
    except BaseException:
        storage.delete(key)
        catalog.journal_remove(key)
        raise
    if existing:
        storage.delete(key)
        catalog.journal_remove(key)
    crash_point("upload_after_commit")
    if previous is not None and previous.storage_key != asset.storage_key:
        remove_blobs(deps, [previous.storage_key])  # keeps it when the overwrite backed it up
    return asset, existing, previous


def commit_version(
    deps: Deps, cloud: Cloud, probed: ProbeResult, staged: Staged, plan: UploadPlan
) -> Asset:
    """Store staged bytes as the asset ``plan`` names (a new version when it exists), with
    the blob journal and the removal of the previous version's derivatives, as uploads do."""
    asset, _, previous = _commit(deps, cloud, probed, staged, plan, ids.new_hex_id())
    if previous is not None:
        _drop_stale_derived(deps, asset)
    return asset


def _issue_delete_token(deps: Deps, cloud: Cloud, asset: Asset) -> str:
    token = secrets.token_hex(64)
    deps.catalog.create_delete_token(cloud.id, asset.id, token, deps.now() + DELETE_TOKEN_TTL)
    return token
