"""`python -m logistics_ai bench api-ab --against PATH`: two checkouts' CPU per request, at once.

  python -m logistics_ai bench api-ab --against PATH [--cases read,list,create,location,track,route]
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
from pathlib import Path
from typing import IO, Any

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

CASES = ("read", "list", "create", "location", "track", "route")


class Side:
    """One checkout's API in a child process, answering one line per measured run."""

    def __init__(self, project: Path, env: dict[str, str], spec: dict[str, Any]) -> None:
        self.project = project
        self.python = own_executable(project, "python", sys.executable)
        self.process = subprocess.Popen(
            [self.python, str(REPO / "loadtests" / "api_ab_side.py"), json.dumps(spec)],
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
        sides = [Side(here, env, spec), Side(there, env, spec)]
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
