"""`python -m logistics_ai bench api-ab --against PATH`: two checkouts' CPU per request, at once.

  python -m logistics_ai bench api-ab --against PATH
                        [--cases read,list,create,location,track,route,stop_event]
                                      [--rounds 5] [--requests 2000] [--concurrency 25]
                                      [--rows 20000]

`bench api` measures throughput over HTTP against a baseline, and on a shared machine its
figures move with the neighbours' load by more than a 5-10% change of the code. This command
measures a change itself: it sets up one bench database (as `bench api` does), then runs this
checkout's API and the --against checkout's API in two processes **at the same time**, each
driving its own `create_api()` over ASGI (no HTTP server, no load generator; real PostgreSQL
and Redis), and prints each side's CPU time per request (`time.process_time`: the event loop
and the worker threads) round by round. Both sides see the same neighbours in every round,
so the change per round is the figure to read; the median of the rounds is printed last.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import psycopg

from loadtests.api_bench import (
    DEMO_PASSWORD,
    PG_HOST,
    PG_PORT,
    PG_USER,
    REPO,
    app_env,
    bench_lock,
    booking,
    database,
    drop_prefix,
    git_describe,
    migrate_and_seed,
    own_executable,
    pad_shipments,
    sample_codes,
    sample_ids,
)

CASES = ("read", "list", "create", "location", "track", "route", "stop_event")


STOPS_PER_ROUTE = 100


def prepare_pickups(conninfo: str, driver_email: str, customer_email: str, count: int) -> list[int]:
    """`count` pickup stops of the driver, each a shipment of the customer's that is assigned
    and waiting to be picked up: a `picked_up` on each is a full stop event (the status
    change, its history, audit, webhook and outbox rows, the route's count, the ETA refresh).

    Copies of one seeded shipment, on active routes of days after the seeded ones (100 stops
    a route): the ETA refresh after each event recomputes the driver's seeded day, as a
    driver's real day would, not thousands of bench stops."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        driver = connection.execute(
            "SELECT d.id FROM drivers d JOIN users u ON u.id = d.user_id WHERE u.email = %s",
            (driver_email,),
        ).fetchone()
        source = connection.execute(
            "SELECT s.id FROM shipments s JOIN customers c ON c.id = s.customer_id "
            "JOIN users u ON u.id = c.user_id WHERE u.email = %s AND s.tracking_code NOT LIKE "
            "'BN%%' ORDER BY s.id LIMIT 1",
            (customer_email,),
        ).fetchone()
        if driver is None or source is None:
            raise RuntimeError("the demo seed has no driver or no shipment of the customer")
        columns = [
            r[0]
            for r in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = "
                "'shipments' AND column_name <> 'id' ORDER BY ordinal_position"
            )
        ]
        first_day = date.today() + timedelta(days=400)
        stop_ids: list[int] = []
        for route_number in range(-(-count // STOPS_PER_ROUTE)):
            day = first_day + timedelta(days=route_number)
            size = min(STOPS_PER_ROUTE, count - len(stop_ids))
            route_id = connection.execute(
                "INSERT INTO routes (driver_id, service_date, status, version, "
                "total_distance_m, total_duration_s, created_at, updated_at) "
                "VALUES (%s, %s, 'active', 1, 0, 0, now(), now()) RETURNING id",
                (driver[0], day),
            ).fetchone()[0]  # type: ignore[index]
            chosen = {
                "tracking_code": f"'SE' || lpad(({route_number} * 1000 + g)::text, 12, '0')",
                "status": "'assigned'",
                "service_date": "%(day)s",
                "driver_id": "%(driver)s",
                "route_id": "%(route)s",
                "eta": "NULL",
                "version": "1",
            }
            select = ", ".join(chosen.get(c, f"s.{c}") for c in columns)
            params = {"day": day, "driver": driver[0], "route": route_id, "source": source[0]}
            connection.execute(
                f"WITH copies AS (INSERT INTO shipments ({', '.join(columns)}) "
                f"SELECT {select} FROM shipments s CROSS JOIN generate_series(1, {size}) g "
                "WHERE s.id = %(source)s RETURNING id) "
                "INSERT INTO stops (route_id, shipment_id, kind, sequence, status, late_risk, "
                "version) SELECT %(route)s, id, 'pickup', row_number() OVER (ORDER BY id), "
                "'pending', false, 1 FROM copies",
                params,
            )
            stop_ids += [
                row[0]
                for row in connection.execute(
                    "SELECT id FROM stops WHERE route_id = %s ORDER BY id", (route_id,)
                )
            ]
        connection.execute("ANALYZE shipments; ANALYZE stops; ANALYZE routes")
        return stop_ids


def requests_per_side(args: argparse.Namespace) -> int:
    """How many requests a side sends of one case: the warm-up and every round."""
    return max(100, args.requests // 10) + args.rounds * args.requests


class Side:
    """One checkout's API in a child process, answering one line per measured run."""

    def __init__(
        self, project: Path, env: dict[str, str], spec: dict[str, Any], scratch: str, label: str
    ) -> None:
        self.project = project
        self.python = own_executable(project, "python", sys.executable)
        # The spec goes in a file: thousands of stop paths exceed one argument's length limit.
        spec_file = Path(scratch) / f"spec-{label}.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        self.process = subprocess.Popen(
            [self.python, str(REPO / "loadtests" / "api_ab_side.py"), f"@{spec_file}"],
            env={**env, "PYTHONPATH": str(project)},
            cwd=project,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.answer()

    def ask(self, case: str, requests: int, concurrency: int) -> None:
        stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        stdin.write(f"{case} {requests} {concurrency}\n")
        stdin.flush()

    def answer(self) -> dict[str, Any]:
        stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the side running {self.project} ended (see its stderr above)")
        return dict(json.loads(line))

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m logistics_ai bench api-ab",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--against", type=Path, required=True, help="the other checkout (B)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"subset of {','.join(CASES)}")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per case")
    parser.add_argument("--requests", type=int, default=2000, help="requests per side per round")
    parser.add_argument("--concurrency", type=int, default=25, help="requests in flight per side")
    parser.add_argument("--rows", type=int, default=20_000, help="shipments in the table")
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    if set(cases) - set(CASES):
        parser.error(f"unknown cases {sorted(set(cases) - set(CASES))}")
    if not (args.against / "logistics_ai").is_dir():
        parser.error(f"{args.against} is not a checkout of this project")
    with bench_lock():
        return _run(args, cases)


def _run(args: argparse.Namespace, cases: list[str]) -> int:
    here, there = REPO, args.against.resolve()
    prefix = f"lai:bench:{secrets.token_hex(4)}:"
    with database() as name, tempfile.TemporaryDirectory(prefix="lai-ab-") as scratch:
        conninfo = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={name}"
        # One environment for both sides: the same secrets decrypt the same seeded rows.
        env = app_env(name, prefix, secrets.token_hex(32), here, scratch)
        migrate_and_seed(env, here)
        table_rows = pad_shipments(conninfo, args.rows)
        ids = sample_ids(conninfo)
        spec = {
            "password": DEMO_PASSWORD,
            "accounts": {
                "dispatcher": "dispatcher@example.com",
                "customer": "customer@example.com",
                "driver": "driver@example.com",
            },
            "cases": {
                "read": {
                    "method": "GET",
                    "paths": [f"/api/v1/shipments/{i}" for i in ids],
                    "as": "dispatcher",
                },
                "list": {
                    "method": "GET",
                    "paths": ["/api/v1/shipments?page_size=20"],
                    "as": "dispatcher",
                },
                "create": {
                    "method": "POST",
                    "paths": ["/api/v1/shipments"],
                    "json": booking(conninfo, "customer@example.com"),
                    "as": "customer",
                },
                # A driver's GPS batch as the phone and the simulator send it: two fixes, a
                # fresh Idempotency-Key each time. The same spot every time, so most batches
                # keep the last ETAs (services/eta_updates.py) as a parked or slow van's do.
                "location": {
                    "method": "POST",
                    "paths": ["/api/v1/drivers/me/location"],
                    "json": {
                        "pings": [
                            {"lat": 41.8781, "lon": -87.6298, "accuracy_m": 8.0},
                            {"lat": 41.8783, "lon": -87.6301, "accuracy_m": 8.0},
                        ]
                    },
                    "idempotent": True,
                    "as": "driver",
                },
                # The driver app's day: my stops, in order.
                "route": {
                    "method": "GET",
                    "paths": ["/api/v1/drivers/me/route"],
                    "as": "driver",
                },
                # The public tracking page's read (no sign-in; the token is ignored).
                "track": {
                    "method": "GET",
                    "paths": [f"/api/v1/track/{code}" for code in sample_codes(conninfo)],
                    "as": "customer",
                },
            },
        }
        # A stop event changes its stop for good: each side gets stops of its own, enough for
        # every request it sends, and uses each once (`once`).
        pickups: list[list[int]] = [[], []]
        if "stop_event" in cases:
            needed = requests_per_side(args)
            stops = prepare_pickups(
                conninfo, "driver@example.com", "customer@example.com", 2 * needed
            )
            pickups = [stops[:needed], stops[needed:]]

        def spec_for(side: int) -> dict[str, Any]:
            stop_event = {
                "method": "POST",
                "paths": [f"/api/v1/stops/{i}/events" for i in pickups[side]],
                "json": {"event": "picked_up", "lat": 41.8781, "lon": -87.6298},
                "idempotent": True,
                "once": True,
                "as": "driver",
            }
            return {**spec, "cases": {**spec["cases"], "stop_event": stop_event}}

        sides = [
            Side(here, env, spec_for(0), scratch, "A"),
            Side(there, env, spec_for(1), scratch, "B"),
        ]
        try:
            print(
                f"bench api-ab: {args.requests} requests per side per round, "
                f"{args.concurrency} in flight, over ASGI in-process; {table_rows} shipments"
            )
            for label, side in zip("AB", sides, strict=True):
                print(f"{label}: {side.project} ({git_describe(side.project)}), {side.python}")
            print("case     round   A cpu ms   B cpu ms   A vs B   A wall ms   B wall ms")
            for case in cases:
                for side in sides:  # warm-up: imports, caches, pool connections
                    side.ask(case, max(100, args.requests // 10), args.concurrency)
                for side in sides:
                    side.answer()
                changes = []
                for round_number in range(1, args.rounds + 1):
                    # The side asked first starts alone and ends under the other's load: always
                    # asking A first made A read ~3-5% dearer than the same code as B
                    # (docs/performance.md, Round 7). Odd rounds ask A first, even rounds B.
                    for side in sides if round_number % 2 else sides[::-1]:
                        side.ask(case, args.requests, args.concurrency)
                    a, b = (side.answer() for side in sides)
                    for side_name, result in (("A", a), ("B", b)):
                        bad = {k: v for k, v in result["statuses"].items() if not k.startswith("2")}
                        if bad:
                            raise RuntimeError(f"{side_name} answered {bad} in {case}")
                    change = 100 * (a["cpu_ms"] / b["cpu_ms"] - 1)
                    changes.append(change)
                    print(
                        f"{case:8} {round_number:5} {a['cpu_ms']:10.3f} {b['cpu_ms']:10.3f} "
                        f"{change:+7.1f}% {a['wall_ms']:11.3f} {b['wall_ms']:11.3f}",
                        flush=True,
                    )
                print(
                    f"{case:8} median A vs B {statistics.median(changes):+.1f}% "
                    f"(A lower in {sum(c < 0 for c in changes)} of {len(changes)} rounds)",
                    flush=True,
                )
        finally:
            for side in sides:
                side.stop()
            drop_prefix(prefix)
    return 0
