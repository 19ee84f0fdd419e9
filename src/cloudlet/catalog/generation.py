"""The delivery generation: a counter every catalog write that can change what a delivery
URL answers moves on, so per-process caches of answers know when to forget them.

It lives in an 8-byte file in the data directory, mapped into memory by every process that
opens it (server workers, CLI commands): reading it is a load from shared memory, no system
call, so the delivery hit path can check it on every request. Bumps are serialised across
processes with ``flock`` and across threads with a lock. Processes on other machines do not
see this file: the scope is one machine (see docs/configuration.md, CLOUDLET_HIT_CACHE).
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading
from pathlib import Path

_COUNTER = struct.Struct("<Q")


class Generation:
    """A shared (file-backed) or private (``path=None``) 64-bit counter."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = None
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

    @property
    def value(self) -> int:
        """The current generation (a torn read still differs from the old value)."""
        return int(_COUNTER.unpack_from(self._map)[0])

    def bump(self) -> int:
        """Move the generation on (after a write committed); returns the new value."""
        with self._locked():
            new = (self.value + 1) & 0xFFFFFFFFFFFFFFFF
            _COUNTER.pack_into(self._map, 0, new)
            return new

    def close(self) -> None:
        """Unmap the counter and close its file."""
        self._map.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

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
