"""Apply, revert and inspect Alembic migrations from code (CLI, start-up, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from logistics_ai.db import ensure_sqlite_directory
from logistics_ai.db_roles import ensure_app_role, grant_app_role
from logistics_ai.settings import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%")
    )
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    url = database_url or get_settings().database_url
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(database_url), revision)
    settings = get_settings()
    role = settings.db_app_role
    if role and not url.startswith("sqlite"):
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                if settings.db_app_password:
                    ensure_app_role(connection, role, settings.db_app_password)
                grant_app_role(connection, role)
        finally:
            engine.dispose()


def downgrade(database_url: str | None = None, revision: str = "-1") -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str | None = None) -> str | None:
    engine = create_engine(database_url or get_settings().database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
