"""A rename racing an upload to its target (PostgreSQL, READ COMMITTED): found by the
reliability harness, where it was a 500 (an IntegrityError from the unique key)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.catalog.catalog_factories import T0, at, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError

pytestmark = pytest.mark.postgres


@pytest.fixture()
def pair(postgres_schema_url: str) -> Iterator[tuple[Catalog, Catalog]]:
    """Two catalogs (two nodes, or two requests) on one PostgreSQL schema."""
    first, second = Catalog(postgres_schema_url), Catalog(postgres_schema_url)
    first.migrate()
    yield first, second
    first.close()
    second.close()


def _racing(catalog: Catalog, other: Catalog, cloud: Cloud, public_id: str) -> list[str]:
    """Make the next clash check of ``catalog`` find nothing, then let ``other`` commit an
    asset at ``public_id`` before the rename's update (once); the ids ``other`` made."""
    made: list[str] = []
    check = catalog._clear_target

    def clear_then_race(conn, asset, target, kind, overwrite, removed):  # type: ignore[no-untyped-def]
        replaced = check(conn, asset, target, kind, overwrite, removed)
        if not made:
            created, _, _ = other.create_or_replace_asset(
                cloud.id, new_asset(public_id), overwrite=True, now=T0
            )
            made.append(created.asset_id)
        return replaced

    catalog._clear_target = clear_then_race  # type: ignore[method-assign]
    return made


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_upload_committing_at_the_target_mid_rename(
    pair: tuple[Catalog, Catalog], overwrite: bool
) -> None:
    catalog, other = pair
    cloud = catalog.create_cloud("race", "111111111111111", "secret-secret")
    mover, _, _ = catalog.create_or_replace_asset(
        cloud.id, new_asset("mover"), overwrite=True, now=T0
    )
    made = _racing(catalog, other, cloud, "target")
    if not overwrite:
        with pytest.raises(AlreadyExistsError):
            catalog.rename_asset(mover.id, "target", to_type=None, overwrite=False, now=at(1))
        assert catalog.get_asset(cloud.id, "image", "upload", "mover") is not None
        assert catalog.get_asset(cloud.id, "image", "upload", "target").asset_id == made[0]  # type: ignore[union-attr]
        return
    removed: list = []
    renamed, replaced = catalog.rename_asset(
        mover.id, "target", to_type=None, overwrite=True, now=at(1), removed=removed
    )
    assert renamed.asset_id == mover.asset_id and renamed.public_id == "target"
    assert [r.asset.asset_id for r in removed] == made and len(replaced) == 1
    assert catalog.get_asset(cloud.id, "image", "upload", "mover") is None
