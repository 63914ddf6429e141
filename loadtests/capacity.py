"""Find the highest user count that still meets the SLA.

  python -m loadtests.capacity [--host https://localhost] [--start 50] [--factor 1.5]
                               [--step-seconds 30] [--max-users 2000] [--user-class capacity]
                               [--think MIN-MAX] [--recovery-users N [--recovery-seconds 30]]

Runs Locust as a library and ramps in steps: start N users, let the spawn finish, reset the
statistics, measure for --step-seconds, judge the step against loadtests/sla.toml, multiply N by
--factor and repeat until a step breaks the SLA (or --max-users). Prints each step and the
highest user count that held. The default user class, CapacityCustomer, makes one request per
second per user with the customer's tasks (so users = offered requests/s); `--user-class mix`
uses the weighted customer/driver/dispatcher mix with think times instead, and `--think 1-3`
gives every user a 1-3 s think time (issue 8's definition of a user: `--user-class mix
--think 1-3`). Only tasks whose endpoint the target serves are used (as in the gate).
`--recovery-users N` then drops to N users at once and prints how many seconds pass until every
1 s window holds the SLA's aggregate p95 with no error (loadtests/recovery.py; issue 8's "full
recovery within 10 s"). Traffic goes to --host only: point it at a stack on this machine
(loopback) or a staging host you own.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust import between
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtests import recovery
from loadtests import sla as sla_module
from loadtests.endpoints import probe, restrict_to_available
from loadtests.users import CapacityCustomer, CustomerUser, DispatcherUser, DriverUser


def run(args: argparse.Namespace) -> int:
    insecure = os.environ.get("LOADTEST_VERIFY_TLS", "0") != "1"
    classes = (
        [CapacityCustomer]
        if args.user_class == "capacity"
        else [CustomerUser, DriverUser, DispatcherUser]
    )
    if args.think is not None:
        classes = with_think_time(classes, *args.think)
    availability = probe(args.host, insecure=insecure)
    classes, report = restrict_to_available(classes, availability)
    for line in report:
        print(f"[capacity] {line}")
    if not classes:
        print("[capacity] no task can run against this target")
        return 1
    sla = sla_module.load_sla(Path(args.sla_file))
    env = Environment(user_classes=classes, host=args.host)
    runner = env.create_local_runner()
    users = args.start
    best = 0
    print(f"[capacity] host {args.host}, user class {', '.join(c.__name__ for c in classes)}")
    print(
        f"{'users':>7} {'reqs':>8} {'rps':>8} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} "
        f"{'err%':>7}  verdict"
    )
    try:
        while users <= args.max_users:
            runner.start(users, spawn_rate=args.spawn_rate)
            spawn_deadline = time.monotonic() + users / args.spawn_rate + 30
            while runner.user_count < users and time.monotonic() < spawn_deadline:
                gevent.sleep(0.5)
            gevent.sleep(args.settle_seconds)
            env.stats.reset_all()
            gevent.sleep(args.step_seconds)
            rows = sla_module.evaluate(list(env.stats.entries.values()), env.stats.total, sla)
            total = rows[-1]
            held = sla_module.passed(rows)
            breaches = "; ".join(
                b for row in rows for b in (f"{row.name}: {x}" for x in row.breaches)
            )
            print(
                f"{runner.user_count:>7} {total.requests:>8} {total.rps:>8.1f} {total.p50:>6.0f} "
                f"{total.p95:>6.0f} {total.p99:>6.0f} {env.stats.total.max_response_time:>6.0f} "
                f"{total.error_rate:>7.3%}  "
                f"{'held' if held else 'BREACH ' + breaches}",
                flush=True,
            )
            if not held:
                break
            best = users
            next_users = int(users * args.factor)
            users = next_users if next_users > users else users + 1
        if args.recovery_users:
            _report_recovery(env, runner, args, sla.aggregate.p95_ms)
    finally:
        runner.quit()
    if best:
        print(f"[capacity] highest user count that held the SLA: {best} ({classes[0].__name__})")
    else:
        print("[capacity] the SLA did not hold even at the first step")
    return 0 if best else 1


def _report_recovery(env: Environment, runner: Any, args: argparse.Namespace, p95: float) -> None:
    """Drop from the last step to --recovery-users at once and time the return to the SLA."""
    samples: list[recovery.Sample] = []

    def on_request(response_time: float, exception: object = None, **_: object) -> None:
        samples.append(
            recovery.Sample(time.monotonic(), float(response_time), exception is not None)
        )

    before = runner.user_count
    env.events.request.add_listener(on_request)
    dropped_at = time.monotonic()
    runner.start(args.recovery_users, spawn_rate=max(args.spawn_rate, before))
    gevent.sleep(args.recovery_seconds)
    env.events.request.remove_listener(on_request)
    judged = recovery.windows(samples, dropped_at, args.recovery_seconds)
    took = recovery.recovery_seconds(judged, p95)
    shown = " ".join(
        f"{w.p95_ms:.0f}{'!' if w.failures else ''}" if w.requests else "-" for w in judged
    )
    verdict = (
        f"every 1 s window held p95 < {p95:.0f} ms with no error from +{took:.0f} s on"
        if took is not None
        else "NOT recovered within the window"
    )
    print(
        f"[capacity] recovery: {before} -> {runner.user_count} users; {verdict}. "
        f"p95 ms per second (! = errors): {shown}",
        flush=True,
    )


def with_think_time(classes: list[type], low: float, high: float) -> list[type]:
    """The same users, each waiting `low`-`high` seconds between its requests."""
    return [
        type(cls.__name__, (cls,), {"wait_time": between(low, high), "__module__": cls.__module__})
        for cls in classes
    ]


def think_range(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split("-", 1))
    except ValueError:
        raise argparse.ArgumentTypeError("expected MIN-MAX seconds, e.g. 1-3") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError("expected 0 <= MIN <= MAX")
    return low, high


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.capacity")
    parser.add_argument("--host", default=os.environ.get("LOADTEST_HOST", "https://localhost"))
    parser.add_argument("--start", type=int, default=50)
    parser.add_argument("--factor", type=float, default=1.5)
    parser.add_argument("--max-users", type=int, default=2000)
    parser.add_argument("--spawn-rate", type=float, default=50)
    parser.add_argument("--settle-seconds", type=float, default=5)
    parser.add_argument("--step-seconds", type=float, default=30)
    parser.add_argument("--user-class", choices=["capacity", "mix"], default="capacity")
    parser.add_argument(
        "--think",
        type=think_range,
        metavar="MIN-MAX",
        help="every user waits MIN-MAX seconds between requests (the issue's users: --user-class "
        "mix --think 1-3), instead of its class's own wait",
    )
    parser.add_argument("--sla-file", default=str(sla_module.SLA_FILE))
    parser.add_argument(
        "--recovery-users",
        type=int,
        default=0,
        help="after the last step, drop to this many users at once and report how long the "
        "API takes to hold the SLA again in every 1 s window (issue 8: within 10 s)",
    )
    parser.add_argument(
        "--recovery-seconds", type=float, default=30, help="observed after the drop"
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
