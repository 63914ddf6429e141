"""Locust entry point with the SLA gate.

  make loadtest [LOADTEST_HOST=https://staging.example.com] [USERS=50] [RUN_TIME=60s]
  locust -f loadtests/locustfile.py --headless --host https://localhost -u 50 -r 10 -t 60s

At test start the target's OpenAPI document decides which tasks run (tasks whose endpoint is
not served yet are skipped and listed). When Locust quits, the `quitting` listener judges
environment.stats against loadtests/sla.toml (p95/p99/error rate, per endpoint and aggregate),
prints p50/p95/p99, RPS, error rate and users, and sets the exit code (1 = SLA breached).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import gevent
from locust import events

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtests import sla as sla_module
from loadtests.endpoints import probe, restrict_to_available
from loadtests.users import CustomerUser, DispatcherUser, DriverUser  # noqa: F401

_state = {"peak_users": 0, "started": 0.0, "spawned": 0.0}


@events.test_start.add_listener
def _only_served_endpoints(environment, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    _state["started"] = time.monotonic()
    insecure = os.environ.get("LOADTEST_VERIFY_TLS", "0") != "1"
    availability = probe(environment.host or "https://localhost", insecure=insecure)
    for problem in availability.problems:
        print(f"[loadtest] probe: {problem}", flush=True)
    kept, report = restrict_to_available(list(environment.user_classes), availability)
    for line in report:
        print(f"[loadtest] {line}", flush=True)
    if not kept:
        print("[loadtest] no task can run against this target; failing the gate", flush=True)
        environment.process_exit_code = 1
        if environment.runner is not None:
            gevent.spawn_later(0.1, environment.runner.quit)
        return
    environment.user_classes[:] = kept


@events.spawning_complete.add_listener
def _peak(user_count: int, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    _state["peak_users"] = max(_state["peak_users"], user_count)
    _state["spawned"] = time.monotonic()


@events.quitting.add_listener
def _sla_gate(environment, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    stats = environment.stats
    sla = sla_module.load_sla(Path(os.environ.get("LOADTEST_SLA_FILE", sla_module.SLA_FILE)))
    rows = sla_module.evaluate(list(stats.entries.values()), stats.total, sla)
    users = environment.runner.user_count if environment.runner else 0
    # With --reset-stats (make loadtest) the statistics cover the time after the ramp-up.
    reset = getattr(environment.parsed_options, "reset_stats", False)
    since = _state["spawned"] if reset and _state["spawned"] else _state["started"]
    duration = time.monotonic() - since if since else 0
    report = sla_module.format_report(rows, users, _state["peak_users"], duration, sla.min_samples)
    print(report, flush=True)
    if environment.process_exit_code == 1 and stats.total.num_requests == 0:
        return
    environment.process_exit_code = 0 if sla_module.passed(rows) else 1
