"""Deployment config tests: fast, no Docker engine. Tools come from deploy/ci/test-deps."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / ".venv" / "bin" / "docker-compose"
ENV_NAMES = {
    line.split("=", 1)[0]
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line and not line.startswith("#") and "=" in line
}


def clean_environ(**extra: str) -> dict[str, str]:
    """The process environment without deployment variables (compose lets them win over the
    env file, and the test session sets APP_ENV itself)."""
    return {**{k: v for k, v in os.environ.items() if k not in ENV_NAMES}, **extra}


@pytest.fixture(scope="session", autouse=True)
def promtool_rule_tests() -> Iterator[subprocess.Popen[str]]:
    """`promtool test rules`, started with the first deploy test: its 20-25 s of rule evaluation
    over simulated days run on the second core while the other deploy tests use the first.
    test_monitoring.py waits for the result."""
    process = subprocess.Popen(
        ["promtool", "test", "rules", "rules_test.yml"],
        cwd=ROOT / "deploy" / "monitoring" / "prometheus" / "tests",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def deploy_tools() -> None:
    """Install nginx, envsubst, openssl, shellcheck, hadolint, compose when missing."""
    subprocess.run([str(ROOT / "deploy" / "ci" / "test-deps")], check=True, timeout=600)


def operator_env(path: Path, app_env: str = "prod", **overrides: str) -> Path:
    """.env.example with the blanks filled, as an operator would write it."""
    values = {
        "IMAGE_TAG": "test",
        "SECRET_KEY": "k" * 40,
        "POSTGRES_PASSWORD": "test-postgres",
        "DB_APP_PASSWORD": "test-app-role",
        "REDIS_PASSWORD": "test-redis",
        "APP_ENV": app_env,
        **overrides,
    }
    lines = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        name = line.split("=", 1)[0]
        if name in values and not line.startswith("#"):
            value = values.pop(name)
            if value is None:
                continue
            line = f"{name}={value}"
        lines.append(line)
    lines += [f"{k}={v}" for k, v in values.items() if v is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def compose_config(deploy_tools: None, tmp_path: Path) -> Callable[..., dict]:
    def render(*files: str, env_file: Path | None = None, app_env: str = "prod") -> dict:
        env_file = env_file or operator_env(tmp_path / f"{app_env}.env", app_env)
        command = [str(COMPOSE), "--env-file", str(env_file)]
        for f in files:
            command += ["-f", f]
        result = subprocess.run(
            [*command, "config", "--format", "json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_environ(IMAGE_TAG="test") if "dev.env" in str(env_file) else clean_environ(),
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return render
