"""Single flight of renders across processes and nodes, through claims in the catalog.

The render pool already runs identical concurrent requests of one process once. Its leader
then claims the derivative in the catalog (``render_claims``, one row per derivative being
rendered): the process that gets the claim renders and stores; one that does not waits for
the claim to go and takes the stored derivative (or, when the holder failed, claims and
renders itself, meeting the same error). A claim left by a process that died is taken over
once it is older than the render time limit plus a margin; sooner when the holder ran on
this machine and is gone (a process killed with ``kill -9`` and restarted: its claims would
otherwise block those derivatives, and the eager jobs it was running, for a minute and a
half). An owner is ``host tag + pid + random``, 32 hex digits, so that can be told.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from collections.abc import Callable, Hashable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from cloudlet.services.deps import Deps
from cloudlet.services.render_pool import RenderTimeoutError

T = TypeVar("T")


def _host_tag() -> str:
    """8 hex digits naming this machine since its last boot (process ids mean nothing
    across machines or reboots)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return hashlib.sha256(f"{socket.gethostname()}|{boot}".encode()).hexdigest()[:8]


HOST_TAG = _host_tag()
OWNER = f"{HOST_TAG}{os.getpid() & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"  # this process
STALE_MARGIN_S = 60.0  # a claim older than the render limit plus this: its holder died
FIRST_POLL_S, LAST_POLL_S = 0.01, 0.2


def claim_key(identity: Hashable) -> str:
    """The claim's key: the SHA-256 of the derivative's identity (asset, version,
    transformation, format)."""
    return hashlib.sha256(repr(identity).encode("utf-8")).hexdigest()


def once_everywhere(
    deps: Deps,
    key: str,
    run_here: Callable[[], T],
    done_elsewhere: Callable[[], T | None],
    timeout_s: float,
    *,
    recheck: bool = True,
) -> T:
    """``run_here()`` if this process claims ``key``; else, once the holder lets go, what
    ``done_elsewhere()`` finds (running here when it finds nothing). With ``recheck``, what
    ``done_elsewhere()`` finds once the claim is won is taken too: another node may have
    finished and let go between the caller's own look and the claim."""
    deadline = time.monotonic() + timeout_s
    catalog = deps.catalog
    while True:
        now = deps.now()
        stale = now - timedelta(seconds=timeout_s + STALE_MARGIN_S)
        if catalog.claim_render(key, OWNER, now, stale):
            try:
                found = done_elsewhere() if recheck else None
                return found if found is not None else run_here()
            finally:
                catalog.release_render(key, OWNER)
        _wait_while_claimed(deps, key, deadline, timeout_s)
        found = done_elsewhere()
        if found is not None:
            return found


def _wait_while_claimed(deps: Deps, key: str, deadline: float, timeout_s: float) -> None:
    """Poll the claim (backing off up to LAST_POLL_S) until it is gone, dropping it when its
    holder is a process of this machine that no longer runs; RenderTimeoutError past
    ``deadline``."""
    delay = FIRST_POLL_S
    while (owner := deps.catalog.render_claim_owner(key)) is not None:
        if holder_is_gone(owner):
            deps.catalog.release_render(key, owner)  # only that owner's claim
            return
        if time.monotonic() >= deadline:
            raise RenderTimeoutError(f"Rendering took longer than {timeout_s:g} s")
        time.sleep(delay)
        delay = min(delay * 2, LAST_POLL_S)


def holder_is_gone(owner: str) -> bool:
    """Whether the process that made a claim as ``owner`` ran on this machine and has ended
    (a claim from another machine, or in an older format, is never judged here)."""
    if len(owner) != 32 or not owner.startswith(HOST_TAG) or owner == OWNER:
        return False
    try:
        pid = int(owner[8:16], 16)
    except ValueError:
        return False
    if pid == os.getpid():
        return True  # an earlier process that had this process's id
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    """Ended, not yet reaped by its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
