"""`python -m logistics_ai bench realtime`: from a driver's POST to every dispatcher's screen.

  python -m logistics_ai bench realtime [--dashboards 20] [--drivers 200] [--seconds 60]
                                        [--speedup 10] [--interval 2] [--no-baseline] [--json]

All on this machine, cleaned up afterwards:
1. a throwaway PostgreSQL database and Redis key prefix; `migrate`, `seed` (the demo city) and
   loadtests/realtime_seed.py grow the fleet to --drivers drivers with today's routes;
2. the app in production mode as tests/e2e starts it (`reflex run --env prod`, 2 granian workers,
   PostgreSQL, Redis);
3. --dashboards headless Chromium pages (1366x768) on /dispatch, signed in as the demo dispatcher
   through the web login form; loadtests/realtime_observer.js records every change of a driver's
   position/status and a shipment's status in each page's DOM (MutationObserver, wall clock),
   kept in the page and fetched once after the drive;
4. the fleet simulator (`python -m logistics_ai simulate --stagger --record FILE`) as its own
   process: each driver reports every --interval seconds, moving or standing at a stop, plus
   its status and stop events; each accepted write is stamped when its HTTP answer returned;
5. while it runs, one dashboard is used (the status filter changed every 2 s, timed until the
   result count on screen changes: "event handling"); near the end, dashboard 1's socket is cut
   and held down, and after the run it is let back and timed until its DOM equals the database
   ("reconnect"); the last dashboard is reloaded and timed the same way ("reload");
6. figures: POST-return -> DOM latency over every (post, dashboard) pair, lost and out-of-order
   changes (loadtests/realtime_measure.py), worker RSS before/after the dashboards connect, and
   the CPU each part of the machine used while driving (Chromium's renderers, the app, the
   simulator, PostgreSQL, ...).

The floor (on unless --no-baseline): once the app is up and before its dashboards open, the
same measurement against the least stack that does the job (loadtests/realtime_floor.py: bare
Starlette on granian, one worker, no database, no Redis; a page that sets two attributes per
websocket message; a generator made of the simulator's own client code at its cadence), with
--dashboards pages of the same Chromium, the same observer and the same matching, positions
only. The product's figures are printed beside it, with their ratio to it.

The machine is shared and the generator (browser, simulator) runs on it: absolute figures move
with the neighbours' load. Runs hold /tmp/lai-bench.lock so two benchmarks never overlap.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import psutil
import psycopg
import redis

from loadtests.api_bench import (
    DEMO_PASSWORD,
    PG_HOST,
    PG_PORT,
    PG_USER,
    REDIS_URL,
    bench_lock,
    database,
    free_port,
    git_describe,
)
from loadtests.realtime_measure import (
    KINDS,
    Observation,
    PageResult,
    Summary,
    match_page,
    percentile,
    position_value,
    posts_from_records,
    profile_shares,
    push_to_dom,
    summarize,
    trace_renderer_pid,
    trace_self_times,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LEAFLET_DIST = REPO / ".web" / "node_modules" / "leaflet" / "dist"
OBSERVER_JS = (HERE / "realtime_observer.js").read_text()
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Twenty background tabs: Chromium must not throttle their timers or rendering.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
DISPATCHER = "dispatcher@example.com"
STARTUP_TIMEOUT_S = 300
# With --logs: after starting one page's CPU profiler, before the simulator starts driving.
PROFILER_SETTLE_S = 1.0
# With --trace: what DevTools' Performance panel records (tasks, style, layout, paint, commit).
TRACE_CATEGORIES = "devtools.timeline,disabled-by-default-devtools.timeline,v8.execute"
TRACE_COLLECT_S = 120.0  # Chromium hands a trace over after Tracing.end
CUT_BEFORE_END_S = 6.0  # dashboard 1's socket is down for the run's last seconds
GRACE_S = 3.0  # after the simulator stops, late pushes still count
MATCH_TIMEOUT_S = 15.0
PROBE_TIMEOUT_MS = 5000.0  # realtime_observer.js's probe gives up after 5 s


def mid_morning_zone() -> str:
    """An IANA zone where it is about 10:00 now, so today's windows are ahead (as tests/e2e)."""
    offset = (10 - datetime.now(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@dataclass
class Timeline:
    drive_started_ms: float | None = None
    cut_ms: float | None = None
    probes_ms: list[float | None] = field(default_factory=list)
    long_tasks_ms: list[float] = field(default_factory=list)
    profiler_start_ms: tuple[float, float] | None = None  # the Profiler.start call, with --logs


class App:
    """The product as `reflex run --env prod` serves it (one port: pages, /_event, /api)."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "w") as sink:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reflex",
                    "run",
                    "--env",
                    "prod",
                    "--frontend-port",
                    str(port),
                    "--backend-port",
                    str(port),
                ],
                env=env,
                cwd=REPO,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            with contextlib.suppress(httpx.HTTPError):
                health = httpx.get(f"{self.url}/healthz", timeout=5).status_code
                login = httpx.get(f"{self.url}/login", timeout=5, follow_redirects=True)
                if health == 200 and login.status_code == 200:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app did not start:\n{self.log.read_text()[-4000:]}")
            time.sleep(1)

    def workers(self) -> list[psutil.Process]:
        """The granian worker processes: the Python leaves of the app's process tree."""
        try:
            tree = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        leaves = []
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                if "python" in proc.name().lower() and not proc.children():
                    leaves.append(proc)
        return leaves

    def worker_rss_bytes(self) -> int:
        total = 0
        for proc in self.workers():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def _env(name: str, prefix: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "DATABASE_URL": f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SEED_DEMO": "false",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TIMEZONE": mid_morning_zone(),
        "GRANIAN_WORKERS": "2",
        "LOG_LEVEL": "WARNING",
        # 200 drivers and 20 dashboards sign in from 127.0.0.1 within a minute, and each driver
        # posts 30 times a minute: the abuse limits have their own tests; lift them here.
        "RATE_LIMIT_AUTH_PER_IP": "1000000",
        "RATE_LIMIT_AUTH_PER_ACCOUNT": "1000000",
        "RATE_LIMIT_API_PER_PRINCIPAL": "1000000",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "PYTHONPATH": str(REPO),
    }
    bun = REPO / ".tools" / "bin" / "bun"
    if bun.exists():
        env.setdefault("REFLEX_BUN_PATH", str(bun))
        env["PATH"] = f"{bun.parent}:{env['PATH']}"
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m logistics_ai bench realtime",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dashboards", type=int, default=20, help="dispatcher pages (20)")
    parser.add_argument("--drivers", type=int, default=200, help="simulated drivers (200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="driving time (60)")
    parser.add_argument("--speedup", type=float, default=10.0, help="simulator speed-up (10)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between reports (2)")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the floor (loadtests/realtime_floor.py) first, side by side (on)",
    )
    parser.add_argument(
        "--floor-page",
        choices=("list", "map", "map-canvas"),
        default="list",
        help="the floor's page: one element per driver (list), or the same plus a Leaflet map "
        "with a marker per driver moved by each fix, an element per marker (map) or circles on "
        "one canvas (map-canvas): what a live map alone costs",
    )
    parser.add_argument(
        "--floor-only",
        action="store_true",
        help="measure the floor and print it, without the product's drive",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--logs", metavar="DIR", help="keep the app's and simulator's logs and raw samples here"
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="record a Chromium trace of one dashboard over the drive and print its main "
        "thread's self time by event (Paint, Layout, FunctionCall, ...); with --logs it is "
        "kept as dashboard.trace.json",
    )
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.dashboards < 1 or args.drivers < 1 or args.seconds <= 0 or args.interval <= 0:
        parser.error("--dashboards, --drivers, --seconds and --interval must be positive")
    if args.floor_only and not args.baseline:
        parser.error("--floor-only measures the floor: it cannot go with --no-baseline")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per readiness poll
    with bench_lock():
        report = _run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    elif args.floor_only:
        _print_floor(report, report["floor"])
    else:
        _print(report)
    return 0


STALL_LINE = re.compile(r"event loop held for (\d+) ms in all")


def _loop_stalls(app_log: Path) -> dict[str, Any]:
    """The app's event-loop stalls over 250 ms, as its watchdog logged them
    (logistics_ai/observability/loop_watch.py): how many, and the longest."""
    held = [int(m.group(1)) for m in STALL_LINE.finditer(app_log.read_text(errors="replace"))]
    return {"count": len(held), "longest_ms": max(held) if held else None}


def _run(args: argparse.Namespace) -> dict[str, Any]:
    prefix = f"lai:rtbench:{secrets.token_hex(4)}:"
    port = free_port()
    with database() as name, tempfile.TemporaryDirectory(prefix="lai-rtbench-") as scratch:
        env = _env(name, prefix, port)
        conninfo = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={name}"
        commands = (
            ["-m", "logistics_ai", "migrate"],
            ["-m", "logistics_ai", "seed"],
            ["-m", "loadtests.realtime_seed", str(args.drivers)],
        )
        for command in commands:
            done = subprocess.run(
                [sys.executable, *command], env=env, cwd=REPO, capture_output=True, text=True
            )
            if done.returncode:
                raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
        app = App(env, port, Path(scratch) / "app.log")
        try:
            app.wait_ready()
            # The floor drives right before the product's dashboards open: the two halves are
            # a minute or two apart, after the setup's CPU-heavy steps (migrations, seeding,
            # the app's start-up). The app sits idle meanwhile; its CPU is reported.
            floor = asyncio.run(_measure_floor(args, app, Path(scratch))) if args.baseline else None
            if args.floor_only:
                no_product = {"p95": None, "p50": None}
                return {
                    "dashboards": args.dashboards,
                    "drivers": args.drivers,
                    "interval_s": args.interval,
                    "floor": floor,
                    "product_to_floor": no_product,
                }
            report = asyncio.run(_measure(args, app, env, conninfo, Path(scratch)))
            report["floor"] = floor
            report["product_to_floor"] = _ratios(report, floor)
        finally:
            app.stop()
            if args.logs:
                keep = Path(args.logs)
                keep.mkdir(parents=True, exist_ok=True)
                for log in (
                    "app.log",
                    "simulator.log",
                    "posts.jsonl",
                    "floor.log",
                    "floor-generator.log",
                ):
                    if (Path(scratch) / log).exists():
                        shutil.copy(Path(scratch) / log, keep / log)
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}*", count=1000):
                client.delete(key)
    return report


MAIN_THREAD = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


async def _main_thread(cdp: Any) -> dict[str, float]:
    """Seconds the page's main thread has spent so far: all tasks, and of them running
    script, layout and style (Chromium's Performance domain)."""
    metrics = (await cdp.send("Performance.getMetrics"))["metrics"]
    return {m["name"]: m["value"] for m in metrics if m["name"] in MAIN_THREAD}


# CPU while driving, by part of the machine. Chromium's renderers are the processes of this
# bench's browser started with --type=renderer (one per page); its browser, GPU and utility
# processes are "other Chromium"; "bench" is this process and Playwright's driver. PostgreSQL
# and Redis are counted machine-wide (the bench holds the benchmark lock, so they serve it).
# A sample: each process's (group, CPU seconds), the machine's busy CPU seconds, the CPU
# seconds of this process's children that have exited and been waited for (the simulator or
# generator ends before the drive's last sample: its CPU is found there), and the pids of this
# process's own children (only theirs land in that sum).
CpuSample = tuple[dict[int, tuple[str, float]], float, float, frozenset[int]]
# The order the groups are printed in.
CPU_GROUPS = (
    "renderers",
    "other Chromium",
    "app",
    "floor server",
    "simulator",
    "generator",
    "PostgreSQL",
    "Redis",
    "bench",
    "app (idle)",
    "rest of the machine",
    "machine",
)


def _cpu_sample(roots: dict[str, int]) -> CpuSample:
    """CPU seconds (user + system) so far of each process by group, and of the whole machine.
    `roots` names process trees of their own (the app, the simulator, the floor's server)."""
    owner: dict[int, str] = {}
    for label, pid in roots.items():
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                owner[proc.pid] = label
    me = psutil.Process()
    mine = {me.pid, *(p.pid for p in me.children(recursive=True))}
    direct = frozenset(p.pid for p in me.children())
    own = me.cpu_times()
    reaped = own.children_user + own.children_system
    per_process: dict[int, tuple[str, float]] = {}
    for proc in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is None:
            continue
        name = (proc.info["name"] or "").lower()
        if proc.pid in owner:
            group = owner[proc.pid]
        elif proc.pid in mine:
            if "--type=renderer" in " ".join(proc.info["cmdline"] or []):
                group = "renderers"
            else:
                group = "other Chromium" if "chrom" in name else "bench"
        elif name.startswith("postgres"):
            group = "PostgreSQL"
        elif name.startswith("redis"):
            group = "Redis"
        else:
            continue  # the rest of the machine: what the machine's total leaves
        per_process[proc.pid] = (group, times.user + times.system)
    total = psutil.cpu_times()
    busy = total.user + total.nice + total.system
    busy += getattr(total, "irq", 0.0) + getattr(total, "softirq", 0.0)
    return per_process, busy, reaped, direct


def _cpu_cores(before: CpuSample, after: CpuSample, seconds: float) -> dict[str, float]:
    """Cores each group kept busy between two samples (the machine has os.cpu_count())."""
    used: dict[str, float] = {}
    for pid, (group, spent) in after[0].items():
        prior = before[0].get(pid)
        spent -= prior[1] if prior is not None and prior[0] == group else 0.0
        used[group] = used.get(group, 0.0) + spent
    # A child of this process that exited meanwhile (the simulator, the generator; waited
    # for) left its whole CPU time in this process's children's times; what it had used by
    # the first sample is taken off. Other processes that exit in between (none of the groups'
    # so far) leave their CPU to "rest of the machine".
    gone = {
        pid: entry for pid, entry in before[0].items() if pid in before[3] and pid not in after[0]
    }
    if gone:
        group = " + ".join(sorted({g for g, _ in gone.values()}))
        spent = after[2] - before[2] - sum(s for _, s in gone.values())
        used[group] = used.get(group, 0.0) + max(0.0, spent)
    machine = after[1] - before[1]
    used["rest of the machine"] = max(0.0, machine - sum(used.values()))
    used["machine"] = machine
    ordered = sorted(used, key=lambda g: CPU_GROUPS.index(g) if g in CPU_GROUPS else 99)
    return {group: round(used[group] / seconds, 2) for group in ordered}


def _location_posts(records: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """The server's side of the load: how long the location POSTs took, and how many the fleet
    managed against the intended one per driver per interval."""
    round_trips = [(r["t"] - r["sent"]) * 1000 for r in records if r["kind"] == "position"]
    intended = args.drivers * args.seconds / args.interval
    return {
        "share_of_intended": round(len(round_trips) / intended, 3),
        "p50_ms": _round(percentile(round_trips, 50)),
        "p95_ms": _round(percentile(round_trips, 95)),
    }


def _latency(summary: Summary) -> dict[str, Any]:
    return {
        "samples": summary.samples,
        "p50": _round(summary.p50_ms),
        "p95": _round(summary.p95_ms),
        "p99": _round(summary.p99_ms),
        "max": _round(summary.max_ms),
    }


def _split(
    sent: Summary, frame: Summary, dom: Summary, pushed_to_dom: list[float]
) -> dict[str, Any]:
    def part(s: Summary) -> dict[str, Any]:
        return {"samples": s.samples, "p50": _round(s.p50_ms), "p95": _round(s.p95_ms)}

    return {
        "post_to_server_push": part(sent),
        "post_to_frame": part(frame),
        "post_to_dom": part(dom),
        "server_push_to_dom": {
            "samples": len(pushed_to_dom),
            "p50": _round(percentile(pushed_to_dom, 50)),
            "p95": _round(percentile(pushed_to_dom, 95)),
        },
    }


def _push_line(split: dict[str, Any]) -> str:
    part = split["server_push_to_dom"]
    return (
        f"; the server's push -> DOM p50 {_fmt(part['p50'], ' ms')}, p95 "
        f"{_fmt(part['p95'], ' ms')} ({part['samples']} values)"
    )


def _busy_share(
    before: list[dict[str, float]], after: list[dict[str, float]], seconds: float
) -> dict[str, float]:
    """Share of the drive each page's main thread was busy (averaged over pages)."""
    return {
        name: round(
            sum(a[name] - b[name] for a, b in zip(after, before, strict=True))
            / len(after)
            / seconds,
            3,
        )
        for name in MAIN_THREAD
    }


def _pushed(
    before: list[dict[str, int]], after: list[dict[str, int]], seconds: float
) -> dict[str, float]:
    pushed = [
        (a["messages"] - b["messages"], a["bytes"] - b["bytes"])
        for b, a in zip(before, after, strict=True)
    ]
    return {
        "messages_per_s": round(sum(m for m, _ in pushed) / len(pushed) / seconds, 1),
        "kb_per_s": round(sum(b for _, b in pushed) / len(pushed) / 1024 / seconds, 1),
    }


class FloorServer:
    """loadtests/realtime_floor.py's server on granian, one worker, websockets on."""

    def __init__(self, drivers: int, port: int, log: Path, page: str = "list") -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        executable = shutil.which("granian") or str(Path(sys.executable).parent / "granian")
        # As loadtests/api_bench.granian starts the API bench's baseline, without its --no-ws.
        command = [executable, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", "1", "--log-level", "warning", "--factory"]
        env = {**os.environ, "FLOOR_DRIVERS": str(drivers), "PYTHONPATH": str(REPO)}
        # The map page serves the Leaflet the product's build installed (the app is built
        # before the floor drives).
        env |= {"FLOOR_PAGE": page, "FLOOR_LEAFLET_DIR": str(LEAFLET_DIST)}
        with open(log, "w") as sink:
            self.process = subprocess.Popen(
                [*command, "loadtests.realtime_floor:create_app"],
                env=env,
                cwd=REPO,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the floor did not start:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


async def _measure_floor(args: argparse.Namespace, app: App, scratch: Path) -> dict[str, Any]:
    """The same drive against the floor: --dashboards pages, --drivers drivers reporting every
    --interval s for --seconds, POST returned -> DOM with the same observer and matching.
    Nothing else runs in the pages meanwhile (the product's filter probes and the socket cut
    have no counterpart in a page that only shows positions)."""
    from playwright.async_api import async_playwright

    server = FloorServer(args.drivers, free_port(), scratch / "floor.log", args.floor_page)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        server.wait_ready()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(
                viewport={"width": 1366, "height": 768}, base_url=server.url
            )
            await context.add_init_script(script=OBSERVER_JS)
            pages = []
            for _ in range(args.dashboards):
                page = await context.new_page()
                await page.goto("/")
                pages.append(page)
            for page in pages:  # a page whose socket is not open yet would miss the first fixes
                await page.wait_for_function("window.__lai.opened().length > 0", timeout=60_000)
            shown = await asyncio.gather(*(_wait_for_fleet(p, args.drivers, 10.0) for p in pages))
            offsets = list(await asyncio.gather(*(_clock_offset(p) for p in pages)))
            cdps = [await context.new_cdp_session(p) for p in pages]
            for cdp in cdps:
                await cdp.send("Performance.enable")
            baselines = list(
                await asyncio.gather(*(p.evaluate("window.__lai.start()") for p in pages))
            )
            observations: list[list[Observation]] = [[] for _ in pages]
            frames: list[list[Observation]] = [[] for _ in pages]
            sent: list[list[Observation]] = [[] for _ in pages]
            long_tasks_ms: list[float] = []

            async def drain() -> None:  # as _measure's: once, after the drive
                taken = await asyncio.gather(*(_take(p) for p in pages))
                for i, batch in enumerate(taken):
                    for t, kind, subject, value in batch["records"]:
                        observations[i].append(Observation(kind, subject, value, t - offsets[i]))
                    long_tasks_ms.extend(batch["longTasks"])
                    for t, kind, subject, value in batch["frames"]:
                        frames[i].append(Observation(kind, subject, value, t - offsets[i]))
                    for t, kind, subject, value in batch["sent"]:
                        sent[i].append(Observation(kind, subject, value, t))

            record_file = scratch / "floor-posts.jsonl"
            generator_log = open(scratch / "floor-generator.log", "wb")  # noqa: SIM115
            generator = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "loadtests.realtime_floor",
                "generate",
                "--url",
                server.url,
                "--drivers",
                str(args.drivers),
                "--seconds",
                str(args.seconds),
                "--speedup",
                str(args.speedup),
                "--interval",
                str(args.interval),
                "--record",
                str(record_file),
                env={**os.environ, "PYTHONPATH": str(REPO)},
                cwd=str(REPO),
                stdout=generator_log,
                stderr=asyncio.subprocess.STDOUT,
            )
            roots = {
                "floor server": server.process.pid,
                "generator": generator.pid,
                "app (idle)": app.process.pid,
            }
            finished = asyncio.ensure_future(generator.wait())
            drive_started: float | None = None
            while not finished.done():
                await asyncio.sleep(0.5)
                posting = record_file.exists() and record_file.stat().st_size > 0
                if drive_started is None and posting:
                    drive_started = time.time()
                    traffic_before = await asyncio.gather(
                        *(p.evaluate("window.__lai.traffic()") for p in pages)
                    )
                    busy_before = await asyncio.gather(*(_main_thread(c) for c in cdps))
                    cpu_before = _cpu_sample(roots)
            generator_log.close()
            if drive_started is None:
                raise RuntimeError(
                    "the floor's generator posted nothing:\n"
                    + (scratch / "floor-generator.log").read_text(errors="replace")[-3000:]
                )
            drive_s = time.time() - drive_started
            cpu_after = _cpu_sample(roots)
            traffic_after = await asyncio.gather(
                *(p.evaluate("window.__lai.traffic()") for p in pages)
            )
            busy_after = await asyncio.gather(*(_main_thread(c) for c in cdps))
            await asyncio.sleep(GRACE_S)
            await drain()
            await browser.close()
    finally:
        server.stop()
    generator_line = (scratch / "floor-generator.log").read_text(errors="replace").strip()
    records = [json.loads(line) for line in record_file.read_text().splitlines() if line.strip()]
    posts = posts_from_records(records)

    def positions(seen: list[list[Observation]]) -> Summary:
        return summarize(
            [
                match_page(posts, page_seen, baselines[i], kinds=("p",))
                for i, page_seen in enumerate(seen)
            ]
        )

    to_sent, to_frame, to_dom = positions(sent), positions(frames), positions(observations)
    return {
        "server": "bare Starlette on granian, 1 worker, no database, no Redis"
        + {
            "list": "",
            "map": ", a page with a Leaflet map (an element per marker)",
            "map-canvas": ", a page with a Leaflet map (markers on a canvas)",
        }[args.floor_page],
        "when": when,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "generator": generator_line.splitlines()[-1] if generator_line else "",
        "posts": {"positions": len(posts)},
        "location_posts": _location_posts(records, args),
        "drivers_on_screen": {"min": min(shown), "max": max(shown)},
        "clock_offset_ms_max": round(max(abs(o) for o in offsets), 2),
        "latency_ms": _latency(to_dom),
        "positions_split_ms": _split(
            to_sent,
            to_frame,
            to_dom,
            [x for i, page in enumerate(sent) for x in push_to_dom(page, observations[i])],
        ),
        "kinds": {KINDS["p"]: asdict(to_dom.kinds["p"])},
        "lost": to_dom.lost,
        "out_of_order": to_dom.out_of_order,
        "page_main_thread_busy": _busy_share(busy_before, busy_after, drive_s),
        "long_tasks": {
            "count": len(long_tasks_ms),
            "p95_ms": _round(percentile(long_tasks_ms, 95)),
            "max_ms": _round(max(long_tasks_ms) if long_tasks_ms else None),
        },
        "pushed_per_dashboard": _pushed(traffic_before, traffic_after, drive_s),
        "cpu_cores": _cpu_cores(cpu_before, cpu_after, drive_s),
    }


def _ratios(report: dict[str, Any], floor: dict[str, Any] | None) -> dict[str, float | None]:
    """The product's POST -> DOM over the floor's, same run, same machine (x times)."""

    def ratio(key: str) -> float | None:
        if floor is None:
            return None
        ours, theirs = report["latency_ms"][key], floor["latency_ms"][key]
        # A floor at or below zero (the push beat the generator's reading of its answer) has
        # no meaningful ratio.
        return None if ours is None or theirs is None or theirs <= 0 else round(ours / theirs, 1)

    return {"p50": ratio("p50"), "p95": ratio("p95")}


TAKE_JS = "JSON.stringify(window.__lai.take())"


async def _take(page: Any) -> dict[str, Any]:
    """The page's records so far, emptied there. Both halves call it once, after the drive:
    the records stay in the page meanwhile, so the bench does not load the machine it measures
    (pulling ~1,900 records a second out of 20 pages every 0.5 s cost 0.36 cores, Round 7).
    One JSON text per page, not Playwright's value-by-value serialisation."""
    return cast(dict[str, Any], json.loads(await page.evaluate(TAKE_JS)))


async def _clock_offset(page: Any) -> float:
    """Page clock minus ours (ms), from the round trip with the smallest uncertainty."""
    best: tuple[float, float] | None = None
    for _ in range(5):
        before = time.time() * 1000
        theirs = await page.evaluate("window.__lai.now()")
        after = time.time() * 1000
        sample = (after - before, theirs - (before + after) / 2)
        best = sample if best is None or sample[0] < best[0] else best
    assert best is not None
    return best[1]


async def _wait_for_fleet(page: Any, drivers: int, timeout_s: float = 30.0) -> int:
    """Wait until the fleet list shows every driver (or give up and say how many it shows)."""
    deadline = time.monotonic() + timeout_s
    shown = 0
    while time.monotonic() < deadline:
        shown = await page.evaluate(
            "new Set([...document.querySelectorAll('[data-driver-id]')]"
            ".map(e => e.getAttribute('data-driver-id'))).size"
        )
        if shown >= drivers:
            break
        await asyncio.sleep(0.5)
    return int(shown)


async def _open_dashboard(context: Any, url: str) -> Any:
    page = await context.new_page()
    await page.goto(f"{url}/dispatch")
    await page.locator("#signed-in-user").wait_for(timeout=60_000)
    return page


async def _until_truth(page: Any, truth: dict[str, dict[str, str]], since: float) -> float | None:
    """Seconds from `since` (time.monotonic()) until the page's DOM shows `truth`."""
    deadline = since + MATCH_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the page may be between documents
            if await page.evaluate("t => window.__lai.mismatches(t)", truth) == 0:
                return time.monotonic() - since
        await asyncio.sleep(0.02)
    return None


def _truth(conninfo: str, baseline: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """What the database says now, for the subjects the page shows, in the DOM's spelling."""
    with psycopg.connect(conninfo) as connection:
        drivers = connection.execute(
            "SELECT id, last_lat, last_lon, status FROM drivers"
        ).fetchall()
        shipments = connection.execute("SELECT id, status FROM shipments").fetchall()
    truth: dict[str, dict[str, str]] = {"p": {}, "d": {}, "s": {}}
    for driver_id, lat, lon, status in drivers:
        key = str(driver_id)
        if key in baseline.get("p", {}) and lat is not None:
            truth["p"][key] = position_value(lat, lon)
        if key in baseline.get("d", {}):
            truth["d"][key] = str(getattr(status, "value", status))
    for shipment_id, status in shipments:
        if str(shipment_id) in baseline.get("s", {}):
            truth["s"][str(shipment_id)] = str(getattr(status, "value", status))
    return truth


async def _measure(
    args: argparse.Namespace, app: App, env: dict[str, str], conninfo: str, scratch: Path
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    timeline = Timeline()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1366, "height": 768}, base_url=app.url
        )
        await context.add_init_script(script=OBSERVER_JS)
        # The first dashboard signs in through the web login form (POST /api/web/login); the
        # others are more tabs of the same browser, each its own Reflex client.
        first = await context.new_page()
        await first.goto("/login")
        await first.get_by_label("Email").fill(DISPATCHER)
        await first.get_by_label("Password").fill(DEMO_PASSWORD)
        await first.get_by_role("button", name="Sign in").click()
        await first.wait_for_url("**/dispatch**", timeout=60_000)
        await first.locator("#signed-in-user").wait_for(timeout=60_000)
        # Without the DOM contract on the page there is nothing to wait for (all shows as lost).
        fleet_wait_s = 60.0 if await _wait_for_fleet(first, args.drivers) else 1.0
        await asyncio.sleep(2)
        rss_before = app.worker_rss_bytes()
        pages = [first]
        for _ in range(args.dashboards - 1):
            pages.append(await _open_dashboard(context, app.url))
        shown = await asyncio.gather(
            *(_wait_for_fleet(p, args.drivers, fleet_wait_s) for p in pages)
        )
        await asyncio.sleep(3)
        rss_after = app.worker_rss_bytes()
        workers = len(app.workers())
        offsets = list(await asyncio.gather(*(_clock_offset(p) for p in pages)))
        cdps = [await context.new_cdp_session(p) for p in pages]
        for cdp in cdps:
            await cdp.send("Performance.enable")
        # With --logs, one dashboard's CPU profile over the drive (not the first: its socket
        # is cut near the end), to say what its main thread spends the time on.
        profiled = cdps[1] if len(cdps) > 1 else cdps[0]
        profiling = False
        baselines = list(await asyncio.gather(*(p.evaluate("window.__lai.start()") for p in pages)))
        observations: list[list[Observation]] = [[] for _ in pages]
        frames: list[list[Observation]] = [[] for _ in pages]  # fixes as their frames arrived
        sent: list[list[Observation]] = [[] for _ in pages]  # ... as the server sent them
        long_tasks: list[list[list[float]]] = [[] for _ in pages]  # [start (our clock), ms]

        async def drain() -> None:  # once, after the drive (_take)
            taken = await asyncio.gather(*(_take(p) for p in pages))
            for i, batch in enumerate(taken):
                for t, kind, subject, value in batch["records"]:
                    observations[i].append(Observation(kind, subject, value, t - offsets[i]))
                timeline.long_tasks_ms.extend(batch["longTasks"])
                long_tasks[i].extend([t - offsets[i], ms] for t, ms in batch["longTaskSpans"])
                for t, kind, subject, value in batch["frames"]:
                    frames[i].append(Observation(kind, subject, value, t - offsets[i]))
                for t, kind, subject, value in batch["sent"]:  # the server's clock: ours
                    sent[i].append(Observation(kind, subject, value, t))

        trace_events: list[dict] = []
        trace_done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        trace_frame = ""
        if args.trace:
            # Chromium's own work ("(program)" in a CPU profile) by name: style, layout, paint,
            # the compositor's commit. The trace covers every renderer; its start event says
            # which process drew this page's frame.
            trace_frame = (await profiled.send("Page.getFrameTree"))["frameTree"]["frame"]["id"]
            profiled.on("Tracing.dataCollected", lambda e: trace_events.extend(e["value"]))
            profiled.on(
                "Tracing.tracingComplete",
                lambda _e: trace_done.done() or trace_done.set_result(None),
            )
            await profiled.send(
                "Tracing.start",
                {"categories": TRACE_CATEGORIES, "transferMode": "ReportEvents"},
            )
        if args.logs:
            # Started before the drive, not when it starts: starting V8's profiler holds the
            # page's main thread (150-470 ms on a quiet machine here), and started at the
            # first post it held that page's first fixes for as long (Round 6).
            started = time.time() * 1000
            await profiled.send("Profiler.enable")
            await profiled.send("Profiler.setSamplingInterval", {"interval": 1000})
            await profiled.send("Profiler.start")
            profiling = True
            timeline.profiler_start_ms = (started, time.time() * 1000)
        if args.logs or args.trace:
            await asyncio.sleep(PROFILER_SETTLE_S)
        record_file = scratch / "posts.jsonl"
        sim_log = open(scratch / "simulator.log", "wb")  # noqa: SIM115 (closed after the run)
        simulator = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "logistics_ai",
            "simulate",
            "--url",
            app.url,
            "--drivers",
            str(args.drivers),
            "--speedup",
            str(args.speedup),
            "--interval",
            str(args.interval),
            "--duration",
            str(args.seconds),
            "--stagger",
            "--record",
            str(record_file),
            env=env,
            cwd=str(REPO),
            stdout=sim_log,
            stderr=asyncio.subprocess.STDOUT,
        )
        finished = asyncio.ensure_future(simulator.wait())
        roots = {"app": app.process.pid, "simulator": simulator.pid}
        probe_page = pages[-1]
        probe_values = ("assigned", "all")
        next_probe = 0.0
        cut_at = float("inf")
        while not finished.done():
            await asyncio.sleep(0.5)
            now = time.monotonic()
            posting = record_file.exists() and record_file.stat().st_size > 0
            if timeline.drive_started_ms is None and posting:
                timeline.drive_started_ms = time.time() * 1000
                traffic_before = await asyncio.gather(
                    *(p.evaluate("window.__lai.traffic()") for p in pages)
                )
                busy_before = await asyncio.gather(*(_main_thread(c) for c in cdps))
                cpu_before = _cpu_sample(roots)
                # Cut in the last seconds, but never before half the run (short runs).
                cut_at = now + max(args.seconds - CUT_BEFORE_END_S, args.seconds / 2)
            if timeline.drive_started_ms is not None:
                if len(pages) > 1 and now >= next_probe:
                    value = probe_values[len(timeline.probes_ms) % 2]
                    timeline.probes_ms.append(
                        await probe_page.evaluate("v => window.__lai.probe(v)", value)
                    )
                    next_probe = time.monotonic() + 2.0
                if timeline.cut_ms is None and now >= cut_at:
                    timeline.cut_ms = await pages[0].evaluate("window.__lai.drop()") - offsets[0]
        sim_log.close()
        drive_s = time.time() - (timeline.drive_started_ms or 0) / 1000
        cpu_after = _cpu_sample(roots)
        traffic_after = await asyncio.gather(*(p.evaluate("window.__lai.traffic()") for p in pages))
        busy_after = await asyncio.gather(*(_main_thread(c) for c in cdps))
        page_profile = (await profiled.send("Profiler.stop"))["profile"] if profiling else None
        if args.trace:
            await profiled.send("Tracing.end")
            await asyncio.wait_for(trace_done, TRACE_COLLECT_S)
        if timeline.drive_started_ms is None:
            traffic_before, busy_before, cpu_before = traffic_after, busy_after, cpu_after
        sim_output = (scratch / "simulator.log").read_text(errors="replace")
        if len(timeline.probes_ms) % 2:  # leave the used dashboard on "all", as the others
            await probe_page.evaluate("v => window.__lai.probe(v)", "all")
        await asyncio.sleep(GRACE_S)
        await drain()

        # Reconnect: dashboard 1 missed the run's last seconds; let its socket back.
        if timeline.cut_ms is None:
            timeline.cut_ms = await pages[0].evaluate("window.__lai.drop()") - offsets[0]
        truth = _truth(conninfo, baselines[0])
        stale = await pages[0].evaluate("t => window.__lai.mismatches(t)", truth)
        opened_before = len(await pages[0].evaluate("window.__lai.opened()"))
        restored = time.monotonic()
        restored_page_ms = await pages[0].evaluate("window.__lai.restore()")
        reconnect_s = await _until_truth(pages[0], truth, restored)
        opened = await pages[0].evaluate("window.__lai.opened()")
        socket_open_s = (
            (opened[opened_before] - restored_page_ms) / 1000
            if len(opened) > opened_before
            else None
        )
        # Reload: the last dashboard loads the page again and must show the database's truth.
        reload_truth = _truth(conninfo, baselines[-1])
        started = time.monotonic()
        await pages[-1].reload(wait_until="commit")
        reload_s = await _until_truth(pages[-1], reload_truth, started)
        await browser.close()
    records = [json.loads(line) for line in record_file.read_text().splitlines() if line.strip()]
    posts = posts_from_records(records)
    results: list[PageResult] = []
    for i, page_obs in enumerate(observations):
        kinds = ("p", "d") if (i == len(pages) - 1 and len(pages) > 1) else ("p", "d", "s")
        results.append(
            match_page(
                posts,
                page_obs,
                baselines[i],
                kinds=kinds,
                ignore_after_ms=timeline.cut_ms if i == 0 else None,
            )
        )
    summary = summarize(results)
    if args.logs:  # the raw material, for looking at a run's tail in time order
        raw = {
            "posts": [asdict(p) for p in posts],
            "dom": [[asdict(o) for o in page] for page in observations],
            "frames": [[asdict(o) for o in page] for page in frames],
            "sent": [[asdict(o) for o in page] for page in sent],
            "drive_started_ms": timeline.drive_started_ms,
            "long_tasks": long_tasks,
            "profiler_start_ms": timeline.profiler_start_ms,
        }
        Path(args.logs).mkdir(parents=True, exist_ok=True)
        (Path(args.logs) / "samples.json").write_text(json.dumps(raw))
        if trace_events:  # opens in Chromium's DevTools (Performance panel) or Perfetto
            (Path(args.logs) / "dashboard.trace.json").write_text(
                json.dumps({"traceEvents": trace_events})
            )
        if page_profile is not None:  # opens in Chromium's DevTools (Performance panel)
            (Path(args.logs) / "dashboard.cpuprofile").write_text(json.dumps(page_profile))

    # Where a fix's time goes: until its websocket frame reaches the page (server, network),
    # and from there until the DOM shows it (the page). Same matching, positions only.
    def positions(seen: list[list[Observation]]) -> Summary:
        return summarize(
            [
                match_page(
                    posts,
                    page_seen,
                    baselines[i],
                    kinds=("p",),
                    ignore_after_ms=timeline.cut_ms if i == 0 else None,
                )
                for i, page_seen in enumerate(seen)
            ]
        )

    to_sent, to_frame, to_dom = positions(sent), positions(frames), positions(observations)
    # A probe that got no answer within its 5 s counts as 5 s (a lower bound).
    probes = [PROBE_TIMEOUT_MS if p is None else p for p in timeline.probes_ms]
    report = {
        "command": "python -m logistics_ai bench realtime " + " ".join(args.argv),
        "commit": git_describe(REPO),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "dashboards": args.dashboards,
        "drivers": args.drivers,
        "seconds": args.seconds,
        "speedup": args.speedup,
        "interval_s": args.interval,
        "workers": workers,
        "simulator": sim_output.strip().splitlines()[-1] if sim_output.strip() else "",
        "posts": {KINDS[k]: sum(1 for p in posts if p.kind == k) for k in KINDS},
        "location_posts": _location_posts(records, args),
        "drivers_on_screen": {"min": min(shown), "max": max(shown)},
        "clock_offset_ms_max": round(max(abs(o) for o in offsets), 2),
        "latency_ms": _latency(summary),
        "positions_split_ms": _split(
            to_sent,
            to_frame,
            to_dom,
            [x for i, page in enumerate(sent) for x in push_to_dom(page, observations[i])],
        ),
        "kinds": {KINDS[k]: asdict(t) for k, t in summary.kinds.items()},
        "lost": summary.lost,
        "out_of_order": summary.out_of_order,
        # Dashboard numbers (1 = the cut one, the last = the one whose filter is used).
        "out_of_order_on_dashboards": [
            i + 1 for i, r in enumerate(results) if any(t.out_of_order for t in r.kinds.values())
        ],
        "memory": {
            "worker_rss_mb_before": round(rss_before / 2**20, 1),
            "worker_rss_mb_after": round(rss_after / 2**20, 1),
            "kb_per_client": (
                round((rss_after - rss_before) / 1024 / (args.dashboards - 1), 1)
                if args.dashboards > 1
                else None
            ),
        },
        "event_handling_ms": {
            "probes": len(timeline.probes_ms),
            "timeouts": sum(1 for p in timeline.probes_ms if p is None),
            "p50": _round(percentile(probes, 50)),
            "p95": _round(percentile(probes, 95)),
            "max": _round(max(probes) if probes else None),
        },
        "pushed_per_dashboard": _pushed(traffic_before, traffic_after, drive_s),
        "event_loop_stalls": _loop_stalls(scratch / "app.log"),
        # Share of the drive each dashboard's main thread was busy (averaged over dashboards).
        "page_profile": profile_shares(page_profile) if page_profile is not None else None,
        "page_trace_ms": (
            trace_self_times(trace_events, pid=trace_renderer_pid(trace_events, trace_frame))
            if trace_events
            else None
        ),
        "page_main_thread_busy": _busy_share(busy_before, busy_after, drive_s),
        # Cores each part of the machine kept busy while driving (renderers, app, ...).
        "cpu_cores": _cpu_cores(cpu_before, cpu_after, drive_s),
        "long_tasks": {
            "count": len(timeline.long_tasks_ms),
            "p95_ms": _round(percentile(timeline.long_tasks_ms, 95)),
            "max_ms": _round(max(timeline.long_tasks_ms) if timeline.long_tasks_ms else None),
        },
        "reconnect": {
            "stale_values_before": stale,
            "socket_open_s": _round(socket_open_s, 3),
            "truth_after_restore_s": _round(reconnect_s, 3),
            "reload_truth_s": _round(reload_s, 3),
        },
        "targets": _targets(
            summary.p95_ms,
            summary.lost,
            summary.out_of_order,
            reconnect_s,
            reload_s,
            percentile(probes, 95),
        ),
    }
    return report


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _targets(
    p95: float | None,
    lost: int,
    disorder: int,
    reconnect_s: float | None,
    reload_s: float | None,
    event_p95: float | None,
) -> dict[str, bool]:
    """Issue 11's targets, judged on this run."""
    return {
        "p95 < 100 ms": p95 is not None and p95 < 100,
        "0 lost": lost == 0,
        "0 out of order": disorder == 0,
        "reconnect < 2 s": reconnect_s is not None and reconnect_s < 2,
        "reload < 2 s": reload_s is not None and reload_s < 2,
        "event p95 < 50 ms": event_p95 is not None and event_p95 < 50,
    }


def _fmt(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:g}{unit}"


def _print(r: dict[str, Any]) -> None:
    lat, mem, ev, rc = r["latency_ms"], r["memory"], r["event_handling_ms"], r["reconnect"]
    print(
        f"bench realtime: {r['dashboards']} dashboards x {r['drivers']} drivers, "
        f"{r['seconds']:g} s driving at {r['speedup']:g}x, a report every {r['interval_s']:g} s; "
        f"reflex --env prod, {r['workers']} workers, PostgreSQL + Redis; {r['commit']}; "
        f"{r['when']}, load average {r['load_average']}"
    )
    print(f"simulator: {r['simulator']}")
    loc = r["location_posts"]
    print(
        f"location POSTs: {loc['share_of_intended']:.0%} of the intended one per driver per "
        f"{r['interval_s']:g} s; round trip p50 {_fmt(loc['p50_ms'], ' ms')}, "
        f"p95 {_fmt(loc['p95_ms'], ' ms')}"
    )
    print(
        "posted (accepted writes): "
        + ", ".join(f"{k} {v}" for k, v in r["posts"].items())
        + f"; drivers on each dashboard: {r['drivers_on_screen']['min']}-"
        f"{r['drivers_on_screen']['max']}; page clocks within {r['clock_offset_ms_max']} ms"
    )
    print(
        f"{'changes':18} {'expected':>9} {'shown':>7} {'lost':>6} {'superseded':>11} "
        f"{'disorder':>9} "
        f"{'unchanged':>10} {'off-screen':>11} {'cut off':>8}"
    )
    for name, t in r["kinds"].items():
        print(
            f"{name:18} {t['posted']:9d} {t['shown']:7d} {t['lost']:6d} {t['superseded']:11d} "
            f"{t['out_of_order']:9d} "
            f"{t['unobservable']:10d} {t['off_screen']:11d} {t['cut_off']:8d}"
        )
    if r["out_of_order_on_dashboards"]:
        print(
            f"out of order on dashboard(s) {r['out_of_order_on_dashboards']} of "
            f"{r['dashboards']} (1 = socket cut, {r['dashboards']} = filter used)"
        )
    print(
        f"POST returned -> DOM (every dashboard): {lat['samples']} samples, p50 "
        f"{_fmt(lat['p50'], ' ms')}, p95 {_fmt(lat['p95'], ' ms')}, p99 {_fmt(lat['p99'], ' ms')}, "
        f"max {_fmt(lat['max'], ' ms')}"
    )
    split = r["positions_split_ms"]
    server, frame, dom = split["post_to_server_push"], split["post_to_frame"], split["post_to_dom"]
    print(
        f"positions only: POST returned -> pushed by the server p50 {_fmt(server['p50'], ' ms')}, "
        f"p95 {_fmt(server['p95'], ' ms')}; -> websocket frame handled in the page p50 "
        f"{_fmt(frame['p50'], ' ms')}, p95 {_fmt(frame['p95'], ' ms')} ({frame['samples']} "
        f"samples); -> DOM p50 {_fmt(dom['p50'], ' ms')}, p95 {_fmt(dom['p95'], ' ms')} "
        f"({dom['samples']} samples)" + _push_line(split)
    )
    print(
        f"dashboard event handling (status filter -> result count): {ev['probes']} probes, "
        f"{ev['timeouts']} timeouts (counted as 5 s), p50 {_fmt(ev['p50'], ' ms')}, "
        f"p95 {_fmt(ev['p95'], ' ms')}, "
        f"max {_fmt(ev['max'], ' ms')}; long tasks in all pages: {r['long_tasks']['count']}, "
        f"p95 {_fmt(r['long_tasks']['p95_ms'], ' ms')}, "
        f"max {_fmt(r['long_tasks']['max_ms'], ' ms')}"
    )
    busy = r["page_main_thread_busy"]
    print(
        f"dashboard main thread busy while driving (mean of pages): {busy['TaskDuration']:.0%} "
        f"(script {busy['ScriptDuration']:.0%}, layout {busy['LayoutDuration']:.0%}, style "
        f"{busy['RecalcStyleDuration']:.0%})"
    )
    if r.get("page_trace_ms"):
        spans = ", ".join(f"{name} {ms:.0f} ms" for name, ms in r["page_trace_ms"])
        print(f"one dashboard's main thread over the drive (trace), self time by event: {spans}")
    if r.get("page_profile"):
        for heading, rows in (("by script", "scripts"), ("by function", "functions")):
            shares = ", ".join(f"{key} {share:.0%}" for key, share in r["page_profile"][rows])
            print(f"one dashboard's CPU profile over the drive, self time {heading}: {shares}")
    stalls = r["event_loop_stalls"]
    print(
        f"app event-loop stalls over 250 ms (both workers): {stalls['count']}, longest "
        f"{_fmt(stalls['longest_ms'], ' ms')} (--logs DIR keeps the app log with their stacks)"
    )
    push = r["pushed_per_dashboard"]
    print(
        f"websocket traffic per dashboard while driving: {push['messages_per_s']} messages/s, "
        f"{push['kb_per_s']} KB/s"
    )
    print(
        f"worker RSS: {mem['worker_rss_mb_before']} MB with 1 dashboard, "
        f"{mem['worker_rss_mb_after']} MB with {r['dashboards']} -> "
        f"{_fmt(mem['kb_per_client'], ' KB')} per client"
    )
    print(
        f"reconnect: socket cut for the run's last seconds ({rc['stale_values_before']} "
        f"stale values), reopened {_fmt(rc['socket_open_s'], ' s')} after release, DOM = database "
        f"{_fmt(rc['truth_after_restore_s'], ' s')} after release; reload -> DOM = database "
        f"{_fmt(rc['reload_truth_s'], ' s')}"
    )
    print(f"CPU while driving, in cores of {os.cpu_count()}: {_cpu_line(r['cpu_cores'])}")
    floor = r.get("floor")
    if floor:
        _print_floor(r, floor)
    met = ", ".join(f"{k} {'yes' if ok else 'NO'}" for k, ok in r["targets"].items())
    print(
        f"SUMMARY realtime: p95 {_fmt(lat['p95'], ' ms')} POST->DOM over {lat['samples']} "
        f"samples, lost {r['lost']}, out of order {r['out_of_order']}, event p95 "
        f"{_fmt(ev['p95'], ' ms')}, reconnect {_fmt(rc['truth_after_restore_s'], ' s')}, "
        f"reload {_fmt(rc['reload_truth_s'], ' s')}, {_fmt(mem['kb_per_client'], ' KB')}/client "
        f"| targets: {met}"
    )


def _cpu_line(cores: dict[str, float]) -> str:
    return ", ".join(f"{group} {used:.2f}" for group, used in cores.items())


def _print_floor(r: dict[str, Any], f: dict[str, Any]) -> None:
    """The floor's figures in the product's format, then the ratio and the FLOOR line (kept
    right before SUMMARY, which stays the last line and unchanged)."""
    lat, loc, split = f["latency_ms"], f["location_posts"], f["positions_split_ms"]
    server, frame, dom = split["post_to_server_push"], split["post_to_frame"], split["post_to_dom"]
    positions = f["kinds"]["positions"]
    print(
        f"floor: {f['server']} (loadtests/realtime_floor.py), {r['dashboards']} pages of the same "
        f"Chromium and observer, positions only; driven {f['when']}, before the product's, "
        f"load average {f['load_average']}"
    )
    print(f["generator"])  # "floor generator: D drivers, N GPS batches ..."
    print(
        f"floor location POSTs: {loc['share_of_intended']:.0%} of the intended one per driver "
        f"per {r['interval_s']:g} s; round trip p50 {_fmt(loc['p50_ms'], ' ms')}, "
        f"p95 {_fmt(loc['p95_ms'], ' ms')}; drivers on each page: "
        f"{f['drivers_on_screen']['min']}-{f['drivers_on_screen']['max']}; page clocks within "
        f"{f['clock_offset_ms_max']} ms"
    )
    print(
        f"floor positions: expected {positions['posted']}, shown {positions['shown']}, lost "
        f"{positions['lost']} (superseded {positions['superseded']}), disorder "
        f"{positions['out_of_order']}"
    )
    print(
        f"floor POST returned -> DOM (every dashboard): {lat['samples']} samples, p50 "
        f"{_fmt(lat['p50'], ' ms')}, p95 {_fmt(lat['p95'], ' ms')}, p99 {_fmt(lat['p99'], ' ms')}, "
        f"max {_fmt(lat['max'], ' ms')}"
    )
    print(
        f"floor positions only: POST returned -> pushed by the server p50 "
        f"{_fmt(server['p50'], ' ms')}, p95 {_fmt(server['p95'], ' ms')}; -> websocket frame "
        f"handled in the page p50 {_fmt(frame['p50'], ' ms')}, p95 {_fmt(frame['p95'], ' ms')} "
        f"({frame['samples']} samples); -> DOM p50 {_fmt(dom['p50'], ' ms')}, p95 "
        f"{_fmt(dom['p95'], ' ms')} ({dom['samples']} samples)" + _push_line(split)
    )
    busy, tasks = f["page_main_thread_busy"], f["long_tasks"]
    print(
        f"floor page main thread busy while driving (mean of pages): {busy['TaskDuration']:.0%} "
        f"(script {busy['ScriptDuration']:.0%}, layout {busy['LayoutDuration']:.0%}, style "
        f"{busy['RecalcStyleDuration']:.0%}); long tasks in all pages: {tasks['count']}, p95 "
        f"{_fmt(tasks['p95_ms'], ' ms')}, max {_fmt(tasks['max_ms'], ' ms')}; websocket traffic "
        f"per page: {f['pushed_per_dashboard']['messages_per_s']} messages/s, "
        f"{f['pushed_per_dashboard']['kb_per_s']} KB/s"
    )
    print(f"floor CPU while driving, in cores of {os.cpu_count()}: {_cpu_line(f['cpu_cores'])}")
    ratio = r["product_to_floor"]
    print(
        f"FLOOR realtime: p95 {_fmt(lat['p95'], ' ms')} POST->DOM over {lat['samples']} samples, "
        f"p50 {_fmt(lat['p50'], ' ms')}, lost {f['lost']}, out of order {f['out_of_order']} | "
        f"product/floor: p95 {_fmt(ratio['p95'], 'x')}, p50 {_fmt(ratio['p50'], 'x')} | "
        f"floor p95 < 100 ms: {'yes' if lat['p95'] is not None and lat['p95'] < 100 else 'NO'}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
