"""Browsing a large folder in the Media Explorer: how long one page of cards takes.

Fills a catalog with synthetic asset rows: FOLDER/ holds N assets of its own, FOLDER/sub/
another N (which the folder page must skip), and N more live elsewhere. Then, side by side on
SQLite and (when reachable) PostgreSQL, it times:

- the folder page query (``list_folder_assets``, 60 cards), first page and every later page;
- the Admin API listing by prefix (``list_assets``, which includes subfolders) as the
  reference: the cheapest keyset page the catalog can serve;
- the whole signed-in HTTP page (``GET /console/{cloud}/?folder=…``, in process).

    .venv/bin/python bench/bench_console_browse.py [--assets 50000]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from starlette.testclient import TestClient  # noqa: E402

from cloudlet.app import build_deps, create_app  # noqa: E402
from cloudlet.catalog.schema import assets  # noqa: E402
from cloudlet.services import clouds, console_auth  # noqa: E402
from cloudlet.services.deps import Deps, utc_now  # noqa: E402
from cloudlet.settings import Settings  # noqa: E402

PAGE = 60


def _row(cloud_id: int, public_id: str, now: object) -> dict[str, object]:
    return {
        "cloud_id": cloud_id, "asset_id": secrets.token_hex(16), "resource_type": "image",
        "type": "upload", "public_id": public_id, "version": 1,
        "version_id": secrets.token_hex(16), "format": "jpg", "bytes": 1000, "width": 10,
        "height": 10, "pages": 1, "duration": None, "etag": "0" * 32,
        "storage_key": f"{cloud_id}/originals/{public_id}", "original_filename": "x",
        "asset_folder": public_id.rpartition("/")[0], "display_name": "x", "placeholder": False,
        "access_mode": "public", "context": {}, "extra": {}, "created_at": now,
        "uploaded_at": now, "updated_at": now,
    }  # fmt: skip


def fill(deps: Deps, cloud_id: int, count: int) -> None:
    """``big/`` gets ``count`` assets, ``big/sub/`` and ``other/`` as many again."""
    now = utc_now()
    names = [f"big/{i:07d}" for i in range(count)]
    names += [f"big/sub/{i:07d}" for i in range(count)]
    names += [f"other/{i:07d}" for i in range(count)]
    with deps.catalog.engine.begin() as conn:
        for start in range(0, len(names), 5000):
            conn.execute(
                assets.insert(), [_row(cloud_id, n, now) for n in names[start : start + 5000]]
            )


def timed(call: Callable[[], object], repeat: int = 20) -> float:
    """Median milliseconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def walk(page_of: Callable[[str | None], tuple[int, str | None]]) -> tuple[int, float, float]:
    """Every page in turn: (pages, median ms, slowest ms)."""
    cursor, samples, pages = None, [], 0
    while True:
        began = time.perf_counter()
        _count, cursor = page_of(cursor)
        samples.append((time.perf_counter() - began) * 1000)
        pages += 1
        if not cursor:
            return pages, statistics.median(samples), max(samples)


def run(label: str, settings: Settings, count: int) -> None:
    deps = build_deps(settings)
    name = f"bench{secrets.token_hex(3)}"
    cloud = clouds.create_cloud(deps, name)
    console_auth.create_user(deps, cloud, "bench", "bench password")
    fill(deps, cloud.id, count)
    catalog = deps.catalog

    def folder_page(cursor: str | None) -> tuple[int, str | None]:
        page = catalog.list_folder_assets(cloud.id, "big", max_results=PAGE, cursor=cursor)
        return len(page.items), page.next_cursor

    def prefix_page(cursor: str | None) -> tuple[int, str | None]:
        page = catalog.list_assets(cloud.id, "image", "upload", prefix="big/",
                                   max_results=PAGE, cursor=cursor)  # fmt: skip
        return len(page.items), page.next_cursor

    first_folder = timed(lambda: folder_page(None))
    first_prefix = timed(lambda: prefix_page(None))
    pages, median_folder, worst_folder = walk(folder_page)
    with TestClient(create_app(settings, deps)) as client:
        form = client.get(f"/console/{name}/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        form_data = {"username": "bench", "password": "bench password", "csrf_token": token}
        client.post(f"/console/{name}/login", data=form_data)
        page_ms = timed(lambda: client.get(f"/console/{name}/?folder=big").raise_for_status(), 10)
    print(
        f"{label}: folder page {first_folder:.1f} ms (prefix listing {first_prefix:.1f} ms, "
        f"ratio {first_folder / first_prefix:.1f}x); all {pages} pages: median "
        f"{median_folder:.1f} ms, slowest {worst_folder:.1f} ms; whole HTML page {page_ms:.1f} ms"
    )
    catalog.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", Settings(data_dir=Path(tmp) / "sqlite"), args.assets)
        url = os.environ.get("CLOUDLET_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
        schema = f"bench_{secrets.token_hex(4)}"
        try:
            admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError:
            print("PostgreSQL: not reachable, skipped")
            return
        with admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
            try:
                pg = f"{url}?options=-csearch_path%3D{schema}"
                run("PostgreSQL", Settings(data_dir=Path(tmp) / "pg", database_url=pg), args.assets)
            finally:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
