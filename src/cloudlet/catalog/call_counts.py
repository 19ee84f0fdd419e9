"""Admin API call counts per cloud and window, shared by every process using the catalog."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cloudlet.catalog.db import Database
from cloudlet.catalog.schema import api_call_counts as counts


class CallCounts(Database):
    """One row per (cloud, window) holding how many calls it has seen."""

    def count_api_call(self, cloud: str, window: int) -> int:
        """Count one call of ``cloud`` in ``window`` (an hour's start, Unix seconds); the
        count including this one. Older windows of the cloud are removed when a new one
        starts. Atomic across processes: one upsert in a short write transaction."""
        insert = postgresql.insert if self._is_postgres else sqlite.insert
        upsert = insert(counts).values(cloud=cloud, window=window, calls=1)
        stmt = upsert.on_conflict_do_update(
            index_elements=[counts.c.cloud, counts.c.window],
            set_={"calls": counts.c.calls + 1},
        ).returning(counts.c.calls)
        with self._write(quiet=True) as conn:  # no delivery answer depends on it
            if self._is_postgres:
                # a count lost in a crash is harmless: do not wait for the WAL flush (3 ms)
                conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
            calls = int(conn.execute(stmt).scalar_one())
            if calls == 1:
                conn.execute(
                    sa.delete(counts).where(counts.c.cloud == cloud, counts.c.window < window)
                )
        return calls
