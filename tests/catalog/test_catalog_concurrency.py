"""Concurrent writers from many threads, as a web server's threadpool produces them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from tests.catalog.catalog_factories import at, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError

THREADS = 8


def race(task: Callable[[int], Any]) -> list[Any]:
    """Run ``task(i)`` for i in 0..THREADS-1, all released at the same moment."""
    barrier = threading.Barrier(THREADS)

    def run(i: int) -> Any:
        barrier.wait(timeout=30)
        return task(i)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_concurrent_creates_make_one_asset(catalog: Catalog, cloud: Cloud) -> None:
    results = race(
        lambda i: catalog.create_or_replace_asset(
            cloud.id, new_asset("contended"), overwrite=False, now=at(i)
        )
    )
    assets = {asset.asset_id for asset, _, _ in results}
    assert len(assets) == 1
    assert sorted(existing for _, _, existing in results) == [False] + [True] * (THREADS - 1)
    listed = catalog.list_assets(cloud.id, "image", max_results=100).items
    assert [a.public_id for a in listed] == ["contended"]
    assert len(catalog.list_versions(listed[0].id)) == 1


def test_concurrent_overwrites_keep_versions_increasing(catalog: Catalog, cloud: Cloud) -> None:
    uploads = [new_asset("contended", tags=[f"t{i}"]) for i in range(THREADS)]
    results = race(
        lambda i: catalog.create_or_replace_asset(cloud.id, uploads[i], overwrite=True, now=at(0))
    )
    assert len({asset.asset_id for asset, _, _ in results}) == 1
    assert not any(existing for _, _, existing in results)
    versions = catalog.list_versions(results[0][0].id)
    numbers = [v.version for v in versions]
    assert len(numbers) == THREADS and numbers == sorted(set(numbers), reverse=True)
    assert numbers[-1] == int(at(0).timestamp())
    # exactly the last writer's blob is live; every replaced one is journalled for deletion
    current = catalog.get_asset(cloud.id, "image", "upload", "contended")
    assert current is not None and current.version == numbers[0]
    assert [v.storage_key for v in versions[1:]] == [None] * (THREADS - 1)
    replaced = {u.storage_key for u in uploads} - {current.storage_key}
    assert set(catalog.journal_entries()) == replaced
    assert catalog.referenced_storage_keys() == {current.storage_key}


def test_concurrent_creates_of_different_assets(catalog: Catalog, cloud: Cloud) -> None:
    race(
        lambda i: [
            catalog.create_or_replace_asset(
                cloud.id, new_asset(f"p{i}-{j}", tags=["shared"]), overwrite=False, now=at(j)
            )
            for j in range(5)
        ]
    )
    assert catalog.usage(cloud.id)["resources"] == THREADS * 5
    assert catalog.list_tags(cloud.id, "image").items == ["shared"]


def test_delete_token_is_consumed_once(catalog: Catalog, cloud: Cloud) -> None:
    asset, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("a"), overwrite=True, now=at(0)
    )
    catalog.create_delete_token(cloud.id, asset.id, "once", expires_at=at(60))
    results = race(lambda i: catalog.consume_delete_token(cloud.id, "once", at(1)))
    assert sorted(results, key=lambda r: r is not None) == [None] * (THREADS - 1) + [asset.id]


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_settings_merges_lose_nothing(
    catalog: Catalog, cloud: Cloud, attempt: int
) -> None:
    race(lambda i: catalog.update_cloud_settings(cloud.name, {f"k{i}": i}))
    settings = catalog.get_cloud(cloud.name).settings  # type: ignore[union-attr]
    assert settings == {f"k{i}": i for i in range(THREADS)}


def test_renames_and_tag_commands_over_the_same_assets_do_not_deadlock(
    catalog: Catalog, cloud: Cloud
) -> None:
    """A tags command locks its assets in pk order. A rename locks its asset and the one at
    its target; taken in the other order (the renamed asset first, the target's lower pk
    second) the two deadlock on PostgreSQL, and one of them failed as a 500 under load."""
    low, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("low"), overwrite=False, now=at(0)
    )
    high, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("high"), overwrite=False, now=at(1)
    )
    assert high.id > low.id

    def task(i: int) -> int:
        refused = 0
        for n in range(60):
            if i % 2:
                try:
                    catalog.rename_asset(high.id, "low", to_type=None, overwrite=False, now=at(n))
                except AlreadyExistsError:
                    refused += 1
            else:
                found = catalog.change_tags(
                    cloud.id, "image", "upload", ["high", "low"], "add", [f"t{n % 3}"], at(n)
                )
                assert found == ["high", "low"]
        return refused

    assert sum(race(task)) == THREADS // 2 * 60  # every rename met the asset at its target
    assert {tag for tag in catalog.list_tags(cloud.id, "image").items} == {"t0", "t1", "t2"}
