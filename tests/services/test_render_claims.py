"""Single flight of renders across processes (``services.render_claims``) on a real catalog:
another process's claim is waited for and its result taken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cloudlet.catalog.catalog import Catalog
from cloudlet.services import render_claims
from cloudlet.services.deps import Deps, utc_now
from cloudlet.services.render_pool import RenderTimeoutError
from cloudlet.settings import Settings
from cloudlet.storage.local import LocalStorage


@pytest.fixture
def deps(tmp_path: Path, catalog: Catalog) -> Deps:
    settings = Settings(data_dir=tmp_path)
    return Deps(settings, catalog, LocalStorage(tmp_path / "b", tmp_path / "s"))


def test_unclaimed_runs_here_and_lets_go(deps: Deps) -> None:
    ran = []
    result = render_claims.once_everywhere(
        deps, "k", lambda: ran.append(1) or "here", lambda: None, 5
    )
    assert result == "here" and ran == [1]
    assert not deps.catalog.render_claimed("k")


def test_another_process_s_render_is_waited_for_and_taken(deps: Deps) -> None:
    assert deps.catalog.claim_render("k", "other", utc_now(), utc_now())
    stored: list[str] = []

    def other_process_finishes() -> None:
        stored.append("theirs")
        deps.catalog.release_render("k", "other")

    threading.Timer(0.3, other_process_finishes).start()
    result = render_claims.once_everywhere(
        deps, "k", lambda: "here", lambda: stored[0] if stored else None, 5
    )
    assert result == "theirs"


def test_a_render_finished_elsewhere_before_the_claim_is_taken_not_redone(deps: Deps) -> None:
    result = render_claims.once_everywhere(deps, "k", lambda: "here", lambda: "theirs", 5)
    assert result == "theirs"
    forced = render_claims.once_everywhere(
        deps, "k", lambda: "here", lambda: "theirs", 5, recheck=False
    )
    assert forced == "here"


def test_when_the_holder_failed_it_runs_here(deps: Deps) -> None:
    assert deps.catalog.claim_render("k", "other", utc_now(), utc_now())
    threading.Timer(0.2, lambda: deps.catalog.release_render("k", "other")).start()
    assert render_claims.once_everywhere(deps, "k", lambda: "here", lambda: None, 5) == "here"


def test_waiting_past_the_time_limit_is_a_timeout(deps: Deps) -> None:
    assert deps.catalog.claim_render("k", "other", utc_now(), utc_now())
    with pytest.raises(RenderTimeoutError):
        render_claims.once_everywhere(deps, "k", lambda: "here", lambda: None, 0.3)


def _owner_of(pid: int) -> str:
    return f"{render_claims.HOST_TAG}{pid:08x}{'0' * 16}"


def test_a_claim_left_by_a_dead_process_of_this_machine_is_taken_over_at_once(
    deps: Deps,
) -> None:
    # a process that claimed and was killed (kill -9 of the server): its claim must not block
    # the derivative (and the eager job re-run after the restart) until it goes stale
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = _owner_of(int(ended.stdout))
    assert render_claims.holder_is_gone(dead)
    assert deps.catalog.claim_render("k", dead, utc_now(), utc_now())
    started = time.monotonic()
    assert render_claims.once_everywhere(deps, "k", lambda: "here", lambda: None, 5) == "here"
    assert time.monotonic() - started < 2
    assert not deps.catalog.render_claimed("k")


def test_a_killed_but_unreaped_process_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not render_claims.holder_is_gone(_owner_of(child.pid))  # alive: waited for
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not render_claims.holder_is_gone(_owner_of(child.pid)):  # a zombie now
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()


ELSEWHERE = ("1" if render_claims.HOST_TAG[0] == "0" else "0") * 8  # another machine's tag


@pytest.mark.parametrize(
    "owner",
    [
        "other",
        f"{ELSEWHERE}{1:08x}{'0' * 16}",
        render_claims.OWNER,
        f"{render_claims.HOST_TAG}zzzzzzzz{'0' * 16}",
    ],
    ids=["old format", "another machine", "this process", "garbled pid"],
)
def test_claims_that_cannot_be_judged_here_are_waited_for(owner: str) -> None:
    assert not render_claims.holder_is_gone(owner)
