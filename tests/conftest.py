"""Shared fixtures: database URLs for every catalog backend and a migrated ``catalog``.

Every PostgreSQL test gets its own fresh schema (``cl_<hex>``), selected through the
connection's ``search_path``, so tests can run concurrently against one database. When
PostgreSQL cannot be reached the test is skipped, except in CI (``CI`` set), where it fails:
nothing may be skipped there.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

import psycopg
import pytest

from cloudlet.catalog.catalog import Catalog
from cloudlet.settings import normalise_database_url

DEFAULT_POSTGRES_URL = "postgresql://root@127.0.0.1:5432/test"


def postgres_url() -> str:
    """The PostgreSQL server tests use: ``CLOUDLET_TEST_POSTGRES_URL`` or the local default."""
    return os.environ.get("CLOUDLET_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def _libpq_url(url: str) -> str:
    """``url`` as psycopg itself accepts it (no SQLAlchemy ``+driver`` suffix)."""
    return normalise_database_url(url).replace("postgresql+psycopg://", "postgresql://", 1)


def _postgres_unavailable(reason: str) -> NoReturn:
    message = f"PostgreSQL not reachable at {postgres_url()}: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}', safe='')}"


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL whose search_path selects a fresh, empty schema,
    dropped on exit (skips, or fails in CI, when PostgreSQL is unreachable)."""
    schema = f"cl_{secrets.token_hex(8)}"
    try:
        admin = psycopg.connect(_libpq_url(postgres_url()), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _postgres_unavailable(str(exc).strip())
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield _with_search_path(normalise_database_url(postgres_url()), schema)
        finally:
            admin.execute("SET lock_timeout = '30s'")
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLAlchemy URL of a fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on each catalog backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def catalog(database_url: str) -> Iterator[Catalog]:
    """A migrated catalog on a fresh database, closed at teardown."""
    instance = Catalog(database_url)
    instance.migrate()
    try:
        yield instance
    finally:
        instance.close()


# ------------------------------------------------------------------ S3 (moto's server)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint of an S3-compatible server on loopback, one for the session (skipped
    when moto is not installed, except in CI where that fails)."""
    from tests.s3server import moto_server

    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError as exc:
        message = f"moto[server] and boto3 are needed for the S3 tests: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def s3_bucket(s3_endpoint: str) -> str:
    """A bucket the session's tests share, each under its own key prefix."""
    from tests.s3server import new_bucket

    return new_bucket(s3_endpoint)


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> object:
    """One boto3 client for the session (making one costs a fifth of a second)."""
    from tests.s3server import client

    return client(s3_endpoint)


@pytest.fixture
def s3_storage_url(s3_endpoint: str, s3_bucket: str) -> str:
    """A ``CLOUDLET_STORAGE_URL`` naming a fresh, empty key prefix in the session's bucket."""
    from tests.s3server import storage_url

    return storage_url(s3_endpoint, s3_bucket, f"t-{secrets.token_hex(6)}/blobs")
