"""Schemathesis against the live API: no 5xx and no response that breaks the OpenAPI schema.

The API runs in its own server process (granian) on the test database and Redis, and the
fuzzer calls it over HTTP as a signed-in dispatcher. The example budget is bounded so the
run stays well under two minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import services
from tests.support.world import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 20
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


@pytest.fixture
def live_api(world: World, tmp_path: Path) -> Iterator[str]:
    port = services.free_port()
    env = {
        **os.environ,
        "RATE_LIMIT_AUTH_PER_IP": "100000",
        "RATE_LIMIT_AUTH_PER_ACCOUNT": "100000",
        "RATE_LIMIT_API_PER_PRINCIPAL": "100000",
    }
    log = (tmp_path / "api.log").open("w")
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
        env=env,
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
                    raise RuntimeError((tmp_path / "api.log").read_text()) from None
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def test_no_server_errors_and_no_schema_violations(live_api: str, tmp_path: Path) -> None:
    token = httpx.post(
        f"{live_api}/api/v1/auth/token",
        json={"email": "dispatch@test.example.com", "password": PASSWORD},
    ).json()["access_token"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{live_api}/api/v1/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20261127",
            "--header",
            f"Authorization: Bearer {token}",
            # Signing out or revoking sessions would end the fuzzer's own login midway.
            "--exclude-path",
            "/api/v1/auth/logout",
            "--exclude-path-regex",
            "^/api/v1/me/sessions/",
            "--max-time",
            "60",
            "--no-color",
            "--warnings",
            "off",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    summary = "\n".join(result.stdout.splitlines()[-25:])
    print(summary)
    (ROOT / "test-results").mkdir(exist_ok=True)
    (ROOT / "test-results" / "schemathesis.txt").write_text(result.stdout)
    assert result.returncode == 0, result.stdout[-6000:]
