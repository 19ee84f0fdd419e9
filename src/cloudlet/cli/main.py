"""The ``cloudlet`` command: serve, worker, migrate, clouds, folders, webhooks, fsck and
bench-catalog."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cloudlet.errors import CloudletError, NotFoundError
from cloudlet.services import clouds as clouds_service
from cloudlet.services.deps import Deps
from cloudlet.settings import Settings, load_settings

GRACEFUL_SHUTDOWN_S = 30  # requests still running when the server is told to stop
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _deps(ctx: click.Context) -> Deps:
    from cloudlet.app import build_deps

    settings: Settings = ctx.obj["settings"]
    if "deps" not in ctx.obj:
        ctx.obj["deps"] = build_deps(settings)
    deps: Deps = ctx.obj["deps"]
    return deps


class CloudletGroup(click.Group):
    """Turn CloudletError into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CloudletError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}")
            sys.exit(1)


@click.group(cls=CloudletGroup)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the catalog and blobs live [env CLOUDLET_DATA_DIR; default ./cloudlet-data].",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """Cloudlet: a self-hosted, Cloudinary-compatible media asset server."""
    ctx.ensure_object(dict)
    ctx.obj["settings"] = load_settings(os.environ, data_dir=data_dir)


@cli.command()
@click.option("--host", default=None, help="Interface to listen on [default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [default 8000].")
@click.option("--workers", type=int, default=None, help="Worker processes [default 1].")
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Serve HTTPS with this certificate (PEM, with its chain).",
)
@click.option(
    "--tls-key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The private key of --tls-cert (PEM).",
)
@click.option(
    "--tls-self-signed",
    is_flag=True,
    help="Serve HTTPS with a certificate from a local CA made once in the data dir.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    tls_self_signed: bool,
) -> None:
    """Start the server (creates the demo cloud on first start)."""
    import uvicorn

    from cloudlet.cli.protocol import HttpProtocol
    from cloudlet.malloc import tune_malloc
    from cloudlet.metrics.store import clear as clear_metrics
    from cloudlet.services import chunks
    from cloudlet.services.fsck import JOURNAL_GRACE, clear_staging, sweep_journal

    settings: Settings = ctx.obj["settings"].with_overrides(host=host, port=port, workers=workers)
    settings.validate()
    tls_files = None
    if tls_cert or tls_key or tls_self_signed:  # else `cryptography` stays unloaded (memory)
        from cloudlet.cli import tls

        tls_files = tls.given_files(tls_cert, tls_key, tls_self_signed)
        if tls_self_signed:
            tls_files = tls.self_signed(settings.data_dir, settings.host)
    tune_malloc()  # options are valid; before any thread starts
    ctx.obj["settings"] = settings
    deps = _deps(ctx)
    # no requests are in flight here yet: settle every interrupted upload; but on a shared
    # catalog other nodes' uploads may be in flight: only those older than the grace period
    sweep_journal(deps, deps.now() - JOURNAL_GRACE if deps.catalog.shared else None)
    clear_staging(deps)
    chunks.sweep_abandoned(deps)
    clear_metrics(settings.metrics_dir)  # counts start at zero with the server
    cloud, created = clouds_service.ensure_cloud(deps, settings.demo_cloud)
    _print_welcome(settings, cloud, created, tls_files)
    deps.catalog.close()
    _export_settings(settings)
    consumer = _start_job_threads(settings)
    try:
        uvicorn.run(
            "cloudlet.app:app_from_env",
            factory=True,
            http=HttpProtocol,  # stops at once even with idle TLS keep-alive connections
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="info",
            # with CLOUDLET_ACCESS_LOG_FORMAT=json the application writes the access log
            access_log=settings.access_log and settings.access_log_format == "text",
            proxy_headers=False,
            ssl_certfile=str(tls_files.cert) if tls_files else None,
            ssl_keyfile=str(tls_files.key) if tls_files else None,
        )
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


def _start_job_threads(settings: Settings) -> Any:
    """Run queued jobs in this process (the embedded default); None when there are none."""
    if settings.embedded_queue_workers == 0:
        return None
    from cloudlet.app import build_deps
    from cloudlet.jobs.consumer import start_embedded
    from cloudlet.jobs.queue import HueyQueue

    queue = build_deps(settings).queue
    assert isinstance(queue, HueyQueue)
    return start_embedded(queue, settings.embedded_queue_workers)


@cli.command()
@click.option("--workers", type=int, default=2, show_default=True, help="Job threads.")
@click.pass_context
def worker(ctx: click.Context, workers: int) -> None:
    """Run queued jobs (eager_async, add-ons, webhooks, CDN purges) without serving HTTP.

    For set-ups with CLOUDLET_QUEUE_URL=redis://…; start as many as needed. Ctrl-C lets
    running jobs finish."""
    import logging

    from cloudlet.jobs.consumer import run_worker
    from cloudlet.jobs.queue import HueyQueue
    from cloudlet.malloc import tune_malloc

    tune_malloc()
    if workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    queue = _deps(ctx).queue
    assert isinstance(queue, HueyQueue)
    run_worker(queue, workers)


def _export_settings(settings: Settings) -> None:
    """Hand the CLI's choices to the worker processes through the environment."""
    os.environ["CLOUDLET_DATA_DIR"] = str(settings.data_dir)
    os.environ["CLOUDLET_HOST"] = settings.host
    os.environ["CLOUDLET_PORT"] = str(settings.port)
    if settings.database_url:
        os.environ["CLOUDLET_DATABASE_URL"] = settings.database_url
    if not os.environ.get("TMPDIR"):
        # Upload parts over 1 MB are spooled to a temporary file while the request is read:
        # keep them on the data disk (never a RAM-backed /tmp) and swept at start-up.
        spool = settings.tmp_dir / "spool"
        spool.mkdir(parents=True, exist_ok=True)
        os.environ["TMPDIR"] = str(spool)
        tempfile.tempdir = None  # re-read TMPDIR


def _print_welcome(settings: Settings, cloud: object, created: bool, tls_files: Any) -> None:
    from cloudlet.catalog.model import Cloud

    assert isinstance(cloud, Cloud)
    url = clouds_service.cloudinary_url(cloud, settings.base_url)
    verb = "Created" if created else "Using"
    click.echo(f"\n{verb} cloud '{cloud.name}'. Point the Cloudinary SDKs here:\n")
    if tls_files is not None:
        from cloudlet.cli import tls

        origin = settings.public_secure_url.split("://", 1)[-1].rstrip("/") or (
            f"{_client_host(settings.host)}:{settings.port}"
        )
        click.echo(
            tls.welcome_lines(cloud.name, cloud.api_key, cloud.api_secret, origin, tls_files.ca)
        )
        return
    click.echo(f"  export CLOUDINARY_URL={url}\n")
    click.echo(
        "  Python and Node: also set secure=False (Python: cloudinary.config(secure=False),\n"
        "  Node: cloudinary.config({secure: false})) so delivery URLs use http://; never put\n"
        "  secure=false inside CLOUDINARY_URL (the SDKs read it as a truthy string).\n"
    )


def _client_host(host: str) -> str:
    """The name clients use for a listening address (any address: this machine's loopback)."""
    return "localhost" if host in ("0.0.0.0", "::", "") else host


@cli.group()
def clouds() -> None:
    """Manage clouds (product environments)."""


@clouds.command("create")
@click.argument("name")
@click.option("--api-key", default=None, help="Use this API key instead of a random one.")
@click.option("--api-secret", default=None, help="Use this API secret instead of a random one.")
@click.pass_context
def clouds_create(
    ctx: click.Context, name: str, api_key: str | None, api_secret: str | None
) -> None:
    """Create a cloud and print its CLOUDINARY_URL."""
    deps = _deps(ctx)
    cloud = clouds_service.create_cloud(deps, name, api_key, api_secret)
    click.echo(clouds_service.cloudinary_url(cloud, deps.settings.base_url))


@clouds.command("list")
@click.pass_context
def clouds_list(ctx: click.Context) -> None:
    """List clouds with their API keys."""
    deps = _deps(ctx)
    table = Table("name", "api_key", "created_at")
    for cloud in deps.catalog.list_clouds():
        created = cloud.created_at.isoformat(timespec="seconds") if cloud.created_at else ""
        table.add_row(cloud.name, cloud.api_key, created)
    console.print(table)


@clouds.command("rotate-secret")
@click.argument("name")
@click.pass_context
def clouds_rotate_secret(ctx: click.Context, name: str) -> None:
    """Give a cloud a new API secret and print its new CLOUDINARY_URL."""
    deps = _deps(ctx)
    cloud = clouds_service.rotate_secret(deps, name)
    click.echo(clouds_service.cloudinary_url(cloud, deps.settings.base_url))


@clouds.command("settings")
@click.argument("name")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@click.pass_context
def clouds_settings(ctx: click.Context, name: str, assignments: tuple[str, ...]) -> None:
    """Show a cloud's settings, or set some (values true/false are booleans)."""
    deps = _deps(ctx)
    cloud = clouds_service.update_settings(deps, name, list(assignments))
    for key, value in sorted(clouds_service.cloud_settings(cloud).items()):
        click.echo(f"{key}={value}")


@cli.group()
def folders() -> None:
    """Manage folders."""


@folders.command("delete")
@click.argument("path")
@click.option("--cloud", "cloud_name", required=True, help="The cloud the folder is in.")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.pass_context
def folders_delete(ctx: click.Context, path: str, cloud_name: str, dry_run: bool) -> None:
    """Delete a folder and every asset in it (all resource types), with a progress bar."""
    from rich.progress import Progress

    from cloudlet.services import folders as folder_service

    deps = _deps(ctx)
    cloud = deps.catalog.get_cloud(cloud_name)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {cloud_name!r}")
    folder = folder_service.folder_path(path)
    count = deps.catalog.count_assets_with_prefix(cloud.id, folder + "/")
    if dry_run:
        click.echo(f"would delete {count} asset(s) and the folder {folder}")
        return
    with Progress(console=err_console) as progress:
        task = progress.add_task(f"deleting {folder}", total=count)
        done = folder_service.purge_folder(
            deps, cloud, folder, progress=lambda n: progress.advance(task, n)
        )
    click.echo(f"deleted {done} asset(s) and the folder {folder}")


@cli.group()
def webhooks() -> None:
    """Webhook deliveries: list them, send failed ones again."""


@webhooks.command("list")
@click.option("--failed", is_flag=True, help="Only deliveries that failed for good.")
@click.option("--cloud", "cloud_name", default=None, help="Only this cloud's deliveries.")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many.")
@click.pass_context
def webhooks_list(ctx: click.Context, failed: bool, cloud_name: str | None, limit: int) -> None:
    """The most recent deliveries first: id, cloud, type, URL, status, attempts, last error
    (a table on a terminal, tab-separated lines otherwise)."""
    from cloudlet.catalog.webhooks import FAILED

    deps = _deps(ctx)
    cloud_id = _cloud_id(deps, cloud_name) if cloud_name else None
    found = deps.catalog.list_webhook_deliveries(
        status=FAILED if failed else None, cloud_id=cloud_id, limit=max(1, limit)
    )
    header = ("id", "cloud", "type", "url", "status", "attempts", "updated", "last error")
    rows = [
        (
            str(item.id), item.cloud, item.notification_type, item.url, item.status,
            str(item.attempts), item.updated_at.isoformat(timespec="seconds"),
            item.last_error or "",
        )
        for item in found
    ]  # fmt: skip
    if not sys.stdout.isatty():  # for scripts: one tab-separated line per delivery
        for row in (header, *rows):
            click.echo("\t".join(row))
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _cloud_id(deps: Deps, name: str) -> int:
    cloud = deps.catalog.get_cloud(name)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {name!r}")
    return cloud.id


@webhooks.command("retry")
@click.argument("delivery_ids", nargs=-1, type=int, metavar="[ID]...")
@click.option("--all-failed", is_flag=True, help="Every delivery that failed for good.")
@click.pass_context
def webhooks_retry(ctx: click.Context, delivery_ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed deliveries again, each with a fresh round of retries."""
    from cloudlet.catalog.webhooks import FAILED
    from cloudlet.services.notifications import retry

    if not delivery_ids and not all_failed:
        raise click.UsageError("name delivery ids or pass --all-failed")
    deps = _deps(ctx)
    wanted = list(delivery_ids)
    if all_failed:
        wanted += [d.id for d in deps.catalog.list_webhook_deliveries(status=FAILED, limit=10**6)]
    for delivery_id in dict.fromkeys(wanted):
        found = retry(deps, delivery_id)
        click.echo(f"queued {found.id} ({found.notification_type} to {found.url})")


@cli.command()
@click.option("--repair", is_flag=True, help="Fix what is safe to fix (orphan blobs, journal).")
@click.option("--no-etags", is_flag=True, help="Skip re-hashing every original (faster).")
@click.pass_context
def fsck(ctx: click.Context, repair: bool, no_etags: bool) -> None:
    """Check that the catalog and the blob store agree; exit 1 if problems remain."""
    from cloudlet.services.fsck import fsck as run_fsck

    deps = _deps(ctx)
    report = run_fsck(deps, repair=repair, verify_etags=not no_etags)
    for problem in report.problems:
        mark = "[green]repaired[/green]" if problem.repaired else "[red]problem[/red]"
        console.print(f"{mark} {problem.kind}: {problem.key} — {problem.detail}")
    console.print(
        f"checked {report.assets_checked} assets and {report.blobs_seen} blobs: "
        + (
            "clean"
            if report.clean
            else f"{sum(not p.repaired for p in report.problems)} problem(s)"
        )
    )
    sys.exit(0 if report.clean else 1)


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the catalog's schema up to date, then exit (once per release, before the nodes
    start; `serve` does it too, one process at a time)."""
    from cloudlet.catalog.catalog import Catalog

    settings: Settings = ctx.obj["settings"]
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # the SQLite catalog's home
    catalog = Catalog(settings.effective_database_url)
    try:
        catalog.migrate()
        click.echo(f"catalog schema at revision {catalog.schema_revision()}")
    finally:
        catalog.close()


def _add_console_commands() -> None:
    from cloudlet.cli.console import console_group

    cli.add_command(console_group)


def _add_bench_commands() -> None:
    from cloudlet.cli.bench_catalog import bench_catalog

    cli.add_command(bench_catalog)


_add_console_commands()
_add_bench_commands()


def main() -> None:
    """Entry point of the ``cloudlet`` console script."""
    cli(obj={})


if __name__ == "__main__":
    main()
