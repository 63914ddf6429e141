"""Start the real app in production mode (PostgreSQL + Redis, two workers) for browser tests."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import services
from tests.support.mailbox import Mailbox, smtp_server
from tests.support.otlp import Receiver, otlp_receiver

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 300
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
]
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}


def mid_morning_zone() -> str:
    """An IANA zone where it is about 10:00 now, so today's delivery windows are in the future.

    The app serves any time zone; pinning the test run's zone keeps the browser tests
    independent of the hour CI happens to run at.
    """
    offset = (10 - datetime.now(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    # POSIX naming: Etc/GMT-3 is UTC+3.
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


APP_TIMEZONE = mid_morning_zone()  # chosen once, so every test agrees with the app


def app_today() -> str:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(APP_TIMEZONE)).date().isoformat()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except Exception:
        return 0


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """The app's account emails go to a real SMTP server the tests can read."""
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="session")
def otlp_traces() -> Iterator[Receiver]:
    """The app under test exports its traces here (tests/e2e/test_telemetry.py reads them)."""
    with otlp_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def app_database_url(postgres: services.PostgresServer) -> Iterator[str]:
    """The app's own database (a test reads or writes it directly only to set up what the
    app could not be asked to do, such as a change that no event announced)."""
    database = services.create_database(postgres, prefix="lai_e2e")
    yield postgres.url(database)
    services.drop_database(postgres, database)


@pytest.fixture(scope="session")
def app_url(
    otlp_traces: Receiver,
    app_database_url: str,
    redis_url: str,
    redis_prefix: str,
    mailbox: Mailbox,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    port = services.free_port()
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "DATABASE_URL": app_database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SEED_DEMO": "false",
        # The browser's origin: the websocket and the sign-in routes answer only this one.
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": mailbox.host,
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
        "TIMEZONE": APP_TIMEZONE,
        "GRANIAN_WORKERS": "2",
        # Every browser logs in from 127.0.0.1, and the suite signs the same demo accounts in
        # dozens of times a minute on a quiet machine; the per-IP and per-account login limits
        # have their own tests (tests/integration/test_api_auth.py, test_account_protection.py).
        "RATE_LIMIT_AUTH_PER_IP": "1000",
        "RATE_LIMIT_AUTH_PER_ACCOUNT": "1000",
        "DISPATCH_BUDGET_SECONDS": "3",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_traces.endpoint,
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
    }
    bun = ROOT / ".tools" / "bin" / "bun"
    if bun.exists():
        env.setdefault("REFLEX_BUN_PATH", str(bun))
        env["PATH"] = f"{bun.parent}:{env['PATH']}"
    for command in (["migrate"], ["seed"]):
        subprocess.run(
            [sys.executable, "-m", "logistics_ai", *command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    log_path = tmp_path_factory.mktemp("app") / "app.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
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
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # The production topology's worker (notification and webhook senders, purges): without
    # it nothing sends the customers' status emails on PostgreSQL.
    worker_log = open(log_path.with_name("worker.log"), "w")  # noqa: SIM115 (closed below)
    worker = subprocess.Popen(
        [sys.executable, "-m", "logistics_ai", "worker"],
        env=env,
        cwd=ROOT,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while _get(f"{base}/healthz") != 200 or _get(f"{base}/login") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(1)
        yield base
    finally:
        for child in (worker, process):
            os.killpg(child.pid, signal.SIGTERM)
        for child in (worker, process):
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        worker_log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder: a test run never rewrites tracked files.

    To refresh the README's screenshots, run the suite with E2E_SCREENSHOTS=docs/screenshots.
    """
    chosen = os.environ.get("E2E_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
