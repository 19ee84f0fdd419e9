"""Running jobs: threads inside ``cloudlet serve``, or ``cloudlet worker`` on its own."""

from __future__ import annotations

import logging

from huey.consumer import Consumer

from cloudlet.jobs.queue import HueyQueue

log = logging.getLogger("cloudlet.jobs")
# An idle worker polls the queue at most this many seconds apart (Huey's default: 10).
MAX_POLL_DELAY_S = 1.0
SHUTDOWN_TIMEOUT_S = 30.0


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves signal handling to the server it runs inside."""

    def _set_signal_handlers(self) -> None:
        pass


def _options(workers: int) -> dict[str, object]:
    return {
        "workers": workers,
        "worker_type": "thread",
        "max_delay": MAX_POLL_DELAY_S,
        "periodic": False,
        "shutdown_timeout": SHUTDOWN_TIMEOUT_S,
    }


def start_embedded(queue: HueyQueue, workers: int) -> EmbeddedConsumer:
    """Put back interrupted jobs, then start ``workers`` job threads in this process; stop
    them with ``consumer.stop(graceful=True)``."""
    recovered = queue.recover_interrupted()
    if recovered:
        log.warning("re-queued %d job(s) interrupted by a crash", recovered)
    consumer = EmbeddedConsumer(queue.huey, **_options(workers))
    consumer.start()
    return consumer


def run_worker(queue: HueyQueue, workers: int) -> None:
    """Consume jobs in the foreground until SIGINT (finish running jobs) or SIGTERM."""
    recovered = queue.recover_interrupted()
    if recovered:
        log.warning("re-queued %d job(s) interrupted by a crash", recovered)
    Consumer(queue.huey, **_options(workers)).run()
