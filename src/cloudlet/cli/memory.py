"""glibc malloc settings for the long-running processes (``serve``, ``worker``).

A server that renders images on many threads meets two habits of glibc's allocator that make
its resident memory grow far past what it uses (see docs/benchmarks.md):

- every thread that allocates while another holds the lock gets an arena of its own, up to
  eight per core, and memory freed in an arena stays with it;
- freeing a buffer that came from ``mmap`` raises the ``mmap`` threshold to that buffer's size
  (up to 32 MB), so later decode buffers of a few MB come from the arenas and stay there.

``tune_malloc`` limits the arenas to two and fixes the threshold at 1 MB, so pixel and
coefficient buffers are always returned to the system when a render ends. A value the user
set in the environment (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``, read by glibc when
the process started) is left alone; the values are exported so that uvicorn's worker
processes start with them too.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import MutableMapping

ARENA_MAX = 2
MMAP_THRESHOLD = 1024 * 1024  # bytes
_M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's <malloc.h>
_M_ARENA_MAX = -8
SETTINGS = (
    ("MALLOC_ARENA_MAX", _M_ARENA_MAX, ARENA_MAX),
    ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
)


def tune_malloc(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Apply the settings above to this process and export them for its children; the names
    of those applied (none off glibc, none the environment already sets)."""
    environ = os.environ if environ is None else environ
    if platform.libc_ver()[0] != "glibc":
        return []
    mallopt = ctypes.CDLL(None).mallopt
    applied = []
    for name, parameter, value in SETTINGS:
        if environ.get(name):
            continue
        if mallopt(ctypes.c_int(parameter), ctypes.c_int(value)) == 1:
            environ[name] = str(value)
            applied.append(name)
    return applied
