"""``cloudlet console users …``: create, list, set-password, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cloudlet.app import build_deps
from cloudlet.cli.main import cli
from cloudlet.services import console_auth
from cloudlet.settings import Settings


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CLOUDLET_DATABASE_URL", raising=False)
    return tmp_path / "data"


def run(data_dir: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], input=stdin, obj={})


def _signs_in(data_dir: Path, user: str, password: str) -> bool:
    deps = build_deps(Settings(data_dir=data_dir))
    try:
        console_auth.sign_in(deps, "acme", user, password)
    except Exception:
        return False
    finally:
        deps.catalog.close()
    return True


def test_users_lifecycle(data_dir: Path) -> None:
    assert run(data_dir, "clouds", "create", "acme").exit_code == 0
    created = run(data_dir, "console", "users", "create", "acme", "alice", "--password-stdin",
                  stdin="first password\n")  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "sign in at /console/acme" in created.output
    assert "alice" in run(data_dir, "console", "users", "list", "acme").output
    assert _signs_in(data_dir, "alice", "first password")
    prompted = run(data_dir, "console", "users", "set-password", "acme", "alice",
                   stdin="second password\nsecond password\n")  # fmt: skip
    assert prompted.exit_code == 0, prompted.output
    assert not _signs_in(data_dir, "alice", "first password")
    assert _signs_in(data_dir, "alice", "second password")
    assert run(data_dir, "console", "users", "delete", "acme", "alice").exit_code == 0
    assert not _signs_in(data_dir, "alice", "second password")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("create", "nope", "alice"), "long enough\n", "Unknown cloud 'nope'"),
        (("create", "acme", "alice"), "short\n", "at least 8 characters"),
        (("create", "acme", "<script>"), "long enough\n", "Invalid username"),
        (("delete", "acme", "ghost"), None, "Unknown user 'ghost'"),
    ],
)
def test_mistakes_are_one_line_errors(
    data_dir: Path, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    run(data_dir, "clouds", "create", "acme")
    extra = ("--password-stdin",) if stdin else ()
    result = run(data_dir, "console", "users", *args, *extra, stdin=stdin)
    assert result.exit_code == 1
    assert message in result.output


def test_a_user_name_is_taken_once_per_cloud(data_dir: Path) -> None:
    run(data_dir, "clouds", "create", "acme")
    run(data_dir, "clouds", "create", "other")
    for cloud in ("acme", "other"):
        done = run(data_dir, "console", "users", "create", cloud, "alice", "--password-stdin",
                   stdin="long enough\n")  # fmt: skip
        assert done.exit_code == 0
    again = run(data_dir, "console", "users", "create", "acme", "alice", "--password-stdin",
                stdin="long enough\n")  # fmt: skip
    assert again.exit_code == 1 and "already exists" in again.output


def test_passwords_are_stored_as_scrypt_hashes() -> None:
    stored = console_auth.hash_password("hunter2 hunter2")
    assert stored.startswith("scrypt$16384$8$1$") and "hunter2" not in stored
    assert console_auth.verify_password("hunter2 hunter2", stored)
    assert not console_auth.verify_password("hunter2 hunter3", stored)
    assert stored != console_auth.hash_password("hunter2 hunter2")  # salted
    assert not console_auth.verify_password("x", "not$a$hash")
