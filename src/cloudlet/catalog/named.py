"""Named transformations: create, read, update, delete, list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.cursor import clamp_max_results, decode_cursor, encode_cursor
from cloudlet.catalog.db import Database
from cloudlet.catalog.model import NamedTransformation, Page
from cloudlet.catalog.schema import named_transformations as table
from cloudlet.errors import AlreadyExistsError, NotFoundError


def _named(row: Row[Any]) -> NamedTransformation:
    return NamedTransformation(
        row.name, row.transformation, bool(row.allowed_for_strict), row.created_at
    )


class NamedStore(Database):
    """The cloud's named transformations."""

    def create_named(
        self, cloud_id: int, name: str, transformation: str, allowed: bool, now: datetime
    ) -> NamedTransformation:
        """AlreadyExistsError if the name is taken in this cloud."""
        values = {
            "cloud_id": cloud_id, "name": name, "transformation": transformation,
            "allowed_for_strict": allowed, "created_at": now,
        }  # fmt: skip
        try:
            with self._write() as conn:
                conn.execute(sa.insert(table).values(values))
        except IntegrityError:
            raise AlreadyExistsError(f"Transformation {name} already exists") from None
        return NamedTransformation(name, transformation, allowed, now)

    def get_named(self, cloud_id: int, name: str) -> NamedTransformation | None:
        """The named transformation, or None."""
        query = sa.select(table).where(table.c.cloud_id == cloud_id, table.c.name == name)
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _named(row)

    def update_named(
        self,
        cloud_id: int,
        name: str,
        *,
        transformation: str | None = None,
        allowed: bool | None = None,
    ) -> NamedTransformation:
        """Change the definition and/or the strict flag; NotFoundError if unknown."""
        changes: dict[str, Any] = {}
        if transformation is not None:
            changes["transformation"] = transformation
        if allowed is not None:
            changes["allowed_for_strict"] = allowed
        where = (table.c.cloud_id == cloud_id, table.c.name == name)
        with self._write() as conn:
            if changes:
                conn.execute(sa.update(table).where(*where).values(changes))
            row = conn.execute(sa.select(table).where(*where)).first()
        if row is None:
            raise NotFoundError(f"Transformation {name} not found")
        return _named(row)

    def delete_named(self, cloud_id: int, name: str) -> bool:
        """Remove it; False if it did not exist."""
        with self._write() as conn:
            result = conn.execute(
                sa.delete(table).where(table.c.cloud_id == cloud_id, table.c.name == name)
            )
        return bool(result.rowcount)

    def list_named(
        self, cloud_id: int, *, max_results: int = 10, cursor: str | None = None
    ) -> Page:
        """Named transformations by name, keyset-paginated."""
        limit = clamp_max_results(max_results)
        query = (
            sa.select(table)
            .where(table.c.cloud_id == cloud_id)
            .order_by(table.c.name)
            .limit(limit + 1)
        )
        if cursor:
            (after,) = decode_cursor(cursor, "named", (str,))
            query = query.where(table.c.name > after)
        with self._read() as conn:
            rows = conn.execute(query).all()
        items = [_named(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor("named", [items[-1].name]) if more else None)
