"""Start-up work shared by the app and the CLI: migrate, then seed the demo when empty."""

from __future__ import annotations

from logistics_ai import migrate
from logistics_ai.db import session_scope
from logistics_ai.services import demo_seed
from logistics_ai.settings import get_settings


class SeedRefused(RuntimeError):
    pass


def seed_database(*, reset: bool = False) -> demo_seed.SeedReport | None:
    settings = get_settings()
    if settings.app_env == "prod":
        raise SeedRefused("The demo seed (with its public password) is refused when APP_ENV=prod.")
    with session_scope() as session:
        if reset:
            demo_seed.reset(session)
        elif demo_seed.is_seeded(session):
            return None
        return demo_seed.seed_demo(session, settings.demo_password)


def prepare_database() -> None:
    """Embedded default: bring the schema up to date and seed an empty database."""
    settings = get_settings()
    migrate.upgrade()
    if settings.seed_demo and settings.app_env != "prod":
        seed_database()
