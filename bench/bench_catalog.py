"""Listings, search and bulk operations at 10 k, 100 k and 1 M assets, on SQLite and PostgreSQL.

For each backend and size, a fresh catalog is filled by ``cloudlet bench-catalog`` (synthetic
records, no blobs), ``cloudlet serve`` is started on loopback, and the real HTTP API is timed
one request at a time (p50/p95 over ``--rounds`` requests, after a warm-up):

- list by prefix: ``GET resources/image/upload?prefix=…`` (several folders in turn)
- resources_by_tag: ``GET resources/image/tags/{tag}`` (tags of Zipf rank 1, 10, 100, 500)
- deep pagination: ``GET resources/image/upload`` walked by ``next_cursor`` to page 1000
  (10 per page); the page-1000 request itself is timed, next to page 1
- search: ``POST resources/search``, tag + created_at range + format, sorted by created_at
  (reported as unavailable while the server has no Search API)
- bulk tag: ``POST image/tags`` adding a tag to 1000 public ids in one call
- bulk delete: ``DELETE resources/image/upload?prefix=archive/`` (one asset in ten, so
  100 000 at 1 M) called until it stops answering ``partial``

Listings ask for ``max_results=50`` (the Search API's default). Next to each case: the share
of the machine's CPU that other processes took meanwhile (PostgreSQL's own work counts there).

    .venv/bin/python bench/bench_catalog.py [--sizes 10000,100000,1000000]
        [--backends sqlite,postgres] [--rounds 40] [--keep]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from cloudinary.utils import api_sign_request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.peers import foreign_share, machine  # noqa: E402
from tests.compat.server import start_server, stop_server  # noqa: E402

from cloudlet.catalog.catalog import Catalog  # noqa: E402
from cloudlet.services.synthetic import ARCHIVE_FOLDER, TAGS  # noqa: E402

CLOUD = "bench"
PAGE = 50
PREFIXES = ("products/", "products/shoes/", "blog/travel/", "campaigns/sale/2024/", "events/")
BY_TAG = (TAGS[0], TAGS[9], TAGS[99], TAGS[499])
DEEP_PAGE, DEEP_SIZE = 1000, 10
BULK_IDS = 1000
SEARCH = {
    "expression": f"tags={TAGS[4]} AND created_at:[2023-01-01 TO 2025-01-01] AND format=jpg",
    "sort_by": [{"created_at": "desc"}],
    "max_results": PAGE,
}


@dataclass
class Result:
    """One case: request latencies (ms) and the CPU share others took meanwhile."""

    samples: list[float]
    foreign: float
    note: str = ""

    def line(self, name: str) -> str:
        if not self.samples:
            return f"  {name:18} {self.note}"
        p50, p95 = percentile(self.samples, 50), percentile(self.samples, 95)
        return (
            f"  {name:18} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (n={len(self.samples)}, "
            f"others {self.foreign:.0%} CPU){'  ' + self.note if self.note else ''}"
        )


def percentile(samples: list[float], pct: int) -> float:
    """The ``pct``-th percentile (inclusive method; the median for 50)."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


class Api:
    """The Admin and Upload API of the running server, as the bench cloud."""

    def __init__(self, base_url: str, key: str, secret: str) -> None:
        self.key, self.secret = key, secret
        self.client = httpx.Client(base_url=f"{base_url}/v1_1/{CLOUD}", auth=(key, secret))

    def timed(self, method: str, path: str, **options: object) -> tuple[float, httpx.Response]:
        began = time.perf_counter()
        response = self.client.request(method, path, timeout=600, **options)  # type: ignore[arg-type]
        return (time.perf_counter() - began) * 1000, response

    def signed(self, params: dict[str, object]) -> dict[str, object]:
        """Upload API parameters with timestamp, api_key and signature."""
        params = {**params, "timestamp": int(time.time())}
        params["signature"] = api_sign_request(params, self.secret)
        return {**params, "api_key": self.key}


def repeat(api: Api, rounds: int, call: Callable[[int], float], pid: int) -> Result:
    """``call(i)`` → milliseconds, after 3 warm-up calls; ``rounds`` samples."""
    for i in range(3):
        call(i)
    samples, foreign = foreign_share(lambda: [call(i) for i in range(rounds)], pid)
    return Result(samples, foreign)


def get_ok(api: Api, path: str, params: dict[str, object]) -> tuple[float, dict[str, object]]:
    given = {k: v for k, v in params.items() if v is not None}
    ms, response = api.timed("GET", path, params=given)
    response.raise_for_status()
    return ms, response.json()


def case_prefix(api: Api, rounds: int, pid: int) -> Result:
    def call(i: int) -> float:
        params = {"prefix": PREFIXES[i % len(PREFIXES)], "max_results": PAGE}
        return get_ok(api, "/resources/image/upload", params)[0]

    return repeat(api, rounds, call, pid)


def case_tag(api: Api, rounds: int, pid: int) -> Result:
    def call(i: int) -> float:
        tag = BY_TAG[i % len(BY_TAG)]
        return get_ok(api, f"/resources/image/tags/{tag}", {"max_results": PAGE})[0]

    return repeat(api, rounds, call, pid)


def case_deep(api: Api, rounds: int, pid: int) -> tuple[Result, Result]:
    """Page 1 and page ``DEEP_PAGE`` (or the last page, in a smaller catalog)."""
    params: dict[str, object] = {"max_results": DEEP_SIZE}
    first = repeat(api, rounds, lambda i: get_ok(api, "/resources/image/upload", params)[0], pid)
    cursor, page = None, 1
    while page < DEEP_PAGE:
        _ms, body = get_ok(api, "/resources/image/upload", {**params, "next_cursor": cursor})
        if "next_cursor" not in body:
            break
        cursor, page = body["next_cursor"], page + 1
    deep = {**params, "next_cursor": cursor} if cursor else params
    result = repeat(api, rounds, lambda i: get_ok(api, "/resources/image/upload", deep)[0], pid)
    result.note = f"page {page}"
    return first, result


def case_search(api: Api, rounds: int, pid: int) -> Result:
    _ms, probe = api.timed("POST", "/resources/search", json=SEARCH)
    if probe.status_code in (404, 405):
        return Result([], 0.0, f"not available (HTTP {probe.status_code})")
    probe.raise_for_status()

    def call(i: int) -> float:
        ms, response = api.timed("POST", "/resources/search", json=SEARCH)
        response.raise_for_status()
        return ms

    result = repeat(api, rounds, call, pid)
    result.note = f"total_count {probe.json().get('total_count')}"
    return result


def bulk_ids(api: Api) -> list[str]:
    """``BULK_IDS`` public ids from the products folder."""
    ids: list[str] = []
    cursor = None
    while len(ids) < BULK_IDS:
        params = {"prefix": "products/", "max_results": 500, "next_cursor": cursor}
        _ms, body = get_ok(api, "/resources/image/upload", params)
        ids += [item["public_id"] for item in body["resources"]]  # type: ignore[index]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return ids[:BULK_IDS]


def case_bulk_tag(api: Api, rounds: int, pid: int) -> Result:
    ids = bulk_ids(api)

    def call(i: int) -> float:
        params = api.signed({"command": "add", "tag": f"bulk-{i}", "public_ids": ids})
        ms, response = api.timed("POST", "/image/tags", data=params)
        response.raise_for_status()
        assert len(response.json()["public_ids"]) == len(ids)
        return ms

    result = repeat(api, rounds, call, pid)
    result.note = f"{len(ids)} public ids per call"
    return result


def case_bulk_delete(api: Api, pid: int) -> Result:
    """Every page of the prefix delete; the note gives the total."""

    def run() -> tuple[list[float], int]:
        samples, deleted, cursor = [], 0, None
        while True:
            params = {"prefix": f"{ARCHIVE_FOLDER}/", **({"next_cursor": cursor} if cursor else {})}
            ms, response = api.timed("DELETE", "/resources/image/upload", params=params)
            response.raise_for_status()
            body = response.json()
            samples.append(ms)
            deleted += len(body["deleted"])
            cursor = body.get("next_cursor")
            if not body.get("partial"):
                return samples, deleted

    began = time.perf_counter()
    (samples, deleted), foreign = foreign_share(run, pid)
    total = time.perf_counter() - began
    note = f"{deleted} deleted in {len(samples)} calls, {total:.1f} s ({deleted / total:,.0f}/s)"
    return Result(samples, foreign, note)


@contextmanager
def catalog_url(backend: str, work: Path, keep: bool = False) -> Iterator[str]:
    """A fresh, empty catalog on ``backend``; dropped afterwards unless ``keep`` (PostgreSQL
    only: its schema is printed and left for a closer look, ``DROP SCHEMA … CASCADE`` later)."""
    if backend == "sqlite":
        yield f"sqlite:///{work / 'catalog.sqlite3'}"
        return
    url = os.environ.get("CLOUDLET_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{url}?options=-csearch_path%3D{schema}"
        finally:
            if keep:
                print(f"kept PostgreSQL schema {schema}", flush=True)
            else:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def fill(env: dict[str, str], count: int) -> float:
    """Seconds ``cloudlet bench-catalog`` takes to add ``count`` assets."""
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cloudlet.cli.main", "bench-catalog", "--assets", str(count),
         "--cloud", CLOUD],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - began


def run(backend: str, count: int, rounds: int, keep: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp, catalog_url(backend, Path(tmp), keep) as url:
        env = {
            **os.environ,
            "CLOUDLET_DATA_DIR": tmp,
            "CLOUDLET_DATABASE_URL": url,
            "CLOUDLET_ADMIN_RATE_LIMIT": str(10**9),
            "CLOUDLET_ACCESS_LOG": "false",
        }
        seconds = fill(env, count)
        catalog = Catalog(url)
        cloud = catalog.get_cloud(CLOUD)
        catalog.close()
        assert cloud is not None
        server = start_server(Path(tmp), env, create_clouds=False)
        try:
            print(f"{backend} {count:,} assets (filled in {seconds:.0f} s)", flush=True)
            api = Api(server.base_url, cloud.api_key, cloud.api_secret)
            measure(api, rounds, server.process.pid)
        finally:
            stop_server(server)


def measure(api: Api, rounds: int, pid: int) -> None:
    print(case_prefix(api, rounds, pid).line("list by prefix"), flush=True)
    print(case_tag(api, rounds, pid).line("resources_by_tag"), flush=True)
    first, deep = case_deep(api, rounds, pid)
    print(first.line("page 1 (10/page)"), flush=True)
    print(deep.line("deep pagination"), flush=True)
    print(case_search(api, rounds, pid).line("search"), flush=True)
    print(case_bulk_tag(api, max(5, rounds // 4), pid).line("tag 1000 assets"), flush=True)
    print(case_bulk_delete(api, pid).line("delete by prefix"), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="leave the PostgreSQL schemas")
    args = parser.parse_args()
    print(machine(), flush=True)
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            run(backend, size, args.rounds, args.keep)


if __name__ == "__main__":
    main()
