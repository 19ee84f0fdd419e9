"""Cloudlet behind the shipped front-cache configurations against nginx serving the same file.

A ~32 KB JPEG is uploaded through the SDK; wrk then loads, in interleaved rounds, nginx
serving it as a static file (Debian, sendfile, no access log, one worker per core), Varnish
with deploy/varnish/cloudlet.vcl in front of Cloudlet, nginx with deploy/nginx/cloudlet.conf
in front of Cloudlet (one worker per core; every request to either cache a hit), and Cloudlet
alone (access log off, its own hit cache) for scale. Target: Cloudlet behind a front cache at
0.8× nginx or better.

    sh bench/setup.sh
    .venv/bin/python bench/bench_cdn.py [--seconds 5] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import peers  # noqa: E402
from bench.bench_hit import cloudlet_serve, nginx, report, run_rounds  # noqa: E402
from tests.cdn.caches import nginx as nginx_front  # noqa: E402
from tests.cdn.caches import varnish  # noqa: E402
from tests.compat.server import start_server, stop_server  # noqa: E402

TARGET = 0.8


def make_photo(work: Path) -> Path:
    """A ~32 KB JPEG: a wallpaper from bench/setup.sh when there is one, else smooth noise."""
    photo = work / "photo.jpg"
    wallpapers = peers.wallpapers() if (peers.CACHE / "wallpapers").exists() else []
    if wallpapers:
        pyvips.Image.thumbnail(str(wallpapers[0]), 560).write_to_file(str(photo), Q=85)
    else:
        noise = pyvips.Image.gaussnoise(560, 350, sigma=60, mean=128).gaussblur(2)
        noise.cast("uchar").bandjoin([noise.cast("uchar")] * 2).write_to_file(str(photo), Q=85)
    return photo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-cdn-"))
    work.chmod(0o755)  # nginx's workers run as an unprivileged user
    photo = make_photo(work)
    server = start_server(work / "data", {"CLOUDLET_ACCESS_LOG": "false"})
    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    import cloudinary.uploader

    url = cloudinary.uploader.upload(str(photo), public_id="bench/cdn")["url"]
    path = "/" + url.split("/", 3)[3]
    port = int(server.base_url.rsplit(":", 1)[1])
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with ExitStack() as stack:
            # Varnish's default tuning (100 threads per pool), not the tests' small one
            cache = stack.enter_context(varnish(work / "varnish", port, tuning=()))
            front = stack.enter_context(
                nginx_front(work / "nginx-front", port, workers=os.cpu_count() or 1)
            )
            static = nginx(work, photo)
            processes.append(static[0])
            alone = cloudlet_serve({**server.env}, path)
            processes.append(alone[0])
            contenders = {
                "nginx static file": static[1],
                "varnish (shipped VCL) in front of cloudlet": cache.base_url + path,
                "nginx (shipped site) in front of cloudlet": front.base_url + path,
                "cloudlet alone, access log off": alone[1],
            }
            results = run_rounds(
                contenders, args, lambda u: peers.wrk(u, args.seconds, args.connections)
            )
    finally:
        for process in processes:
            peers.stop(process)
        stop_server(server)
    report(results, photo, args)
    for name in (
        "varnish (shipped VCL) in front of cloudlet",
        "nginx (shipped site) in front of cloudlet",
    ):
        ratios = [v / n for v, n in zip(results[name], results["nginx static file"], strict=True)]
        verdict = "meets" if peers.median(ratios) >= TARGET else "misses"
        print(f"\n{name} {verdict} the {TARGET}× nginx target")


if __name__ == "__main__":
    main()
