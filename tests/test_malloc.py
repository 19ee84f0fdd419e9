"""glibc malloc settings of the long-running processes (``cloudlet.malloc``)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from cloudlet.malloc import ARENA_MAX, MMAP_THRESHOLD, tune_malloc

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")

# A 24 MB buffer freed raises glibc's dynamic mmap threshold, so a 12 MB buffer allocated next
# comes from the heap and stays resident after it is freed; tuned, it is unmapped at free.
_PROBE = """
import json, re, sys
from cloudlet.malloc import tune_malloc
def anon_kb():
    return int(re.search(r"RssAnon:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
applied = tune_malloc({}) if sys.argv[1] == "tuned" else []
big = bytearray(24 << 20); del big
before = anon_kb()
middle = bytearray(12 << 20)
middle[::4096] = b"x" * len(middle[::4096])
del middle
print(json.dumps({"applied": applied, "kept_kb": anon_kb() - before}))
"""


def _kept_after_free(mode: str) -> dict[str, object]:
    # glibc's own defaults, whatever an earlier test (a `cloudlet worker` run) exported
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@glibc_only
def test_tuned_process_returns_freed_buffers_to_the_system() -> None:
    untuned, tuned = _kept_after_free("default"), _kept_after_free("tuned")
    assert untuned["kept_kb"] > 8 * 1024  # the habit being corrected is real here
    assert tuned["kept_kb"] < 2 * 1024
    assert tuned["applied"] == ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_"]


@glibc_only
def test_settings_are_exported_for_worker_processes() -> None:
    environ: dict[str, str] = {}
    tune_malloc(environ)
    assert environ == {
        "MALLOC_ARENA_MAX": str(ARENA_MAX),
        "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
    }


@glibc_only
def test_a_value_the_user_set_wins() -> None:
    environ = {"MALLOC_ARENA_MAX": "8"}
    assert tune_malloc(environ) == ["MALLOC_MMAP_THRESHOLD_"]
    assert environ["MALLOC_ARENA_MAX"] == "8"
