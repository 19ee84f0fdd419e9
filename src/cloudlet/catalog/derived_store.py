"""Derived assets: renders of an asset version, keyed by canonical transformation and format."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.asset_writes import journal_keys, unjournal_key
from cloudlet.catalog.db import Database, chunks
from cloudlet.catalog.model import Derived
from cloudlet.catalog.schema import assets, blob_journal, derived, to_utc
from cloudlet.errors import NotFoundError

_FIELDS = [c.name for c in derived.columns if c.name != "id"]
_BATCH = 500
# The statements of every cold render, built once: building one (and its cache key) costs
# SQLAlchemy more than SQLite takes to run it.
_BY_KEY = sa.select(derived).where(
    derived.c.asset_pk == sa.bindparam("asset_pk"),
    derived.c.version_id == sa.bindparam("version_id"),
    derived.c.transformation == sa.bindparam("transformation"),
    derived.c.format == sa.bindparam("format"),
)
_INSERT = sa.insert(derived)
_UNJOURNAL = sa.delete(blob_journal).where(
    blob_journal.c.storage_key == sa.bindparam("storage_key")
)


def _derived(row: Row[Any]) -> Derived:
    return Derived(**{name: getattr(row, name) for name in _FIELDS})


class DerivedStore(Database):
    """The derived-asset cache's records."""

    def get_derived(
        self, asset_pk: int, version_id: str, transformation: str, format: str
    ) -> Derived | None:
        """The render of this version with this canonical transformation and format."""
        key = {
            "asset_pk": asset_pk, "version_id": version_id,
            "transformation": transformation, "format": format,
        }  # fmt: skip
        with self._read() as conn:
            row = conn.execute(_BY_KEY, key).first()
        return None if row is None else _derived(row)

    def put_derived(
        self,
        asset_pk: int,
        version_id: str,
        transformation: str,
        format: str,
        *,
        storage_key: str,
        bytes: int,
        width: int,
        height: int,
        etag: str,
        now: datetime,
        replace: bool = False,
    ) -> tuple[Derived, str | None]:
        """Record a render whose blob is at ``storage_key`` (journalled by the caller; the
        journal entry is cleared here). An existing record for the same key is kept unless
        ``replace``; returns the record in force and the storage key that lost (journalled
        for the caller to delete), if any. NotFoundError if the asset was deleted meanwhile
        (the blob stays journalled for the caller to delete)."""
        values: dict[str, Any] = {
            "asset_pk": asset_pk, "version_id": version_id, "transformation": transformation,
            "format": format, "storage_key": storage_key, "bytes": bytes, "width": width,
            "height": height, "etag": etag, "created_at": to_utc(now),
        }  # fmt: skip
        where = (
            derived.c.asset_pk == asset_pk,
            derived.c.version_id == version_id,
            derived.c.transformation == transformation,
            derived.c.format == format,
        )
        try:
            if not replace:  # a new render changes no answer already given: quiet
                with self._write(quiet=True) as conn:
                    return self._insert_derived(conn, values), None
            with self._write() as conn:
                current = conn.execute(sa.select(derived).where(*where).with_for_update()).first()
                if current is None:
                    return self._insert_derived(conn, values), None
                conn.execute(sa.update(derived).where(*where).values(**values))
                unjournal_key(conn, storage_key)
                journal_keys(conn, [current.storage_key], now)
                record = Derived(derived_id=current.derived_id, **values)
                return record, str(current.storage_key)
        except IntegrityError:
            # a concurrent insert of the same render won, or the asset was deleted meanwhile
            existing = self.get_derived(asset_pk, version_id, transformation, format)
            if existing is None:
                raise NotFoundError("Resource not found") from None
            return existing, storage_key

    @staticmethod
    def _insert_derived(conn: Connection, values: dict[str, Any]) -> Derived:
        """Insert the record and clear its blob's journal entry; the record as written (the
        unique key or the asset's foreign key refuses a duplicate or an orphan with
        IntegrityError)."""
        derived_id = uuid.uuid4().hex
        conn.execute(_INSERT, {"derived_id": derived_id, **values})
        conn.execute(_UNJOURNAL, {"storage_key": values["storage_key"]})
        return Derived(derived_id=derived_id, **values)

    def iter_all_derived(self) -> Iterator[Derived]:
        """Every render of every asset, in batches of short transactions (for fsck)."""
        last = 0
        while True:
            query = sa.select(derived).where(derived.c.id > last).order_by(derived.c.id)
            with self._read() as conn:
                rows = conn.execute(query.limit(_BATCH)).all()
            yield from (_derived(row) for row in rows)
            if len(rows) < _BATCH:
                return
            last = rows[-1].id

    def list_derived(self, asset_pk: int) -> list[Derived]:
        """Every render of the asset, oldest first."""
        query = sa.select(derived).where(derived.c.asset_pk == asset_pk).order_by(derived.c.id)
        with self._read() as conn:
            return [_derived(row) for row in conn.execute(query)]

    def delete_derived(
        self,
        asset_pk: int,
        *,
        keep_version_id: str | None = None,
        transformations: Sequence[str] | None = None,
        derived_ids: Sequence[str] | None = None,
        now: datetime,
    ) -> list[Derived]:
        """Delete renders of the asset (all; or not of ``keep_version_id``; or only these
        canonical transformations; or these ids); journals and returns them."""
        query = sa.select(derived).where(derived.c.asset_pk == asset_pk)
        if keep_version_id is not None:
            query = query.where(derived.c.version_id != keep_version_id)
        if transformations is not None:
            query = query.where(derived.c.transformation.in_(list(transformations)))
        if derived_ids is not None:
            query = query.where(derived.c.derived_id.in_(list(derived_ids)))
        with self._write() as conn:
            gone = [_derived(row) for row in conn.execute(query.with_for_update())]
            for part in chunks([d.derived_id for d in gone]):
                conn.execute(sa.delete(derived).where(derived.c.derived_id.in_(part)))
            journal_keys(conn, [d.storage_key for d in gone], now)
            return gone

    def find_derived_by_ids(self, cloud_id: int, ids: Sequence[str]) -> list[Derived]:
        """Renders with these derived ids among the cloud's assets."""
        query = (
            sa.select(derived)
            .join(assets, assets.c.id == derived.c.asset_pk)
            .where(assets.c.cloud_id == cloud_id, derived.c.derived_id.in_(list(ids)))
        )
        with self._read() as conn:
            return [_derived(row) for row in conn.execute(query)]
