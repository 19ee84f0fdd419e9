"""Row locks taken in pk order by every write that locks more than one asset (PostgreSQL).

The tags and context commands and the deletes by ids lock their assets in pk order; a write
that took two of the same rows the other way round could deadlock with them, which the load
test once met as a 500 (a rename onto a lower pk against a tags command). Each test holds
the lower-pk row from another connection, starts the write, waits until it is blocked, and
then asks for the higher-pk row without waiting: a write that locks in pk order holds
nothing yet, one that does not already holds it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from tests.catalog.catalog_factories import T0, at, new_asset

from cloudlet.catalog.asset_deletes import Selection
from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Asset, Cloud
from cloudlet.catalog.schema import assets
from cloudlet.errors import AlreadyExistsError

pytestmark = pytest.mark.postgres


@pytest.fixture()
def catalog(postgres_schema_url: str) -> Iterator[Catalog]:
    instance = Catalog(postgres_schema_url)
    instance.migrate()
    yield instance
    instance.close()


def _two(catalog: Catalog, cloud: Cloud, lower: str, higher: str) -> tuple[Asset, Asset]:
    """Two assets, ``lower`` created first so that it has the lower pk."""
    first, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset(lower), overwrite=False, now=T0
    )
    second, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset(higher), overwrite=False, now=at(1)
    )
    assert first.id < second.id
    return first, second


def _lock(conn: sa.Connection, pk: int, *, nowait: bool = False) -> None:
    conn.execute(sa.select(assets.c.id).where(assets.c.id == pk).with_for_update(nowait=nowait))


def _wait_until_blocked_by(catalog: Catalog, holder_pid: int, pending: Future[Any]) -> None:
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    deadline = time.monotonic() + 20
    with catalog.engine.connect() as watcher:
        while time.monotonic() < deadline:
            blocked = watcher.scalar(query, {"pid": holder_pid})
            watcher.rollback()  # pg_stat_activity is read once per transaction
            if blocked:
                return
            if pending.done():
                pending.result()  # the write's own error, if it failed
                raise AssertionError("the write finished without waiting for the held row")
            time.sleep(0.02)
    raise AssertionError("the write never waited for the held row")


def _holds_nothing_while_waiting(
    catalog: Catalog, lower: Asset, higher: Asset, write: Callable[[], Any]
) -> Any:
    """Run ``write`` while another transaction holds ``lower``'s row; once it waits, the
    ``higher`` row must still be free. The write's result once the holder lets go."""
    with catalog.engine.connect() as holder, ThreadPoolExecutor(1) as pool:
        transaction = holder.begin()
        try:
            _lock(holder, lower.id)
            pid = holder.scalar(sa.text("SELECT pg_backend_pid()"))
            pending = pool.submit(write)
            _wait_until_blocked_by(catalog, pid, pending)
            _lock(holder, higher.id, nowait=True)  # LockNotAvailable: the write holds it
        finally:
            transaction.rollback()  # a failure above must not leave the write waiting
        return pending.result(timeout=30)


def test_a_rename_onto_a_lower_pk_locks_the_target_first(catalog: Catalog) -> None:
    cloud = catalog.create_cloud("locks", "111111111111111", "secret-secret")
    target, mover = _two(catalog, cloud, "target", "mover")

    def rename() -> None:
        with pytest.raises(AlreadyExistsError):
            catalog.rename_asset(mover.id, "target", to_type=None, overwrite=False, now=at(2))

    _holds_nothing_while_waiting(catalog, target, mover, rename)


def test_a_prefix_delete_locks_its_page_in_pk_order(catalog: Catalog) -> None:
    """Prefix deletes page in public id order: here "p/a" sorts first but has the higher pk."""
    cloud = catalog.create_cloud("locks", "111111111111111", "secret-secret")
    lower, higher = _two(catalog, cloud, "p/b", "p/a")
    page = _holds_nothing_while_waiting(
        catalog,
        lower,
        higher,
        lambda: catalog.delete_assets_page(cloud.id, Selection("image", "upload", prefix="p/")),
    )
    assert page.deleted == ["p/a", "p/b"] and not page.partial
    assert (page.last_public_id, page.last_pk) == ("p/b", lower.id)
    assert catalog.usage(cloud.id)["resources"] == 0


def test_a_tags_command_over_more_than_one_slice_locks_in_pk_order(catalog: Catalog) -> None:
    """Over 500 public ids the command works slice by slice (bound parameters); named
    highest pk first, the first slice must not be locked before the second's lower pks."""
    cloud = catalog.create_cloud("locks", "111111111111111", "secret-secret")
    made = [
        catalog.create_or_replace_asset(cloud.id, new_asset(f"n{i:03}"), overwrite=False, now=T0)[0]
        for i in range(600)
    ]
    named = [asset.public_id for asset in reversed(made)]
    found = _holds_nothing_while_waiting(
        catalog,
        made[0],
        made[-1],
        lambda: catalog.change_tags(cloud.id, "image", "upload", named, "add", ["t"], at(1)),
    )
    assert found == named
    tagged = catalog.get_asset(cloud.id, "image", "upload", "n000")
    assert tagged is not None and list(tagged.tags) == ["t"]


def test_set_exclusive_locks_the_assets_it_takes_the_tag_from(catalog: Catalog) -> None:
    """``set_exclusive`` removes the tag from every other asset, whose search rows its
    triggers then rewrite: those assets are locked too, with the named ones, in pk order."""
    cloud = catalog.create_cloud("locks", "111111111111111", "secret-secret")
    carrier, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("carrier", tags=["x"]), overwrite=False, now=T0
    )
    chosen, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("chosen"), overwrite=False, now=at(1)
    )
    found = _holds_nothing_while_waiting(
        catalog,
        carrier,
        chosen,
        lambda: catalog.change_tags(
            cloud.id, "image", "upload", ["chosen"], "set_exclusive", ["x"], at(2)
        ),
    )
    assert found == ["chosen"]
    listed = catalog.list_assets(cloud.id, "image", tag="x").items
    assert [asset.public_id for asset in listed] == ["chosen"]
