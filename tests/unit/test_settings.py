import stat
from pathlib import Path

import pytest

from logistics_ai.settings import (
    DEFAULT_SECRET,
    SECRET_FILE_NAME,
    Settings,
    UnsafeSettingsError,
)

STRICT_BUT_VALID = {
    "secret_key": "x" * 48,
    "database_url": "postgresql+psycopg://app@db/app",
    "redis_url": "redis://cache:6379/0",
    "seed_demo": False,
    "public_base_url": "https://logistics.example.com",
}


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about defaults: whatever another test or the shell exported is ignored."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults_are_the_embedded_mode() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.is_sqlite and settings.redis_url is None and settings.app_env == "dev"
    settings.check_production()  # dev accepts development defaults


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_strict_envs_refuse_each_unsafe_default_by_name(env: str) -> None:
    settings = Settings(app_env=env, debug=True, seed_demo=True)  # type: ignore[call-arg]
    with pytest.raises(UnsafeSettingsError) as caught:
        settings.check_production()
    message = str(caught.value)
    for setting in (
        "SECRET_KEY",
        "DEBUG",
        "DATABASE_URL",
        "REDIS_URL",
        "SEED_DEMO",
        "PUBLIC_BASE_URL",
    ):
        assert setting in message


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_strict_envs_accept_a_real_configuration(env: str) -> None:
    Settings(app_env=env, **STRICT_BUT_VALID).check_production()  # type: ignore[arg-type]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_old_public_secret_is_refused_outside_dev(env: str) -> None:
    settings = Settings(app_env=env, **{**STRICT_BUT_VALID, "secret_key": DEFAULT_SECRET})  # type: ignore[arg-type]
    with pytest.raises(UnsafeSettingsError, match="SECRET_KEY is the public"):
        settings.check_production()
    # Strict environments never generate one either: a missing secret is a refusal.
    unset = Settings(app_env=env, **{**STRICT_BUT_VALID, "secret_key": ""})  # type: ignore[arg-type]
    with pytest.raises(UnsafeSettingsError, match="SECRET_KEY is not set"):
        unset.check_production()
    assert unset.with_embedded_secret().secret_key == ""


def test_dev_generates_a_private_secret_once_and_keeps_it(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).with_embedded_secret()  # type: ignore[call-arg]
    secret_file = tmp_path / SECRET_FILE_NAME
    assert len(first.secret_key) >= 48 and first.secret_key != DEFAULT_SECRET
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret_file.read_text().strip() == first.secret_key
    again = Settings(data_dir=tmp_path).with_embedded_secret()  # type: ignore[call-arg]
    assert again.secret_key == first.secret_key  # tokens and encrypted fields survive restarts
    other = Settings(data_dir=tmp_path / "elsewhere").with_embedded_secret()  # type: ignore[call-arg]
    assert other.secret_key != first.secret_key  # random per installation, never a constant


def test_short_secret_is_rejected() -> None:
    with pytest.raises(ValueError):
        Settings(secret_key="short")  # type: ignore[call-arg]


def test_make_run_listens_on_loopback_unless_told_otherwise() -> None:
    import subprocess

    root = Path(__file__).resolve().parents[2]

    def run_command(*args: str) -> str:
        # -n prints the commands without running them (no install, no server).
        out = subprocess.run(
            ["make", "-n", "-o", "seed", "run", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return next(line for line in out.splitlines() if line.startswith("reflex run"))

    assert "--backend-host 127.0.0.1" in run_command()
    assert "--backend-host 0.0.0.0" in run_command("HOST=0.0.0.0")
