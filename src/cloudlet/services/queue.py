"""Queued work as the use cases see it: a job name and a JSON-able payload.

The composition root wires a concrete queue (``cloudlet.jobs.queue.HueyQueue``) into
``Deps.queue``; the job bodies live in ``cloudlet.jobs``. A job must be idempotent: after a
crash it may run again, and running it twice must do no harm.
"""

from __future__ import annotations

from typing import Any, Protocol

from cloudlet.errors import CloudletError


class JobQueue(Protocol):
    """Somewhere to put work that runs after the request has been answered."""

    def enqueue(self, name: str, payload: dict[str, Any], *, delay_s: float = 0) -> None:
        """Store the job durably; a worker runs it (at least once), not before ``delay_s``
        seconds from now."""

    def reserve(self, name: str, payload: dict[str, Any]) -> str:
        """Record the job durably without queueing it yet; its id. Should the process die
        before ``release`` or ``cancel``, recovery queues it at the next start (the job
        must then find out for itself whether what it was for happened)."""

    def release(self, job_id: str, name: str, payload: dict[str, Any]) -> None:
        """Queue a reserved job, with its final payload."""

    def cancel(self, job_id: str) -> None:
        """Forget a reserved job."""


def configured(queue: JobQueue | None) -> JobQueue:
    """The queue, or a 500 when this process was built without one."""
    if queue is None:
        raise CloudletError("No job queue is configured in this process")
    return queue


def enqueue(
    queue: JobQueue | None, name: str, payload: dict[str, Any], *, delay_s: float = 0
) -> None:
    """Queue a job, or fail with a 500 when this process was built without a queue."""
    configured(queue).enqueue(name, payload, delay_s=delay_s)
