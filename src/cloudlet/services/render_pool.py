"""A bounded pool of render workers in which identical concurrent renders run once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from cloudlet.errors import CloudletError

R = TypeVar("R")
T = TypeVar("T")


class OverloadedError(CloudletError):
    """Too many renders are queued: answer at once instead of queueing without bound."""

    status = 503


class RenderTimeoutError(CloudletError):
    """A render ran past its time limit."""

    status = 504


class RenderPool:
    """Runs renders on ``workers`` threads (libvips releases the GIL while it works).

    Only the CPU-bound part runs there: storing its result (a blob write with its fsyncs and
    catalog transactions) happens in the calling thread, so a worker is never idle waiting for
    a disk while renders are queued. Requests for a key already being rendered wait for that
    run instead of starting another (single flight within this process; across processes and
    nodes through the ``guard`` of ``run``). When
    ``max_pending`` keys are queued, rendering or being stored, new keys are refused with
    OverloadedError (HTTP 503)."""

    def __init__(self, workers: int | None = None, max_pending: int | None = None) -> None:
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.max_pending = max_pending or self.workers * 8
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="cloudlet-render")
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, Future[object]] = {}

    def run(
        self,
        key: Hashable,
        render: Callable[[], R],
        store: Callable[[R], T],
        timeout_s: float,
        guard: Callable[[Callable[[], T]], T] | None = None,
    ) -> T:
        """``store(render())`` for ``key``, unless an identical run is under way: then its
        result. ``render`` runs on a worker and may take ``timeout_s``; ``store`` runs here.
        ``guard``, when given, is handed the whole run to make (or not: it may return the
        result of an identical run in another process, ``services.render_claims``)."""
        with self._lock:
            shared = self._inflight.get(key)
            if shared is None:
                if len(self._inflight) >= self.max_pending:
                    raise OverloadedError("Server is busy rendering; try again shortly")
                shared = self._inflight[key] = Future()
                leading = True
            else:
                leading = False
        if not leading:
            return _result(shared, timeout_s)  # type: ignore[return-value]

        def produce() -> T:
            return store(_result(self._executor.submit(render), timeout_s))

        try:
            result = produce() if guard is None else guard(produce)
        except BaseException as exc:
            shared.set_exception(exc)
            raise
        else:
            shared.set_result(result)
            return result
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    def shutdown(self) -> None:
        """Stop accepting work; running renders finish."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _result(future: Future[R], timeout_s: float) -> R:
    try:
        return future.result(timeout=timeout_s)
    except FutureTimeout:
        raise RenderTimeoutError(f"Rendering took longer than {timeout_s:g} s") from None
