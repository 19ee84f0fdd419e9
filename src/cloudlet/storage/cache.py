"""A bounded cache of blobs on local disk, for backends whose blobs live elsewhere (S3).

Each blob is one file named by the SHA-256 of its key, so any key fits and no key can reach
outside the cache directory. Files are written to a ``.tmp-`` file, fsynced and renamed into
place: a cached file is always complete. Eviction is least-recently-used by modification
time, which a hit refreshes (at most once a minute per file, to keep hits cheap).

The directory may be shared by the processes of one machine (several uvicorn workers, the
CLI, ``cloudlet worker``): each process counts what it adds and rescans the directory when
its count says the cache is over budget or after adding a tenth of the budget, so the cache
exceeds its size by at most a tenth per process between scans.

Cached files are never checked against the remote store: this is only correct because
Cloudlet never writes different bytes under a key it wrote before (keys name a version or a
derivative by a fresh random id). A key deleted on another machine stays here, unreferenced,
until it is evicted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import threading
import time
from pathlib import Path

from cloudlet.storage.keys import TEMP_PREFIX

TOUCH_INTERVAL_S = 60.0  # a hit refreshes the file's mtime at most this often
STALE_TEMP_S = 3600.0  # temp files older than this are leftovers of a crash
LOW_WATER = 0.9  # eviction frees space down to this share of the budget
RESCAN_SHARE = 10  # rescan after adding 1/RESCAN_SHARE of the budget
_COPY_CHUNK = 1024 * 1024


class DiskCache:
    """Blobs by key under ``root``, at most about ``max_bytes`` in all."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._estimate: int | None = None  # bytes in the cache, as last scanned plus adds
        self._added_since_scan = 0

    # ------------------------------------------------------------------------------ reads

    def path_of(self, key: str) -> Path:
        """Where ``key``'s copy lives (whether or not it is there)."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / digest[:2] / digest

    def get(self, key: str) -> Path | None:
        """The cached copy of ``key``, marked as recently used; None when absent."""
        path = self.path_of(key)
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            return None
        if time.time() - mtime > TOUCH_INTERVAL_S:
            with contextlib.suppress(FileNotFoundError):
                os.utime(path)
        return path

    # ----------------------------------------------------------------------------- writes

    def new_temp(self) -> Path:
        """A fresh temp file path inside the cache (same filesystem as the cached files)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f"{TEMP_PREFIX}{secrets.token_hex(16)}"

    def adopt(self, key: str, source: Path) -> Path:
        """Move the complete file ``source`` in as ``key``'s copy; its path."""
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = source.stat().st_size
        try:
            os.replace(source, target)
        except OSError:  # another filesystem (a staging dir elsewhere): copy, then drop
            self._copy_in(source, target)
            source.unlink(missing_ok=True)
        self._added(size, target)
        return target

    def put_bytes(self, key: str, data: bytes) -> Path:
        """Store ``data`` as ``key``'s copy; its path."""
        tmp = self.new_temp()
        try:
            with open(tmp, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            return self.adopt(key, tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def _copy_in(self, source: Path, target: Path) -> None:
        tmp = self.new_temp()
        try:
            with source.open("rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, _COPY_CHUNK)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def discard(self, key: str) -> None:
        """Forget ``key``'s copy (the blob was deleted)."""
        self.path_of(key).unlink(missing_ok=True)

    # --------------------------------------------------------------------------- eviction

    def _added(self, size: int, keep: Path) -> None:
        with self._lock:
            if self._estimate is None:
                self._estimate = self._scan_size()
            else:
                self._estimate += size
            self._added_since_scan += size
            over = self._estimate > self.max_bytes
            if over or self._added_since_scan * RESCAN_SHARE > self.max_bytes:
                self._estimate = self._evict(keep)
                self._added_since_scan = 0

    def _scan(self) -> list[tuple[float, int, Path]]:
        """(mtime, size, path) of every cached file; stale temp files are removed."""
        found = []
        now = time.time()
        for directory, _, names in os.walk(self.root):
            for name in names:
                path = Path(directory, name)
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                if name.startswith(TEMP_PREFIX):
                    if now - stat.st_mtime > STALE_TEMP_S:
                        path.unlink(missing_ok=True)
                    continue
                found.append((stat.st_mtime, stat.st_size, path))
        return found

    def _scan_size(self) -> int:
        return sum(size for _, size, _ in self._scan())

    def _evict(self, keep: Path) -> int:
        """Remove the least recently used files until the cache is under its low-water
        mark (never ``keep``, the file just added); the bytes left."""
        files = self._scan()
        total = sum(size for _, size, _ in files)
        if total <= self.max_bytes:
            return total
        target = int(self.max_bytes * LOW_WATER)
        for _, size, path in sorted(files):
            if total <= target:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
        return total

    def size(self) -> int:
        """The bytes the cache holds now (a scan of the directory)."""
        return self._scan_size()
