"""Related assets: symmetric, one-to-many relations stored once per direction."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cloudlet.catalog.assets import load_assets
from cloudlet.catalog.cursor import clamp_max_results, decode_cursor, encode_cursor
from cloudlet.catalog.db import Database, insert_or_ignore
from cloudlet.catalog.model import Page
from cloudlet.catalog.schema import asset_relations, assets


class Relations(Database):
    """Relating assets to each other. Relating A to B and C relates B and C to A, not to
    each other; deleting an asset removes its relations."""

    def relate(self, asset_pk: int, others: Sequence[int]) -> dict[int, bool]:
        """Relate the asset to each of ``others``; {other_pk: True if newly related}."""
        with self._write() as conn:
            existing = set(
                conn.scalars(
                    sa.select(asset_relations.c.related_pk).where(
                        asset_relations.c.asset_pk == asset_pk,
                        asset_relations.c.related_pk.in_(list(others)),
                    )
                )
            )
            rows = [
                row
                for other in others
                if other not in existing
                for row in (
                    {"asset_pk": asset_pk, "related_pk": other},
                    {"asset_pk": other, "related_pk": asset_pk},
                )
            ]
            insert_or_ignore(conn, asset_relations, rows)
            return {other: other not in existing for other in others}

    def unrelate(self, asset_pk: int, others: Sequence[int]) -> dict[int, bool]:
        """Remove the relations in both directions; {other_pk: True if one existed}."""
        with self._write() as conn:
            existing = set(
                conn.scalars(
                    sa.select(asset_relations.c.related_pk).where(
                        asset_relations.c.asset_pk == asset_pk,
                        asset_relations.c.related_pk.in_(list(others)),
                    )
                )
            )
            for other in existing:
                conn.execute(
                    sa.delete(asset_relations).where(
                        sa.or_(
                            sa.and_(
                                asset_relations.c.asset_pk == asset_pk,
                                asset_relations.c.related_pk == other,
                            ),
                            sa.and_(
                                asset_relations.c.asset_pk == other,
                                asset_relations.c.related_pk == asset_pk,
                            ),
                        )
                    )
                )
            return {other: other in existing for other in others}

    def related_assets(
        self, asset_pk: int, *, max_results: int = 10, cursor: str | None = None
    ) -> Page:
        """The assets related to this one, by internal order, keyset-paginated."""
        limit = clamp_max_results(max_results)
        query = (
            sa.select(assets)
            .join(asset_relations, asset_relations.c.related_pk == assets.c.id)
            .where(asset_relations.c.asset_pk == asset_pk)
            .order_by(assets.c.id)
            .limit(limit + 1)
        )
        if cursor:
            (after,) = decode_cursor(cursor, "related", (int,))
            query = query.where(assets.c.id > after)
        with self._read() as conn:
            rows = conn.execute(query).all()
            items = load_assets(conn, rows[:limit])
        next_cursor = encode_cursor("related", [rows[limit - 1].id]) if len(rows) > limit else None
        return Page(items, next_cursor)
