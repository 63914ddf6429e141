"""Find the highest user count that still meets the SLA.

  python -m loadtests.capacity [--host https://localhost] [--start 50] [--factor 1.5]
                               [--step-seconds 30] [--max-users 2000] [--user-class capacity]
                               [--think MIN-MAX]

Runs Locust as a library and ramps in steps: start N users, let the spawn finish, reset the
statistics, measure for --step-seconds, judge the step against loadtests/sla.toml, multiply N by
--factor and repeat until a step breaks the SLA (or --max-users). Prints each step and the
highest user count that held. The default user class, CapacityCustomer, makes one request per
second per user with the customer's tasks (so users = offered requests/s); `--user-class mix`
uses the weighted customer/driver/dispatcher mix with think times instead, and `--think 1-3`
gives every user a 1-3 s think time (issue 8's definition of a user: `--user-class mix
--think 1-3`). Only tasks whose
endpoint the target serves are used (as in the gate). Traffic goes to --host only: point it at
a stack on this machine (loopback) or a staging host you own.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import gevent
from locust import between
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    finally:
        runner.quit()
    if best:
        print(f"[capacity] highest user count that held the SLA: {best} ({classes[0].__name__})")
    else:
        print("[capacity] the SLA did not hold even at the first step")
    return 0 if best else 1


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
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
