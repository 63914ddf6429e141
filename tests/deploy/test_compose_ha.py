"""compose.ha.yaml: the HA data tier and monitoring on top of the production stack."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.deploy.conftest import clean_environ, operator_env

ROOT = Path(__file__).resolve().parents[2]
HA = ("compose.yaml", "compose.prod.yaml", "compose.ha.yaml")


def _env(tmp_path: Path) -> Path:
    env = tmp_path / "ha.env"
    env.write_text(
        "APP_ENV=prod\nIMAGE_TAG=t\nSECRET_KEY=" + "k" * 40 + "\nPOSTGRES_PASSWORD=p\n"
        "DB_APP_PASSWORD=a\nPOSTGRES_SUPERUSER_PASSWORD=s\nREPLICATION_PASSWORD=r\nREDIS_PASSWORD=r\n"
        "PUBLIC_BASE_URL=https://example.com\nSERVER_NAME=example.com\nTLS_CERT_DIR=/tmp\n"
    )
    return env


def test_ha_stack_services_and_health_checks(compose_config, tmp_path: Path) -> None:
    config = compose_config(*HA, env_file=_env(tmp_path))
    services = config["services"]
    expected = {
        "etcd1", "etcd2", "etcd3", "pg1", "pg2", "haproxy", "pgbouncer", "backup", "redis",
        "redis-replica", "sentinel1", "sentinel2", "sentinel3", "prometheus", "alertmanager",
        "node-exporter", "blackbox-exporter",
    }  # fmt: skip
    assert expected <= set(services)
    assert "postgres" not in services  # replaced by the Patroni cluster (profile single-node)
    for name in expected | {"app", "app2", "worker"}:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    # Requests go through PgBouncer (no server-side prepares); migrations straight to HAProxy.
    for name in ("app", "app2", "worker"):
        env = services[name]["environment"]
        assert "@pgbouncer:6432/" in env["DATABASE_URL"], name
        assert env["DB_PGBOUNCER"] == "true"
        assert env["REDIS_SENTINELS"].count(":26379") == 3
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy"
    assert "@haproxy:5000/" in services["release"]["environment"]["DATABASE_URL"]
    # Patroni members: synchronous replication on by default, WAL archived by pgBackRest.
    for name in ("pg1", "pg2"):
        env = services[name]["environment"]
        assert env["PATRONI_SYNCHRONOUS_MODE"] == "true"
        assert env["ETCD_HOSTS"] == "etcd1:2379,etcd2:2379,etcd3:2379"
        assert any(v["target"] == "/var/lib/pgbackrest" for v in services[name]["volumes"])


def test_ha_images_build_from_debian_and_pass_hadolint(deploy_tools: None) -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "hadolint"), "--config", "deploy/hadolint.yaml",
         "deploy/ha/Dockerfile"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_ha_entrypoint_passes_shellcheck() -> None:
    import shutil

    if shutil.which("shellcheck") is None:  # optional, as in deploy-checks
        return
    for script in ("deploy/ha/entrypoint.sh", "deploy/backup/lai-backup"):
        result = subprocess.run(["shellcheck", script], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_templates_render_with_every_placeholder_set() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "deploy" / "ha"))
    from render import render

    out = render("pgbouncer.ini.tmpl", {
        "PGBOUNCER_TARGET_HOST": "haproxy", "PGBOUNCER_TARGET_PORT": "5000",
        "PGBOUNCER_LISTEN_ADDR": "0.0.0.0", "PGBOUNCER_PORT": "6432",
        "PGBOUNCER_AUTH_FILE": "/tmp/u", "PGBOUNCER_LOGFILE": "/dev/null",
        "PGBOUNCER_PIDFILE": "/tmp/p",
    })  # fmt: skip
    assert "pool_mode = transaction" in out and "host=haproxy port=5000" in out
    try:
        render("pgbouncer.ini.tmpl", {})
    except KeyError as missing:
        assert "PGBOUNCER" in str(missing)
    else:
        raise AssertionError("a missing placeholder must be an error")


def test_ha_app_goes_through_pgbouncer_as_the_app_role(compose_config, tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    services = compose_config(*HA, env_file=_env(tmp_path))["services"]
    owner = make_url(services["release"]["environment"]["DATABASE_URL"])
    assert owner.username == "logistics"  # the release step migrates and creates the role
    bouncer = services["pgbouncer"]["environment"]
    for name in ("app", "app2", "worker"):
        url = make_url(services[name]["environment"]["DATABASE_URL"])
        assert (url.username, url.host) == ("logistics_app", "pgbouncer"), name
        # PgBouncer knows that role's password (its userlist is written from these).
        assert (bouncer["DB_APP_ROLE"], bouncer["DB_APP_PASSWORD"]) == (url.username, url.password)
    entrypoint = (ROOT / "deploy" / "ha" / "entrypoint.sh").read_text()
    assert "LOGIN CREATEROLE PASSWORD" in entrypoint  # the owner may create the app role


def _data_tier(tmp_path: Path, env_file: Path, *extra: str) -> subprocess.CompletedProcess:
    """What deploy/deploy.sh starts (and waits for) before the release step."""
    return subprocess.run(
        [str(ROOT / "deploy" / "deploy.sh"), "services", "prod"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=clean_environ(
            ENV_FILE=str(env_file), DEPLOY_STATE_DIR=str(tmp_path / "state"),
            COMPOSE=str(ROOT / ".venv" / "bin" / "docker-compose"),
            COMPOSE_EXTRA_FILES=" ".join(extra),
        ),
    )  # fmt: skip


def test_deploy_script_starts_the_ha_data_tier_not_the_single_node_postgres(
    deploy_tools: None, tmp_path: Path
) -> None:
    single = _data_tier(tmp_path, operator_env(tmp_path / "prod.env"))
    assert single.returncode == 0, single.stderr
    assert single.stdout.split() == ["postgres", "redis"]

    ha_env = _env(tmp_path)
    refused = _data_tier(tmp_path, ha_env, "compose.ha.yaml")
    # An app release would otherwise retag (recreate) both Patroni members at once.
    assert refused.returncode != 0 and "HA_IMAGE_TAG" in refused.stderr

    ha_env.write_text(ha_env.read_text() + "HA_IMAGE_TAG=ha-1\n")
    ha = _data_tier(tmp_path, ha_env, "compose.ha.yaml")
    assert ha.returncode == 0, ha.stderr
    services = set(ha.stdout.split())
    tier = {
        "etcd1", "etcd2", "etcd3", "pg1", "pg2", "haproxy", "pgbouncer", "redis", "redis-replica",
        "sentinel1", "sentinel2", "sentinel3", "backup",
    }  # fmt: skip
    assert tier <= services
    assert not services & {"postgres", "release", "app", "app2", "worker", "proxy"}
