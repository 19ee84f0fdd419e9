"""A bounded pool of render workers in which identical concurrent renders run once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from cloudlet.errors import CloudletError

T = TypeVar("T")


class OverloadedError(CloudletError):
    """Too many renders are queued: answer at once instead of queueing without bound."""

    status = 503


class RenderTimeoutError(CloudletError):
    """A render ran past its time limit."""

    status = 504


class RenderPool:
    """Runs render jobs on ``workers`` threads (libvips releases the GIL while it works).

    Requests for a key already being rendered wait for that render instead of starting
    another (single flight, within this process). When ``max_pending`` jobs are queued or
    running, new keys are refused with OverloadedError (HTTP 503)."""

    def __init__(self, workers: int | None = None, max_pending: int | None = None) -> None:
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.max_pending = max_pending or self.workers * 8
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="cloudlet-render")
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, Future[object]] = {}

    def run(self, key: Hashable, job: Callable[[], T], timeout_s: float) -> T:
        """The result of ``job`` for ``key``, running it unless an identical one is running."""
        with self._lock:
            future = self._inflight.get(key)
            if future is None:
                if len(self._inflight) >= self.max_pending:
                    raise OverloadedError("Server is busy rendering; try again shortly")
                future = self._executor.submit(job)
                self._inflight[key] = future
                future.add_done_callback(lambda _f: self._forget(key))
        try:
            return future.result(timeout=timeout_s)  # type: ignore[return-value]
        except FutureTimeout:
            raise RenderTimeoutError(f"Rendering took longer than {timeout_s:g} s") from None

    def _forget(self, key: Hashable) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    def shutdown(self) -> None:
        """Stop accepting work; running renders finish."""
        self._executor.shutdown(wait=False, cancel_futures=True)
