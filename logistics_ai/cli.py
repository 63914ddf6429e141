"""Command line: `python -m logistics_ai migrate | seed | create-admin | worker | bench`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from loguru import logger

from logistics_ai.observability.logging import configure_logging


def _migrate(args: argparse.Namespace) -> int:
    from logistics_ai import migrate

    if args.downgrade:
        migrate.downgrade(revision=args.downgrade)
    else:
        migrate.upgrade()
    print(f"database at revision {migrate.current_revision()}")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from logistics_ai.bootstrap import seed_database

    report = seed_database(reset=args.reset)
    if report is None:
        print("database already has data; nothing seeded (use --reset to start over)")
    else:
        print(
            f"seeded {report.users} users, {report.drivers} drivers, {report.shipments} shipments"
        )
    return 0


def _reencrypt(_args: argparse.Namespace) -> int:
    from logistics_ai.db import session_scope
    from logistics_ai.models.encryption import reencrypt_all

    with session_scope() as session:
        print(f"re-encrypted {reencrypt_all(session)} values under the newest key")
    return 0


def _docs(_args: argparse.Namespace) -> int:
    from logistics_ai import docs

    changed = docs.write()
    print("regenerated: " + (", ".join(map(str, changed)) or "nothing (already current)"))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from logistics_ai.db import session_scope
    from logistics_ai.services import audit_integrity

    with session_scope() as session:
        if args.action == "checkpoint":
            print(f"signed {audit_integrity.write_checkpoints(session)} checkpoint(s)")
            return 0
        report = audit_integrity.verify(session)
    for chain in report.chains:
        state = "ok" if not chain.problems else "TAMPERED"
        print(
            f"{chain.chain:<20} {state:<9} rows={chain.rows} "
            f"seq={chain.first_seq}..{chain.last_seq} checkpoints={chain.checkpoints}"
        )
        for problem in chain.problems:
            print(f"    - {problem}")
    print(report.summary())
    return 0 if report.ok else 2


def _worker(args: argparse.Namespace) -> int:
    from logistics_ai.jobs import worker

    if args.once:
        for name, result in worker.run_once().items():
            print(f"{name}: {result}")
        return 0
    worker.run_forever()
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    """First admin of an empty production database; the password is read from stdin (never
    from the command line or the environment, which end up in process lists and task logs)."""
    import getpass

    from logistics_ai.db import session_scope
    from logistics_ai.services import users

    if sys.stdin.isatty():
        password = getpass.getpass("password for the first admin: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    with session_scope() as session:
        user = users.create_first_admin(session, args.email, args.name, password)
        print(f"created admin {user.email} (id {user.id})")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from logistics_ai import simulator

    if args.drivers < 1 or args.speedup <= 0 or args.duration <= 0 or args.interval <= 0:
        raise ValueError("--drivers, --speedup, --duration and --interval must be positive")
    from logistics_ai.settings import get_settings

    # The demo accounts all use DEMO_PASSWORD (the seed's setting).
    password = get_settings().demo_password
    with contextlib.ExitStack() as stack:
        record = None
        if args.record:
            # One JSON line per accepted write, flushed per line: `bench realtime` watches it.
            sink = stack.enter_context(open(args.record, "w", encoding="utf-8", buffering=1))

            def record(entry: dict[str, object]) -> None:
                sink.write(json.dumps(entry) + "\n")

        return simulator.main(
            simulator.Options(
                url=args.url,
                drivers=args.drivers,
                speedup=args.speedup,
                duration_s=args.duration,
                interval_s=args.interval,
                fail_rate=min(max(args.fail_rate, 0.0), 1.0),
                seed=args.seed,
                admin_email=args.admin_email,
                password=password,
                wait_s=args.wait,
                stagger=args.stagger,
                record=record,
            )
        )


def _bench(args: argparse.Namespace, rest: list[str]) -> int:
    # Benchmark tooling lives in loadtests/ (a source checkout, not the runtime image).
    try:
        from loadtests import (
            ai_bench,
            api_ab,
            api_bench,
            delivery_bench,
            realtime_bench,
            routing_bench,
        )
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith("loadtests"):
            raise
        raise RuntimeError(
            "the benchmarks need a source checkout (loadtests/ is not installed here)"
        ) from missing
    benches = {
        "ai": ai_bench.main,
        "api": api_bench.main,
        "api-ab": api_ab.main,
        "routing": routing_bench.main,
        "delivery": delivery_bench.main,
        "realtime": realtime_bench.main,
    }
    return benches[args.what](rest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logistics_ai")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate_cmd = commands.add_parser("migrate", help="apply database migrations")
    migrate_cmd.add_argument("--downgrade", metavar="REVISION", help="revert to REVISION (e.g. -1)")
    seed_cmd = commands.add_parser("seed", help="load the demo city into an empty database")
    seed_cmd.add_argument(
        "--reset", action="store_true", help="delete all data first (not in prod)"
    )
    commands.add_parser(
        "reencrypt", help="re-save personal data under the newest FIELD_ENCRYPTION_KEYS key"
    )
    admin_cmd = commands.add_parser(
        "create-admin", help="create the first admin of an empty deployment (password on stdin)"
    )
    admin_cmd.add_argument("--email", required=True)
    admin_cmd.add_argument("--name", required=True, help="full name")
    commands.add_parser("docs", help="regenerate README's settings table and docs/permissions.md")
    audit_cmd = commands.add_parser(
        "audit", help="audit trail: verify the hash chains (exit 2 if tampered), sign checkpoints"
    )
    audit_cmd.add_argument("action", choices=["verify", "checkpoint"])
    worker_cmd = commands.add_parser("worker", help="run background jobs until stopped")
    worker_cmd.add_argument("--once", action="store_true", help="run every job once and exit")
    sim_cmd = commands.add_parser(
        "simulate", help="drive demo drivers along their routes through the REST API"
    )
    sim_cmd.add_argument("--drivers", type=int, default=5, help="how many demo drivers (5)")
    sim_cmd.add_argument("--speedup", type=float, default=10.0, help="time compression (10)")
    sim_cmd.add_argument("--duration", type=float, default=600.0, help="stop after S seconds")
    sim_cmd.add_argument("--url", default="http://127.0.0.1:3000", help="the app to drive")
    sim_cmd.add_argument("--interval", type=float, default=2.0, help="seconds between GPS batches")
    sim_cmd.add_argument("--fail-rate", type=float, default=0.05, help="share of failed deliveries")
    sim_cmd.add_argument("--seed", type=int, default=7, help="random seed (reproducible runs)")
    sim_cmd.add_argument("--admin-email", default="admin@example.com", help="lists the drivers")
    sim_cmd.add_argument("--wait", type=float, default=0.0, help="wait S seconds for the app")
    sim_cmd.add_argument(
        "--stagger", action="store_true", help="start drivers at random points of the interval"
    )
    sim_cmd.add_argument(
        "--record", metavar="FILE", help="write each accepted write as a JSON line (bench)"
    )
    # The benchmarks parse their own options (and --help), so this parser must not eat them.
    bench_cmd = commands.add_parser(
        "bench",
        help="run a benchmark (routing, api, api-ab, ai, delivery, realtime)",
        add_help=False,
    )
    bench_cmd.add_argument(
        "what", choices=["routing", "api", "api-ab", "ai", "delivery", "realtime"]
    )
    args, rest = parser.parse_known_args(argv)
    configure_logging()
    if args.command != "bench" and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        if args.command == "migrate":
            return _migrate(args)
        if args.command == "seed":
            return _seed(args)
        if args.command == "reencrypt":
            return _reencrypt(args)
        if args.command == "docs":
            return _docs(args)
        if args.command == "worker":
            return _worker(args)
        if args.command == "create-admin":
            return _create_admin(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "simulate":
            return _simulate(args)
        return _bench(args, rest)
    except Exception as error:  # a CLI prints one clear line, the log keeps the trace
        logger.opt(exception=error).debug("command failed")
        print(f"error: {error}", file=sys.stderr)
        return 1
