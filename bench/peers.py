"""What the peer benchmarks share: the photographs (``bench/setup.sh`` fetches them), starting
and stopping contenders, wrk, peak resident memory from /proc, and a small result table."""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = Path(os.environ.get("BENCH_CACHE") or ROOT / "bench" / ".cache")
THUMBOR = CACHE / "thumbor-venv" / "bin" / "thumbor"
NGINX = Path("/usr/sbin/nginx")
T = TypeVar("T")


def require_setup() -> None:
    """Stop with a clear message when ``bench/setup.sh`` has not been run."""
    missing = [p for p in (CACHE / "wallpapers", CACHE / "faces", THUMBOR) if not p.exists()]
    if missing or shutil.which("wrk") is None or not NGINX.exists():
        sys.exit(f"run `sh bench/setup.sh` first (missing: {missing or 'wrk/nginx'})")


def wallpapers() -> list[Path]:
    """The plasma-workspace-wallpapers JPEGs (2560×1600 and 5120×2880)."""
    return sorted((CACHE / "wallpapers").glob("*.jpg"))


def face_photos() -> list[Path]:
    """The sample photographs of scikit-image and matplotlib (people and a cat)."""
    return sorted((CACHE / "faces").iterdir())


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Poll ``url`` until it answers (any status); fail if the process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a contender we started (and wait for it)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children still running, in MiB."""
    total = 0
    for one in [pid, *_children(pid)]:
        status = Path(f"/proc/{one}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def reset_peak_rss(pid: int) -> None:
    """Start VmHWM of a process and its children again from their current size (Linux)."""
    for one in [pid, *_children(pid)]:
        Path(f"/proc/{one}/clear_refs").write_text("5")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        for child in map(int, text):
            found += [child, *_children(child)]
    return found


_TICK = os.sysconf("SC_CLK_TCK")


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK


def process_cpu_s(pid: int) -> float:
    """CPU seconds of a running process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def own_cpu_s() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def foreign_share(run: Callable[[], T], server_pid: int | None) -> tuple[T, float]:
    """``run()``'s result and the share of the machine's CPU capacity that other processes
    (not this one, its children, or the server) used meanwhile: the noise of a shared
    machine, reported next to each timing."""
    server = (lambda: process_cpu_s(server_pid)) if server_pid else (lambda: 0.0)
    before = (busy_cpu_s(), own_cpu_s(), server(), time.perf_counter())
    result = run()
    after = (busy_cpu_s(), own_cpu_s(), server(), time.perf_counter())
    ours = (after[1] - before[1]) + (after[2] - before[2])
    capacity = (after[3] - before[3]) * (os.cpu_count() or 1)
    return result, max(0.0, (after[0] - before[0] - ours) / capacity)


def wrk(url: str, seconds: int, connections: int, threads: int = 2) -> float:
    """Requests per second wrk reaches on ``url`` (non-2xx/3xx answers fail the run)."""
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"errors from {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def machine() -> str:
    """One line describing this machine."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM, Python {sys.version.split()[0]}"
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pasted into docs/benchmarks.md)."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
