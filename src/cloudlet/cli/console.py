"""``cloudlet console users …``: the people who may sign in to a cloud's Media Explorer."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from cloudlet.services import console_auth
from cloudlet.services.deps import Deps

console = Console(highlight=False)


def _deps(ctx: click.Context) -> Deps:
    from cloudlet.app import build_deps

    if "deps" not in ctx.obj:
        ctx.obj["deps"] = build_deps(ctx.obj["settings"])
    deps: Deps = ctx.obj["deps"]
    return deps


def _password(from_stdin: bool) -> str:
    """The password from standard input (first line), or asked for twice on the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    text: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return text


@click.group("console")
def console_group() -> None:
    """The Media Explorer web UI at /console."""


@console_group.group("users")
def users() -> None:
    """Manage who may sign in to a cloud's Media Explorer."""


_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)


@users.command("create")
@click.argument("cloud")
@click.argument("username")
@_STDIN
@click.pass_context
def users_create(ctx: click.Context, cloud: str, username: str, password_stdin: bool) -> None:
    """Add a user to CLOUD (asks for the password unless --password-stdin)."""
    deps = _deps(ctx)
    found = console_auth.named_cloud(deps, cloud)
    console_auth.create_user(deps, found, username, _password(password_stdin))
    click.echo(f"created console user {username} for cloud {cloud}: sign in at /console/{cloud}")


@users.command("set-password")
@click.argument("cloud")
@click.argument("username")
@_STDIN
@click.pass_context
def users_set_password(ctx: click.Context, cloud: str, username: str, password_stdin: bool) -> None:
    """Give a user a new password (their open sessions end)."""
    deps = _deps(ctx)
    found = console_auth.named_cloud(deps, cloud)
    console_auth.set_password(deps, found, username, _password(password_stdin))
    click.echo(f"password of {username} changed; their sessions have ended")


@users.command("list")
@click.argument("cloud")
@click.pass_context
def users_list(ctx: click.Context, cloud: str) -> None:
    """List the users of CLOUD."""
    deps = _deps(ctx)
    found = console_auth.named_cloud(deps, cloud)
    table = Table("username", "created_at")
    for user in deps.catalog.list_console_users(found.id):
        table.add_row(user.username, user.created_at.isoformat(timespec="seconds"))
    console.print(table)


@users.command("delete")
@click.argument("cloud")
@click.argument("username")
@click.pass_context
def users_delete(ctx: click.Context, cloud: str, username: str) -> None:
    """Remove a user (and end their sessions)."""
    deps = _deps(ctx)
    found = console_auth.named_cloud(deps, cloud)
    deps.catalog.delete_console_user(found.id, username)
    click.echo(f"deleted console user {username} of cloud {cloud}")
