"""``generate_archive`` (``create_archive``/``create_zip``, ``download_archive_url``): a ZIP
of assets chosen by tags, public ids or prefixes, optionally of their derivatives.

``mode=create`` stores the ZIP as a raw asset (through the upload path: journalled blob,
one catalog transaction) and answers like an upload plus ``resource_count``/``file_count``;
``mode=download`` writes it to a temporary file for the web layer to stream.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.errors import AuthenticationError, BadRequestError, NotFoundError
from cloudlet.services import derive, ids
from cloudlet.services.deps import Deps
from cloudlet.services.eager import parse_eager
from cloudlet.services.staging import Staged, file_md5
from cloudlet.services.upload import store_staged
from cloudlet.services.values import as_bool, as_int, as_list, as_str

MAX_FILES = 1000
ARCHIVE_RESOURCE_TYPES = ("image", "video", "raw", "auto", "all")
_PAGE = 500


@dataclass(frozen=True)
class Entry:
    """One file of the archive: its name inside and the blob it copies."""

    name: str
    storage_key: str


@dataclass(frozen=True)
class Archive:
    """A written archive file and what went into it."""

    path: Path
    filename: str  # suggested download name
    resource_count: int
    file_count: int


def generate_archive(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``POST /{rt}/generate_archive`` (mode create, the default): build and store the ZIP."""
    mode = (as_str(params, "mode") or "create").lower()
    if mode != "create":
        raise BadRequestError(f"Invalid mode {mode}: POST creates archives (mode=create)")
    archive = build_archive(deps, cloud, resource_type, params)
    try:
        staged = Staged(archive.path, archive.filename, archive.path.stat().st_size,
                        file_md5(archive.path))  # fmt: skip
        options = {
            "public_id": _target_public_id(params),
            "tags": as_list(params, "target_tags", split_commas=True),
            "asset_folder": as_str(params, "target_asset_folder") or "",
            "overwrite": True,
        }
        result = store_staged(deps, cloud, "raw", options, staged)
    finally:
        archive.path.unlink(missing_ok=True)
    result["resource_count"] = archive.resource_count
    result["file_count"] = archive.file_count
    return result


def _target_public_id(params: Mapping[str, Any]) -> str:
    public_id = as_str(params, "target_public_id") or ids.random_public_id()
    return public_id if public_id.lower().endswith(".zip") else f"{public_id}.zip"


def check_download(deps: Deps, params: Mapping[str, Any]) -> None:
    """A download URL carries ``mode=download`` and, if it has one, an ``expires_at`` still in
    the future (401 otherwise)."""
    mode = (as_str(params, "mode") or "").lower()
    if mode != "download":
        raise BadRequestError("GET generate_archive needs mode=download")
    expires = as_int(params, "expires_at")
    if expires is not None and expires < deps.now().timestamp():
        raise AuthenticationError("Download URL expired")


def build_archive(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> Archive:
    """Select the assets, render the transformations asked for, write the ZIP to staging."""
    target = (as_str(params, "target_format") or "zip").lower()
    if target != "zip":
        raise BadRequestError(f"target_format {target} is not supported by Cloudlet; use zip")
    if resource_type not in ARCHIVE_RESOURCE_TYPES:
        raise BadRequestError(f"Invalid resource type {resource_type}")
    found = select_assets(deps, cloud, resource_type, params)
    entries = plan_entries(deps, cloud, found, params)
    path = deps.storage.new_staging_path(".zip")
    try:
        write_zip(deps, entries, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    name = as_str(params, "target_public_id") or "archive"
    return Archive(path, f"{PurePosixPath(name).name}.zip", len(found), len(entries))


def select_assets(
    deps: Deps, cloud: Cloud, resource_type: str, params: Mapping[str, Any]
) -> list[Asset]:
    """The assets named by ``tags``, ``public_ids``, ``prefixes`` and
    ``fully_qualified_public_ids`` (each once, by public id); 400 with none of them, 404 for
    missing public ids (unless ``allow_missing``) or when nothing matches."""
    rt = None if resource_type in ("auto", "all") else resource_type
    kind = as_str(params, "type") or "upload"
    tags = as_list(params, "tags", split_commas=True)
    public_ids = as_list(params, "public_ids", split_commas=True)
    prefixes = as_list(params, "prefixes", split_commas=True)
    qualified = as_list(params, "fully_qualified_public_ids", split_commas=True)
    if not (tags or public_ids or prefixes or qualified):
        raise BadRequestError(
            "Must supply at least one of tags, public_ids, prefixes or fully_qualified_public_ids"
        )
    chosen: dict[int, Asset] = {}
    for tag in tags:
        _collect(chosen, _listing(deps, cloud, rt, kind, tag=tag))
    for prefix in prefixes:
        _collect(chosen, _listing(deps, cloud, rt, kind, prefix=prefix))
    _collect(chosen, _by_public_ids(deps, cloud, rt, kind, public_ids, params))
    _collect(chosen, _by_qualified_ids(deps, cloud, qualified, params))
    if not chosen:
        raise NotFoundError("No resources found for the archive")
    return sorted(chosen.values(), key=lambda a: (a.public_id, a.resource_type, a.type))


def _collect(chosen: dict[int, Asset], assets: list[Asset]) -> None:
    for asset in assets:
        chosen.setdefault(asset.id, asset)
    if len(chosen) > MAX_FILES:
        raise BadRequestError(f"Too many resources for one archive: at most {MAX_FILES}")


def _listing(
    deps: Deps,
    cloud: Cloud,
    rt: str | None,
    kind: str,
    *,
    tag: str | None = None,
    prefix: str | None = None,
) -> list[Asset]:
    found: list[Asset] = []
    cursor: str | None = None
    while True:
        page = deps.catalog.list_assets(
            cloud.id, rt, kind, tag=tag, prefix=prefix, max_results=_PAGE, cursor=cursor
        )
        found.extend(page.items)
        cursor = page.next_cursor
        if not cursor or len(found) > MAX_FILES:
            return found


def _by_public_ids(
    deps: Deps,
    cloud: Cloud,
    rt: str | None,
    kind: str,
    public_ids: list[str],
    params: Mapping[str, Any],
) -> list[Asset]:
    if not public_ids:
        return []
    if len(public_ids) > MAX_FILES:
        raise BadRequestError(f"Too many public_ids for one archive: at most {MAX_FILES}")
    found: list[Asset] = []
    for candidate in (rt,) if rt else ("image", "video", "raw"):
        found += deps.catalog.get_assets_by_public_ids(cloud.id, candidate, kind, public_ids)
    _check_missing(public_ids, {a.public_id for a in found}, params)
    return found


def _by_qualified_ids(
    deps: Deps, cloud: Cloud, qualified: list[str], params: Mapping[str, Any]
) -> list[Asset]:
    found: list[Asset] = []
    for name in qualified:
        rt, _, rest = name.partition("/")
        kind, _, public_id = rest.partition("/")
        if not (rt and kind and public_id):
            raise BadRequestError(
                f"Invalid fully qualified public id {name!r}: expected resource_type/type/public_id"
            )
        asset = deps.catalog.get_asset(cloud.id, rt, kind, public_id)
        if asset is not None:
            found.append(asset)
        else:
            _check_missing([name], set(), params)
    return found


def _check_missing(wanted: list[str], present: set[str], params: Mapping[str, Any]) -> None:
    missing = [p for p in wanted if p not in present]
    if missing and not as_bool(params, "allow_missing"):
        raise NotFoundError(f"Resource not found - {', '.join(missing[:10])}")


def plan_entries(
    deps: Deps, cloud: Cloud, found: list[Asset], params: Mapping[str, Any]
) -> list[Entry]:
    """The files of the archive with their names: each original, or (for images) each
    requested transformation's render instead of the original."""
    wanted = parse_eager(params.get("transformations"))
    if len(found) * max(1, len(wanted)) > MAX_FILES:
        raise BadRequestError(f"Too many files for one archive: at most {MAX_FILES}")
    namer = _Namer()
    entries: list[Entry] = []
    for asset in found:
        if not wanted or asset.resource_type != "image":
            name = _base_name(asset, params) + _extension(asset, asset.format)
            entries.append(Entry(namer.unique(name), asset.storage_key))
            continue
        for text, fmt in wanted:
            entries.append(_derived_entry(deps, cloud, asset, text, fmt, params, namer))
    return entries


def _derived_entry(
    deps: Deps,
    cloud: Cloud,
    asset: Asset,
    text: str,
    fmt: str | None,
    params: Mapping[str, Any],
    namer: _Namer,
) -> Entry:
    request = derive.parse_request(deps, cloud, text, asset, fmt, "")
    found = derive.derive(deps, cloud, asset, request, allowed=True)
    base = _base_name(asset, params)
    label = request.canonical.replace("/", "_")
    if as_bool(params, "skip_transformation_name") or not label:
        name = base
    elif as_bool(params, "flatten_transformations"):
        name = f"{base}_{label}"
    else:
        name = f"{label}/{base}"
    return Entry(namer.unique(name + _extension(asset, found.format)), found.storage_key)


def _base_name(asset: Asset, params: Mapping[str, Any]) -> str:
    name = asset.public_id
    if asset.resource_type == "raw":
        name = name.rpartition(".")[0] if "." in name.rpartition("/")[2] else name
    if as_bool(params, "use_original_filename") and asset.original_filename:
        folder = name.rpartition("/")[0]
        name = f"{folder}/{asset.original_filename}" if folder else asset.original_filename
    if as_bool(params, "flatten_folders"):
        name = name.rpartition("/")[2]
    return name


def _extension(asset: Asset, fmt: str) -> str:
    if asset.resource_type == "raw":
        last = asset.public_id.rpartition("/")[2]
        return f".{last.rpartition('.')[2]}" if "." in last else ""
    return f".{fmt}" if fmt else ""


class _Namer:
    """Unique names inside the archive: a repeated ``a.jpg`` becomes ``a-1.jpg``, ``a-2.jpg``."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def unique(self, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        if not dot or "/" in ext:
            stem, dot, ext = name, "", ""
        candidate, counter = name, 0
        while candidate in self.used:
            counter += 1
            candidate = f"{stem}-{counter}{dot}{ext}"
        self.used.add(candidate)
        return candidate


def write_zip(deps: Deps, entries: list[Entry], path: Path) -> None:
    """Copy every entry's blob into a ZIP at ``path`` (stored uncompressed: media files are
    compressed already); 400 if the total goes over the largest raw upload."""
    limit, total = deps.settings.max_raw_bytes, 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as out:
        for entry in entries:
            with deps.storage.open(entry.storage_key) as source, out.open(entry.name, "w") as dest:
                while block := source.read(1024 * 1024):
                    total += len(block)
                    if total > limit:
                        raise BadRequestError(f"Archive too large: more than {limit} bytes")
                    dest.write(block)
