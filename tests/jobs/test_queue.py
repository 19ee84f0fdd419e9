"""The job queue's settings, crash recovery and dispatch, on a real SQLite Huey queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudlet.app import build_deps
from cloudlet.errors import BadRequestError
from cloudlet.jobs.handlers import run_job
from cloudlet.jobs.queue import QUEUED, RUNNING, HueyQueue
from cloudlet.services.deps import Deps
from cloudlet.services.queue import enqueue
from cloudlet.settings import load_settings


@pytest.fixture()
def deps(tmp_path: Path) -> Deps:
    return build_deps(load_settings({"CLOUDLET_DATA_DIR": str(tmp_path)}))


def running(queue: HueyQueue) -> list[str]:
    keys = [k.decode() if isinstance(k, bytes) else str(k) for k in queue.huey.all_results()]
    return [k for k in keys if k.startswith(RUNNING)]


def queue_of(deps: Deps) -> HueyQueue:
    assert isinstance(deps.queue, HueyQueue)
    return deps.queue


@pytest.mark.parametrize(
    ("env", "workers"),
    [
        ({}, 2),
        ({"CLOUDLET_QUEUE_URL": "redis://127.0.0.1:6379/0"}, 0),
        ({"CLOUDLET_QUEUE_URL": "redis://127.0.0.1:6379/0", "CLOUDLET_QUEUE_WORKERS": "3"}, 3),
        ({"CLOUDLET_QUEUE_WORKERS": "0"}, 0),
    ],
)
def test_embedded_workers_follow_the_queue_backend(env: dict[str, str], workers: int) -> None:
    assert load_settings(env).embedded_queue_workers == workers


@pytest.mark.parametrize(
    "env",
    [
        {"CLOUDLET_QUEUE_URL": "amqp://127.0.0.1/"},
        {"CLOUDLET_QUEUE_WORKERS": "-1"},
        {"CLOUDLET_QUEUE_WORKERS": "two"},
    ],
)
def test_bad_queue_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(BadRequestError, match="CLOUDLET_QUEUE"):
        load_settings(env)


def test_the_embedded_queue_is_a_file_in_the_data_dir(deps: Deps, tmp_path: Path) -> None:
    queue_of(deps).enqueue("notify", {"cloud": "none", "url": "http://127.0.0.1:9/", "body": {}})
    assert (tmp_path / "queue.sqlite3").is_file()
    # another process (a new Huey on the same file) sees the job
    other = build_deps(load_settings({"CLOUDLET_DATA_DIR": str(tmp_path)}))
    assert queue_of(other).pending() == 1


def test_interrupted_jobs_are_queued_again_once(deps: Deps) -> None:
    queue = queue_of(deps)
    job = {"id": "abc", "name": "notify", "payload": {"cloud": "gone", "url": "x", "body": {}}}
    queue.huey.put(RUNNING + "abc", job)  # what a worker killed mid-job leaves behind
    assert running(queue) == [RUNNING + "abc"]
    assert queue.recover_interrupted() == 1
    assert running(queue) == []
    assert queue.pending() == 1
    assert queue.recover_interrupted() == 0


def test_a_job_clears_its_running_record_also_when_it_fails(deps: Deps) -> None:
    queue = queue_of(deps)
    queue.enqueue("no-such-job", {})
    task = queue.huey.dequeue()
    queue.huey.execute(task)  # Huey logs the LookupError and schedules a retry
    assert queue.huey.scheduled_count() == 1
    assert running(queue) == []


def test_jobs_for_deleted_clouds_do_nothing(deps: Deps) -> None:
    for name in ("eager", "background_removal", "notify"):
        run_job(deps, name, {"cloud": "gone", "asset_id": "0" * 32, "url": "x", "body": {}})


def test_a_process_without_a_queue_says_so(deps: Deps) -> None:
    with pytest.raises(Exception, match="No job queue"):
        enqueue(None, "eager", {})


def test_a_webhook_attempt_claimed_elsewhere_is_looked_at_again_when_the_claim_lapses(
    deps: Deps,
) -> None:
    """A duplicate job (crash recovery on another machine) sends nothing while the worker
    holding the attempt lives, and re-queues itself for when its claim lapses; then, if that
    worker died, it makes the attempt itself."""
    from dataclasses import replace
    from datetime import timedelta

    from cloudlet.services import notifications
    from cloudlet.services.deps import utc_now

    cloud = deps.catalog.create_cloud("hooks", "123456", "secret")
    url = "http://127.0.0.1:9/hook"  # refused: private addresses are not allowed here
    delivery = deps.catalog.add_webhook_delivery(cloud.id, url, {}, utc_now())
    now = utc_now()
    assert deps.catalog.claim_webhook_attempt(delivery, 0, now, now + timedelta(seconds=60))
    payload = {"delivery": delivery, "attempt": 0, "first": 0}
    queued = queue_of(deps).huey.pending_count()
    notifications.deliver(deps, payload)
    found = deps.catalog.get_webhook_delivery(delivery)
    assert found is not None and found.attempts == 0  # nothing sent
    assert queue_of(deps).huey.pending_count() == queued + 1  # to look again once it lapses
    later = replace(deps, clock=lambda: now + timedelta(seconds=61))
    notifications.deliver(later, payload)  # the holder died: the attempt is made here
    found = deps.catalog.get_webhook_delivery(delivery)
    assert found is not None and (found.attempts, found.status) == (1, "failed")


def test_a_job_taken_off_the_queue_by_a_worker_that_died_is_queued_again(deps: Deps) -> None:
    """Found by bench/soak.py: Huey removes a task when a worker takes it; a kill -9 before
    the ``running:`` record was written lost the job. The ``queued:`` record closes that."""
    queue = queue_of(deps)
    queue.enqueue("notify", {"cloud": "gone", "url": "x", "body": {}})
    queue.enqueue("notify", {"cloud": "gone", "url": "y", "body": {}})
    queue.huey.dequeue()  # a worker takes one task ... and dies
    assert queue.pending() == 1
    assert queue.recover_interrupted() == 1  # the lost one; the waiting one is left alone
    assert queue.pending() == 2
    assert queue.recover_interrupted() == 0
    records = [k.decode() if isinstance(k, bytes) else str(k) for k in queue.huey.all_results()]
    assert len([k for k in records if k.startswith(QUEUED)]) == 2  # until they run
