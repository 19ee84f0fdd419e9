"""Clouds, upload presets, delete tokens and the blob journal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.cursor import clamp_max_results, decode_cursor, encode_cursor
from cloudlet.catalog.db import Database, chunks
from cloudlet.catalog.model import Cloud, Page, UploadPreset
from cloudlet.catalog.schema import assets, blob_journal, clouds, delete_tokens, upload_presets
from cloudlet.errors import AlreadyExistsError, NotFoundError

_JOURNAL_UPSERTS: dict[str, Any] = {}


def _journal_upsert(conn: Connection) -> Any:
    """One journal entry's INSERT … ON CONFLICT DO UPDATE, built once per dialect: every
    cold render journals its blob, and building the statement costs SQLAlchemy more than
    SQLite takes to run it."""
    name = conn.dialect.name
    if name not in _JOURNAL_UPSERTS:
        insert = (postgresql.insert if name == "postgresql" else sqlite.insert)(blob_journal)
        _JOURNAL_UPSERTS[name] = insert.on_conflict_do_update(
            index_elements=[blob_journal.c.storage_key],
            set_={"created_at": insert.excluded.created_at},
        )
    return _JOURNAL_UPSERTS[name]


def _cloud(row: Row[Any]) -> Cloud:
    return Cloud(
        id=row.id,
        name=row.name,
        api_key=row.api_key,
        api_secret=row.api_secret,
        settings=dict(row.settings or {}),
        created_at=row.created_at,
    )


def _preset(row: Row[Any]) -> UploadPreset:
    return UploadPreset(
        cloud_id=row.cloud_id,
        name=row.name,
        unsigned=bool(row.unsigned),
        settings=dict(row.settings or {}),
    )


class CloudStore(Database):
    """Clouds and the small per-cloud records that are not assets."""

    # -- clouds --------------------------------------------------------------------------
    def create_cloud(self, name: str, api_key: str, api_secret: str) -> Cloud:
        """AlreadyExistsError if the name or the api_key is taken."""
        values = {
            "name": name,
            "api_key": api_key,
            "api_secret": api_secret,
            "settings": {},
            "created_at": datetime.now(UTC),
        }
        try:
            with self._write() as conn:
                self._check_cloud_free(conn, name, api_key)
                row = conn.execute(sa.insert(clouds).values(values).returning(clouds)).one()
                return _cloud(row)
        except IntegrityError:  # lost a race with an identical create
            raise AlreadyExistsError(f"Cloud {name!r} or its api_key already exists") from None

    def _check_cloud_free(self, conn: Connection, name: str, api_key: str) -> None:
        if conn.scalar(sa.select(clouds.c.id).where(clouds.c.name == name)) is not None:
            raise AlreadyExistsError(f"Cloud {name!r} already exists")
        if conn.scalar(sa.select(clouds.c.id).where(clouds.c.api_key == api_key)) is not None:
            raise AlreadyExistsError("A cloud with this api_key already exists")

    def get_cloud(self, name: str) -> Cloud | None:
        """The cloud called ``name``, or None."""
        return self._find_cloud(clouds.c.name == name)

    def get_cloud_remembered(self, name: str) -> Cloud | None:
        """``get_cloud``, remembered by this process until the delivery generation moves on
        (every committed change to a cloud moves it; see ``catalog.generation``): the
        delivery path asks for the cloud on every request its hit cache cannot answer. The
        generation is read before the catalog, so a row read while a change commits is
        asked again next time. Unknown names are not remembered."""
        memo: dict[str, tuple[int, Cloud]] = self.__dict__.setdefault("_clouds_seen", {})
        since = self.generation.value
        seen = memo.get(name)
        if seen is not None and seen[0] == since:
            return seen[1]
        cloud = self.get_cloud(name)
        if cloud is not None:
            memo[name] = (since, cloud)
        return cloud

    def get_cloud_by_key(self, api_key: str) -> Cloud | None:
        """The cloud whose API key is ``api_key``, or None."""
        return self._find_cloud(clouds.c.api_key == api_key)

    def _find_cloud(self, condition: Any) -> Cloud | None:
        with self._read() as conn:
            row = conn.execute(sa.select(clouds).where(condition)).first()
        return None if row is None else _cloud(row)

    def list_clouds(self) -> list[Cloud]:
        """Every cloud, by name."""
        with self._read() as conn:
            return [_cloud(r) for r in conn.execute(sa.select(clouds).order_by(clouds.c.name))]

    def set_cloud_secret(self, name: str, api_secret: str) -> Cloud:
        """Replace the cloud's API secret. NotFoundError if unknown."""
        return self._change_cloud(name, lambda cloud: {"api_secret": api_secret})

    def update_cloud_settings(self, name: str, settings: dict[str, Any]) -> Cloud:
        """Merge ``settings`` into the cloud's settings (top-level keys replaced).
        NotFoundError if unknown."""
        return self._change_cloud(name, lambda cloud: {"settings": {**cloud.settings, **settings}})

    def _change_cloud(self, name: str, change: Any) -> Cloud:
        query = sa.select(clouds).where(clouds.c.name == name).with_for_update()
        with self._write() as conn:
            row = conn.execute(query).first()
            if row is None:
                raise NotFoundError(f"Unknown cloud {name!r}")
            update = sa.update(clouds).where(clouds.c.id == row.id).values(change(_cloud(row)))
            conn.execute(update)
            return _cloud(conn.execute(sa.select(clouds).where(clouds.c.id == row.id)).one())

    # -- upload presets ------------------------------------------------------------------
    def create_preset(
        self, cloud_id: int, name: str, unsigned: bool, settings: dict[str, Any]
    ) -> UploadPreset:
        """AlreadyExistsError if the name is taken in this cloud."""
        values = {"cloud_id": cloud_id, "name": name, "unsigned": unsigned, "settings": settings}
        try:
            with self._write() as conn:
                if self._preset_row(conn, cloud_id, name) is not None:
                    raise AlreadyExistsError(f"Upload preset {name!r} already exists")
                conn.execute(sa.insert(upload_presets).values(values))
        except IntegrityError:
            raise AlreadyExistsError(f"Upload preset {name!r} already exists") from None
        return UploadPreset(cloud_id, name, bool(unsigned), dict(settings))

    def _preset_row(
        self, conn: Connection, cloud_id: int, name: str, lock: bool = False
    ) -> Row[Any] | None:
        query = sa.select(upload_presets).where(
            upload_presets.c.cloud_id == cloud_id, upload_presets.c.name == name
        )
        return conn.execute(query.with_for_update() if lock else query).first()

    def get_preset(self, cloud_id: int, name: str) -> UploadPreset | None:
        """The preset, or None."""
        with self._read() as conn:
            row = self._preset_row(conn, cloud_id, name)
        return None if row is None else _preset(row)

    def list_presets(
        self, cloud_id: int, *, max_results: int = 10, cursor: str | None = None
    ) -> Page:
        """The cloud's presets by name, keyset-paginated; items are UploadPresets."""
        name = upload_presets.c.name
        query = sa.select(upload_presets).where(upload_presets.c.cloud_id == cloud_id)
        if cursor:
            query = query.where(name > decode_cursor(cursor, "presets", (str,))[0])
        limit = clamp_max_results(max_results)
        with self._read() as conn:
            rows = conn.execute(query.order_by(name).limit(limit + 1)).all()
        items = [_preset(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor("presets", [items[-1].name]) if more else None)

    def update_preset(
        self, cloud_id: int, name: str, unsigned: bool | None, settings: dict[str, Any]
    ) -> UploadPreset:
        """Merge settings (top-level keys replaced); ``unsigned`` None: unchanged.
        NotFoundError if unknown."""
        with self._write() as conn:
            row = self._preset_row(conn, cloud_id, name, lock=True)
            if row is None:
                raise NotFoundError(f"Upload preset {name!r} not found")
            preset = _preset(row)
            changed = UploadPreset(
                cloud_id,
                name,
                preset.unsigned if unsigned is None else bool(unsigned),
                {**preset.settings, **settings},
            )
            conn.execute(
                sa.update(upload_presets)
                .where(upload_presets.c.cloud_id == cloud_id, upload_presets.c.name == name)
                .values(unsigned=changed.unsigned, settings=changed.settings)
            )
        return changed

    def delete_preset(self, cloud_id: int, name: str) -> bool:
        """Remove the preset; True if it existed."""
        stmt = sa.delete(upload_presets).where(
            upload_presets.c.cloud_id == cloud_id, upload_presets.c.name == name
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount > 0

    # -- delete tokens -------------------------------------------------------------------
    def create_delete_token(
        self, cloud_id: int, asset_pk: int, token: str, expires_at: datetime
    ) -> None:
        """Store a single-use token that allows deleting the asset until ``expires_at``.
        NotFoundError if the asset is not in this cloud; AlreadyExistsError if the token is
        taken."""
        values = {"token": token, "cloud_id": cloud_id, "asset_pk": asset_pk}
        owner = sa.select(assets.c.id).where(assets.c.id == asset_pk, assets.c.cloud_id == cloud_id)
        try:
            with self._write(quiet=True) as conn:
                if conn.scalar(owner) is None:
                    raise NotFoundError("Resource not found")
                conn.execute(sa.insert(delete_tokens).values({**values, "expires_at": expires_at}))
        except IntegrityError:
            raise AlreadyExistsError("Delete token already exists") from None

    def consume_delete_token(self, cloud_id: int, token: str, now: datetime) -> int | None:
        """Atomically mark the token used and return its asset_pk; None if unknown, used,
        expired or of another cloud."""
        stmt = (
            sa.update(delete_tokens)
            .where(
                delete_tokens.c.token == token,
                delete_tokens.c.cloud_id == cloud_id,
                delete_tokens.c.used_at.is_(None),
                delete_tokens.c.expires_at > sa.literal(now, delete_tokens.c.expires_at.type),
            )
            .values(used_at=now)
            .returning(delete_tokens.c.asset_pk)
        )
        with self._write(quiet=True) as conn:
            return conn.execute(stmt).scalar_one_or_none()

    # -- blob journal --------------------------------------------------------------------
    def journal_add(self, storage_key: str, now: datetime) -> None:
        """Record that a blob at this key is being written or is to be deleted (a key that
        is already journalled gets the new time, so a sweep waits for the new write)."""
        with self._write(quiet=True) as conn:
            conn.execute(_journal_upsert(conn), {"storage_key": storage_key, "created_at": now})

    def journal_remove(self, storage_key: str) -> None:
        """Forget the key (its blob is committed to an asset, or deleted)."""
        self.journal_remove_many([storage_key])

    def journal_remove_many(self, storage_keys: Sequence[str]) -> None:
        """Forget several keys in one transaction."""
        with self._write(quiet=True) as conn:
            for part in chunks(list(storage_keys)):
                conn.execute(sa.delete(blob_journal).where(blob_journal.c.storage_key.in_(part)))

    def journal_entries(self, older_than: datetime | None = None) -> list[str]:
        """Journalled keys, oldest first (only those recorded before ``older_than`` when
        given)."""
        query = sa.select(blob_journal.c.storage_key)
        if older_than is not None:
            at = sa.literal(older_than, blob_journal.c.created_at.type)
            query = query.where(blob_journal.c.created_at < at)
        order = (blob_journal.c.created_at, blob_journal.c.storage_key)
        with self._read() as conn:
            return list(conn.scalars(query.order_by(*order)))
