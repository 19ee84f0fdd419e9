"""Counters in shared memory: one file of float64 slots per process, summed when scraped.

Each process that serves (every uvicorn worker) maps its own file
``{data_dir}/metrics/{pid}.metrics`` into memory and adds to its slots directly: an
increment is a store into a ``memoryview``, with no lock and no system call, which is what
lets the delivery hit path count every request. ``/metrics``, in whichever worker answers,
reads every process's file and adds them up, so the numbers are those of the whole server
(the prometheus_client "multiprocess mode" idea, without its per-sample locks and label
dictionaries).

Writers: the event-loop thread of the process (HTTP counters: no lock needed, it is the only
writer), and worker threads under ``lock`` (render times). Readers in other processes may see
a slot mid-update only as the old or the new value (aligned 8-byte stores).

A file starts with a magic number and a digest of the layout, so a reader ignores files of a
different build or route table. Files of exited processes stay (their counts are part of the
totals) until ``clear`` runs at ``cloudlet serve`` start.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import threading
from pathlib import Path

_MAGIC = b"CLMETR01"
_HEADER = struct.Struct("<8s8s")
_SLOT = 8
SUFFIX = ".metrics"


def layout_digest(description: str) -> bytes:
    """8 bytes naming a layout (the list of series in slot order)."""
    return hashlib.sha256(description.encode()).digest()[:8]


class ProcessSlots:
    """This process's slots: ``values[i] += x`` counts."""

    def __init__(self, directory: Path, slots: int, digest: bytes) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{os.getpid()}{SUFFIX}"
        self.slots = slots
        self.lock = threading.Lock()  # for writers off the event-loop thread
        size = _HEADER.size + slots * _SLOT
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            header = os.pread(fd, _HEADER.size, 0)
            if header != _HEADER.pack(_MAGIC, digest) or os.fstat(fd).st_size != size:
                os.ftruncate(fd, 0)  # another layout (or a new file): start from zero
                os.ftruncate(fd, size)
                os.pwrite(fd, _HEADER.pack(_MAGIC, digest), 0)
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.values = memoryview(self._map)[_HEADER.size :].cast("d")

    def add(self, slot: int, amount: float = 1.0) -> None:
        """Add under the lock (for threads other than the event loop's)."""
        with self.lock:
            self.values[slot] += amount


def read_process(path: Path, slots: int, digest: bytes) -> list[float] | None:
    """One process's slots; None when the file is gone or of another layout."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) != _HEADER.size + slots * _SLOT or data[: _HEADER.size] != _HEADER.pack(
        _MAGIC, digest
    ):
        return None
    return list(memoryview(data)[_HEADER.size :].cast("d"))


def read_totals(directory: Path, slots: int, digest: bytes) -> list[float]:
    """Every process's slots added up (files of another layout are skipped)."""
    totals = [0.0] * slots
    for path in directory.glob(f"*{SUFFIX}"):
        values = read_process(path, slots, digest)
        for i, value in enumerate(values or ()):
            if value:
                totals[i] += value
    return totals


def clear(directory: Path) -> int:
    """Remove every process file (at server start: counts begin at zero); how many."""
    removed = 0
    for path in directory.glob(f"*{SUFFIX}"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
