"""The delivery generation: a counter every catalog write that can change what a delivery
URL answers moves on, so per-process caches of answers know when to forget them.

Two parts, summed (both only ever grow, so the sum moves whenever either does):

- the machine's part lives in an 8-byte file in the data directory, mapped into memory by
  every process that opens it (server workers, CLI commands): reading it is a load from
  shared memory, no system call, so the delivery hit path checks it on every request and a
  write is seen by every process of the machine at once. Bumps are serialised across
  processes with ``flock`` and across threads with a lock.
- the cluster's part (only when the catalog is shared, i.e. PostgreSQL) is a counter every
  node can read: a ``SharedCounter`` (the catalog's ``delivery_generation`` sequence). A
  process re-reads it at most every ``check_s`` seconds, on the first read after that
  interval, so a write made on another node is seen within ``check_s`` (the staleness bound,
  CLOUDLET_HIT_CACHE_CHECK_MS) while the hit path stays one clock read. When the counter
  cannot be read the process treats every remembered answer as stale.
"""

from __future__ import annotations

import fcntl
import logging
import mmap
import os
import struct
import threading
import time
from pathlib import Path
from typing import Protocol

_COUNTER = struct.Struct("<Q")
log = logging.getLogger("cloudlet.catalog")


class SharedCounter(Protocol):
    """A counter shared by every node (see ``catalog.db.SequenceCounter``)."""

    def read(self) -> int:
        """The current value (raises when it cannot be read)."""

    def bump(self) -> int:
        """Move it on; the new value."""


class Generation:
    """A machine-wide (file-backed) or private (``path=None``) 64-bit counter, plus the
    cluster's counter once ``share`` is called."""

    def __init__(self, path: Path | None = None, *, check_s: float = 0.1) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = None
        self.check_s = check_s
        self._shared: SharedCounter | None = None
        self._remote: tuple[int, float] = (0, 0.0)  # (value, monotonic time it was read)
        self._refreshing = threading.Lock()
        if path is None:
            self._map = mmap.mmap(-1, _COUNTER.size)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(self._fd).st_size < _COUNTER.size:
            with self._locked():
                if os.fstat(self._fd).st_size < _COUNTER.size:
                    os.ftruncate(self._fd, _COUNTER.size)
        self._map = mmap.mmap(self._fd, _COUNTER.size)

    def share(self, counter: SharedCounter) -> None:
        """Add the cluster's counter (a catalog other nodes write to as well)."""
        self._shared = counter
        self._remote = (0, float("-inf"))  # read on first use

    @property
    def shared(self) -> bool:
        """Whether other nodes' writes are seen (within ``check_s``)."""
        return self._shared is not None

    @property
    def value(self) -> int:
        """The current generation (a torn read still differs from the old value)."""
        local = int(_COUNTER.unpack_from(self._map)[0])
        if self._shared is None:
            return local
        remote, read_at = self._remote
        if time.monotonic() - read_at >= self.check_s:
            remote = self._refresh(remote)
        return local + remote

    def bump(self) -> int:
        """Move the generation on (after a write committed); returns the machine's part."""
        with self._locked():
            new = (int(_COUNTER.unpack_from(self._map)[0]) + 1) & 0xFFFFFFFFFFFFFFFF
            _COUNTER.pack_into(self._map, 0, new)
        if self._shared is not None:
            try:
                self._shared.bump()
            except Exception:  # the write itself committed: report, do not fail it
                log.exception("cannot move the shared delivery generation on")
        return new

    def close(self) -> None:
        """Unmap the counter and close its file."""
        self._map.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _refresh(self, previous: int) -> int:
        """Read the cluster's counter (one thread at a time; the others use ``previous``)."""
        if self._shared is None or not self._refreshing.acquire(blocking=False):
            return previous
        try:
            try:
                remote = self._shared.read()
            except Exception:  # the catalog is unreachable: forget, do not serve stale
                log.warning("cannot read the shared delivery generation", exc_info=True)
                remote = previous + 1
            self._remote = (remote, time.monotonic())
            return remote
        finally:
            self._refreshing.release()

    def _locked(self) -> _Held:
        return _Held(self._lock, self._fd)


class _Held:
    """The thread lock, and the file lock when the counter is shared between processes."""

    def __init__(self, lock: threading.Lock, fd: int | None) -> None:
        self._lock, self._fd = lock, fd

    def __enter__(self) -> None:
        self._lock.acquire()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()
