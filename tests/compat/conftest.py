"""Fixtures: a real Cloudlet server and the real Cloudinary SDK pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import cloudinary
import pytest
from tests.compat.server import Server, start_server, stop_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One Cloudlet server for the compatibility suite."""
    # upload-from-URL tests fetch from a local HTTP server on 127.0.0.1
    srv = start_server(
        tmp_path_factory.mktemp("cloudlet-data"), {"CLOUDLET_FETCH_ALLOW_PRIVATE": "true"}
    )
    yield srv
    stop_server(srv)


@pytest.fixture()
def sdk(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The ``cloudinary`` module configured only through ``CLOUDINARY_URL``."""
    monkeypatch.setenv("CLOUDINARY_URL", server.cloudinary_url())
    cloudinary.reset_config()
    yield cloudinary
    monkeypatch.delenv("CLOUDINARY_URL")
    cloudinary.reset_config()
