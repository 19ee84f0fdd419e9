"""The reliability harness: load, crashes, hostile input, rate limits (issue 9).

Every test here carries the ``reliability`` marker (``-m "not reliability"`` leaves the
harness out of a quick run). Its budget in CI is about three minutes on two cores; the
longer soak is ``bench/soak.py`` (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.compat.server import Server, running_server

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``reliability``."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


# Hostile-input tests share one server: short slow-client timeouts, outgoing requests to
# private addresses refused (the production defaults), a generous Admin API limit.
HOSTILE_ENV = {
    "CLOUDLET_HEADER_TIMEOUT_S": "2",
    "CLOUDLET_BODY_TIMEOUT_S": "2",
    "CLOUDLET_FETCH_ALLOW_PRIVATE": "false",
    "CLOUDLET_WEBHOOK_ALLOW_PRIVATE": "false",
    "CLOUDLET_ADMIN_RATE_LIMIT": "1000000",
}


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the hostile-input tests."""
    with running_server(tmp_path_factory.mktemp("hostile"), HOSTILE_ENV) as server:
        yield server
