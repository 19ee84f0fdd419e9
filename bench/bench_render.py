"""Cold renders: Cloudlet against thumbor 7.8 and against pyvips in-process (the limit), on
the same real photographs, side by side in interleaved rounds; and the peak resident memory of
each server during that run and for single renders of a 36 MP JPEG and a 36 MP PNG.

Transformations (Cloudinary URL → thumbor URL → pyvips calls):

- ``c_fill,w_500,h_500`` → ``500x500`` → ``thumbnail(500, height=500, crop="centre")``, saved
  in the source's format at quality 80
- ``c_limit,w_1200/q_auto/f_webp`` → ``fit-in/1200x0/filters:format(webp)`` →
  ``thumbnail(1200, size="down")`` saved as WebP at quality 80

Each timed run renders every photograph ``--copies`` times (copy after copy), so that the end
of a run, where one thread finishes the last large photograph alone, weighs little. Every
Cloudlet request is cold: each copy of each round is an asset uploaded for it alone (uploads
are outside the timed part). thumbor runs with result storage off, no original storage, the
file loader and a thread pool of one thread per core; the in-process contender uses one thread
per core too, with Cloudlet's libvips settings (one libvips thread per render) and encoder
options (JPEG with optimised Huffman tables, PNG with adaptive row filters, WebP at the
server's effort, metadata but the ICC profile dropped), so it is the limit of the same work.
``--webp-effort N`` runs Cloudlet with ``CLOUDLET_WEBP_EFFORT=N`` (and the in-process
contender at that effort); thumbor keeps Pillow's default (method 4).

Peak resident memory: of each server during the timed parts (the peak is reset when a round's
uploads have settled), of Cloudlet over the whole run (uploads and their face detection
included), of the in-process worker, and of fresh processes doing one render of a 36 MP JPEG
and PNG.

    sh bench/setup.sh
    .venv/bin/python bench/bench_render.py [--rounds 3] [--copies 3] [--concurrency 4]
        [--webp-effort 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import peers  # noqa: E402
from tests.compat.server import Server, free_port, start_server, stop_server  # noqa: E402

FILL, LIMIT = "c_fill,w_500,h_500", "c_limit,w_1200/q_auto/f_webp"
THUMBOR_OPS = {FILL: "500x500", LIMIT: "fit-in/1200x0/filters:format(webp)"}
THUMBOR_CONF = """
LOADER = 'thumbor.loaders.file_loader'
FILE_LOADER_ROOT_PATH = {root!r}
STORAGE = 'thumbor.storages.no_storage'
RESULT_STORAGE = None
ENGINE_THREADPOOL_SIZE = {threads}
QUALITY = 80
MAX_PIXELS = 100e6
"""
# the in-process contender, run in its own process so its peak memory can be read too
PYVIPS_WORKER = """
import json, os, sys, time, resource
from concurrent.futures import ThreadPoolExecutor
import pyvips
pyvips.cache_set_max(0)
pyvips.concurrency_set(1)
op, threads, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
PNG, JPEG = ".png[filter=all,keep=icc]", ".jpg[Q=80,optimize_coding,keep=icc]"
def fill(path):
    suffix = PNG if path.endswith(".png") else JPEG
    return pyvips.Image.thumbnail(path, 500, height=500, crop="centre").write_to_buffer(suffix)
def limit(path):
    image = pyvips.Image.thumbnail(path, 1200, height=10_000_000, size="down")
    effort = os.environ.get("CLOUDLET_WEBP_EFFORT", "4")
    return image.write_to_buffer(f".webp[Q=80,effort={effort},keep=icc]")
work = fill if op == "fill" else limit
began = time.perf_counter()
with ThreadPoolExecutor(threads) as pool:
    sizes = [len(b) for b in pool.map(work, paths)]
elapsed = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"elapsed": elapsed, "peak_mb": peak, "bytes": sum(sizes)}))
"""


def photos() -> list[Path]:
    return [*peers.wallpapers(), *peers.face_photos()]


def fetch_all(urls: list[str], concurrency: int) -> tuple[float, int]:
    """GET every URL with ``concurrency`` clients on kept-alive connections, as a CDN or a
    browser would; seconds taken and bytes received (any failure stops the run). One
    ``httpx.Client`` made outside the timed part: a client per request would spend ~18 ms of
    CPU building its TLS context, on the cores the servers need."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(timeout=120, limits=limits) as client:

        def get(url: str) -> int:
            response = client.get(url)
            if response.status_code != 200 or not response.content:
                raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
            return len(response.content)

        began = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            received = sum(pool.map(get, urls))
        return time.perf_counter() - began, received


def start_thumbor(root: Path, work: Path, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    conf = work / f"thumbor-{free_port()}.conf"
    conf.write_text(THUMBOR_CONF.format(root=str(root), threads=threads))
    port = free_port()
    command = [str(peers.THUMBOR), "-p", str(port), "-c", str(conf), "-l", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    peers.wait_until_up(f"{base}/healthcheck", process)
    return process, base


def pyvips_run(op: str, paths: list[Path], threads: int) -> dict[str, float]:
    code = [sys.executable, "-c", PYVIPS_WORKER, op, str(threads), *map(str, paths)]
    result: dict[str, float] = json.loads(
        subprocess.run(code, capture_output=True, check=True).stdout
    )
    return result


def cloudlet_urls(server: Server, op: str, ids: list[str]) -> list[str]:
    base = f"{server.base_url}/compat/image/upload/{op}"
    return [f"{base}/{public_id}" for public_id in ids]


def upload_round(round_: int, sources: list[Path], copies: int = 1) -> list[str]:
    """Upload ``copies`` of the photos under this round's ids (outside the timed part); their
    ids with the extension, as delivery URLs name them, copy after copy."""
    import cloudinary.uploader

    ids = []
    for copy in range(copies):
        for path in sources:
            public_id = f"r{round_}c{copy}/{path.stem}"
            cloudinary.uploader.upload(str(path), public_id=public_id)
            ids.append(f"{public_id}{path.suffix}")
    settle([i.rsplit(".", 1)[0] for i in ids])
    return ids


def settle(public_ids: list[str]) -> None:
    """Let the uploads' background work (face detection) finish before anything is timed:
    ``faces=true`` answers once the faces are stored, detecting them itself if need be."""
    import cloudinary.api

    for public_id in public_ids:
        cloudinary.api.resource(public_id, faces=True)
    time.sleep(1.0)  # a detection already under way for the last asset


def contenders(
    server: Server, thumbor_base: str, op: str, ids: list[str], relative: list[str], clients: int
) -> dict[str, Callable[[], tuple[float, int]]]:
    """Each contender's timed run of ``op`` over the round's photographs (``relative`` to the
    cache, repeated once per copy): seconds and output bytes."""
    threads = os.cpu_count() or 1
    thumbor_urls = [f"{thumbor_base}/unsafe/{THUMBOR_OPS[op]}/{r}" for r in relative]
    paths = [peers.CACHE / r for r in relative]

    def in_process() -> tuple[float, int]:
        result = pyvips_run("fill" if op == FILL else "limit", paths, threads)
        return result["elapsed"], int(result["bytes"])

    return {
        "cloudlet": lambda: fetch_all(cloudlet_urls(server, op, ids), clients),
        "thumbor": lambda: fetch_all(thumbor_urls, clients),
        "pyvips in-process": in_process,
    }


def use_server(server: Server) -> None:
    """Point the SDK at ``server``."""
    import cloudinary

    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    cloudinary.reset_config()


@dataclass
class Results:
    """What the throughput run measured."""

    rates: dict[str, list[float]] = field(default_factory=dict)  # "op | contender" → per round
    output_bytes: dict[str, int] = field(default_factory=dict)  # "op | contender" → last round
    memory: dict[str, float] = field(default_factory=dict)  # peak MiB while rendering
    whole_run_mb: float = 0.0  # Cloudlet's peak over the whole run, uploads included
    foreign: list[float] = field(default_factory=list)  # CPU share others took, per timing


def throughput(args: argparse.Namespace, work: Path) -> Results:
    """Images per second of each contender and transformation, per round; output sizes;
    peak memory."""
    sources = photos()
    server = start_server(work / "data", {"CLOUDLET_ACCESS_LOG": "false"})
    use_server(server)
    thumbor, thumbor_base = start_thumbor(peers.CACHE, work, os.cpu_count() or 1)
    relative = [str(p.relative_to(peers.CACHE)) for p in sources] * args.copies
    found = Results()
    try:
        for round_ in range(args.rounds):
            ids = upload_round(round_, sources, args.copies)
            found.whole_run_mb = max(found.whole_run_mb, peers.peak_rss_mb(server.process.pid))
            for process in (server.process, thumbor):
                peers.reset_peak_rss(process.pid)
            for op in (FILL, LIMIT):
                runs = contenders(server, thumbor_base, op, ids, relative, args.concurrency)
                pids = {"cloudlet": server.process.pid, "thumbor": thumbor.pid}
                timed_round(found, round_, op, runs, len(relative), pids)
            _keep_peak(found.memory, "cloudlet", peers.peak_rss_mb(server.process.pid))
            _keep_peak(found.memory, "thumbor", peers.peak_rss_mb(thumbor.pid))
        found.whole_run_mb = max(found.whole_run_mb, found.memory["cloudlet"])
    finally:
        peers.stop(thumbor)
        stop_server(server)
    found.memory["pyvips in-process"] = max(
        pyvips_run(op, sources, os.cpu_count() or 1)["peak_mb"] for op in ("fill", "limit")
    )
    return found


def timed_round(
    found: Results,
    round_: int,
    op: str,
    runs: dict[str, Callable[[], tuple[float, int]]],
    images: int,
    pids: dict[str, int],
) -> None:
    """Run each contender once over ``images`` renders, the order rotated by round; note how
    much of the machine other processes took meanwhile."""
    names = list(runs)
    for name in names[round_ % 3 :] + names[: round_ % 3]:
        (seconds, received), foreign = peers.foreign_share(runs[name], pids.get(name))
        rate = images / seconds
        found.rates.setdefault(f"{op} | {name}", []).append(rate)
        found.output_bytes[f"{op} | {name}"] = received
        found.foreign.append(foreign)
        print(
            f"round {round_ + 1} {op} {name}: {rate:.1f} images/s "
            f"(other processes: {foreign:.0%} of the CPUs)",
            flush=True,
        )


def _keep_peak(memory: dict[str, float], name: str, value: float) -> None:
    memory[name] = max(memory.get(name, 0.0), value)


def big_sources(work: Path) -> dict[str, Path]:
    """A 36 MP JPEG and PNG: the largest wallpaper upscaled to 8000×4500."""
    largest = max(peers.wallpapers(), key=lambda p: p.stat().st_size)
    image = pyvips.Image.new_from_file(str(largest))
    image = image.resize(8000 / image.width, vscale=4500 / image.height)
    folder = work / "big"
    folder.mkdir(exist_ok=True)
    image.write_to_file(str(folder / "big36.jpg"), Q=90)
    image.write_to_file(str(folder / "big36.png"))
    return {"JPEG": folder / "big36.jpg", "PNG": folder / "big36.png"}


def single_renders(work: Path) -> dict[str, dict[str, float]]:
    """Peak memory of a fresh server process after one ``c_fill,w_500,h_500`` of each."""
    sources = big_sources(work)
    data = work / "data-big"
    uploader = start_server(data, {"CLOUDLET_ACCESS_LOG": "false"})
    use_server(uploader)
    import cloudinary.uploader

    for path in sources.values():
        cloudinary.uploader.upload(str(path), public_id=path.name)
    stop_server(uploader)
    peaks: dict[str, dict[str, float]] = {}
    for kind, path in sources.items():
        fresh = start_server(data, {"CLOUDLET_ACCESS_LOG": "false"}, create_clouds=False)
        try:
            fetch_all(cloudlet_urls(fresh, FILL, [path.name]), 1)
            cloudlet_peak = peers.peak_rss_mb(fresh.process.pid)
        finally:
            stop_server(fresh)
        thumbor, base = start_thumbor(path.parent, work, os.cpu_count() or 1)
        try:
            fetch_all([f"{base}/unsafe/500x500/{path.name}"], 1)
            thumbor_peak = peers.peak_rss_mb(thumbor.pid)
        finally:
            peers.stop(thumbor)
        in_process = pyvips_run("fill", [path], 1)["peak_mb"]
        peaks[kind] = {
            "cloudlet": cloudlet_peak,
            "thumbor": thumbor_peak,
            "pyvips in-process": in_process,
        }
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=3, help="renders of each photo per run")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--webp-effort", type=int, default=4, help="CLOUDLET_WEBP_EFFORT")
    args = parser.parse_args()
    os.environ["CLOUDLET_WEBP_EFFORT"] = str(args.webp_effort)  # the server and the worker
    peers.require_setup()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-render-"))
    try:
        found = throughput(args, work)
        report_throughput(found, args)
        peaks = single_renders(work)
        report_memory(found, peaks)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # ~400 MB of uploads and renders


NAMES = ("cloudlet", "thumbor", "pyvips in-process")


def report_throughput(found: Results, args: argparse.Namespace) -> None:
    print(f"\n{peers.machine()}")
    print(
        f"{len(photos())} photographs × {args.copies} copies per run, {args.rounds} rounds, "
        f"{args.concurrency} clients, WebP effort {args.webp_effort}; other processes took "
        f"{peers.median(found.foreign):.0%} "
        f"of the CPUs during the median timing, {max(found.foreign):.0%} at most"
    )
    rows = []
    for op in (FILL, LIMIT):
        mine = found.rates[f"{op} | cloudlet"]
        for name in NAMES:
            theirs = found.rates[f"{op} | {name}"]
            ratios = [m / t for m, t in zip(mine, theirs, strict=True)]
            spread = f"{peers.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
            rate = f"{peers.median(theirs):.1f}"
            size = f"{found.output_bytes[f'{op} | {name}'] / args.copies / 1024:.0f}"
            rows.append([f"`{op}`", name, rate, "" if name == "cloudlet" else spread, size])
    header = ["transformation", "contender", "images/s (median)", "Cloudlet ÷ it", "output KiB"]
    print(peers.table(header, rows), flush=True)


def report_memory(found: Results, peaks: dict[str, dict[str, float]]) -> None:
    rows = [
        ["while rendering (whole server)", *(f"{found.memory[n]:.0f}" for n in NAMES)],
        ["the whole run, uploads included", f"{found.whole_run_mb:.0f}", "", ""],
    ]
    for kind, single in peaks.items():
        rows.append([f"one `{FILL}` of a 36 MP {kind}", *(f"{single[n]:.0f}" for n in NAMES)])
    print(peers.table(["peak resident memory (MiB)", *NAMES], rows))


if __name__ == "__main__":
    main()
