"""An app served in process, with every SQL statement its catalog runs from then on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette

from cloudlet.app import create_app
from cloudlet.services.deps import Deps


@contextmanager
def recorded_app(deps: Deps) -> Iterator[tuple[Starlette, Deps, list[str]]]:
    """(the app on ``deps``, ``deps``, the statements run so far); closes the catalog after."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(deps.catalog.engine, "before_cursor_execute", record)
    try:
        yield create_app(deps.settings, deps), deps, statements
    finally:
        deps.catalog.close()
