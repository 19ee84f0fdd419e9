"""The render pool: single flight, the bound on pending work, time limits, and where each part
of a run happens (renders on the pool's workers, stores in the caller's thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from cloudlet.errors import BadRequestError
from cloudlet.services import render_pool
from cloudlet.services.render_pool import OverloadedError, RenderPool, RenderTimeoutError

WAIT = 10.0  # seconds; generous bounds on waits that should end at once


@pytest.fixture()
def pool() -> Iterator[RenderPool]:
    pool = RenderPool(workers=2, max_pending=3)
    yield pool
    pool.shutdown()


def _gated(gate: threading.Event, value: str, calls: list[str]) -> Callable[[], str]:
    def render() -> str:
        calls.append(threading.current_thread().name)
        assert gate.wait(WAIT)
        return value

    return render


@pytest.fixture()
def waiting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the callers waiting on a result (the leader on its render, followers on the
    leader's run), so a test can open its gate once every caller is in."""
    calls: list[int] = []
    original = render_pool._result

    def counted(future: Future[object], timeout_s: float) -> object:
        calls.append(1)
        return original(future, timeout_s)

    monkeypatch.setattr(render_pool, "_result", counted)
    return calls


def _until(condition: Callable[[], bool]) -> None:
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("condition not reached")


def test_identical_concurrent_runs_render_and_store_once(
    pool: RenderPool, waiting: list[int]
) -> None:
    gate, renders, stores = threading.Event(), [], []

    def store(value: str) -> str:
        stores.append(value)
        return value + "!"

    with ThreadPoolExecutor(4) as callers:
        runs = [
            callers.submit(pool.run, "k", _gated(gate, "v", renders), store, WAIT) for _ in range(4)
        ]
        _until(lambda: len(waiting) == 4)
        gate.set()
        assert [r.result(WAIT) for r in runs] == ["v!"] * 4
    assert len(renders) == 1 and stores == ["v"]


def test_renders_run_on_the_workers_and_stores_in_the_caller() -> None:
    pool, where = RenderPool(workers=1), {}

    def store(value: str) -> str:
        where["store"] = threading.current_thread().name
        return value

    def render() -> str:
        where["render"] = threading.current_thread().name
        return "v"

    assert pool.run("k", render, store, WAIT) == "v"
    assert where["render"].startswith("cloudlet-render")
    assert where["store"] == threading.current_thread().name
    pool.shutdown()


def test_a_worker_takes_the_next_render_while_the_last_one_is_stored() -> None:
    pool, storing, second_rendered = RenderPool(workers=1), threading.Event(), threading.Event()

    def slow_store(value: str) -> str:
        storing.set()
        assert second_rendered.wait(WAIT)  # the only worker rendered the next job meanwhile
        return value

    with ThreadPoolExecutor(2) as callers:
        first = callers.submit(pool.run, "a", lambda: "a", slow_store, WAIT)
        assert storing.wait(WAIT)
        second = callers.submit(
            pool.run, "b", lambda: second_rendered.set() or "b", lambda v: v, WAIT
        )
        assert first.result(WAIT) == "a" and second.result(WAIT) == "b"
    pool.shutdown()


def test_new_keys_past_the_bound_are_refused_at_once(pool: RenderPool) -> None:
    gate, renders = threading.Event(), []
    with ThreadPoolExecutor(3) as callers:
        busy = [
            callers.submit(pool.run, key, _gated(gate, key, renders), str, WAIT)
            for key in ("a", "b", "c")
        ]
        _until(lambda: len(pool._inflight) == 3)
        with pytest.raises(OverloadedError) as refused:
            pool.run("d", lambda: "d", str, WAIT)
        assert refused.value.status == 503
        gate.set()
        assert sorted(r.result(WAIT) for r in busy) == ["a", "b", "c"]
    assert pool.run("d", lambda: "d", str, WAIT) == "d"  # room again


def test_a_render_past_its_time_limit_is_a_504_for_every_waiter(pool: RenderPool) -> None:
    gate, renders, stores = threading.Event(), [], []
    with ThreadPoolExecutor(2) as callers:
        runs = [
            callers.submit(pool.run, "k", _gated(gate, "v", renders), stores.append, 0.2)
            for _ in range(2)
        ]
        for run in runs:
            with pytest.raises(RenderTimeoutError) as late:
                run.result(WAIT)
            assert late.value.status == 504
    gate.set()
    assert stores == []  # a late render is dropped, not stored


def test_a_failed_render_fails_every_waiter_and_frees_the_key(pool: RenderPool) -> None:
    gate = threading.Event()

    def broken() -> str:
        assert gate.wait(WAIT)
        raise BadRequestError("The image cannot be processed")

    with ThreadPoolExecutor(2) as callers:
        runs = [callers.submit(pool.run, "k", broken, str, WAIT) for _ in range(2)]
        gate.set()
        for run in runs:
            with pytest.raises(BadRequestError, match="cannot be processed"):
                run.result(WAIT)
    assert pool.run("k", lambda: "again", str, WAIT) == "again"
