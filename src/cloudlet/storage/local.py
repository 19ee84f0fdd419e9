"""Blobs as plain files under one directory."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.storage.base import Storage
from cloudlet.storage.keys import TEMP_PREFIX, check_staging_suffix, validate_key

__all__ = ["TEMP_PREFIX", "LocalStorage", "validate_key"]

_COPY_CHUNK = 1024 * 1024


class LocalStorage(Storage):
    """Blobs at ``root/<key>``; uploads stream into ``staging`` (same filesystem) first.

    Every write goes to a ``.tmp-`` file in the target directory, is fsynced, renamed over the
    key with ``os.replace`` and the directory is fsynced, so a key holds either the complete old
    or the complete new bytes, also across a crash. ``put_bytes(durable=False)`` skips the
    fsyncs: a process crash still leaves old or new bytes (the page cache survives it), a power
    loss may leave the key missing or short, which ``intact`` sees. A key that is a directory
    prefix of another (``a`` and ``a/b``) cannot exist at the same time, as on any filesystem.
    """

    def __init__(self, root: Path, staging: Path) -> None:
        self.root = Path(root).resolve()
        self.staging = Path(staging).resolve()

    # ------------------------------------------------------------------ paths and staging

    def _path(self, key: str) -> Path:
        """The file of ``key``, checked to stay under root even through symlinks."""
        path = self.root.joinpath(*validate_key(key))
        if not path.resolve().is_relative_to(self.root):
            raise BadRequestError(f"Invalid storage key {key!r}")
        return path

    def new_staging_path(self, suffix: str = "") -> Path:
        """A fresh path in the staging directory (created on demand); ``suffix`` is kept so
        that tools which sniff by extension still can."""
        check_staging_suffix(suffix)
        self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging / f"{TEMP_PREFIX}{secrets.token_hex(16)}{suffix}"

    # ------------------------------------------------------------------------------ writes

    def put_file(self, key: str, source: Path) -> None:
        """Move ``source`` into ``key`` atomically. On failure ``source`` is left in place."""
        target = self._path(key)
        _fsync_file(source)
        self._move_into_place(source, target, key)

    def put_bytes(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Write ``data`` to a staging file, fsync it (when ``durable``) and rename it over
        ``key``."""
        target = self._path(key)
        tmp = self.new_staging_path()
        try:
            with _create_exclusive(tmp) as file:
                file.write(data)
                if durable:
                    file.flush()
                    os.fsync(file.fileno())
            self._move_into_place(tmp, target, key, durable=durable)
        finally:
            tmp.unlink(missing_ok=True)

    def _move_into_place(
        self, source: Path, target: Path, key: str, *, durable: bool = True
    ) -> None:
        """Rename ``source`` over ``target`` and fsync the directory (when ``durable``). A
        concurrent ``delete`` may prune a parent directory between its creation and the
        rename: then retry."""
        for attempt in range(3):
            try:
                self._make_parents(target, durable)  # pruned meanwhile: FileNotFoundError
                os.replace(source, target)
                break
            except FileNotFoundError:
                if attempt == 2 or not source.exists():
                    raise
            except IsADirectoryError as exc:
                raise BadRequestError(f"Storage key conflicts with a folder: {key!r}") from exc
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                self._copy_in(source, target)  # staging on another filesystem: copy, then drop
                source.unlink()
                break
        if durable:
            _fsync_dir(target.parent)

    def _copy_in(self, source: Path, target: Path) -> None:
        tmp = self._temp_beside(target)
        try:
            with source.open("rb") as src, _create_exclusive(tmp) as dst:
                shutil.copyfileobj(src, dst, _COPY_CHUNK)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _temp_beside(target: Path) -> Path:
        return target.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"

    def _make_parents(self, target: Path, durable: bool = True) -> None:
        """Create the missing directories between root and ``target``, fsyncing each parent
        (when ``durable``) so the new entries survive a crash."""
        missing = []
        directory = target.parent
        while not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for directory in reversed(missing):
            try:
                directory.mkdir(exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                raise BadRequestError(
                    f"Storage key conflicts with an existing blob: {directory.name!r}"
                ) from exc
            if durable:
                _fsync_dir(directory.parent)

    # ------------------------------------------------------------------------------- reads

    def open(self, key: str) -> BinaryIO:
        """The blob opened for binary reading; NotFoundError if absent."""
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFoundError(f"Blob not found: {key}") from exc

    def local_path(self, key: str) -> Path | None:
        """The blob's file; NotFoundError if absent."""
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"Blob not found: {key}")
        return path

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob."""
        return self._path(key).is_file()

    def intact(self, key: str, size: int) -> bool:
        """Whether the blob's file exists with ``size`` bytes (one ``stat``)."""
        try:
            return self._path(key).stat().st_size == size
        except (FileNotFoundError, NotADirectoryError):
            return False

    def size(self, key: str) -> int:
        """The blob's size in bytes; NotFoundError if absent."""
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"Blob not found: {key}")
        return path.stat().st_size

    def check(self) -> None:
        """Raise OSError unless the blob directory exists (or can be made) and is writable."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"blob directory {self.root} is not writable")

    # ------------------------------------------------------------------------ delete, list

    def delete(self, key: str) -> bool:
        """Remove the blob, then its directories that became empty (up to root)."""
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            # PermissionError: unlink() of a directory on macOS.
            if path.is_file():
                raise
            return False
        _fsync_dir(path.parent)
        self._remove_empty_parents(path.parent)
        return True

    def _remove_empty_parents(self, directory: Path) -> None:
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                return  # not empty (or already gone, or a concurrent writer): stop there
            directory = directory.parent

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix``. The walk starts at the deepest directory that
        ``prefix`` names, so listing one folder does not read the whole store."""
        folder, _, _ = prefix.rpartition("/")
        start = self._path(folder) if folder else self.root  # refuses "../" before any walk
        return self._walk(start, prefix)

    def _walk(self, start: Path, prefix: str) -> Iterator[str]:
        for dirpath, dirnames, filenames in os.walk(start):
            here = Path(dirpath)
            dirnames[:] = [
                d for d in dirnames if not d.startswith(TEMP_PREFIX) and here / d != self.staging
            ]
            for name in filenames:
                if name.startswith(TEMP_PREFIX):
                    continue
                key = (here / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


def _create_exclusive(path: Path) -> BinaryIO:
    """A new file opened for writing, mode 0666 minus umask (mkstemp would give 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    return os.fdopen(fd, "wb")


def _fsync_file(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make a rename or new entry in ``directory`` durable (best effort: not every platform
    can open a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
