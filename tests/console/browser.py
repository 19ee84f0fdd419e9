"""Headless Chromium for the Media Explorer's tests: Debian's ``chromium`` driven by Playwright.

``ensure_chromium`` installs Debian's ``chromium`` and ``chromium-driver`` with apt-get when they
are missing (as root); when that is impossible the tests are skipped, except under ``CI`` where
they fail. Playwright's own browser downloads are never used (``executable_path`` points at
Debian's build).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PACKAGES = ("chromium", "chromium-driver")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable(message: str) -> NoReturn:
    """Skip locally; fail in CI, where nothing may be skipped."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _apt_install() -> str | None:
    """Install the packages; None on success, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "installing chromium needs root (apt-get install chromium chromium-driver)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return f"{' '.join(command)} failed: {done.stderr[-1500:]}"
    return None


def ensure_chromium() -> Path:
    """Debian's Chromium, installed if needed (see the module docstring)."""
    if not CHROMIUM.exists():
        problem = _apt_install()
        if problem or not CHROMIUM.exists():
            unavailable(f"Chromium is needed for the console tests: {problem or 'not installed'}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the playwright package is needed: pip install -e '.[test]'")
    return CHROMIUM
