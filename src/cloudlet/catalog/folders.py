"""Folders (Cloudinary's fixed folder mode): the folder is the public id's path. Every folder
an asset's public id implies is recorded when the asset is written; folders can also be
created empty, and stay until deleted."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cloudlet.catalog.assets import prefix_condition
from cloudlet.catalog.cursor import clamp_max_results, decode_cursor, encode_cursor
from cloudlet.catalog.db import Database, insert_or_ignore
from cloudlet.catalog.model import Page
from cloudlet.catalog.schema import assets, folders
from cloudlet.errors import AlreadyExistsError, BadRequestError, NotFoundError


def ancestors(path: str) -> list[str]:
    """``a/b/c`` → ``["a", "a/b", "a/b/c"]``."""
    parts = path.split("/")
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def ensure_folders(conn: Connection, cloud_id: int, public_id: str) -> None:
    """Record every folder the public id implies (inside the caller's transaction)."""
    folder = public_id.rpartition("/")[0]
    if folder:
        _insert_paths(conn, cloud_id, ancestors(folder))


def _insert_paths(conn: Connection, cloud_id: int, paths: list[str]) -> None:
    rows = [{"cloud_id": cloud_id, "path": p, "parent": p.rpartition("/")[0]} for p in paths]
    insert_or_ignore(conn, folders, rows)


class FolderStore(Database):
    """Listing, creating, deleting and renaming folders."""

    def list_folders(
        self, cloud_id: int, parent: str, *, max_results: int = 500, cursor: str | None = None
    ) -> tuple[Page, int]:
        """Direct subfolders of ``parent`` ("" for the root), by path; and their total."""
        limit = clamp_max_results(max_results)
        where = (folders.c.cloud_id == cloud_id, folders.c.parent == parent)
        query = sa.select(folders.c.path).where(*where).order_by(folders.c.path).limit(limit + 1)
        if cursor:
            (after,) = decode_cursor(cursor, "folders", (str,))
            query = query.where(folders.c.path > after)
        with self._read() as conn:
            paths = list(conn.scalars(query))
            total = conn.scalar(sa.select(sa.func.count()).select_from(folders).where(*where))
        next_cursor = encode_cursor("folders", [paths[limit - 1]]) if len(paths) > limit else None
        return Page(paths[:limit], next_cursor), int(total or 0)

    def count_assets_with_prefix(self, cloud_id: int, prefix: str) -> int:
        """How many assets (any resource type or type) have public ids starting so."""
        query = sa.select(sa.func.count()).where(
            assets.c.cloud_id == cloud_id, prefix_condition(assets.c.public_id, prefix)
        )
        with self._read() as conn:
            return int(conn.scalar(query) or 0)

    def folder_exists(self, cloud_id: int, path: str) -> bool:
        """Whether the folder is recorded."""
        with self._read() as conn:
            return _exists(conn, cloud_id, path)

    def create_folder(self, cloud_id: int, path: str) -> bool:
        """Create the folder and its ancestors; False if it existed already."""
        with self._write() as conn:
            existed = _exists(conn, cloud_id, path)
            _insert_paths(conn, cloud_id, ancestors(path))
            return not existed

    def delete_folder(self, cloud_id: int, path: str) -> list[str]:
        """Delete an empty folder and its (empty) subfolders; returns their paths.
        NotFoundError if unknown; BadRequestError if any asset is inside."""
        with self._write() as conn:
            if not _exists(conn, cloud_id, path):
                raise NotFoundError(f"Can't find folder with path {path}")
            if _has_assets(conn, cloud_id, path):
                raise BadRequestError(f"Folder is not empty: {path}")
            inside = sa.or_(folders.c.path == path, prefix_condition(folders.c.path, path + "/"))
            where = (folders.c.cloud_id == cloud_id, inside)
            deleted = list(conn.scalars(sa.select(folders.c.path).where(*where)))
            conn.execute(sa.delete(folders).where(*where))
            return sorted(deleted)

    def rename_folder(self, cloud_id: int, source: str, target: str, now: datetime) -> int:
        """Move the folder, its subfolders and every asset inside (their public ids change);
        returns how many assets moved. AlreadyExistsError if any moved asset would land on
        an existing public id or the target folder exists."""
        with self._write() as conn:
            if not _exists(conn, cloud_id, source):
                raise NotFoundError(f"Can't find folder with path {source}")
            if _exists(conn, cloud_id, target):
                raise AlreadyExistsError(f"Folder {target} already exists")
            moved = _move_assets(conn, cloud_id, source, target, now)
            _move_folders(conn, cloud_id, source, target)
            return moved


def _exists(conn: Connection, cloud_id: int, path: str) -> bool:
    query = sa.select(folders.c.path).where(folders.c.cloud_id == cloud_id, folders.c.path == path)
    return conn.scalar(query) is not None


def _has_assets(conn: Connection, cloud_id: int, path: str) -> bool:
    query = sa.select(assets.c.id).where(
        assets.c.cloud_id == cloud_id, prefix_condition(assets.c.public_id, path + "/")
    )
    return conn.scalar(query.limit(1)) is not None


def _renamed(column: sa.Column[str], source: str, target: str) -> sa.ColumnElement[str]:
    tail = sa.func.substr(column, len(source) + 1)
    return sa.literal(target, type_=sa.Text) + tail


def _move_assets(conn: Connection, cloud_id: int, source: str, target: str, now: datetime) -> int:
    inside = (assets.c.cloud_id == cloud_id, prefix_condition(assets.c.public_id, source + "/"))
    clash = sa.select(assets.c.id).where(
        assets.c.cloud_id == cloud_id, prefix_condition(assets.c.public_id, target + "/")
    )
    if conn.scalar(clash.limit(1)) is not None:
        raise AlreadyExistsError(f"Assets already exist under {target}/")
    result = conn.execute(
        sa.update(assets)
        .where(*inside)
        .values(public_id=_renamed(assets.c.public_id, source, target), updated_at=now)
    )
    in_folder = sa.or_(
        assets.c.asset_folder == source, prefix_condition(assets.c.asset_folder, source + "/")
    )
    conn.execute(
        sa.update(assets)
        .where(assets.c.cloud_id == cloud_id, in_folder)
        .values(asset_folder=_renamed(assets.c.asset_folder, source, target))
    )
    return int(result.rowcount or 0)


def _move_folders(conn: Connection, cloud_id: int, source: str, target: str) -> None:
    inside = sa.or_(folders.c.path == source, prefix_condition(folders.c.path, source + "/"))
    paths = list(
        conn.scalars(sa.select(folders.c.path).where(folders.c.cloud_id == cloud_id, inside))
    )
    conn.execute(sa.delete(folders).where(folders.c.cloud_id == cloud_id, inside))
    moved = [target + p[len(source) :] for p in paths]
    _insert_paths(conn, cloud_id, sorted({a for p in moved for a in ancestors(p)}))
