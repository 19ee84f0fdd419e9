"""Deleting 100 000 assets by prefix: how long the SDK's loop of paged calls takes.

Fills a catalog with N synthetic asset rows (blobs are not needed for the timing; the blob
deletes then find nothing to remove) and times the service the Admin API calls, page after
page, on SQLite and, when reachable, PostgreSQL.

    .venv/bin/python bench/bench_bulk_delete.py [--assets 100000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cloudlet.app import build_deps  # noqa: E402
from cloudlet.catalog.schema import assets  # noqa: E402
from cloudlet.services import clouds, manage  # noqa: E402
from cloudlet.services.deps import Deps, utc_now  # noqa: E402
from cloudlet.settings import Settings  # noqa: E402


def fill(deps: Deps, cloud_id: int, count: int) -> None:
    """Insert ``count`` asset rows under ``bulk/`` in batches of 5000."""
    now = utc_now()
    rows = [
        {
            "cloud_id": cloud_id, "asset_id": secrets.token_hex(16), "resource_type": "image",
            "type": "upload", "public_id": f"bulk/{i:07d}", "version": 1,
            "version_id": secrets.token_hex(16), "format": "jpg", "bytes": 1000, "width": 10,
            "height": 10, "pages": 1, "duration": None, "etag": "0" * 32,
            "storage_key": f"{cloud_id}/originals/00/{i:07d}", "original_filename": "x",
            "asset_folder": "bulk", "display_name": str(i), "placeholder": False,
            "access_mode": "public", "context": {}, "extra": {}, "created_at": now,
            "uploaded_at": now, "updated_at": now,
        }
        for i in range(count)
    ]  # fmt: skip
    with deps.catalog.engine.begin() as conn:
        for start in range(0, count, 5000):
            conn.execute(assets.insert(), rows[start : start + 5000])


def run(label: str, settings: Settings, count: int) -> None:
    deps = build_deps(settings)
    cloud = clouds.create_cloud(deps, f"bench{secrets.token_hex(3)}")
    fill(deps, cloud.id, count)
    began = time.perf_counter()
    calls, cursor, deleted = 0, None, 0
    while True:
        params = {"prefix": "bulk/", **({"next_cursor": cursor} if cursor else {})}
        result = manage.delete_resources(deps, cloud, "image", "upload", params)
        calls += 1
        deleted += len(result["deleted"])
        if not result["partial"]:
            break
        cursor = result["next_cursor"]
    elapsed = time.perf_counter() - began
    assert deleted == count, (deleted, count)
    print(
        f"{label:10} {count} assets in {calls} calls: {elapsed:.1f} s "
        f"({count / elapsed:,.0f} assets/s, {elapsed / calls * 1000:.0f} ms per call)"
    )
    deps.catalog.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bulk-"))
    run("SQLite", Settings(data_dir=work / "sqlite"), args.assets)
    url = os.environ.get("CLOUDLET_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
    schema = f"bench_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError:
        print("PostgreSQL   not reachable, skipped")
        return
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            pg = f"{url}?options=-csearch_path%3D{schema}"
            run("PostgreSQL", Settings(data_dir=work / "pg", database_url=pg), args.assets)
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
