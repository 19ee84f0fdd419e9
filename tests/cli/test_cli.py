"""The ``cloudlet`` command's scripted forms: clouds create/list/rotate-secret/settings, fsck."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cloudlet.cli.main import cli

URL = re.compile(
    r"^cloudinary://(\w+):([\w-]+)@(\w+)\?upload_prefix=http://127\.0\.0\.1:8000&cname=127\.0\.0\.1:8000$"
)


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CLOUDLET_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, data_dir: Path | None = tmp_path / "data"):  # type: ignore[no-untyped-def]
        prefix = ["--data-dir", str(data_dir)] if data_dir else []
        return runner.invoke(cli, [*prefix, *args], obj={})

    return invoke


def test_create_prints_a_cloudinary_url(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "clouds", "create", "shop", "--api-key", "123456789012345", "--api-secret", "s3cretS3cret"
    )
    assert result.exit_code == 0, result.output
    match = URL.match(result.output.strip())
    assert match and match.groups() == ("123456789012345", "s3cretS3cret", "shop")
    random = run("clouds", "create", "other")
    key, secret, _ = URL.match(random.output.strip()).groups()  # type: ignore[union-attr]
    assert len(key) == 15 and key.isdigit() and len(secret) >= 20


def test_duplicates_and_bad_names_fail_with_one_line(run) -> None:  # type: ignore[no-untyped-def]
    assert run("clouds", "create", "shop").exit_code == 0
    again = run("clouds", "create", "shop")
    assert again.exit_code == 1 and "error:" in again.output
    assert run("clouds", "create", "Bad Name").exit_code == 1


def test_list_and_rotate_secret(run) -> None:  # type: ignore[no-untyped-def]
    first = URL.match(run("clouds", "create", "shop").output.strip()).groups()  # type: ignore[union-attr]
    listed = run("clouds", "list")
    assert "shop" in listed.output and first[0] in listed.output
    rotated = URL.match(run("clouds", "rotate-secret", "shop").output.strip()).groups()  # type: ignore[union-attr]
    assert rotated[0] == first[0] and rotated[1] != first[1]
    assert run("clouds", "rotate-secret", "nope").exit_code == 1


def test_settings_show_set_and_refuse(run) -> None:  # type: ignore[no-untyped-def]
    run("clouds", "create", "shop")
    shown = run("clouds", "settings", "shop")
    assert "signature_algorithm=sha1" in shown.output
    changed = run("clouds", "settings", "shop", "signature_algorithm=sha256")
    assert "signature_algorithm=sha256" in changed.output
    assert run("clouds", "settings", "shop", "signature_algorithm=md5").exit_code == 1
    assert run("clouds", "settings", "shop", "bogus=1").exit_code == 1


def test_data_dir_from_environment(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CLOUDLET_DATA_DIR", str(tmp_path / "envdir"))
    assert run("clouds", "create", "envcloud", data_dir=None).exit_code == 0
    assert (tmp_path / "envdir" / "catalog.sqlite3").exists()


def test_fsck_exit_status(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("clouds", "create", "shop")
    clean = run("fsck")
    assert clean.exit_code == 0 and "clean" in clean.output
    orphan = tmp_path / "data" / "blobs" / "9" / "originals" / "aa" / "orphan"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    dirty = run("fsck")
    assert dirty.exit_code == 1 and "orphan_blob" in dirty.output
    repaired = run("fsck", "--repair")
    assert repaired.exit_code == 0 and not orphan.exists()


def test_migrate_brings_the_catalog_to_the_head_revision(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from alembic.script import ScriptDirectory

    from cloudlet.catalog.catalog import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    for _ in range(2):  # idempotent
        result = run("migrate")
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"catalog schema at revision {head}"
    assert (tmp_path / "data" / "catalog.sqlite3").is_file()
