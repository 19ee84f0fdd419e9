"""What one Admin API call costs the catalog: statements, pool checkouts and time per call,
on SQLite and PostgreSQL, in process (an ASGI client: no HTTP server, so the catalog's
share shows). Each case runs twice side by side, alternating: as shipped (the cloud
remembered until the delivery generation moves) and with the cloud looked up on every call
(as before), so the ratio survives a noisy machine.

    .venv/bin/python bench/bench_api_calls.py [--backends sqlite,postgres] [--calls 400]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cloudlet.app import build_deps, create_app  # noqa: E402
from cloudlet.services.deps import Deps  # noqa: E402
from cloudlet.settings import Settings  # noqa: E402

KEY, SECRET = "111122223333444", "secret"
CASES = {
    "list by prefix": "/v1_1/b/resources/image/upload?prefix=a/",
    "resources by tag": "/v1_1/b/resources/image/tags/x",
}
POSTGRES = "host=127.0.0.1 dbname=test user=root"
SCHEMA = "bench_api_calls"


def build(backend: str, data: Path) -> Deps:
    url = ""
    if backend == "postgres":
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            conn.execute(f"CREATE SCHEMA {SCHEMA}")
        url = f"postgresql://root@127.0.0.1:5432/test?options=-csearch_path%3D{SCHEMA}"
    deps = build_deps(Settings(data_dir=data, database_url=url, access_log=False))
    deps.catalog.create_cloud("b", KEY, SECRET)
    return deps


async def measure(deps: Deps, path: str, calls: int) -> dict[str, dict[str, float]]:
    statements, checkouts = [0], [0]
    sa.event.listen(deps.catalog.engine, "before_cursor_execute", lambda *_: _inc(statements))
    sa.event.listen(deps.catalog.engine, "checkout", lambda *_: _inc(checkouts))
    remembered = deps.catalog.get_cloud_remembered
    variants: dict[str, Any] = {"remembered": remembered, "looked up": deps.catalog.get_cloud}
    auth = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    counts = {name: [0, 0] for name in variants}
    app = create_app(deps.settings, deps)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        for _ in range(20):  # warm-up
            await client.get(path, headers=auth)
        for i in range(calls * 2):
            name = list(variants)[i % 2]
            deps.catalog.get_cloud_remembered = variants[name]  # type: ignore[method-assign]
            statements[0] = checkouts[0] = 0
            started = time.perf_counter()
            response = await client.get(path, headers=auth)
            times[name].append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            counts[name][0] += statements[0]
            counts[name][1] += checkouts[0]
    deps.catalog.get_cloud_remembered = remembered  # type: ignore[method-assign]
    return {
        name: {
            "statements": counts[name][0] / calls,
            "checkouts": counts[name][1] / calls,
            "p50": 1000 * statistics.median(times[name]),
            "p95": 1000 * statistics.quantiles(times[name], n=20)[-1],
        }
        for name in variants
    }


def _inc(counter: list[int]) -> None:
    counter[0] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    print("| backend | call | variant | statements | checkouts | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            deps = build(backend, Path(tmp) / "data")
            try:
                for case, path in CASES.items():
                    found = asyncio.run(measure(deps, path, args.calls))
                    for name, row in found.items():
                        print(
                            f"| {backend} | {case} | {name} | {row['statements']:.1f} | "
                            f"{row['checkouts']:.1f} | {row['p50']:.2f} | {row['p95']:.2f} |"
                        )
            finally:
                deps.catalog.close()
                if backend == "postgres":
                    with psycopg.connect(POSTGRES, autocommit=True) as conn:
                        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


if __name__ == "__main__":
    main()
