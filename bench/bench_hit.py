"""Cached (hit) delivery: Cloudlet against nginx serving the same file as a static file.

A real photograph (a plasma-workspace wallpaper made into a ~32 KB JPEG) is uploaded through
the SDK; wrk then loads, in interleaved rounds, nginx (Debian, sendfile, no access log, one
worker per core), Cloudlet as `cloudlet serve` starts it and in several server set-ups
(access log, workers, uvicorn's HTTP parser and event loop), a derived hit, and the floor of
the Python stack (a bare ASGI app on the same uvicorn sending the bytes from memory).

    sh bench/setup.sh
    .venv/bin/python bench/bench_hit.py [--seconds 5] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import peers  # noqa: E402
from tests.compat.server import free_port, start_server, stop_server  # noqa: E402

NGINX_CONF = """
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  server {{ listen 127.0.0.1:{port}; location / {{ root {root}; }} }}
}}
"""

FLOOR_APP = """
import sys
BODY = open(sys.argv[1], "rb").read()
HEADERS = [(b"content-type", b"image/jpeg"), (b"content-length", str(len(BODY)).encode())]
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
"""


def make_photo(work: Path) -> Path:
    """A ~32 KB JPEG of a real photograph."""
    source = peers.CACHE / "wallpapers" / "Kite-2560x1600.jpg"
    photo = work / "photo.jpg"
    pyvips.Image.thumbnail(str(source), 560).write_to_file(str(photo), Q=85)
    return photo


def start(args: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    peers.wait_until_up(url, process)
    return process


def cloudlet_serve(
    env: dict[str, str], path: str, *flags: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "cloudlet.cli.main", "serve", "--port", str(port), *flags]
    url = f"http://127.0.0.1:{port}{path}"
    return start(command, env, url), url


def uvicorn_app(env: dict[str, str], path: str, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "cloudlet.app:app_from_env", "--factory",
        "--port", str(port), "--no-access-log", "--log-level", "warning", *flags,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}{path}"
    return start(command, env, url), url


def nginx(work: Path, photo: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, prefix = free_port(), work / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, root=photo.parent))
    command = [str(peers.NGINX), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"]
    url = f"http://127.0.0.1:{port}/{photo.name}"
    return start(command, dict(os.environ), url), url


def floor(work: Path, photo: Path) -> tuple[subprocess.Popen[bytes], str]:
    (work / "floor_app.py").write_text(FLOOR_APP)
    port = free_port()
    code = (
        f"import sys; sys.argv = ['x', {str(photo)!r}]; sys.path.insert(0, {str(work)!r}); "
        f"import uvicorn; uvicorn.run('floor_app:app', port={port}, log_level='warning', "
        "access_log=False)"
    )
    url = f"http://127.0.0.1:{port}/x.jpg"
    return start([sys.executable, "-c", code], dict(os.environ), url), url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    peers.require_setup()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-hit-"))
    work.chmod(0o755)  # nginx's workers run as an unprivileged user
    photo = make_photo(work)
    server = start_server(work / "data")  # `cloudlet serve` as it starts: access log on
    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    import cloudinary.uploader

    original = cloudinary.uploader.upload(str(photo), public_id="bench/hit")["url"]
    path = original.split("/", 3)[3]
    path = "/" + path
    derived_path = path.replace("/upload/", "/upload/c_fill,w_300,h_300/")
    quiet = {**server.env, "CLOUDLET_ACCESS_LOG": "false"}
    processes: list[subprocess.Popen[bytes]] = [server.process]
    contenders: dict[str, str] = {"cloudlet serve (defaults: access log on)": original}

    def add(name: str, started: tuple[subprocess.Popen[bytes], str]) -> None:
        processes.append(started[0])
        contenders[name] = started[1]

    try:
        add("nginx static file", nginx(work, photo))
        add("cloudlet, access log off", cloudlet_serve(quiet, path))
        add("cloudlet, access log off, 2 workers", cloudlet_serve(quiet, path, "--workers", "2"))
        add("cloudlet, access log off, derived hit", cloudlet_serve(quiet, derived_path))
        add("cloudlet, access log off, h11 parser", uvicorn_app(quiet, path, "--http", "h11"))
        add("cloudlet, access log off, asyncio loop", uvicorn_app(quiet, path, "--loop", "asyncio"))
        add("floor: bare ASGI app on uvicorn", floor(work, photo))
        results = run_rounds(
            contenders, args, lambda url: peers.wrk(url, args.seconds, args.connections)
        )
    finally:
        for process in processes[1:]:
            peers.stop(process)
        stop_server(server)
    report(results, photo, args)


def run_rounds(
    contenders: dict[str, str], args: argparse.Namespace, measure: Callable[[str], float]
) -> dict[str, list[float]]:
    """Every contender once per round, in a rotated order, so drift hits them alike."""
    names = list(contenders)
    results: dict[str, list[float]] = {name: [] for name in names}
    for url in contenders.values():
        peers.wrk(url, 1, args.connections)  # warm up (fills Cloudlet's memory of the URL)
    for round_ in range(args.rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            results[name].append(measure(contenders[name]))
            print(f"round {round_ + 1}: {name}: {results[name][-1]:.0f} req/s", flush=True)
    return results


def report(results: dict[str, list[float]], photo: Path, args: argparse.Namespace) -> None:
    reference = results["nginx static file"]
    rows = []
    for name, rates in results.items():
        ratios = [rate / ref for rate, ref in zip(rates, reference, strict=True)]
        rows.append(
            [name, f"{peers.median(rates):,.0f}", f"{peers.median(ratios):.2f}",
             f"{min(ratios):.2f}–{max(ratios):.2f}"]
        )  # fmt: skip
    print(f"\n{peers.machine()}")
    print(
        f"file: {photo.stat().st_size / 1024:.0f} KB JPEG; wrk -t2 -c{args.connections}, "
        f"{args.seconds} s × {args.rounds} interleaved rounds"
    )
    header = ["server", "req/s (median)", "× nginx (median)", "× nginx (range)"]
    print(peers.table(header, rows))


if __name__ == "__main__":
    main()
