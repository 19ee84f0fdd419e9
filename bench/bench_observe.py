"""What observability costs on the delivery hit path: metrics on and off, access logs.

A ~30 KB JPEG is uploaded through the SDK; wrk then loads, in interleaved rounds, the same
cached URL on `cloudlet serve` started in each set-up. Ratios are to "metrics off, access log
off" within the same round. Also measured in-process: the hit path's own time per request
(HitMiddleware called directly, no sockets), with and without the Observer.

    .venv/bin/python bench/bench_observe.py [--seconds 5] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import peers  # noqa: E402
from bench.bench_hit import cloudlet_serve, run_rounds  # noqa: E402
from bench.hitpath import hit_timer  # noqa: E402
from tests.compat.server import start_server, stop_server  # noqa: E402

BASE = "metrics off, access log off"
SETUPS = {
    BASE: {"CLOUDLET_METRICS": "false", "CLOUDLET_ACCESS_LOG": "false"},
    "metrics on (default), access log off": {"CLOUDLET_ACCESS_LOG": "false"},
    "metrics on, JSON access log": {"CLOUDLET_ACCESS_LOG_FORMAT": "json"},
    "metrics on, text access log (default)": {},
}


def make_photo(work: Path) -> Path:
    """A ~30 KB JPEG (smooth noise, so it compresses like a photograph)."""
    noise = pyvips.Image.gaussnoise(560, 350, sigma=40).gaussblur(2)
    image = noise.bandjoin([noise.rot180().flip("horizontal"), noise.flip("vertical")])
    path = work / "photo.jpg"
    image.cast("uchar").copy(interpretation="srgb").write_to_file(str(path), Q=85)
    return path


def in_process(path: str, data_dir: Path, requests: int = 50_000) -> dict[str, float]:
    """Microseconds per hit through HitMiddleware, without and with the Observer."""
    from cloudlet.app import create_app
    from cloudlet.settings import load_settings

    app: Any = create_app(load_settings({"CLOUDLET_DATA_DIR": str(data_dir)}))
    return {
        name: hit_timer(app, path, hits=requests, repeats=5, observer=observer)()
        for name, observer in (("without observer", None), ("with observer", app.state.observer))
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-observe-"))
    photo = make_photo(work)
    server = start_server(work / "data")
    import os

    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    import cloudinary.uploader

    url = cloudinary.uploader.upload(str(photo), public_id="bench/observe")["url"]
    path = "/" + url.split("/", 3)[3]
    stop_server(server)
    processes, contenders = [], {}
    try:
        for name, extra in SETUPS.items():
            process, target = cloudlet_serve({**server.env, **extra}, path)
            processes.append(process)
            contenders[name] = target
        results = run_rounds(
            contenders, args, lambda u: peers.wrk(u, args.seconds, args.connections)
        )
    finally:
        for process in processes:
            peers.stop(process)
    micro = in_process(path, work / "data")
    report(results, micro, photo, args)


def report(
    results: dict[str, list[float]], micro: dict[str, float], photo: Path, args: Any
) -> None:
    reference = results[BASE]
    rows = []
    for name, rates in results.items():
        ratios = [rate / ref for rate, ref in zip(rates, reference, strict=True)]
        rows.append([name, f"{peers.median(rates):,.0f}", f"{peers.median(ratios):.2f}",
                     f"{min(ratios):.2f}–{max(ratios):.2f}"])  # fmt: skip
    print(f"\n{peers.machine()}")
    print(f"file: {photo.stat().st_size / 1024:.0f} KB JPEG; wrk -t2 -c{args.connections}, "
          f"{args.seconds} s × {args.rounds} interleaved rounds")  # fmt: skip
    print(peers.table(["set-up", "req/s (median)", "× base (median)", "× base (range)"], rows))
    print("\nin-process, HitMiddleware alone (best of 5 × 50,000 hits):")
    for name, micros in micro.items():
        print(f"  {name}: {micros:.2f} µs per hit")


if __name__ == "__main__":
    main()
