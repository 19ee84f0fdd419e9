"""The job queue on Huey: durable storage (SQLite file or Redis) and crash recovery.

Huey removes a task from its storage when a worker takes it, so a worker killed while
running a job would lose it. Each run therefore first records the job under a ``running:``
key in Huey's key-value store and removes that record when the job ends (also when it
fails: Huey's retries take over then). A consumer starting up puts every job still recorded
back on the queue (``recover_interrupted``). Jobs are idempotent, so one that was in fact
still running in another worker at that moment only runs twice.

That left an instant between Huey taking the task and the ``running:`` record being written
in which a kill -9 lost the job (the soak in docs/reliability.md met it once in about 1 800
eager jobs). So ``enqueue`` also records the job under ``queued:`` before queueing it, and a
run writes its ``running:`` record before removing the ``queued:`` one: at every moment a
job is in Huey's queue or schedule, or recorded. Recovery queues again every ``queued:`` job
that is in neither.

The same record makes an outbox: ``reserve`` writes it before the write the job belongs to
(an upload with ``eager_async``) and ``release`` queues it after, so a kill -9 between the
upload's commit and its enqueue leaves a record that recovery queues. One left by a write
that never committed is queued too, and its job finds nothing to do.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from huey import Huey

from cloudlet.faults import crash_point
from cloudlet.jobs.handlers import run_job
from cloudlet.services.deps import Deps

log = logging.getLogger("cloudlet.jobs")
RUNNING = "running:"
QUEUED = "queued:"
TASK_NAME = "cloudlet_job"
RETRIES = 3


class HueyQueue:
    """``services.queue.JobQueue`` on a Huey instance; ``bind`` gives it the Deps its jobs
    run with (built by the composition root in whichever process consumes)."""

    def __init__(self, huey: Huey, *, retry_delay_s: int = 60) -> None:
        self.huey = huey
        self._deps: Deps | None = None
        self._task = huey.task(retries=RETRIES, retry_delay=retry_delay_s, name=TASK_NAME)(
            self._execute
        )

    def bind(self, deps: Deps) -> None:
        """The collaborators jobs taken from this queue run with."""
        self._deps = deps

    def enqueue(self, name: str, payload: dict[str, Any], *, delay_s: float = 0) -> None:
        """Store the job; it is on disk (or in Redis) when this returns. With ``delay_s`` it
        waits in Huey's schedule (as durable as the queue) until it is due."""
        job_id = uuid.uuid4().hex
        job = {"id": job_id, "name": name, "payload": payload}
        self.huey.put(QUEUED + job_id, job)  # first: a kill between leaves a record to recover
        if delay_s > 0:
            self._task.schedule(args=(job,), delay=delay_s)
        else:
            self._task(job)

    def reserve(self, name: str, payload: dict[str, Any]) -> str:
        """Record the job (recovered at the next start unless released or cancelled)."""
        job_id = uuid.uuid4().hex
        self.huey.put(QUEUED + job_id, {"id": job_id, "name": name, "payload": payload})
        return job_id

    def release(self, job_id: str, name: str, payload: dict[str, Any]) -> None:
        """Queue a reserved job with its final payload (the record is rewritten first: a
        recovery elsewhere may have run the reserved one early and dropped it)."""
        job = {"id": job_id, "name": name, "payload": payload}
        self.huey.put(QUEUED + job_id, job)
        self._task(job)

    def cancel(self, job_id: str) -> None:
        """Drop a reserved job's record."""
        self.huey.delete(QUEUED + job_id)

    def pending(self) -> int:
        """Jobs waiting for a worker (not counting scheduled retries)."""
        return int(self.huey.pending_count())

    def recover_interrupted(self) -> int:
        """Queue again every job whose worker died while running it, or that was taken
        off the queue by a worker that died before recording it as running; how many."""
        found = self._recover_running()
        return found + self._recover_queued()

    def _recover_queued(self) -> int:
        waiting = {
            task.args[0]["id"]
            for task in [*self.huey.pending(), *self.huey.scheduled()]
            if task.args and isinstance(task.args[0], dict)
        }
        found = 0
        for key in list(self.huey.all_results()):
            name = key.decode() if isinstance(key, bytes) else str(key)
            if not name.startswith(QUEUED) or name[len(QUEUED) :] in waiting:
                continue
            job = self.huey.get(name, peek=True)  # the record stays until the job runs
            if isinstance(job, dict):
                log.warning("re-queueing lost job %s (%s)", job["id"], job["name"])
                self._task(job)
                found += 1
        return found

    def _recover_running(self) -> int:
        found = 0
        for key in list(self.huey.all_results()):
            name = key.decode() if isinstance(key, bytes) else str(key)
            if not name.startswith(RUNNING):
                continue
            job = self.huey.get(name)  # removes the record
            if isinstance(job, dict):
                log.warning("re-queueing interrupted job %s (%s)", job["id"], job["name"])
                self._task(job)
                found += 1
        return found

    def _execute(self, job: dict[str, Any]) -> None:
        if self._deps is None:
            raise RuntimeError("HueyQueue.bind(deps) was not called in this process")
        marker = RUNNING + job["id"]
        crash_point("job_taken")  # off Huey's queue, not yet recorded as running
        self.huey.put(marker, job)
        self.huey.delete(QUEUED + job["id"])
        try:
            crash_point("job_started")
            run_job(self._deps, job["name"], job["payload"])
        finally:
            self.huey.delete(marker)
