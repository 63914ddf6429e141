"""The background worker: runs each periodic job on its interval until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from loguru import logger

from logistics_ai.jobs.retention import purge_location_pings


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_s: float
    run: Callable[[], object]


JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("purge_location_pings", 3600, purge_location_pings),)


def run_once(jobs: tuple[PeriodicJob, ...] = JOBS) -> dict[str, object]:
    results: dict[str, object] = {}
    for job in jobs:
        try:
            results[job.name] = job.run()
        except Exception as error:  # one failing job must not stop the others
            logger.opt(exception=error).error("job {} failed", job.name)
            results[job.name] = error
    return results


def run_forever(jobs: tuple[PeriodicJob, ...] = JOBS, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    next_run = {job.name: 0.0 for job in jobs}
    logger.info("worker started with jobs: {}", ", ".join(job.name for job in jobs))
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if now >= next_run[job.name]:
                run_once((job,))
                next_run[job.name] = now + job.interval_s
        stop.wait(min(5.0, max(0.1, min(next_run.values()) - time.monotonic())))
    logger.info("worker stopped")
