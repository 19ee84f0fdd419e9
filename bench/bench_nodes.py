"""Several nodes: what the shared delivery generation costs on the hit path.

On PostgreSQL every process re-reads the catalog's ``delivery_generation`` sequence at most
every CLOUDLET_HIT_CACHE_CHECK_MS (docs/configuration.md#delivery-hit-cache). Measured side by
side, in one run:

- in process: ``HitMiddleware`` called directly (no sockets), µs per hit, the best of
  interleaved rounds, for a SQLite catalog (the counter file only), PostgreSQL with the
  default 100 ms check and PostgreSQL with a check on every hit (``0``); with
  ``--before DIR`` also the SQLite set-up on the code in ``DIR/src`` (e.g.
  ``git archive main src | tar -x -C DIR``);
- over HTTP: ``cloudlet serve`` (access log off) under wrk, the same set-ups, interleaved
  rounds, with the CPU share other processes took meanwhile.

    .venv/bin/python bench/bench_nodes.py [--seconds 5] [--rounds 3] [--before /tmp/main]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import peers  # noqa: E402
from bench.bench_hit import cloudlet_serve, run_rounds  # noqa: E402
from bench.hitpath import hit_timer  # noqa: E402
from tests.compat.server import start_server, stop_server  # noqa: E402
from tests.conftest import fresh_postgres_schema  # noqa: E402

HITS = 50_000


def hit_loop(path: str, env: dict[str, str], hits: int = HITS) -> Callable[[], float]:
    """A measurement of µs per hit through HitMiddleware alone (best of 3 runs of ``hits``),
    on an application built once from ``env``."""
    from cloudlet.app import create_app
    from cloudlet.settings import load_settings

    return hit_timer(create_app(load_settings(env)), path, hits=hits, repeats=3)


def in_process(path: str, env: dict[str, str], hits: int = HITS) -> float:
    """Microseconds per hit through HitMiddleware alone."""
    return hit_loop(path, env, hits)()


def in_process_elsewhere(path: str, env: dict[str, str], code: Path) -> float:
    """``in_process`` run in a child process on the code in ``code/src``."""
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from bench.bench_nodes import in_process; "
        "print(json.dumps(in_process(sys.argv[2], json.loads(sys.argv[3]))))"
    )
    root = str(Path(__file__).resolve().parents[1])
    child_env = {**os.environ, "PYTHONPATH": str(code / "src")}
    out = subprocess.run(
        [sys.executable, "-c", script, root, path, json.dumps(env)],
        env=child_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def make_photo(work: Path) -> Path:
    """A ~32 KB JPEG of a real photograph (as bench_hit.py)."""
    source = peers.CACHE / "wallpapers" / "Kite-2560x1600.jpg"
    photo = work / "photo.jpg"
    pyvips.Image.thumbnail(str(source), 560).write_to_file(str(photo), Q=85)
    return photo


def upload(server: Any, photo: Path) -> str:
    """Upload the photo through the SDK; its delivery path."""
    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    import cloudinary
    import cloudinary.uploader

    cloudinary.reset_config()
    url = cloudinary.uploader.upload(str(photo), public_id="bench/nodes")["url"]
    return "/" + str(url).split("/", 3)[3]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--before", type=Path, help="a tree whose src/ is the code before")
    args = parser.parse_args()
    peers.require_setup()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-nodes-"))
    photo = make_photo(work)
    with contextlib.ExitStack() as stack:
        pg = [stack.enter_context(fresh_postgres_schema()) for _ in range(2)]
        setups: dict[str, dict[str, str]] = {
            "SQLite (counter file only)": {},
            "PostgreSQL, check every 100 ms": {"CLOUDLET_DATABASE_URL": pg[0]},
            "PostgreSQL, check on every hit": {
                "CLOUDLET_DATABASE_URL": pg[1], "CLOUDLET_HIT_CACHE_CHECK_MS": "0",
            },
        }  # fmt: skip
        prepared = {name: prepare(work / f"data{i}", photo, extra)
                    for i, (name, extra) in enumerate(setups.items())}  # fmt: skip
        micro = in_process_rounds(prepared, args.before, args.rounds)
        rates, foreign = over_http(prepared, args)
    report(micro, rates, foreign, args)


def in_process_rounds(
    prepared: dict[str, tuple[dict[str, str], str]], before: Path | None, rounds: int
) -> dict[str, float]:
    """µs per hit of each set-up (and of the code before, on the first set-up), measured in
    interleaved rounds; the best round of each (the machine is shared and noisy)."""
    loops: dict[str, Callable[[], float]] = {}
    for name, (env, path) in prepared.items():
        # on every hit the exact check costs a catalog round trip: fewer hits suffice
        hits = HITS // 50 if env.get("CLOUDLET_HIT_CACHE_CHECK_MS") == "0" else HITS
        loops[name] = hit_loop(path, env, hits)
    if before is not None:
        env, path = next(iter(prepared.values()))
        # a copy of the data dir: the child's start (a migration) would move the counter
        copy = Path(env["CLOUDLET_DATA_DIR"] + "-before")
        shutil.copytree(env["CLOUDLET_DATA_DIR"], copy)
        env = {**env, "CLOUDLET_DATA_DIR": str(copy)}
        loops[f"{next(iter(prepared))}, code before"] = lambda: in_process_elsewhere(
            path, env, before
        )
    results: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(rounds):
        for name, measure in loops.items():
            results[name].append(measure())
    return {name: min(values) for name, values in results.items()}


def prepare(data: Path, photo: Path, extra: dict[str, str]) -> tuple[dict[str, str], str]:
    """A data dir (and catalog) with the photo uploaded: the environment and its path."""
    data.mkdir()
    server = start_server(data, {**extra, "CLOUDLET_ACCESS_LOG": "false"})
    try:
        path = upload(server, photo)
    finally:
        stop_server(server)
    return {k: v for k, v in server.env.items() if k.startswith("CLOUDLET_")}, path


def over_http(
    prepared: dict[str, tuple[dict[str, str], str]], args: argparse.Namespace
) -> tuple[dict[str, list[float]], float]:
    """req/s of each set-up under wrk, and the CPU share other processes took."""
    processes, contenders = [], {}
    try:
        for name, (env, path) in prepared.items():
            process, url = cloudlet_serve({**os.environ, **env}, path)
            processes.append(process)
            contenders[name] = url
        return _foreign_share(
            lambda: run_rounds(
                contenders, args, lambda url: peers.wrk(url, args.seconds, args.connections)
            ),
            [p.pid for p in processes],
        )
    finally:
        for process in processes:
            peers.stop(process)


def _foreign_share(run: Any, servers: list[int]) -> tuple[Any, float]:
    """``run()``'s result and the share of the machine's CPU that processes other than this
    one, its children and the servers (with their worker processes) took meanwhile."""

    def servers_cpu() -> float:
        pids = servers + [c for pid in servers for c in peers._children(pid)]
        return sum(peers.process_cpu_s(pid) for pid in pids)

    before = (peers.busy_cpu_s(), peers.own_cpu_s(), servers_cpu(), time.perf_counter())
    result = run()
    after = (peers.busy_cpu_s(), peers.own_cpu_s(), servers_cpu(), time.perf_counter())
    ours = (after[1] - before[1]) + (after[2] - before[2])
    capacity = (after[3] - before[3]) * (os.cpu_count() or 1)
    return result, max(0.0, (after[0] - before[0] - ours) / capacity)


def report(
    micro: dict[str, float],
    rates: dict[str, list[float]],
    foreign: float,
    args: argparse.Namespace,
) -> None:
    base = next(iter(micro))
    print(f"\n{peers.machine()}")
    print(f"in process, HitMiddleware alone (best of {args.rounds} interleaved rounds × 3 runs):")
    for name, micros in micro.items():
        print(f"  {name}: {micros:.2f} µs per hit ({micros / micro[base]:.2f}× {base})")
    reference = rates[base]
    rows = []
    for name, values in rates.items():
        ratios = [rate / ref for rate, ref in zip(values, reference, strict=True)]
        rows.append([name, f"{peers.median(values):,.0f}", f"{peers.median(ratios):.2f}",
                     f"{min(ratios):.2f}–{max(ratios):.2f}"])  # fmt: skip
    print(f"\nover HTTP: wrk -t2 -c{args.connections}, {args.seconds} s × {args.rounds} "
          f"interleaved rounds; other processes took {foreign:.0%} of the CPU")  # fmt: skip
    print(peers.table(["set-up", "req/s (median)", "× SQLite (median)", "× (range)"], rows))


if __name__ == "__main__":
    main()
