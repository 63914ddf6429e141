"""`python -m logistics_ai bench api`: the project's API next to a minimal baseline, one command.

  python -m logistics_ai bench api [--users 50] [--duration 20] [--warmup 3] [--workers 2]
                                   [--rows 20000] [--project-dir PATH] [--cases read,list,...]

What it does, all on this machine and cleaned up afterwards:
1. creates a throwaway PostgreSQL database and Redis key prefix, migrates and seeds the demo
   city, and pads the shipments table to --rows rows (so list ordering has a table to sort);
2. starts the project's API (`logistics_ai.api.app:create_api`, the app Reflex mounts) and the
   baseline (`loadtests/api_baseline.py`: bare Starlette, one JWT check, one pooled async
   SELECT by primary key) on the same granian, each with --workers processes;
3. drives each case with Locust (FastHttpUser, closed loop, no think time) and prints
   req/s, p50/p95/p99 and the ratio of req/s to the baseline's, measured in the same run;
   and the CPU time (user + system) per request over the measured window: of the API's
   server processes ("cpu ms"), of the PostgreSQL backends of the bench database ("pg ms"),
   and of the baseline's server ("base cpu"), which the neighbours' load moves much less
   than req/s;
4. reports the API workers' memory before and after the sign-in storm.

The machine is shared: absolute figures move with the neighbours' load, the ratios much less.
--project-dir runs the same bench against another checkout (e.g. the commit before a change)
with this checkout's bench and baseline, which is how docs/performance.md's before/after
figures were taken. Runs hold /tmp/lai-bench.lock so two benchmarks never overlap.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import redis

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOCK = "/tmp/lai-bench.lock"
PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DEMO_PASSWORD = "logistics-demo"
CASES = ("read", "list", "create", "signin", "mixed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def bench_lock() -> Iterator[None]:
    with open(LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for {LOCK} (another benchmark is running) ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def database() -> Iterator[str]:
    name = f"lai_bench_{secrets.token_hex(4)}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pad_shipments(conninfo: str, rows: int) -> int:
    """Copy the seeded shipments (valid by construction) until the table holds `rows` rows."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        have = connection.execute("SELECT count(*) FROM shipments").fetchone()[0]  # type: ignore[index]
        copies = max(0, -(-(rows - have) // max(1, have)))
        if copies:
            columns = [
                r[0]
                for r in connection.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = "
                    "'shipments' AND column_name <> 'id' ORDER BY ordinal_position"
                )
            ]
            chosen = {
                "tracking_code": "'BN' || lpad((g * 100000 + s.id)::text, 12, '0')",
                "created_at": "s.created_at - make_interval(mins => g)",
                "updated_at": "s.updated_at - make_interval(mins => g)",
            }
            select = ", ".join(chosen.get(c, f"s.{c}") for c in columns)
            connection.execute(
                f"INSERT INTO shipments ({', '.join(columns)}) SELECT {select} "
                f"FROM shipments s CROSS JOIN generate_series(1, {copies}) g"
            )
            connection.execute("ANALYZE shipments")
        return int(connection.execute("SELECT count(*) FROM shipments").fetchone()[0])  # type: ignore[index]


def app_env(name: str, prefix: str, jwt_secret: str, project: Path, scratch: str) -> dict[str, str]:
    """The environment of an API under test: the bench database, its own Redis prefix."""
    return {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "SECRET_KEY": secrets.token_hex(24),
        "JWT_KEYS": f"k1:{jwt_secret}",
        "APP_ENV": "dev",
        "SEED_DEMO": "true",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "LOG_LEVEL": "WARNING",
        # The bench measures throughput, not the abuse limits: lift them for this run.
        "RATE_LIMIT_API_PER_PRINCIPAL": "1000000000",
        "RATE_LIMIT_AUTH_PER_IP": "1000000000",
        "RATE_LIMIT_AUTH_PER_ACCOUNT": "1000000000",
        "PYTHONPATH": f"{scratch}{os.pathsep}{project}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def migrate_and_seed(env: dict[str, str], project: Path) -> None:
    for command in (["migrate"], ["seed"]):
        subprocess.run(
            [sys.executable, "-m", "logistics_ai", *command],
            env=env,
            cwd=project,
            check=True,
            capture_output=True,
        )


def drop_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*", count=1000):
        client.delete(key)


def sample_ids(conninfo: str, count: int = 1000) -> list[int]:
    """Shipment ids picked at random, for reads spread over the table."""
    with psycopg.connect(conninfo) as connection:
        query = f"SELECT id FROM shipments ORDER BY random() LIMIT {int(count)}"
        return [row[0] for row in connection.execute(query)]


def sample_codes(conninfo: str, count: int = 1000) -> list[str]:
    """Tracking codes of the seeded shipments picked at random, for public tracking reads (the
    padding's codes, BN..., are not in the tracking code format: the page answers 404)."""
    with psycopg.connect(conninfo) as connection:
        query = (
            "SELECT tracking_code FROM shipments WHERE tracking_code NOT LIKE 'BN%' "
            f"ORDER BY random() LIMIT {int(count)}"
        )
        return [row[0] for row in connection.execute(query)]


class Server:
    def __init__(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        # Closed in stop(); the server writes to it for its whole life.
        self.log = tempfile.NamedTemporaryFile(prefix=f"lai-bench-{name}-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, url: str, headers: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, headers=headers, timeout=2).status_code < 500:
                    return
            time.sleep(0.3)
        self.log.seek(0)
        tail = self.log.read().decode(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} did not start:\n{tail}")

    def worker_rss_mb(self) -> list[float]:
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return sorted(round(c.memory_info().rss / 2**20) for c in children)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its workers so far."""
        try:
            main = psutil.Process(self.process.pid)
            processes = [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


def own_executable(project: Path, name: str, fallback: str) -> str:
    """`name` from the checkout's own virtualenv where it has one, else `fallback`: a change
    of dependencies is part of what a before/after comparison of two checkouts measures."""
    own = project / ".venv" / "bin" / name
    return str(own) if own.exists() else fallback


def granian(
    target: str, port: int, workers: int, *, factory: bool, project: Path | None = None
) -> list[str]:
    fallback = shutil.which("granian") or str(Path(sys.executable).parent / "granian")
    executable = own_executable(project, "granian", fallback) if project else fallback
    command = [executable, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-ws", "--log-level", "warning"]
    return [*command, *(["--factory"] if factory else []), target]


def backend_cpu_seconds(conninfo: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the bench database."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        pids = [
            int(r[0])
            for r in connection.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    seconds: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system
    return seconds


@dataclass
class CpuWindow:
    """The CPU the servers and PostgreSQL spent between the load generator's two marks."""

    server: Server
    conninfo: str
    server_s: float = 0.0
    postgres_s: float = 0.0
    _server_start: float = 0.0
    _backends_start: dict[int, float] = field(default_factory=dict)

    def mark(self, what: str) -> None:
        if what == "start":
            self._server_start = self.server.cpu_seconds()
            self._backends_start = backend_cpu_seconds(self.conninfo)
        elif what == "end":
            self.server_s = self.server.cpu_seconds() - self._server_start
            ended = backend_cpu_seconds(self.conninfo)
            # A backend that connected during the window spent all its CPU inside it.
            self.postgres_s = sum(s - self._backends_start.get(p, 0.0) for p, s in ended.items())


def load(case: dict[str, Any], window: CpuWindow | None = None) -> list[dict[str, Any]]:
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "loadtests.api_bench_load", json.dumps(case)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        rows = []
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{"):
                rows.append(json.loads(line))
            elif line.startswith("MEASURE ") and window is not None:
                window.mark(line.split()[1])
        returncode = process.wait(timeout=120)
        if returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"load generator failed:\n{errors.read()[-3000:]}")
    if window is not None:
        requests = sum(row["requests"] for row in rows) or 1
        for row in rows:  # a mixed case's rows share one figure: its requests together
            row["cpu_ms"] = 1000 * window.server_s / requests
            row["pg_ms"] = 1000 * window.postgres_s / requests
    return rows


def booking(conninfo: str, customer_email: str) -> dict[str, Any]:
    """A valid booking for tomorrow, copied from one of the customer's seeded shipments."""
    with psycopg.connect(conninfo) as connection:
        row = connection.execute(
            "SELECT s.pickup_address, s.pickup_lat, s.pickup_lon, s.dropoff_address, "
            "s.dropoff_lat, s.dropoff_lon FROM shipments s "
            "JOIN customers c ON c.id = s.customer_id JOIN users u ON u.id = c.user_id "
            "WHERE u.email = %s LIMIT 1",
            (customer_email,),
        ).fetchone()
    assert row is not None, "the demo seed has no shipment of the demo customer"
    day = date.today() + timedelta(days=1)

    def at(hour: int) -> str:
        return datetime(day.year, day.month, day.day, hour).isoformat()

    return {
        "pickup_address": row[0],
        "pickup_lat": row[1],
        "pickup_lon": row[2],
        "pickup_window_start": at(9),
        "pickup_window_end": at(12),
        "dropoff_address": row[3],
        "dropoff_lat": row[4],
        "dropoff_lon": row[5],
        "dropoff_window_start": at(13),
        "dropoff_window_end": at(17),
        "recipient_name": "Bench Recipient",
        "weight_kg": 4.0,
        "volume_m3": 0.05,
    }


def login(url: str, email: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}, timeout=30
    )
    if response.status_code != 200:
        raise RuntimeError(f"login as {email} failed: HTTP {response.status_code} {response.text}")
    return str(response.json()["access_token"])


def git_describe(path: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(path), "log", "-1", "--format=%h %cd", "--date=format:%H:%M"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "not a git checkout"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m logistics_ai bench api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=50, help="closed-loop users per case")
    parser.add_argument(
        "--signin-users",
        type=int,
        default=16,
        help="users of the sign-in-only case (each sign-in costs ~25 ms of Argon2id CPU)",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--workers", type=int, default=2, help="granian workers per server")
    parser.add_argument("--rows", type=int, default=20_000, help="shipments in the table")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=REPO,
        help="checkout whose API is measured (default: this one)",
    )
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}"
    )
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}")
    with bench_lock():
        return _run(args, cases)


def _run(args: argparse.Namespace, cases: list[str]) -> int:
    project = args.project_dir.resolve()
    jwt_secret = secrets.token_hex(32)
    prefix = f"lai:bench:{secrets.token_hex(4)}:"
    servers: list[Server] = []
    with database() as name, tempfile.TemporaryDirectory(prefix="lai-bench-") as scratch:
        conninfo = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={name}"
        env = app_env(name, prefix, jwt_secret, project, scratch)
        # The served app as the product starts it: logging configured, then the API.
        Path(scratch, "lai_bench_target.py").write_text(
            "from logistics_ai.api.app import create_api\n"
            "from logistics_ai.observability.logging import configure_logging\n\n\n"
            "def app():\n    configure_logging()\n    return create_api()\n"
        )
        migrate_and_seed(env, project)
        rows = pad_shipments(conninfo, args.rows)
        ids = sample_ids(conninfo)
        try:
            project_port, baseline_port = free_port(), free_port()
            api = Server(
                "api",
                granian(
                    "lai_bench_target:app",
                    project_port,
                    args.workers,
                    factory=True,
                    project=project,
                ),
                env,
                project,
            )
            servers.append(api)
            baseline_env = {
                **env,
                "PYTHONPATH": str(REPO),
                "BASELINE_JWT_KEY": jwt_secret,
                "BASELINE_DSN": conninfo,
            }
            baseline = Server(
                "baseline",
                granian(
                    "loadtests.api_baseline:create_app", baseline_port, args.workers, factory=True
                ),
                baseline_env,
                REPO,
            )
            servers.append(baseline)
            api_url = f"http://127.0.0.1:{project_port}"
            base_url = f"http://127.0.0.1:{baseline_port}"
            api.wait_ready(f"{api_url}/healthz")
            dispatcher = login(api_url, "dispatcher@example.com")
            customer = login(api_url, "customer@example.com")
            baseline.wait_ready(
                f"{base_url}/item/{ids[0]}", {"Authorization": f"Bearer {dispatcher}"}
            )
            report = _measure(
                args,
                cases,
                (api, baseline),
                conninfo,
                api_url,
                base_url,
                ids,
                dispatcher,
                customer,
                booking(conninfo, "customer@example.com"),
            )
        finally:
            for server in servers:
                server.stop()
            drop_prefix(prefix)
    _print(args, project, rows, report)
    return 0


def _measure(
    args: argparse.Namespace,
    cases: list[str],
    servers: tuple[Server, Server],
    conninfo: str,
    api_url: str,
    base_url: str,
    ids: list[int],
    dispatcher: str,
    customer: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    api, baseline_server = servers

    def case(
        url: str, tasks: list[dict[str, Any]], users: int | None, window: CpuWindow
    ) -> list[dict]:
        return load(
            {
                "url": url,
                "users": users or args.users,
                "warmup_s": args.warmup,
                "duration_s": args.duration,
                "tasks": tasks,
            },
            window,
        )

    as_dispatcher = {"Authorization": f"Bearer {dispatcher}"}
    read = {
        "name": "read GET /api/v1/shipments/{id}",
        "method": "GET",
        "paths": [f"/api/v1/shipments/{i}" for i in ids],
        "headers": as_dispatcher,
    }
    signin = {
        "name": "sign-in POST /api/v1/auth/token",
        "method": "POST",
        "path": "/api/v1/auth/token",
        "json": {"email": "dispatcher@example.com", "password": DEMO_PASSWORD},
    }
    baseline = {
        "name": "baseline GET /item/{id}",
        "method": "GET",
        "paths": [f"/item/{i}" for i in ids],
        "headers": as_dispatcher,
    }
    rows: list[dict[str, Any]] = []

    def paired(tasks: list[dict[str, Any]], users: int | None = None) -> list[dict]:
        # The neighbours' load drifts: each case gets its own baseline run (same users) just
        # before it, and its ratio is taken against that one.
        base = case(base_url, [baseline], users, CpuWindow(baseline_server, conninfo))[0]
        measured = case(api_url, tasks, users, CpuWindow(api, conninfo))
        for row in measured:
            row["baseline_rps"] = base["rps"]
            row["baseline_cpu_ms"] = base["cpu_ms"]
            row["ratio"] = row["rps"] / (base["rps"] or 1.0)
        return measured

    if "read" in cases:
        rows += paired([read])
    if "list" in cases:
        list_ = {
            "name": "list GET /api/v1/shipments?page_size=20",
            "method": "GET",
            "path": "/api/v1/shipments?page_size=20",
            "headers": as_dispatcher,
        }
        rows += paired([list_])
    if "create" in cases:
        create = {
            "name": "create POST /api/v1/shipments",
            "method": "POST",
            "path": "/api/v1/shipments",
            "json": body,
            "headers": {"Authorization": f"Bearer {customer}"},
        }
        rows += paired([create])
    memory: dict[str, list[float]] = {"before sign-in": api.worker_rss_mb()}
    if "signin" in cases:
        rows += paired([signin], args.signin_users)
        memory["after sign-in"] = api.worker_rss_mb()
    if "mixed" in cases:
        # Reads while a fifth of the traffic signs in: Argon2 must not starve the reads.
        rows += paired(
            [
                {**read, "name": "read during sign-ins", "weight": 4},
                {**signin, "name": "sign-in during reads", "weight": 1},
            ]
        )
        memory["after mixed"] = api.worker_rss_mb()
    time.sleep(5)
    memory["5 s later"] = api.worker_rss_mb()
    return {"rows": rows, "memory": memory}


def _print(args: argparse.Namespace, project: Path, table_rows: int, report: dict) -> None:
    print(
        f"bench api: granian --workers {args.workers} per server; Locust FastHttpUser, closed "
        f"loop, {args.users} users (sign-in alone: {args.signin_users}), {args.warmup:g} s "
        f"warm-up + {args.duration:g} s per run; {table_rows} shipments"
    )
    print(
        f"project: {project} ({git_describe(project)}); baseline: bare Starlette + PyJWT + "
        "psycopg AsyncConnectionPool, SELECT by primary key, run just before each case"
    )
    print(
        f"{'case':40} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'fail':>5} "
        f"{'base/s':>7} {'x base':>7} {'cpu ms':>7} {'pg ms':>6} {'base cpu':>8}"
    )
    for row in report["rows"]:
        print(
            f"{row['name']:40} {row['rps']:7.0f} {row['p50']:7.0f} {row['p95']:7.0f} "
            f"{row['p99']:7.0f} {row['failures']:5d} {row['baseline_rps']:7.0f} "
            f"{row['ratio']:7.2f} {row['cpu_ms']:7.2f} {row['pg_ms']:6.2f} "
            f"{row['baseline_cpu_ms']:8.2f}"
        )
        if row["failures"]:
            for error in row.get("errors") or []:
                print(f"    e.g. {error[:110]}")
    print(
        "cpu ms: CPU time (user + system) of the API's granian processes per request over the "
        "measured window; pg ms: of the database's PostgreSQL backends; base cpu: of the "
        "baseline's granian processes per baseline request (a mixed case: all its requests)"
    )
    print("API worker RSS (MB): " + "; ".join(f"{k}: {v}" for k, v in report["memory"].items()))


if __name__ == "__main__":
    raise SystemExit(main())
