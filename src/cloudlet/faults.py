"""Crash points for crash-safety tests: ``CLOUDLET_CRASH_AT=<name>`` kills the process there.

The tests of "an upload lands whole or not at all" need a process to die at an exact step,
as ``kill -9`` would. When the variable is unset (always, in production) this is a no-op.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """Die at once with SIGKILL if ``CLOUDLET_CRASH_AT`` names this point."""
    if os.environ.get("CLOUDLET_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
