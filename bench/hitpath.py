"""The delivery hit path timed in process: ``HitMiddleware`` called directly, no sockets.

What ``bench_nodes`` and ``bench_observe`` share: the full application answers the URL once
(so the hit cache holds it), then a loop sends the same request through the middleware alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def hit_timer(
    app: Any, path: str, *, hits: int, repeats: int, observer: Any = None
) -> Callable[[], float]:
    """A measurement of µs per hit on ``path`` (the best of ``repeats`` runs of ``hits``)
    through the ``HitMiddleware`` of ``app`` alone, with ``observer`` counting (or none)."""
    from starlette.testclient import TestClient

    from cloudlet.web.hits import HitMiddleware

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "headers": [(b"host", b"localhost")], "query_string": b""}  # fmt: skip

    async def noop(message: object) -> None:
        return None

    async def inner(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not a hit")

    with TestClient(app) as client:  # the full path remembers the answer
        assert client.get(path).status_code == 200
    middleware = HitMiddleware(inner, hits=app.state.hits, deps=app.state.deps, observer=observer)

    async def loop() -> float:
        started = time.perf_counter()
        for _ in range(hits):
            await middleware(scope, noop, noop)
        return time.perf_counter() - started

    return lambda: min(asyncio.run(loop()) for _ in range(repeats)) / hits * 1e6
