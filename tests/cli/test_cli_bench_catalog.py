"""``cloudlet bench-catalog``: the generated catalog is one fsck finds clean, on every backend,
and its rows are those the upload path writes (tags, context, versions, folders)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.folders import ancestors
from cloudlet.catalog.schema import asset_context, asset_tags, asset_versions, folders
from cloudlet.cli.main import cli
from cloudlet.services.synthetic import ARCHIVE_FOLDER


def run(data_dir: Path, url: str, *args: str) -> Result:
    env = {"CLOUDLET_DATABASE_URL": url}
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], obj={}, env=env)


@pytest.fixture
def filled(tmp_path: Path, database_url: str) -> Catalog:
    done = run(tmp_path, database_url, "bench-catalog", "--assets", "250", "--blobs")
    assert done.exit_code == 0, done.output
    assert "added 250 assets to cloud bench (created)" in done.output
    catalog = Catalog(database_url)
    yield catalog  # type: ignore[misc]
    catalog.close()


def test_the_generated_catalog_passes_fsck(
    filled: Catalog, tmp_path: Path, database_url: str
) -> None:
    done = run(tmp_path, database_url, "fsck")
    assert done.exit_code == 0, done.output
    assert "checked 250 assets and 250 blobs: clean" in done.output


def test_rows_are_those_an_upload_writes(filled: Catalog) -> None:
    cloud = filled.get_cloud("bench")
    assert cloud is not None
    found = list(filled.iter_all_assets(cloud.id))
    with filled.engine.connect() as conn:
        tags = conn.execute(sa.select(asset_tags)).all()
        context = conn.execute(sa.select(asset_context)).all()
        versions = conn.execute(sa.select(asset_versions)).all()
        paths = set(conn.scalars(sa.select(folders.c.path)))
    by_pk = {asset.id: asset for asset in found}
    assert sum(len(a.tags) for a in found) == len(tags) > 250
    for row in [*tags, *context]:  # the listing copies of migration 0014
        owner = by_pk[row.asset_pk]
        assert (row.cloud_id, row.resource_type, row.created_at) == (
            cloud.id, owner.resource_type, owner.created_at
        )  # fmt: skip
    assert {(r.asset_pk, r.key): r.value for r in context} == {
        (a.id, k): v for a in found for k, v in a.context.items()
    }
    for asset in found:
        own = sorted((v for v in versions if v.asset_pk == asset.id), key=lambda v: v.version)
        assert (own[-1].version, own[-1].storage_key) == (asset.version, asset.storage_key)
        assert all(v.storage_key is None for v in own[:-1])
        assert set(ancestors(asset.asset_folder)) <= paths
        assert asset.public_id.rpartition("/")[0] == asset.asset_folder
    archived = [a for a in found if a.public_id.startswith(ARCHIVE_FOLDER + "/")]
    assert len(archived) == 25 and {a.resource_type for a in archived} == {"image"}


def test_a_second_run_adds_more(filled: Catalog, tmp_path: Path, database_url: str) -> None:
    done = run(tmp_path, database_url, "bench-catalog", "--assets", "30")
    assert done.exit_code == 0, done.output
    assert "added 30 assets to cloud bench in" in done.output
    cloud = filled.get_cloud("bench")
    assert cloud is not None
    assert filled.usage(cloud.id)["resources"] == 280
