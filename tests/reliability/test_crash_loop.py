"""kill -9 the server again and again under load: nothing acknowledged is lost, fsck stays
clean after each restart, and queued eager jobs finish.

Each round, clients upload, rename, tag, destroy, bulk-delete and make eager_async uploads
on overlapping public ids, and the server is killed with SIGKILL in the middle of it. A
write whose answer never came may or may not have happened (the ledger allows both); every
acknowledged one must be there, and every acknowledged eager_async upload gets its
derivative. The exact crash points of an upload (between blob and
catalog, after the commit) are in tests/compat/test_crash_safety.py; this is the random
version, repeated.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

from tests.compat.server import Server, start_server
from tests.compat.test_crash_safety import assert_fsck_clean, wait_dead
from tests.reliability.workload import Run, Target, run_clients, verify

ROUNDS = 4
CLIENTS = 12
CRASH_MIX = {
    "upload": 25,
    "rename": 15,
    "tag": 10,
    "destroy": 8,
    "bulk_delete": 8,
    "eager_upload": 15,
    "deliver": 10,
    "transform_cold": 5,
}
ENV = {"CLOUDLET_ADMIN_RATE_LIMIT": "1000000"}


def _round(run: Run, server: Server, rng: random.Random) -> None:
    """Clients at work, then kill -9 while they are."""
    clients = threading.Thread(target=run_clients, args=(run, CLIENTS, 60.0))
    clients.start()
    run.stop.wait(rng.uniform(1.0, 2.5))
    server.process.kill()
    wait_dead(server)
    run.stop.set()
    clients.join(timeout=120)
    run.stop.clear()


def test_repeated_kill_9_under_load(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir, ENV)
    run = Run(Target(server.base_url), mix=dict(CRASH_MIX))
    rng = random.Random(9)
    for _ in range(ROUNDS):
        _round(run, server, rng)
        server = start_server(data_dir, ENV, create_clouds=False)
        run.target.base_url = server.base_url
        assert_fsck_clean(server)  # the restart settled what the kill interrupted
    try:
        ledger = run.ledger
        assert ledger.failures == [], ledger.failures[:20]
        assert ledger.server_errors == 0
        assert ledger.transport_errors > 0  # the kills did cut requests short
        verdict = verify(run, eager_wait_s=60)
        assert verdict.problems == [], verdict.problems[:20]
        assert verdict.present > 0 and verdict.eager_checked > 0
        assert_fsck_clean(server)
    finally:
        server.process.kill()
        server.process.wait(timeout=20)
