"""The background worker: runs each periodic job on its interval until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from loguru import logger

from logistics_ai.jobs import webhooks
from logistics_ai.jobs.audit import sign_audit_checkpoints
from logistics_ai.jobs.notifications import send_due
from logistics_ai.jobs.privacy_retention import (
    anonymise_closed_accounts,
    prune_audit,
    purge_old_proofs,
)
from logistics_ai.jobs.retention import purge_idempotency_keys, purge_location_pings
from logistics_ai.settings import get_settings


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_s: float
    run: Callable[[], object]


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("purge_location_pings", 3600, purge_location_pings),
    PeriodicJob("purge_idempotency_keys", 3600, purge_idempotency_keys),
    PeriodicJob("purge_old_proofs", 3600, purge_old_proofs),
    PeriodicJob("anonymise_closed_accounts", 3600, anonymise_closed_accounts),
    PeriodicJob("prune_audit", 86400, prune_audit),
    PeriodicJob(
        "sign_audit_checkpoints",
        get_settings().audit_checkpoint_interval_seconds,
        sign_audit_checkpoints,
    ),
    PeriodicJob("send_notifications", get_settings().notify_poll_seconds, send_due),
    PeriodicJob("send_webhooks", 2.0, webhooks.send_due),
)


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
    logger.info("worker started with jobs: {}", ", ".join(job.name for job in jobs))
    _loop(jobs, stop)
    logger.info("worker stopped")


def _loop(jobs: tuple[PeriodicJob, ...], stop: threading.Event) -> None:
    next_run = {job.name: 0.0 for job in jobs}
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if now >= next_run[job.name]:
                run_once((job,))
                next_run[job.name] = now + job.interval_s
        stop.wait(min(5.0, max(0.05, min(next_run.values()) - time.monotonic())))


def start_in_background(jobs: tuple[PeriodicJob, ...] = JOBS) -> threading.Event:
    """Embedded default: run the jobs in a daemon thread of the app process (no worker)."""
    stop = threading.Event()
    threading.Thread(target=_loop, args=(jobs, stop), name="lai-jobs", daemon=True).start()
    logger.info("in-process jobs started: {}", ", ".join(job.name for job in jobs))
    return stop
