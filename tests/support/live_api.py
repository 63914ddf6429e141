"""The API in its own server process (granian, one worker) on the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import services

ROOT = Path(__file__).resolve().parents[2]
# A harness signs in many accounts from one address: the per-IP limits would get in the way.
NO_LIMITS = {
    "RATE_LIMIT_AUTH_PER_IP": "100000",
    "RATE_LIMIT_AUTH_PER_ACCOUNT": "100000",
    "RATE_LIMIT_API_PER_PRINCIPAL": "100000",
}


@contextmanager
def live_api(log_path: Path, **env: str) -> Iterator[str]:
    """Start the API with the current environment plus `env`; yield its base URL."""
    port = services.free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "logistics_ai.api.app:create_api",
        ],
        cwd=ROOT,
        env={**os.environ, **NO_LIMITS, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
