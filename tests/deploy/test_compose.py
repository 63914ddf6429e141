"""Structure of the Compose stacks, read from `docker compose config` (no engine needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.deploy.conftest import COMPOSE, ROOT, clean_environ, operator_env

PROD = ("compose.yaml", "compose.prod.yaml")
LONG_RUNNING = {"postgres", "redis", "app", "app2", "worker", "proxy"}


def test_prod_stack_has_every_part(compose_config) -> None:
    services = compose_config(*PROD)["services"]
    assert set(services) == LONG_RUNNING | {"release"}
    app_replicas = [n for n, s in services.items() if s["image"].startswith("logistics-ai:")]
    assert sorted(app_replicas) == ["app", "app2", "release"]


def test_every_long_running_service_is_healthchecked_restarted_and_limited(compose_config) -> None:
    services = compose_config(*PROD)["services"]
    for name in LONG_RUNNING:
        service = services[name]
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert service.get("restart") == "unless-stopped", name
        limits = service["deploy"]["resources"]["limits"]
        assert limits.get("cpus") and limits.get("memory"), name


def test_dependencies_wait_for_health(compose_config) -> None:
    services = compose_config(*PROD)["services"]
    for name in ("app", "app2", "worker", "release"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    for name in ("app", "app2", "worker"):
        assert services[name]["depends_on"]["release"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["app2"]["condition"] == "service_healthy"


def test_only_the_proxy_is_published_and_data_lives_in_volumes(compose_config) -> None:
    config = compose_config(*PROD)
    services = config["services"]
    assert [n for n, s in services.items() if s.get("ports")] == ["proxy"]
    assert {"pgdata", "redisdata", "frontend"} <= set(config["volumes"])
    mounts = {v["target"]: v for v in services["postgres"]["volumes"]}
    assert mounts["/var/lib/postgresql/data"]["source"] == "pgdata"
    assert "edge" not in services["postgres"]["networks"]  # the database is not on the edge
    assert "backend" not in services["proxy"]["networks"]


def test_app_containers_are_hardened(compose_config) -> None:
    services = compose_config(*PROD)["services"]
    for name in ("app", "app2", "worker"):
        assert services[name]["read_only"] is True
        assert services[name]["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in services[name]["security_opt"]
    assert services["app"]["environment"]["GRANIAN_WORKERS"] == "2"


def test_app_and_worker_run_as_the_app_role_and_only_the_release_as_the_owner(
    compose_config,
) -> None:
    from sqlalchemy.engine import make_url

    for files in (PROD, ("compose.yaml", "compose.dev.yaml")):
        env_file = ROOT / "deploy" / "env" / "dev.env" if "compose.dev.yaml" in files else None
        services = compose_config(*files, env_file=env_file)["services"]
        release = services["release"]["environment"]
        owner = make_url(release["DATABASE_URL"])
        assert owner.username == "logistics"  # POSTGRES_USER: migrates, creates the role
        assert release["DB_APP_ROLE"] == "logistics_app"
        assert release["DB_APP_PASSWORD"]  # so the release step can create the role
        for name in ("app", "app2", "worker"):
            if name not in services:
                continue
            env = services[name]["environment"]
            url = make_url(env["DATABASE_URL"])
            assert url.username == env["DB_APP_ROLE"] == "logistics_app", name
            assert url.password == release["DB_APP_PASSWORD"], name
            assert url.password != owner.password, name
            assert (url.host, url.port, url.database) == (owner.host, owner.port, owner.database)


def test_prod_environment_reaches_the_app(compose_config) -> None:
    env = compose_config(*PROD)["services"]["app"]["environment"]
    assert env["APP_ENV"] == "prod"
    # The app connects as the least-privilege role, never as the owner.
    assert env["DATABASE_URL"].startswith(
        "postgresql+psycopg://logistics_app:test-app-role@postgres:"
    )
    assert env["REDIS_URL"] == "redis://:test-redis@redis:6379/0"
    assert env["PUBLIC_BASE_URL"].startswith("https://")
    assert env["SEED_DEMO"] == "false"


def _config_error(tmp_path: Path, **missing: None) -> str:
    env_file = operator_env(tmp_path / "broken.env", "prod", **missing)
    result = subprocess.run(
        [str(COMPOSE), "--env-file", str(env_file), "-f", PROD[0], "-f", PROD[1], "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_environ(),
    )
    assert result.returncode != 0
    return result.stderr


def test_no_default_secrets(deploy_tools: None, tmp_path: Path) -> None:
    for name in (
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "DB_APP_PASSWORD",
        "REDIS_PASSWORD",
        "IMAGE_TAG",
    ):
        assert f"set {name}" in _config_error(tmp_path, **{name: None}), name


def test_every_interpolated_variable_is_documented() -> None:
    import re

    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    used: set[str] = set()
    for name in ("compose.yaml", "compose.prod.yaml", "compose.dev.yaml"):
        text = "\n".join(
            line
            for line in (ROOT / name).read_text().splitlines()
            if not line.lstrip().startswith("#")
        )
        used |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert used - documented == set()


def test_dev_stack_hot_reloads_from_a_bind_mount(compose_config) -> None:
    services = compose_config(
        "compose.yaml", "compose.dev.yaml", env_file=ROOT / "deploy" / "env" / "dev.env"
    )["services"]
    app = services["app"]
    assert app["command"][:4] == ["reflex", "run", "--env", "dev"]
    assert any(v["type"] == "bind" and v["target"] == "/app" for v in app["volumes"])
    assert app["environment"]["SEED_DEMO"] == "true"
    assert app["environment"]["LOG_LEVEL"] == "DEBUG"
    assert {p["target"] for p in app["ports"]} == {3000, 8000}
    assert "proxy" not in services


def test_host_network_override_moves_every_service(compose_config) -> None:
    services = compose_config(*PROD, "deploy/compose/compose.hostnet.yaml")["services"]
    for name, service in services.items():
        assert service.get("network_mode") == "host", name
        assert not service.get("ports"), name


def test_every_app_setting_is_wired_with_the_apps_default(compose_config, tmp_path: Path) -> None:
    from logistics_ai.settings import Settings

    minimal = tmp_path / "minimal.env"
    minimal.write_text(
        "APP_ENV=prod\nIMAGE_TAG=t\nSECRET_KEY=" + "k" * 40 + "\nPOSTGRES_PASSWORD=p\n"
        "DB_APP_PASSWORD=a\nREDIS_PASSWORD=r\nPUBLIC_BASE_URL=https://example.com\nSERVER_NAME=example.com\n"
        "TLS_CERT_DIR=/tmp\n"
    )
    env = compose_config(*PROD, env_file=minimal)["services"]["app"]["environment"]
    # Deployments differ from the embedded default on purpose here.
    deliberate = {
        "TRUSTED_PROXY_HOPS": "1",
        "LOG_JSON": "true",
        "APP_ENV": "prod",
        "SEED_DEMO": "false",
        # Least privilege: the app connects as this role, not as the owner.
        "DB_APP_ROLE": "logistics_app",
        # Defaults relative to the checkout: the image keeps the app in /app.
        "DATA_DIR": "/app/data",
        "MAIL_FILE_DIR": "/app/data/mail",
        "STORAGE_DIR": "/app/data/uploads",
    }
    composed = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "DB_APP_PASSWORD"}
    for name, field in Settings.model_fields.items():
        key = name.upper()
        assert key in env, f"{key} is not passed to the app by compose.yaml"
        if key in composed:
            continue
        expected = deliberate.get(key)
        if expected is None:
            default = field.default
            expected = (
                ""
                if default is None
                else str(default).lower()
                if isinstance(default, bool)
                else str(default)
            )
        assert env[key] == expected, (key, env[key], expected)
