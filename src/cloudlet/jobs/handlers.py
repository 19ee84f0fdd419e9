"""Job name → the function that runs it, ``(deps, payload) -> None``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudlet.jobs import background_removal, eager, invalidation
from cloudlet.services.addons import BACKGROUND_REMOVAL_JOB
from cloudlet.services.deps import Deps
from cloudlet.services.eager_async import EAGER_JOB
from cloudlet.services.invalidation import INVALIDATE_JOB
from cloudlet.services.notifications import NOTIFY_JOB, deliver

Handler = Callable[[Deps, dict[str, Any]], None]

HANDLERS: dict[str, Handler] = {
    EAGER_JOB: eager.run,
    BACKGROUND_REMOVAL_JOB: background_removal.run,
    NOTIFY_JOB: deliver,
    INVALIDATE_JOB: invalidation.run,
}


def run_job(deps: Deps, name: str, payload: dict[str, Any]) -> None:
    """Run one job by name; an unknown name (from a newer release) is an error."""
    handler = HANDLERS.get(name)
    if handler is None:
        raise LookupError(f"Unknown job {name!r}")
    handler(deps, payload)
