"""Alembic environment for the catalog.

``Catalog.migrate()`` builds the Alembic ``Config`` in code and hands over an open connection
in ``config.attributes["connection"]``; no alembic.ini is involved. Offline mode (``--sql``)
works from ``sqlalchemy.url`` for operators who want the DDL as a script.
"""

from __future__ import annotations

from alembic import context

from cloudlet.catalog.schema import include_in_comparison, metadata


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_in_comparison,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
