"""Migrations upgrade from empty, match the models, and downgrade a step, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import logistics_ai.models  # noqa: F401
from logistics_ai import migrate
from tests.support import services


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    server: services.PostgresServer = request.getfixturevalue("postgres")
    name = services.create_database(server, prefix="lai_migrations")
    yield server.url(name)
    services.drop_database(server, name)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_every_table(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    assert _tables(empty_database) == set(SQLModel.metadata.tables)
    assert migrate.current_revision(empty_database) == migrate.head_revision()


def test_models_and_migrations_do_not_drift(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == [], f"models changed without a migration: {differences}"


def test_downgrade_one_step_then_upgrade_again(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    head = migrate.current_revision(empty_database)
    migrate.downgrade(empty_database, "-1")
    assert migrate.current_revision(empty_database) != head
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == head
    assert _tables(empty_database) == set(SQLModel.metadata.tables)


def test_phone_encryption_migration_converts_existing_rows(empty_database: str) -> None:
    from logistics_ai.models.encryption import decrypt

    migrate.upgrade(empty_database, "eb8d35fb72ab")  # the revision before encryption
    engine = create_engine(empty_database)
    insert = text(
        "INSERT INTO users (email, full_name, phone, role, password_hash, is_active,"
        " failed_logins, created_at) VALUES ('p@x.example', 'P', '+1 312 555 0100', 'customer',"
        " 'x', true, 0, CURRENT_TIMESTAMP)"
    )
    read = text("SELECT phone FROM users WHERE email = 'p@x.example'")
    try:
        with engine.begin() as connection:
            connection.execute(insert)
        migrate.upgrade(empty_database, "aa23a1510ce8")  # later revisions are tested on their own
        with engine.connect() as connection:
            stored = connection.execute(read).scalar_one()
        assert "555" not in stored and decrypt(stored) == "+1 312 555 0100"
        migrate.downgrade(empty_database, "eb8d35fb72ab")
        with engine.connect() as connection:
            assert connection.execute(read).scalar_one() == "+1 312 555 0100"
    finally:
        engine.dispose()


def test_the_revision_chain_is_linear() -> None:
    """Parallel branches each adding a migration must rebase onto one head, not fork."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, (
        f"migration heads {heads}: set the newer file's down_revision to the other head"
    )
