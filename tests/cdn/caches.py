"""Real caches in front of a live Cloudlet: Varnish with deploy/varnish/cloudlet.vcl and stock
nginx with deploy/nginx/cloudlet.conf, each on a free loopback port, run as child processes.

When a cache is missing its Debian packages are installed here, with apt-get, when running as
root under ``CI`` (a policy-rc.d keeps the packages from starting system services); anywhere
else the test is skipped, except under ``CI`` where it fails: nothing may be skipped there.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.compat.server import free_port

ROOT = Path(__file__).resolve().parents[2]
VCL = ROOT / "deploy" / "varnish" / "cloudlet.vcl"
NGINX_SITE = ROOT / "deploy" / "nginx" / "cloudlet.conf"
VARNISHD = Path("/usr/sbin/varnishd")
NGINX = Path("/usr/sbin/nginx")
POLICY = Path("/usr/sbin/policy-rc.d")


def unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def ensure_packages(needed: dict[Path, str]) -> None:
    """Install the packages whose files are missing (root and CI only), else skip/fail."""
    missing = sorted({package for path, package in needed.items() if not path.exists()})
    if not missing:
        return
    if not os.environ.get("CI") or os.geteuid() != 0:
        unavailable(f"not installed: {' '.join(missing)} (installed automatically as root in CI)")
    made_policy = not POLICY.exists()
    if made_policy:  # keep the packages' init scripts from starting system services
        POLICY.write_text("#!/bin/sh\nexit 101\n")
        POLICY.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        ):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                unavailable(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    finally:
        if made_policy:
            POLICY.unlink(missing_ok=True)
    still = [str(path) for path in needed if not path.exists()]
    if still:
        unavailable(f"still missing after apt-get: {still}")


@dataclass
class Cache:
    """A running cache: where clients reach it."""

    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def _wait_until_up(cache: Cache) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if cache.process.poll() is not None:
            raise RuntimeError(f"{cache.name} exited: {cache.log.read_text(errors='replace')}")
        try:
            httpx.get(cache.base_url + "/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{cache.name} did not start: {cache.log.read_text(errors='replace')}")


def _stop(cache: Cache) -> None:
    cache.process.terminate()
    try:
        cache.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        cache.process.kill()
        cache.process.wait(timeout=15)


def backend_vcl(cloudlet_port: int) -> str:
    """The shipped VCL pointed at a Cloudlet on ``cloudlet_port`` (the only line edited)."""
    text = VCL.read_text(encoding="utf-8")
    assert '.port = "8000";' in text
    return text.replace('.port = "8000";', f'.port = "{cloudlet_port}";')


# for tests: few threads, and a ban lurker that runs at once
SMALL = ("-p", "ban_lurker_sleep=0.01", "-p", "thread_pool_min=5")


def ensure_varnish() -> None:
    ensure_packages({VARNISHD: "varnish"})


def ensure_nginx() -> None:
    ensure_packages({NGINX: "nginx"})


@contextmanager
def varnish(
    workdir: Path,
    cloudlet_port: int,
    port: int | None = None,
    purger: str = "127.0.0.1",
    tuning: tuple[str, ...] = SMALL,
) -> Iterator[Cache]:
    """varnishd in the foreground with the shipped VCL, on ``port`` (or a free one) of the
    loopback; ``purger``: the address its ACL lets purge (tests of refusal change it)."""
    ensure_varnish()
    workdir.mkdir(parents=True, exist_ok=True)
    vcl = workdir / "cloudlet.vcl"
    text = backend_vcl(cloudlet_port)
    if purger != "127.0.0.1":
        text = text.replace('"127.0.0.1";\n    "::1";', f'"{purger}";')
        assert purger in text
    vcl.write_text(text, encoding="utf-8")
    port = port or free_port()
    log = workdir / "varnish.log"
    command = [
        str(VARNISHD), "-F", "-f", str(vcl), "-a", f"127.0.0.1:{port}",
        "-n", str(workdir / "instance"), "-s", "malloc,64m", "-T", "none", "-j", "none",
        *tuning,
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    cache = Cache("varnish", f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(cache)
        yield cache
    finally:
        _stop(cache)


def nginx_config(
    workdir: Path, port: int, cloudlet_port: int, purger: str, workers: int = 1
) -> str:
    """A whole nginx.conf around the shipped site, for an unprivileged foreground nginx."""
    site = NGINX_SITE.read_text(encoding="utf-8")
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{cloudlet_port};"),
        ("/var/cache/nginx/cloudlet", str(workdir / "cache")),
        ("    127.0.0.1 1;\n    ::1       1;", f"    {purger} 1;"),
    ):
        assert old in site, old
        site = site.replace(old, new)
    temp = workdir / "tmp"
    # as root, nginx's workers would drop to "nobody", who cannot write the test's cache dir
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
daemon off;
worker_processes {workers};
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
"""


@contextmanager
def nginx(
    workdir: Path,
    cloudlet_port: int,
    port: int | None = None,
    purger: str = "127.0.0.1",
    workers: int = 1,
) -> Iterator[Cache]:
    """nginx in the foreground with the shipped site, on ``port`` (or a free one) of the
    loopback, with ``workers`` worker processes; ``purger`` as for ``varnish``."""
    ensure_nginx()
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(workdir, port, cloudlet_port, purger, workers), encoding="utf-8")
    log = workdir / "nginx.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(NGINX), "-c", str(conf), "-p", str(workdir)], stdout=out, stderr=subprocess.STDOUT
        )
    cache = Cache("nginx", f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(cache)
        yield cache
    finally:
        _stop(cache)


CACHES = {"varnish": varnish, "nginx": nginx}
