import pytest

from logistics_ai.settings import Settings, UnsafeSettingsError


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about defaults: whatever another test or the shell exported is ignored."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults_are_the_embedded_mode() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.is_sqlite and settings.redis_url is None and settings.app_env == "dev"
    settings.check_production()  # dev accepts development defaults


def test_prod_refuses_each_unsafe_default_by_name() -> None:
    settings = Settings(app_env="prod", debug=True, seed_demo=True)  # type: ignore[call-arg]
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


def test_prod_accepts_a_real_configuration() -> None:
    Settings(  # type: ignore[call-arg]
        app_env="prod",
        secret_key="x" * 48,
        database_url="postgresql+psycopg://app@db/app",
        redis_url="redis://cache:6379/0",
        seed_demo=False,
        public_base_url="https://logistics.example.com",
    ).check_production()


def test_short_secret_is_rejected() -> None:
    with pytest.raises(ValueError):
        Settings(secret_key="short")  # type: ignore[call-arg]
