"""Folders through the Admin API, and deleting a folder with everything in it (CLI)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cloudlet.catalog.asset_deletes import Selection
from cloudlet.catalog.model import Cloud
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services import ids
from cloudlet.services.blobs import remove_blobs
from cloudlet.services.deps import Deps
from cloudlet.services.values import as_int, as_str


def folder_path(raw: str) -> str:
    """A folder path from a URL or parameter: trimmed of slashes, valid like a public id."""
    path = raw.strip("/")
    problem = ids.public_id_problem(path)
    if problem:
        raise BadRequestError(f"Invalid folder path {raw!r}: {problem}")
    return path


def _folder(path: str) -> dict[str, str]:
    return {"name": path.rpartition("/")[2], "path": path}


def list_folders(
    deps: Deps, cloud: Cloud, parent: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``GET /folders`` (root) and ``GET /folders/{path}`` (subfolders)."""
    if parent and not deps.catalog.folder_exists(cloud.id, parent):
        raise NotFoundError(f"Can't find folder with path {parent}")
    page, total = deps.catalog.list_folders(
        cloud.id,
        parent,
        max_results=as_int(params, "max_results", 500, minimum=1, maximum=500) or 500,
        cursor=as_str(params, "next_cursor"),
    )
    body: dict[str, Any] = {"folders": [_folder(p) for p in page.items], "total_count": total}
    body["next_cursor"] = page.next_cursor
    return body


def create_folder(deps: Deps, cloud: Cloud, path: str) -> dict[str, Any]:
    """``POST /folders/{path}``: creates it and its parents (fine if it exists)."""
    deps.catalog.create_folder(cloud.id, path)
    return {"success": True, **_folder(path)}


def delete_folder(deps: Deps, cloud: Cloud, path: str) -> dict[str, Any]:
    """``DELETE /folders/{path}``: only an empty folder (with its empty subfolders)."""
    return {"deleted": deps.catalog.delete_folder(cloud.id, path)}


def rename_folder(deps: Deps, cloud: Cloud, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /folders/{path}`` with ``to_folder``: moves the folder and every asset in it
    (their public ids change, their URLs with them)."""
    target = folder_path(as_str(params, "to_folder") or "")
    if target == path or target.startswith(path + "/"):
        raise BadRequestError("Cannot move a folder into itself")
    deps.catalog.rename_folder(cloud.id, path, target, deps.now())
    return {"from": _folder(path), "to": _folder(target)}


def purge_folder(
    deps: Deps,
    cloud: Cloud,
    path: str,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete every asset under the folder (all resource types), page by page, then the
    folder itself; returns how many assets went."""
    if not deps.catalog.folder_exists(cloud.id, path):
        raise NotFoundError(f"Can't find folder with path {path}")
    selection = Selection(None, None, prefix=path + "/")
    total = 0
    while True:
        page = deps.catalog.delete_assets_page(cloud.id, selection)
        remove_blobs(deps, page.storage_keys)
        total += len(page.deleted)
        if progress:
            progress(len(page.deleted))
        if not page.partial:
            break
    deps.catalog.delete_folder(cloud.id, path)
    return total
