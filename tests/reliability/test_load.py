"""Many clients at once on overlapping public ids: no 5xx, nothing acknowledged is lost.

24 clients for 12 seconds (loopback only) mix uploads, deliveries, cold and warm
transformations, renames, tags, destroys, bulk deletes and eager_async uploads on a pool of
24 public ids. Afterwards: no answer was a 5xx and no connection failed, ``cloudlet fsck`` is
clean, and the catalog and the delivered bytes agree with the ledger of acknowledged writes
(see ``tests.reliability.ledger``). A last tag on the whole pool, sent once the clients have
stopped, makes sure tags are always checked. Once on SQLite (the default), once on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from tests.compat.server import Server, start_server, stop_server
from tests.conftest import fresh_postgres_schema
from tests.reliability.workload import Run, Target, run_clients, tag_pool, verify

CLIENTS = 24
SECONDS = 12.0
HARNESS_ENV = {"CLOUDLET_ADMIN_RATE_LIMIT": "1000000"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    env = dict(HARNESS_ENV)
    with ExitStack() as stack:
        if request.param == "postgres":
            env["CLOUDLET_DATABASE_URL"] = stack.enter_context(fresh_postgres_schema())
        server = start_server(tmp_path_factory.mktemp(f"load-{request.param}"), env)
        stack.callback(stop_server, server)
        yield server


def test_concurrent_mixed_load_loses_nothing(loaded_server: Server) -> None:
    run = Run(Target(loaded_server.base_url))
    run_clients(run, CLIENTS, SECONDS)
    tag_pool(run)  # so that tags are checked even where every load-time tag was overtaken
    ledger = run.ledger
    assert ledger.failures == [], ledger.failures[:20]
    assert ledger.server_errors == 0 and ledger.transport_errors == 0
    assert ledger.requests > 200, f"only {ledger.requests} requests in {SECONDS} s"
    check = loaded_server.cli("fsck")
    assert check.returncode == 0 and "clean" in check.stdout, check.stdout + check.stderr
    verdict = verify(run)
    assert verdict.problems == [], verdict.problems[:20]
    # the check could not pass vacuously: assets remain, tags and eager jobs were checked
    assert verdict.present > 0 and verdict.tags_checked > 0 and verdict.eager_checked > 0
    acked = sum(w.acked for writes in ledger.writes.values() for w in writes)
    print(f"{ledger.requests} requests, {acked} acknowledged writes, {verdict.present} assets")
