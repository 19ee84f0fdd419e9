"""The fixed cost of a cold render: server CPU per cold request, side by side for several
source trees (e.g. before and after a change), on the same machine in rotated order.

Each variant is a ``cloudlet serve`` process started with its own ``PYTHONPATH`` (``name=``
with nothing after it: this checkout) and its own data directory, holding the same assets:
``--n`` copies of a 64×48 JPEG (where the render itself is small, so what goes around it
shows) and, with ``--photos``, that many wallpapers. Each round asks every server for a new
transformation of every asset (so every request is a cold render) with ``--concurrency``
clients on kept-alive connections, and reads the server's CPU time (user + system, every
thread) from ``/proc`` before and after. CPU time is what a shared machine disturbs least;
the busy share of the whole machine per request and the wall time are printed beside it.

    .venv/bin/python bench/bench_cold_cpu.py --variants before=/tmp/old/src,after= \\
        [--n 100] [--photos 6] [--rounds 6] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import peers  # noqa: E402
from bench.bench_render import settle, use_server  # noqa: E402
from tests.compat.server import Server, start_server, stop_server  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (not idle, not waiting on I/O)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK


def start(name: str, path: str, work: Path, sources: list[tuple[str, Path]]) -> Server:
    """A server running the code at ``path`` (this checkout when empty), with the assets."""
    import cloudinary.uploader

    env = {"CLOUDLET_ACCESS_LOG": "false", **({"PYTHONPATH": path} if path else {})}
    server = start_server(work / name, env)
    use_server(server)
    for public_id, source in sources:
        cloudinary.uploader.upload(str(source), public_id=public_id)
    settle([public_id for public_id, _ in sources])
    return server


def timed(client: httpx.Client, server: Server, urls: list[str], clients: int) -> list[float]:
    """Server CPU, machine busy time and wall time per request (ms) over ``urls``."""

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")

    before = (process_cpu_s(server.process.pid), machine_busy_s(), time.perf_counter())
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(get, urls))
    after = (process_cpu_s(server.process.pid), machine_busy_s(), time.perf_counter())
    return [(b - a) / len(urls) * 1000 for a, b in zip(before, after, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default="this=", help="name=PYTHONPATH,…")
    parser.add_argument("--n", type=int, default=100, help="copies of the small JPEG")
    parser.add_argument("--photos", type=int, default=0, help="wallpapers too")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    peers.require_setup()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-cold-"))
    tiny = work / "tiny.jpg"
    pyvips.Image.thumbnail(str(sorted(peers.wallpapers())[0]), 64).write_to_file(str(tiny))
    photos = [p for p in peers.wallpapers() if "2560" in p.name][: args.photos]
    sources = [(f"t{i}", tiny) for i in range(args.n)] + [(p.stem, p) for p in photos]
    variants = dict(v.split("=", 1) for v in args.variants.split(","))
    servers = {name: start(name, path, work, sources) for name, path in variants.items()}
    found: dict[str, list[list[float]]] = {}
    limits = httpx.Limits(max_connections=args.concurrency)
    try:
        with httpx.Client(timeout=120, limits=limits) as client:
            for round_ in range(args.rounds):
                names = list(servers)
                for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                    base = f"{servers[name].base_url}/compat/image/upload"
                    side = 40 + round_  # a new transformation each round: every render cold
                    small = [f"{base}/c_fill,w_{side},h_{side}/t{i}.jpg" for i in range(args.n)]
                    found.setdefault(f"64×48, {name}", []).append(
                        timed(client, servers[name], small, args.concurrency)
                    )
                    if photos:
                        big = [f"{base}/c_fill,w_{460 + round_},h_500/{p.name}" for p in photos]
                        found.setdefault(f"photograph, {name}", []).append(
                            timed(client, servers[name], big, args.concurrency)
                        )
    finally:
        for server in servers.values():
            stop_server(server)
    rows = [
        [key, *(f"{statistics.median(r[i] for r in runs):.2f}" for i in range(3))]
        for key, runs in sorted(found.items())
    ]
    header = ["source, variant", "server CPU ms/request", "machine busy ms", "wall ms"]
    print(peers.table(header, rows))


if __name__ == "__main__":
    main()
