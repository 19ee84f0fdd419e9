"""The parts of chunked uploads: one row per part received, whichever node received it.

A part's bytes are a blob (``{cloud}/chunks/{upload id}/{random id}``), so every node can
read every part; the node that receives the part completing the file takes all the rows
(``take_chunk_parts``: removed and journalled in one transaction, so only one node
assembles) and assembles the file from the blobs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cloudlet.catalog.asset_writes import journal_keys
from cloudlet.catalog.db import Database, upsert
from cloudlet.catalog.schema import upload_chunks as parts


class ChunkPart(NamedTuple):
    """One received part: bytes ``first``..``last`` (inclusive) kept under ``storage_key``."""

    first: int
    last: int
    storage_key: str


class ChunkParts(Database):
    """Parts of chunked uploads."""

    def add_chunk_part(
        self, cloud_id: int, upload_id: str, part: ChunkPart, now: datetime
    ) -> str | None:
        """Record a part (replacing one of the same range, a retried chunk); the storage key
        of the part it replaced, whose blob the caller removes."""
        where = (
            (parts.c.cloud_id == cloud_id)
            & (parts.c.upload_id == upload_id)
            & (parts.c.first_byte == part.first)
            & (parts.c.last_byte == part.last)
        )
        values = {
            "cloud_id": cloud_id,
            "upload_id": upload_id,
            "first_byte": part.first,
            "last_byte": part.last,
            "storage_key": part.storage_key,
            "created_at": now,
        }
        with self._write(quiet=True) as conn:
            replaced = conn.execute(sa.select(parts.c.storage_key).where(where)).scalar()
            if replaced is not None:
                journal_keys(conn, [replaced], now)  # removed by the caller, or by a sweep
            upsert(conn, parts, values, ["storage_key", "created_at"])
        return None if replaced == part.storage_key else replaced

    def chunk_parts(self, cloud_id: int, upload_id: str) -> list[ChunkPart]:
        """The parts of one upload received so far, in byte order."""
        with self._read() as conn:
            return _parts_of(conn, cloud_id, upload_id)

    def take_chunk_parts(self, cloud_id: int, upload_id: str, now: datetime) -> list[ChunkPart]:
        """Remove the upload's parts and journal their blobs, in one transaction; the parts
        (none when another node took them first)."""
        with self._write(quiet=True) as conn:
            found = _parts_of(conn, cloud_id, upload_id)
            conn.execute(
                sa.delete(parts).where(parts.c.cloud_id == cloud_id, parts.c.upload_id == upload_id)
            )
            journal_keys(conn, [p.storage_key for p in found], now)
        return found

    def take_abandoned_chunk_parts(self, before: datetime) -> list[str]:
        """Remove every part of uploads with no part received since ``before`` and journal
        their blobs; the blobs' keys."""
        fresh = sa.select(parts.c.cloud_id, parts.c.upload_id).where(parts.c.created_at >= before)
        stale = sa.tuple_(parts.c.cloud_id, parts.c.upload_id).not_in(fresh)
        with self._write(quiet=True) as conn:
            keys = list(conn.scalars(sa.select(parts.c.storage_key).where(stale)))
            conn.execute(sa.delete(parts).where(stale))
            journal_keys(conn, keys, before)
        return keys


def _parts_of(conn: Connection, cloud_id: int, upload_id: str) -> list[ChunkPart]:
    rows = conn.execute(_select(cloud_id, upload_id)).all()
    return [ChunkPart(int(row[0]), int(row[1]), str(row[2])) for row in rows]


def _select(cloud_id: int, upload_id: str) -> sa.Select[Any]:
    return (
        sa.select(parts.c.first_byte, parts.c.last_byte, parts.c.storage_key)
        .where(parts.c.cloud_id == cloud_id, parts.c.upload_id == upload_id)
        .order_by(parts.c.first_byte, parts.c.last_byte)
    )
