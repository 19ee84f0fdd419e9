"""Soak: the reliability suite's mixed load for longer, with kill -9 and restarts.

Clients (threads, loopback only) run the load mix of tests/reliability/workload.py (uploads,
deliveries, cold and warm transformations, renames, tags, destroys, bulk deletes,
eager_async uploads) on overlapping public ids. Every ``--kill-every`` seconds (jittered) the
server is killed with SIGKILL mid-traffic and started again on the same data dir; after each
restart ``cloudlet fsck`` must be clean. At the end the catalog and the delivered bytes are
checked against the ledger of acknowledged writes, and eager jobs must have finished.

    .venv/bin/python bench/soak.py [--minutes 10] [--clients 32] [--kill-every 60]
        [--database-url postgresql://…]

Prints requests, concurrency, faults injected, 5xx count, fsck results and data lost (ids
whose final state no write explains); exits 1 if anything was lost or a 5xx was seen.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.compat.server import Server, start_server, stop_server  # noqa: E402
from tests.reliability.workload import Run, Target, run_clients, verify  # noqa: E402

ENV = {"CLOUDLET_ADMIN_RATE_LIMIT": "100000000"}


def _fsck(server: Server) -> bool:
    check = server.cli("fsck")
    if check.returncode != 0:
        print(check.stdout + check.stderr, file=sys.stderr)
    return check.returncode == 0


def _window(run: Run, server: Server, clients: int, seconds: float, kill: bool) -> None:
    """Clients at work for ``seconds``; with ``kill`` the server gets SIGKILL while they are
    still sending, then they stop."""
    worker = threading.Thread(target=run_clients, args=(run, clients, seconds + 120))
    worker.start()
    run.stop.wait(seconds)
    if kill:
        server.process.kill()
        server.process.wait(timeout=30)
        time.sleep(0.3)  # the clients meet the dead server
    run.stop.set()
    worker.join()
    run.stop.clear()


def soak(args: argparse.Namespace, data_dir: Path) -> dict[str, object]:
    """Run the soak; its figures."""
    env = dict(ENV)
    if args.database_url:
        env["CLOUDLET_DATABASE_URL"] = args.database_url
    server = start_server(data_dir, env)
    run = Run(Target(server.base_url, ids=args.ids))
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.minutes * 60
    kills = fscks_clean = fscks = 0
    while (remaining := deadline - time.monotonic()) > 1:
        seconds = min(rng.uniform(0.5, 1.5) * args.kill_every, remaining)
        kill = seconds < remaining - 1  # no kill at the very end: the check comes then
        _window(run, server, args.clients, seconds, kill)
        if not kill:
            break
        kills += 1
        server = start_server(data_dir, env, create_clouds=False)
        run.target.base_url = server.base_url
        fscks += 1
        fscks_clean += _fsck(server)
        print(f"  kill {kills}: {run.ledger.requests} requests so far, restarted", flush=True)
    try:
        fscks += 1
        fscks_clean += _fsck(server)
        verdict = verify(run, eager_wait_s=300)
    finally:
        stop_server(server)
    ledger = run.ledger
    return {
        "minutes": args.minutes,
        "clients (concurrency)": args.clients,
        "requests": ledger.requests,
        "answers by status": dict(sorted(ledger.statuses.items())),
        "connections cut by kills": ledger.transport_errors,
        "kill -9 injected": kills,
        "5xx": ledger.server_errors,
        "other failures": len(ledger.failures),
        "fsck clean": f"{fscks_clean}/{fscks}",
        "acknowledged writes": sum(w.acked for ws in ledger.writes.values() for w in ws),
        "assets at the end": verdict.present,
        "tags checked": verdict.tags_checked,
        "eager jobs checked": verdict.eager_checked,
        "data lost": len(verdict.lost),
        "eager derivatives missing": len(verdict.late_eager),
        "_problems": verdict.problems[:20] + ledger.failures[:20],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--kill-every", type=float, default=60.0, help="seconds, jittered")
    parser.add_argument("--ids", type=int, default=48, help="public ids the clients share")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cloudlet-soak-") as work:
        started = time.monotonic()
        figures = soak(args, Path(work) / "data")
    figures["wall seconds"] = round(time.monotonic() - started)
    problems = figures.pop("_problems")
    for name, value in figures.items():
        print(f"{name:28} {value}")
    for problem in problems:  # type: ignore[attr-defined]
        print("PROBLEM", problem)
    bad = figures["data lost"] or figures["eager derivatives missing"]
    bad = bad or figures["5xx"] or figures["other failures"]
    return (
        1
        if bad or figures["fsck clean"].split("/")[0] != figures["fsck clean"].split("/")[1]
        else 0
    )  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())
