"""Integration tests run against a fresh PostgreSQL database and a private Redis key prefix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

import logistics_ai.models  # noqa: F401
from logistics_ai import migrate
from logistics_ai.db import get_engine, session_scope
from logistics_ai.services import reference_cache
from tests.support import app_config, services
from tests.support.world import World, build_world


@pytest.fixture(scope="session")
def pg_url(postgres: services.PostgresServer) -> Iterator[str]:
    name = services.create_database(postgres)
    yield postgres.url(name)
    app_config.reset_caches()
    services.drop_database(postgres, name)


@pytest.fixture(scope="session")
def app_services(pg_url: str, redis_url: str, redis_prefix: str) -> Iterator[None]:
    with app_config.configured(
        database_url=pg_url, redis_url=redis_url, redis_key_prefix=redis_prefix
    ):
        migrate.upgrade(pg_url)
        yield


@pytest.fixture
def clean_db(app_services: None, redis_url: str, redis_prefix: str) -> Iterator[None]:
    yield
    services.delete_prefix(redis_url, redis_prefix)  # sessions, revocations, rate-limit windows
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with get_engine().begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    reference_cache.clear_all()  # the TRUNCATE bypasses the ORM that invalidates them


@pytest.fixture
def world(clean_db: None) -> World:
    with session_scope() as session:
        return build_world(session)


@pytest.fixture
def session(clean_db: None) -> Iterator[Session]:
    """A session for reading back what services committed."""
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s
