"""Claims that several processes and nodes share through the catalog: who renders a
derivative right now, and recent failed Media Explorer sign-ins.

Writes are ``quiet`` (no delivery answer depends on them) and, on PostgreSQL, do not wait
for the WAL flush: a claim lost in a database crash only lets a render run twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from cloudlet.catalog.db import Database
from cloudlet.catalog.schema import login_failures, render_claims


class Claims(Database):
    """Render claims and sign-in failures."""

    def claim_render(self, key: str, owner: str, now: datetime, stale_before: datetime) -> bool:
        """Claim the render ``key`` for ``owner``; False when another holds it. A claim made
        before ``stale_before`` (its process died) is taken over. One statement: an insert
        that, on a conflict, takes the row only if it is stale; a row comes back only when
        this call got the claim (rowcount is unreliable for ON CONFLICT on PostgreSQL)."""
        insert = (postgresql.insert if self._is_postgres else sqlite.insert)(render_claims)
        values = insert.values(key=key, owner=owner, claimed_at=now)
        stmt = values.on_conflict_do_update(
            index_elements=[render_claims.c.key],
            set_={"owner": values.excluded.owner, "claimed_at": values.excluded.claimed_at},
            where=render_claims.c.claimed_at < stale_before,
        ).returning(render_claims.c.key)
        with self._ephemeral() as conn:
            return conn.execute(stmt).first() is not None

    def release_render(self, key: str, owner: str) -> None:
        """Drop ``owner``'s claim of ``key`` (the render is stored, or failed)."""
        with self._ephemeral() as conn:
            conn.execute(
                sa.delete(render_claims).where(
                    render_claims.c.key == key, render_claims.c.owner == owner
                )
            )

    def render_claimed(self, key: str) -> bool:
        """Whether some process holds a claim of ``key``."""
        return self.render_claim_owner(key) is not None

    def render_claim_owner(self, key: str) -> str | None:
        """Who holds the claim of ``key``; None when nobody does."""
        with self._read() as conn:
            query = sa.select(render_claims.c.owner).where(render_claims.c.key == key)
            owner = conn.execute(query).scalar()
            return None if owner is None else str(owner)

    def login_failures_since(
        self, keys: Sequence[str], since: datetime
    ) -> dict[str, list[datetime]]:
        """The failure times of each key after ``since``, oldest first."""
        query = (
            sa.select(login_failures.c.key, login_failures.c.failed_at)
            .where(login_failures.c.key.in_(list(keys)), login_failures.c.failed_at > since)
            .order_by(login_failures.c.failed_at)
        )
        found: dict[str, list[datetime]] = {key: [] for key in keys}
        with self._read() as conn:
            for key, failed_at in conn.execute(query):
                found[key].append(failed_at)
        return found

    def add_login_failures(
        self, keys: Sequence[str], now: datetime, forget_before: datetime
    ) -> None:
        """Record one failure for each key; failures before ``forget_before`` are removed."""
        with self._ephemeral() as conn:
            conn.execute(
                sa.delete(login_failures).where(login_failures.c.failed_at < forget_before)
            )
            conn.execute(
                sa.insert(login_failures), [{"key": key, "failed_at": now} for key in keys]
            )

    @contextmanager
    def _ephemeral(self) -> Iterator[Connection]:
        with self._write(quiet=True) as conn:
            if self._is_postgres:
                conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
            yield conn
