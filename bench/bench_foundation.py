"""Foundation benchmark: upload throughput through the real SDK, and delivery of originals
compared side by side with the floor of the same stack (a bare Starlette FileResponse app on
uvicorn serving the same file). Loopback only, bounded in time.

    .venv/bin/python bench/bench_foundation.py [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.compat.server import free_port, start_server, stop_server  # noqa: E402

FLOOR_APP = """
import sys
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Route
PATH = sys.argv[1]
async def serve(request):
    return FileResponse(PATH, media_type="image/jpeg")
app = Starlette(routes=[Route("/{rest:path}", serve)])
"""


def wrk(url: str, seconds: float, concurrency: int) -> tuple[float, float, float] | None:
    """The same measurement with wrk (Debian package), which leaves Python out of the client."""
    if shutil.which("wrk") is None:
        return None
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rate, percentile("50"), percentile("99")


async def hammer(url: str, seconds: float, concurrency: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 latency (ms) for GETs of ``url``."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await client.get(url)
                assert response.status_code == 200, response.status_code
                latencies.append((time.perf_counter() - start) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return (
        len(latencies) / elapsed,
        statistics.median(latencies),
        latencies[len(latencies) * 99 // 100],
    )


def start_floor(path: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    script = workdir / "floor_app.py"
    script.write_text(FLOOR_APP)
    port = free_port()
    code = (
        f"import sys, uvicorn; sys.argv = ['x', {str(path)!r}]; "
        f"sys.path.insert(0, {str(workdir)!r}); "
        f"uvicorn.run('floor_app:app', port={port}, log_level='warning')"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    url = f"http://127.0.0.1:{port}/x.jpg"
    for _ in range(100):
        try:
            httpx.get(url)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--access-log", default="false", choices=["true", "false"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-"))
    photo = work / "photo.jpg"
    pyvips.Image.gaussnoise(640, 480, sigma=40).cast("uchar").write_to_file(str(photo), Q=85)
    server = start_server(work / "data", {"CLOUDLET_ACCESS_LOG": args.access_log})
    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    import cloudinary.uploader

    try:
        began = time.perf_counter()
        for i in range(args.uploads):
            cloudinary.uploader.upload(str(photo), public_id=f"bench/{i}")
        upload_rate = args.uploads / (time.perf_counter() - began)
        result = cloudinary.uploader.upload(str(photo), public_id="bench/hot")
        floor, floor_url = start_floor(photo, work)
        try:
            cl = wrk(result["url"], args.seconds, args.concurrency) or asyncio.run(
                hammer(result["url"], args.seconds, args.concurrency)
            )
            fl = wrk(floor_url, args.seconds, args.concurrency) or asyncio.run(
                hammer(floor_url, args.seconds, args.concurrency)
            )
        finally:
            floor.terminate()
    finally:
        stop_server(server)
    size_kb = photo.stat().st_size / 1024
    client = "wrk" if shutil.which("wrk") else "httpx (install wrk for a truer figure)"
    print(
        f"file: {size_kb:.0f} KB JPEG; client {client}; concurrency {args.concurrency}; "
        f"{args.seconds:.0f} s per run"
    )
    print(f"uploads through the SDK (sequential): {upload_rate:.1f}/s")
    print(
        f"delivery, Cloudlet:           {cl[0]:8.0f} req/s  p50 {cl[1]:.1f} ms  p99 {cl[2]:.1f} ms"
    )
    print(
        f"delivery, bare FileResponse:  {fl[0]:8.0f} req/s  p50 {fl[1]:.1f} ms  p99 {fl[2]:.1f} ms"
    )
    print(f"Cloudlet / floor throughput: {cl[0] / fl[0]:.2f}")


if __name__ == "__main__":
    main()
