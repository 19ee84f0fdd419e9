"""The documentation keeps up with the code: every setting and every CLI command is described.

In the spirit of datasette's tests/test_docs.py: the code is the list of what must be
documented, read from the source (settings) or the live click group (commands).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from cloudlet.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_SOURCE = ROOT / "src" / "cloudlet" / "settings.py"
CONFIGURATION = ROOT / "docs" / "configuration.md"
CLI_DOC = ROOT / "docs" / "cli.md"
README = ROOT / "README.md"
ENV_NAME = re.compile(r"CLOUDLET_[A-Z0-9_]+")


def env_variables_read(source: str) -> set[str]:
    """``CLOUDLET_*`` names passed to a call (``env.get(...)``, ``_env_int(env, ...)``)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for arg in node.args:
            text = arg.value if isinstance(arg, ast.Constant) else None
            if isinstance(text, str) and ENV_NAME.fullmatch(text):
                names.add(text)
    return names


SETTINGS_ENV = sorted(env_variables_read(SETTINGS_SOURCE.read_text(encoding="utf-8")))


def test_settings_env_scan_finds_the_settings() -> None:
    # guards against the scan silently finding nothing after a refactor
    assert {"CLOUDLET_DATA_DIR", "CLOUDLET_DATABASE_URL", "CLOUDLET_PORT"} <= set(SETTINGS_ENV)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('env.get("CLOUDLET_A")', {"CLOUDLET_A"}),
        ('env.get("CLOUDLET_A", "x") or f("CLOUDLET_B_2")', {"CLOUDLET_A", "CLOUDLET_B_2"}),
        ('_env_int(env, "CLOUDLET_PORT", 8000)', {"CLOUDLET_PORT"}),
        ('raise E("CLOUDLET_X must be an integer")', set()),
        ('"CLOUDLET_NOT_A_CALL"', set()),
    ],
)
def test_env_variables_read(source: str, expected: set[str]) -> None:
    assert env_variables_read(source) == expected


@pytest.mark.parametrize("name", SETTINGS_ENV)
def test_env_variable_is_documented(name: str) -> None:
    documented = set(ENV_NAME.findall(CONFIGURATION.read_text(encoding="utf-8")))
    assert name in documented, f"{name} is read in settings.py but not in docs/configuration.md"


def test_documented_env_variables_exist() -> None:
    """Every variable in the configuration table is one the code reads."""
    rows = [
        line
        for line in CONFIGURATION.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `CLOUDLET_")
    ]
    assert rows
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "src" / "cloudlet").rglob("*.py")
    )
    read = env_variables_read(source)
    stale = [name for row in rows for name in ENV_NAME.findall(row) if name not in read]
    assert not stale, f"docs/configuration.md documents variables nothing reads: {stale}"


# ----------------------------------------------------------------------------- CLI


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path under ``command``: ('serve',), ('clouds',), ('clouds', 'list')…"""
    if path:
        yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


def _options(command: click.Command) -> list[str]:
    return [
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--")
    ]


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMANDS = list(walk(cli))
LEAVES = [p for p in COMMANDS if not isinstance(_command(p), click.Group)]


def test_cli_walk_finds_nested_commands() -> None:
    assert ("serve",) in COMMANDS
    assert ("clouds", "create") in LEAVES
    assert ("clouds",) not in LEAVES


def _usage_lines() -> list[str]:
    return [
        line.strip()
        for line in CLI_DOC.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("cloudlet ")
    ]


# Known gaps, each to be removed with the docs change (strict: a fixed gap fails here).
UNDOCUMENTED = {}


def _with_known_gaps(paths: list[tuple[str, ...]]) -> list[object]:
    return [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=UNDOCUMENTED[p]))
        if p in UNDOCUMENTED
        else p
        for p in paths
    ]


@pytest.mark.parametrize("path", _with_known_gaps(LEAVES), ids=" ".join)
def test_cli_command_is_in_the_synopsis(path: tuple[str, ...]) -> None:
    pattern = re.compile(r"(?:^|\s)" + r"\s+".join(map(re.escape, path)) + r"(?:\s|$)")
    assert any(pattern.search(line) for line in _usage_lines()), (
        f"`cloudlet {' '.join(path)}` is missing from the synopsis in docs/cli.md"
    )


@pytest.mark.parametrize("path", [p for p in COMMANDS if len(p) == 1], ids=" ".join)
def test_top_level_command_has_a_section(path: tuple[str, ...]) -> None:
    headings = re.findall(r"^#+\s+`?([\w-]+)`?\s*$", CLI_DOC.read_text("utf-8"), re.MULTILINE)
    assert path[0] in headings, f"docs/cli.md has no section for `cloudlet {path[0]}`"


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "cloudlet")
def test_cli_options_are_documented(path: tuple[str, ...]) -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    missing = [
        opt for opt in _options(_command(path)) if not re.search(rf"{re.escape(opt)}\b", text)
    ]
    assert not missing, f"docs/cli.md does not mention {missing} of `cloudlet {' '.join(path)}`"


# ---------------------------------------------------------------------------- README


@pytest.mark.parametrize("target", ["make serve", "make test"])
def test_readme_starts_with_how_to_run(target: str) -> None:
    head = "\n".join(README.read_text(encoding="utf-8").splitlines()[:60])
    assert target in head, f"README.md's first 60 lines should show `{target}`"
