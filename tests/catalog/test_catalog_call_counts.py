"""Admin API call counts in the catalog: one count per cloud and window, exact under
concurrency (every node of a deployment counts here when there is no Redis)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.schema import api_call_counts

HOUR = 1_733_220_000 - 1_733_220_000 % 3600


def test_counts_per_cloud_and_window(catalog: Catalog) -> None:
    assert [catalog.count_api_call("demo", HOUR) for _ in range(3)] == [1, 2, 3]
    assert catalog.count_api_call("other", HOUR) == 1
    assert catalog.count_api_call("demo", HOUR + 3600) == 1
    assert catalog.count_api_call("demo", HOUR + 3600) == 2


def test_a_new_window_removes_the_clouds_old_ones(catalog: Catalog) -> None:
    catalog.count_api_call("demo", HOUR)
    catalog.count_api_call("other", HOUR)
    catalog.count_api_call("demo", HOUR + 3600)
    with catalog.engine.connect() as conn:
        rows = conn.execute(sa.select(api_call_counts.c.cloud, api_call_counts.c.window)).all()
    assert sorted(rows) == [("demo", HOUR + 3600), ("other", HOUR)]


def test_concurrent_calls_are_all_counted(catalog: Catalog) -> None:
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda _: catalog.count_api_call("demo", HOUR), range(80)))
    assert sorted(seen) == list(range(1, 81))


def test_counting_does_not_move_the_delivery_generation(catalog: Catalog) -> None:
    before = catalog.generation.value
    catalog.count_api_call("demo", HOUR)
    assert catalog.generation.value == before  # cached deliveries stay valid
