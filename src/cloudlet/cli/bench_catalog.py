"""``cloudlet bench-catalog``: fill a catalog with synthetic assets to measure it at scale."""

from __future__ import annotations

import dataclasses
import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from cloudlet.services import clouds as clouds_service
from cloudlet.services.deps import Deps
from cloudlet.services.synthetic import Shape, fill_catalog, next_number

console = Console(highlight=False)


@click.command("bench-catalog")
@click.option(
    "--assets",
    "count",
    type=click.IntRange(min=1),
    required=True,
    help="How many synthetic assets to add.",
)
@click.option(
    "--cloud",
    "cloud_name",
    default="bench",
    show_default=True,
    help="The cloud to fill (created when absent).",
)
@click.option(
    "--database-url",
    default=None,
    help="The catalog to fill [default: the configured one, CLOUDLET_DATABASE_URL].",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Random seed: the same seed and count give the same records.",
)
@click.option(
    "--blobs", is_flag=True, help="Also store a small random original per asset (slow; for fsck)."
)
@click.pass_context
def bench_catalog(
    ctx: click.Context,
    count: int,
    cloud_name: str,
    database_url: str | None,
    seed: int,
    blobs: bool,
) -> None:  # fmt: skip
    """Add N synthetic asset records (folders, tags, context, versions; no blobs) to a
    cloud, as uploads would have written them, to measure listings and search at scale."""
    deps = _deps(ctx, database_url)
    cloud, created = clouds_service.ensure_cloud(deps, cloud_name)
    shape = Shape(count=count, seed=seed, first=next_number(deps, cloud), blobs=blobs)
    began = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"filling {cloud.name}", total=count)
        fill_catalog(deps, cloud, shape, lambda done: bar.update(task, completed=done))
    elapsed = time.perf_counter() - began
    console.print(
        f"added {count} assets to cloud {cloud.name}"
        + (" (created)" if created else "")
        + f" in {elapsed:.1f} s ({count / elapsed:,.0f} assets/s)"
    )


def _deps(ctx: click.Context, database_url: str | None) -> Deps:
    from cloudlet.app import build_deps

    settings = ctx.obj["settings"]
    if database_url:
        settings = dataclasses.replace(settings, database_url=database_url)
    deps: Deps = build_deps(settings)
    ctx.obj["deps"] = deps
    return deps
