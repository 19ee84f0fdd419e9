"""glibc's allocator, tuned for a long-running process that decodes images on many threads.

Two habits of glibc's malloc make such a process keep far more resident memory than it uses
(measured in docs/benchmarks.md):

- every thread that allocates while another holds the lock gets an arena of its own, up to
  eight per core, and memory freed in an arena stays with it;
- freeing a buffer that came from ``mmap`` raises the ``mmap`` threshold to that buffer's size
  (up to 32 MB), so later decode buffers of a few MB come from the arenas and stay there.

``tune_malloc`` (called by ``cloudlet serve`` and ``cloudlet worker`` before any thread
starts) makes every thread share one arena (each keeps its own small-chunk cache, so renders
did not slow down) and fixes the threshold at 1 MB, so large pixel buffers are unmapped when a
render ends. A value the user set in the environment (``MALLOC_ARENA_MAX``,
``MALLOC_MMAP_THRESHOLD_``, read by glibc when the process started) is left alone; the values
are exported so that uvicorn's worker processes start with them too. Elsewhere than glibc it
does nothing. (Trimming the arena after each render, ``malloc_trim``, lowered the peak by
another 25 MB but cost 5 % of render throughput in page faults: not done.)
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import MutableMapping

ARENA_MAX = 1
MMAP_THRESHOLD = 1024 * 1024  # bytes
_M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's <malloc.h>
_M_ARENA_MAX = -8
SETTINGS = (
    ("MALLOC_ARENA_MAX", _M_ARENA_MAX, ARENA_MAX),
    ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
)
_GLIBC = platform.libc_ver()[0] == "glibc"
_libc = ctypes.CDLL(None) if _GLIBC else None


def tune_malloc(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Apply the settings above to this process and export them for its children; the names
    of those applied (none off glibc, none the environment already sets)."""
    environ = os.environ if environ is None else environ
    if _libc is None:
        return []
    applied = []
    for name, parameter, value in SETTINGS:
        if environ.get(name):
            continue
        if _libc.mallopt(ctypes.c_int(parameter), ctypes.c_int(value)) == 1:
            environ[name] = str(value)
            applied.append(name)
    return applied
