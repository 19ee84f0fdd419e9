"""Structured metadata: field definitions, their datasource entries, and values on assets.

Fields belong to a cloud and are addressed by ``external_id``. Enum and set fields keep their
allowed values as datasource entries; deleting an entry only marks it ``inactive`` (so that
it can be restored), deleting a field removes its entries and every asset's value for it.
Asset values are JSON (a string, an integer, a ``YYYY-MM-DD`` date, an entry's external id
or a list of them), keyed by the field's internal id; the service layer checks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from cloudlet.catalog.db import Database, chunks
from cloudlet.catalog.schema import asset_metadata, assets, metadata_datasource, metadata_fields
from cloudlet.errors import AlreadyExistsError, NotFoundError

fields = metadata_fields
entries = metadata_datasource

# The columns a field definition may change after creation (type and external_id never do).
UPDATABLE = (
    "label", "mandatory", "default_value", "default_disabled", "validation", "restrictions",
    "allow_dynamic_list_values",
)  # fmt: skip


@dataclass(frozen=True)
class DatasourceEntry:
    """One allowed value of an enum or set field."""

    external_id: str
    value: str
    state: str  # active | inactive
    position: int
    created_at: datetime


@dataclass(frozen=True)
class MetadataField:
    """A structured metadata field definition with its datasource (enum and set only)."""

    id: int
    external_id: str
    type: str  # string | integer | date | enum | set
    label: str
    mandatory: bool
    default_value: Any
    default_disabled: bool
    validation: dict[str, Any] | None
    restrictions: dict[str, Any] | None
    allow_dynamic_list_values: bool
    position: int
    created_at: datetime
    datasource: tuple[DatasourceEntry, ...] = ()

    def active_ids(self) -> set[str]:
        """External ids of the datasource entries that may be used as values."""
        return {e.external_id for e in self.datasource if e.state == "active"}


def _entry(row: Row[Any]) -> DatasourceEntry:
    return DatasourceEntry(row.external_id, row.value, row.state, row.position, row.created_at)


def _field(row: Row[Any], datasource: Sequence[DatasourceEntry]) -> MetadataField:
    return MetadataField(
        id=row.id,
        external_id=row.external_id,
        type=row.type,
        label=row.label,
        mandatory=bool(row.mandatory),
        default_value=row.default_value,
        default_disabled=bool(row.default_disabled),
        validation=row.validation,
        restrictions=row.restrictions,
        allow_dynamic_list_values=bool(row.allow_dynamic_list_values),
        position=row.position,
        created_at=row.created_at,
        datasource=tuple(datasource),
    )


def _load_fields(conn: Connection, where: Any) -> list[MetadataField]:
    rows = conn.execute(
        sa.select(fields).where(where).order_by(fields.c.position, fields.c.id)
    ).all()
    by_field: dict[int, list[DatasourceEntry]] = {}
    ids = [row.id for row in rows]
    for part in chunks(ids):
        query = (
            sa.select(entries)
            .where(entries.c.field_id.in_(part))
            .order_by(entries.c.position, entries.c.created_at, entries.c.external_id)
        )
        for row in conn.execute(query):
            by_field.setdefault(row.field_id, []).append(_entry(row))
    return [_field(row, by_field.get(row.id, [])) for row in rows]


def _one_field(conn: Connection, cloud_id: int, external_id: str) -> MetadataField:
    found = _load_fields(
        conn, sa.and_(fields.c.cloud_id == cloud_id, fields.c.external_id == external_id)
    )
    if not found:
        raise NotFoundError(f"Metadata field {external_id} not found")
    return found[0]


def _add_entries(
    conn: Connection, field_id: int, new: Sequence[tuple[str, str]], now: datetime
) -> None:
    """Insert new entries after the existing ones; existing external ids get the new value
    and become active again."""
    current = {
        row.external_id: row.position
        for row in conn.execute(
            sa.select(entries.c.external_id, entries.c.position).where(
                entries.c.field_id == field_id
            )
        )
    }
    position = max(current.values(), default=-1)
    for external_id, value in new:
        key = (entries.c.field_id == field_id, entries.c.external_id == external_id)
        if external_id in current:
            change = {"value": value, "state": "active"}
            conn.execute(sa.update(entries).where(*key).values(change))
            continue
        position += 1
        current[external_id] = position
        conn.execute(
            sa.insert(entries).values(
                field_id=field_id,
                external_id=external_id,
                value=value,
                state="active",
                position=position,
                created_at=now,
            )  # fmt: skip
        )


def replace_asset_metadata(conn: Connection, asset_pk: int, values: Mapping[int, Any]) -> None:
    """Make ``values`` (field id → value) the asset's whole metadata, inside ``conn``."""
    conn.execute(sa.delete(asset_metadata).where(asset_metadata.c.asset_pk == asset_pk))
    rows = [{"asset_pk": asset_pk, "field_id": f, "value": v} for f, v in values.items()]
    if rows:
        conn.execute(sa.insert(asset_metadata), rows)


def _set_asset_values(conn: Connection, asset_pk: int, values: Mapping[int, Any]) -> None:
    """Set or (value None) remove the given fields' values on one asset."""
    for field_id, value in values.items():
        key = (asset_metadata.c.asset_pk == asset_pk, asset_metadata.c.field_id == field_id)
        conn.execute(sa.delete(asset_metadata).where(*key))
        if value is not None:
            conn.execute(
                sa.insert(asset_metadata).values(asset_pk=asset_pk, field_id=field_id, value=value)
            )


class MetadataStore(Database):
    """The cloud's structured metadata fields and the values assets hold for them."""

    def list_metadata_fields(self, cloud_id: int) -> list[MetadataField]:
        """Every field of the cloud, in the cloud's field order."""
        with self._read() as conn:
            return _load_fields(conn, fields.c.cloud_id == cloud_id)

    def get_metadata_field(self, cloud_id: int, external_id: str) -> MetadataField | None:
        """The field, or None."""
        with self._read() as conn:
            try:
                return _one_field(conn, cloud_id, external_id)
            except NotFoundError:
                return None

    def create_metadata_field(
        self,
        cloud_id: int,
        values: Mapping[str, Any],
        datasource: Sequence[tuple[str, str]],
        now: datetime,
    ) -> MetadataField:
        """Create a field (``values``: its columns, external_id and type included) with its
        datasource entries, placed last. AlreadyExistsError if the external id is taken."""
        try:
            with self._write() as conn:
                last = conn.scalar(
                    sa.select(sa.func.max(fields.c.position)).where(fields.c.cloud_id == cloud_id)
                )
                row = {**values, "cloud_id": cloud_id, "created_at": now}
                row["position"] = -1 if last is None else last
                row["position"] += 1
                field_id = conn.execute(
                    sa.insert(fields).values(row).returning(fields.c.id)
                ).scalar_one()
                _add_entries(conn, field_id, datasource, now)
                return _one_field(conn, cloud_id, values["external_id"])
        except IntegrityError:
            raise AlreadyExistsError(
                f"A metadata field with external_id {values['external_id']} already exists"
            ) from None

    def update_metadata_field(
        self,
        cloud_id: int,
        external_id: str,
        changes: Mapping[str, Any],
        datasource: Sequence[tuple[str, str]] | None,
        now: datetime,
    ) -> MetadataField:
        """Change the ``UPDATABLE`` columns in ``changes`` and add or update datasource entries,
        in one transaction. NotFoundError if the field does not exist."""
        with self._write() as conn:
            field = _one_field(conn, cloud_id, external_id)
            allowed = {k: v for k, v in changes.items() if k in UPDATABLE}
            if allowed:
                conn.execute(sa.update(fields).where(fields.c.id == field.id).values(allowed))
            if datasource:
                _add_entries(conn, field.id, datasource, now)
            return _one_field(conn, cloud_id, external_id)

    def delete_metadata_field(self, cloud_id: int, external_id: str) -> bool:
        """Remove the field, its datasource and every asset's value for it; False if unknown."""
        with self._write() as conn:
            field_id = conn.scalar(
                sa.select(fields.c.id).where(
                    fields.c.cloud_id == cloud_id, fields.c.external_id == external_id
                )
            )
            if field_id is None:
                return False
            conn.execute(sa.delete(asset_metadata).where(asset_metadata.c.field_id == field_id))
            conn.execute(sa.delete(entries).where(entries.c.field_id == field_id))
            conn.execute(sa.delete(fields).where(fields.c.id == field_id))
            return True

    def set_datasource_state(
        self, cloud_id: int, external_id: str, entry_ids: Sequence[str], state: str
    ) -> MetadataField:
        """Mark the given entries ``active`` or ``inactive`` (asset values are kept)."""
        with self._write() as conn:
            field = _one_field(conn, cloud_id, external_id)
            conn.execute(
                sa.update(entries)
                .where(entries.c.field_id == field.id, entries.c.external_id.in_(entry_ids))
                .values(state=state)
            )
            return _one_field(conn, cloud_id, external_id)

    def order_datasource(
        self, cloud_id: int, external_id: str, entry_ids: Sequence[str]
    ) -> MetadataField:
        """Give the entries the positions of their order in ``entry_ids``."""
        with self._write() as conn:
            field = _one_field(conn, cloud_id, external_id)
            for position, entry_id in enumerate(entry_ids):
                conn.execute(
                    sa.update(entries)
                    .where(entries.c.field_id == field.id, entries.c.external_id == entry_id)
                    .values(position=position)
                )
            return _one_field(conn, cloud_id, external_id)

    def order_metadata_fields(self, cloud_id: int, external_ids: Sequence[str]) -> None:
        """Give the cloud's fields the positions of their order in ``external_ids``."""
        with self._write() as conn:
            for position, external_id in enumerate(external_ids):
                conn.execute(
                    sa.update(fields)
                    .where(fields.c.cloud_id == cloud_id, fields.c.external_id == external_id)
                    .values(position=position)
                )

    def asset_metadata(self, asset_pks: Sequence[int]) -> dict[int, dict[str, Any]]:
        """asset pk → {field external_id: value}, in field order; assets without values
        are left out."""
        found: dict[int, dict[str, Any]] = {}
        with self._read() as conn:
            for part in chunks(list(asset_pks)):
                query = (
                    sa.select(
                        asset_metadata.c.asset_pk, fields.c.external_id, asset_metadata.c.value
                    )
                    .join(fields, fields.c.id == asset_metadata.c.field_id)
                    .where(asset_metadata.c.asset_pk.in_(part))
                    .order_by(fields.c.position, fields.c.id)
                )
                for pk, external_id, value in conn.execute(query):
                    found.setdefault(pk, {})[external_id] = value
        return found

    def change_asset_metadata(
        self, changes: Sequence[tuple[int, Mapping[int, Any]]], now: datetime
    ) -> None:
        """For each (asset pk, {field id: value or None}), set or remove those values and
        touch the asset's ``updated_at``; all in one transaction."""
        with self._write() as conn:
            for asset_pk, values in changes:
                _set_asset_values(conn, asset_pk, values)
                conn.execute(
                    sa.update(assets).where(assets.c.id == asset_pk).values(updated_at=now)
                )
