"""The ECS task launcher (terraform/modules/app): it assembles DATABASE_URL, REDIS_URL and
REFLEX_REDIS_URL from Secrets Manager values and execs the real command. Run for real here
with awkward credentials, the URLs then parsed by the libraries the app uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from sqlalchemy.engine import make_url

from tests.infra.conftest import TERRAFORM, parse

DUMP = "import json, os; print(json.dumps(dict(os.environ)))"


def local(name: str):
    locals_ = parse(TERRAFORM / "modules" / "app" / "main.tf")["locals"]
    return next(block[name] for block in locals_ if name in block)


def launcher() -> str:
    code = local("launcher")
    assert code.startswith("<<-EOT\n") and code.rstrip().endswith("EOT")
    return textwrap.dedent(code.split("\n", 1)[1].rsplit("\n", 1)[0])


def launch(extra: dict[str, str]) -> dict[str, str]:
    """The task's command as the module writes it: the launcher comes from LAI_LAUNCHER."""
    env = {"PATH": os.environ["PATH"], "LAI_LAUNCHER": launcher(), **extra}
    python, flag, bootstrap = local("launch")
    assert (python, flag) == ("python3", "-c")
    result = subprocess.run(
        [sys.executable, "-c", bootstrap, sys.executable, "-c", DUMP],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_urls_are_assembled_with_escaped_credentials() -> None:
    password = "p@ss:w/rd?#%&x"
    child = launch(
        {
            "DB_USERNAME": "logistics",
            "DB_PASSWORD": password,
            "DB_ENDPOINT": "db.internal:5432",
            "DB_NAME": "logistics",
            "REDIS_AUTH_TOKEN": "tok/en+=",
            "REDIS_ENDPOINT": "cache.internal:6379",
        }
    )
    url = make_url(child["DATABASE_URL"])
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "logistics",
        password,
        "db.internal",
        5432,
        "logistics",
    )
    assert url.query["sslmode"] == "require"
    from redis.connection import parse_url

    redis = parse_url(child["REDIS_URL"])
    assert redis["password"] == "tok/en+=" and redis["host"] == "cache.internal"
    assert child["REDIS_URL"].startswith("rediss://")
    assert child["REFLEX_REDIS_URL"] == child["REDIS_URL"]
    # The raw parts do not linger in the process environment.
    for name in ("DB_USERNAME", "DB_PASSWORD", "REDIS_AUTH_TOKEN"):
        assert name not in child


def test_a_missing_secret_stops_the_container() -> None:
    result = subprocess.run(
        [sys.executable, "-c", launcher(), sys.executable, "-c", DUMP],
        env={"PATH": os.environ["PATH"], "DB_ENDPOINT": "db:5432", "DB_NAME": "x"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "KeyError" in result.stderr
