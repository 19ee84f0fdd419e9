"""Engine set-up and the small transaction helpers the catalog's parts share.

SQLite needs care to be a correct multi-threaded catalog:

- WAL lets readers run while one writer writes; ``busy_timeout`` makes a writer wait for the
  lock instead of failing at once; ``foreign_keys`` turns on the cascades.
- Python's sqlite3 module (legacy transaction control) starts transactions only before DML,
  so a SELECT followed by an UPDATE would not be one transaction. We take over: the driver
  is told to emit nothing, and we emit ``BEGIN`` ourselves, ``BEGIN IMMEDIATE`` for write
  transactions so the write lock is taken up front (a deferred read that later upgrades to a
  write can fail with SQLITE_BUSY in WAL mode, ignoring the busy timeout).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from cloudlet.catalog.generation import Generation
from cloudlet.settings import normalise_database_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "cloudlet_write"


def create_catalog_engine(url: str) -> Engine:
    """An Engine configured for the catalog on SQLite or PostgreSQL."""
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every checkout would see its own empty database.
        options["poolclass"] = StaticPool
    engine = sa.create_engine(url, **options)
    sa.event.listen(engine, "connect", _sqlite_on_connect)
    sa.event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see the module docstring
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """Holds the engine; the catalog's mixins reach it through ``_read``/``_write``."""

    def __init__(self, url: str, generation: Generation | None = None) -> None:
        self._engine = create_catalog_engine(url)
        self._writer = self._engine.execution_options(**{_WRITE_OPTION: True})
        # moved on after every committed write that may change a delivery's answer
        self.generation = generation or Generation()
        self._counter: SequenceCounter | None = None
        if self._is_postgres and not self.generation.shared:
            # other nodes may write to this catalog: their writes move the generation too
            self._counter = SequenceCounter(self._engine)
            self.generation.share(self._counter)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tools and tests)."""
        return self._engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection for reads; its transaction is rolled back at the end."""
        with self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self, *, quiet: bool = False) -> Iterator[Connection]:
        """A write transaction: committed at the end, rolled back on error. After the commit
        the delivery generation moves on (cached delivery answers are dropped), unless
        ``quiet``: only for writes no delivery URL can see (the blob journal, tokens)."""
        with self._writer.begin() as conn:
            yield conn
        if not quiet:
            self.generation.bump()

    def dispose(self) -> None:
        """Close every connection (the catalog's pool and the generation's)."""
        self._engine.dispose()
        if self._counter is not None:
            self._counter.dispose()

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (the readiness probe)."""
        with self._read() as conn:
            conn.execute(sa.text("SELECT 1"))

    @property
    def shared(self) -> bool:
        """Whether other machines may use this catalog too (PostgreSQL): then no process may
        assume it is alone, e.g. settle other nodes' unfinished uploads at its start."""
        return self._is_postgres

    @property
    def _is_postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"


class SequenceCounter:
    """The cluster's part of the delivery generation: the PostgreSQL sequence
    ``delivery_generation`` (migration 0015). ``nextval`` takes no row lock and is not
    undone by a rollback, so bumps from many nodes never wait on each other.

    It has a small pool of its own, in autocommit mode: a read is one round trip, and the
    request that makes it (on the event loop, see ``catalog.generation``) never waits for a
    connection held by the catalog's work in other threads."""

    def __init__(self, engine: Engine) -> None:
        own = sa.create_engine(engine.url, pool_size=1, max_overflow=4)
        self._engine = own.execution_options(isolation_level="AUTOCOMMIT")
        self._own = own

    def read(self) -> int:
        """The sequence's current value (the last one handed out)."""
        with self._engine.connect() as conn:
            query = sa.text("SELECT last_value FROM delivery_generation")
            return int(conn.execute(query).scalar_one())

    def bump(self) -> int:
        """Move the sequence on; the new value."""
        with self._engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT nextval('delivery_generation')")).scalar_one())

    def dispose(self) -> None:
        """Close its connections."""
        self._own.dispose()


def insert_or_ignore(conn: Connection, table: sa.Table, values: list[dict[str, Any]]) -> None:
    """INSERT rows, skipping those that conflict with an existing primary key or unique key."""
    if values:
        conn.execute(_dialect_insert(conn, table).on_conflict_do_nothing(), values)


def insert_select_or_ignore(
    conn: Connection, table: sa.Table, columns: list[str], select: sa.Select[Any]
) -> None:
    """INSERT the rows ``select`` yields into ``columns``, skipping those that conflict with
    an existing key: set-based, one statement however many rows. ``select`` must have a
    WHERE clause (SQLite otherwise misreads its ON CONFLICT)."""
    stmt = _dialect_insert(conn, table).from_select(columns, select)
    conn.execute(stmt.on_conflict_do_nothing())


def upsert(
    conn: Connection,
    table: sa.Table,
    values: dict[str, Any] | list[dict[str, Any]],
    update: list[str],
) -> None:
    """INSERT a row (or a list of rows, in one executemany) or, when its primary key
    exists, update the ``update`` columns."""
    if not values:
        return
    stmt = _dialect_insert(conn, table)
    index = [c.name for c in table.primary_key.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=index, set_={name: stmt.excluded[name] for name in update}
    )
    conn.execute(stmt, values)


def _dialect_insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """``items`` in slices of at most ``size`` (bound-parameter limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
