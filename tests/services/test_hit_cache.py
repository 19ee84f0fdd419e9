"""The delivery generation (shared between processes) and the hit cache it invalidates."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.generation import Generation
from cloudlet.catalog.model import NewAsset
from cloudlet.services.hit_cache import HitCache

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_generation_is_shared_through_its_file(tmp_path: Path) -> None:
    one, two = Generation(tmp_path / "g"), Generation(tmp_path / "g")
    assert one.value == two.value == 0
    assert one.bump() == 1 and two.value == 1
    assert two.bump() == 2 and one.value == 2


def test_generation_bumped_by_another_process_is_seen(tmp_path: Path) -> None:
    here = Generation(tmp_path / "g")
    code = (
        "import sys; from pathlib import Path; from cloudlet.catalog.generation import "
        "Generation; g = Generation(Path(sys.argv[1]))\nfor _ in range(500): g.bump()"
    )
    others = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "g")]) for _ in range(3)]
    for _ in range(500):
        here.bump()
    assert all(p.wait(timeout=60) == 0 for p in others)
    assert here.value == 2000  # no bump lost: they are serialised across processes


def test_private_generation_starts_at_zero() -> None:
    private = Generation()
    assert private.value == 0 and private.bump() == 1


def test_cache_forgets_everything_when_the_generation_moves() -> None:
    generation = Generation()
    cache: HitCache[str] = HitCache(generation, max_entries=10, max_bytes=100)
    since = cache.generation()
    assert cache.put("a", "A", since) and cache.get("a") == "A"
    generation.bump()
    assert cache.get("a") is None and len(cache) == 0


def test_answer_found_during_a_write_is_not_kept() -> None:
    generation = Generation()
    cache: HitCache[str] = HitCache(generation, max_entries=10, max_bytes=100)
    since = cache.generation()
    generation.bump()  # a write committed while the catalog was being asked
    assert not cache.put("a", "A", since)
    assert cache.get("a") is None


def test_cache_is_bounded_by_entries_and_bytes() -> None:
    cache: HitCache[str] = HitCache(Generation(), max_entries=3, max_bytes=100)
    since = cache.generation()
    for key in "abcd":
        cache.put(key, key.upper(), since, size=10)
    assert cache.get("a") is None and cache.get("d") == "D" and len(cache) == 3
    cache.put("big", "B", since, size=90)  # the oldest go until it fits
    assert cache.bytes <= 100 and cache.get("big") == "B" and cache.get("b") is None
    assert not cache.put("huge", "H", since, size=101)


def test_zero_entries_turns_the_cache_off() -> None:
    cache: HitCache[str] = HitCache(Generation(), max_entries=0, max_bytes=100)
    assert not cache.put("a", "A", cache.generation()) and cache.get("a") is None


def test_catalog_writes_move_the_generation_journal_writes_do_not(catalog: Catalog) -> None:
    generation = catalog.generation
    cloud = catalog.create_cloud("gen", "111122223333444", "secret")
    before = generation.value
    catalog.journal_add("gen/blob", NOW)
    catalog.journal_remove("gen/blob")
    assert generation.value == before
    asset, _, _ = catalog.create_or_replace_asset(
        cloud.id, _new_asset("gen/one"), overwrite=False, now=NOW
    )
    after_create = generation.value
    assert after_create > before
    catalog.update_cloud_settings("gen", {"strict_transformations": True})
    assert generation.value > after_create
    moved = generation.value
    catalog.delete_asset(asset.id)
    assert generation.value > moved


def _new_asset(public_id: str) -> NewAsset:
    return NewAsset(
        resource_type="image", type="upload", public_id=public_id, version_id="v" * 32,
        format="png", bytes=10, width=1, height=1, pages=1, duration=None, etag="e" * 32,
        storage_key=f"k/{public_id}", original_filename="one", asset_folder="",
        display_name="one", tags=[], context={}, extra={},
    )  # fmt: skip


# ---------------------------------------------------------------- several nodes (PostgreSQL)


def _node(url: str, data_dir: Path, check_s: float) -> Catalog:
    """One node's catalog: its own machine-wide counter file, the shared database."""
    catalog = Catalog(url, Generation(data_dir / "delivery.generation", check_s=check_s))
    catalog.migrate()
    return catalog


@pytest.mark.postgres
def test_a_write_on_another_node_is_seen_within_the_check_interval(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    one = _node(postgres_schema_url, tmp_path / "one", 0.05)
    two = _node(postgres_schema_url, tmp_path / "two", 0.05)
    try:
        assert one.generation.shared and two.generation.shared
        cache: HitCache[str] = HitCache(two.generation, max_entries=10, max_bytes=100)
        assert cache.put("a", "A", cache.generation())
        one.create_cloud("demo", "123", "secret")  # a write on the other node
        time.sleep(0.06)
        assert cache.get("a") is None
        assert cache.put("a", "A2", cache.generation())  # refilled once seen
        assert cache.get("a") == "A2"
    finally:
        one.close()
        two.close()


@pytest.mark.postgres
def test_check_interval_zero_sees_another_nodes_write_at_once(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    one = _node(postgres_schema_url, tmp_path / "one", 0)
    two = _node(postgres_schema_url, tmp_path / "two", 0)
    try:
        cache: HitCache[str] = HitCache(two.generation, max_entries=10, max_bytes=100)
        since = cache.generation()
        one.create_cloud("demo", "123", "secret")
        assert not cache.put("a", "A", since)  # found while the other node wrote: not kept
        assert cache.put("a", "A", cache.generation())
        one.create_cloud("demo2", "124", "secret")
        assert cache.get("a") is None
    finally:
        one.close()
        two.close()


def test_an_unreadable_shared_counter_drops_what_is_remembered() -> None:
    class Broken:
        def read(self) -> int:
            raise OSError("catalog unreachable")

        def bump(self) -> int:
            raise OSError("catalog unreachable")

    generation = Generation(check_s=0)
    generation.share(Broken())
    cache: HitCache[str] = HitCache(generation, max_entries=10, max_bytes=100)
    first = generation.value
    assert generation.value != first  # every read differs: nothing remembered is trusted
    generation.bump()  # a write that committed is not failed by the counter
    assert cache.get("a") is None


def test_a_sqlite_catalog_keeps_the_generation_to_its_machine(tmp_path: Path) -> None:
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    try:
        assert not catalog.generation.shared and not catalog.shared
    finally:
        catalog.close()
