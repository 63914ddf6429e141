"""The migration step (as the owner) creates the least-privilege app role and sets its password
(issue 10, item 6: the compose stacks and the Helm chart rely on it). Real PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import create_engine, text

from logistics_ai import migrate
from tests.support import app_config, services

# Quotes, colons, percent signs and dollars must reach PostgreSQL unchanged.
TRICKY = "it's:a%s$1 pass'word"


def _scram_matches(verifier: str, password: str) -> bool:
    """RFC 5802/7677 check of PostgreSQL's stored SCRAM-SHA-256 verifier, computed here."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, _server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


@pytest.fixture
def fresh(postgres: services.PostgresServer) -> Iterator[tuple[services.PostgresServer, str, str]]:
    role = f"lai_app_{secrets.token_hex(4)}"
    name = services.create_database(postgres, prefix="lai_approle")
    try:
        yield postgres, name, role
    finally:
        services.drop_database(postgres, name)
        with psycopg.connect(postgres.admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        app_config.reset_caches()


def _role(postgres: services.PostgresServer, role: str) -> dict:
    with psycopg.connect(postgres.admin_conninfo()) as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, "
            "rolreplication, rolpassword FROM pg_authid WHERE rolname = %s",
            (role,),
        ).fetchone()
    assert row is not None, f"{role} was not created"
    keys = ("login", "super", "createdb", "createrole", "bypassrls", "replication", "password")
    return dict(zip(keys, row, strict=True))


def test_migrating_as_the_owner_creates_the_app_role_with_login_only(
    fresh: tuple[services.PostgresServer, str, str],
) -> None:
    postgres, name, role = fresh
    owner_url = postgres.url(name)
    with app_config.configured(database_url=owner_url, db_app_role=role, db_app_password=TRICKY):
        migrate.upgrade(owner_url)
    created = _role(postgres, role)
    assert created["login"] is True
    assert not any(created[k] for k in ("super", "createdb", "createrole", "bypassrls"))
    assert not created["replication"]
    assert _scram_matches(created["password"], TRICKY)

    # The grants followed: the role reads and writes the app's tables, not the audit trail.
    engine = create_engine(f"postgresql+psycopg://{role}@{postgres.host}:{postgres.port}/{name}")
    try:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        with pytest.raises(Exception, match="permission denied"), engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events"))
    finally:
        engine.dispose()

    # Re-running (every deploy) is idempotent and rotates the password.
    rotated = secrets.token_urlsafe(18)
    with app_config.configured(database_url=owner_url, db_app_role=role, db_app_password=rotated):
        migrate.upgrade(owner_url)
    again = _role(postgres, role)
    assert _scram_matches(again["password"], rotated)
    assert not _scram_matches(again["password"], TRICKY)


def test_without_a_password_the_role_must_exist(
    fresh: tuple[services.PostgresServer, str, str],
) -> None:
    postgres, name, role = fresh
    owner_url = postgres.url(name)
    with (
        app_config.configured(database_url=owner_url, db_app_role=role, db_app_password=""),
        pytest.raises(Exception, match="does not exist"),
    ):
        migrate.upgrade(owner_url)  # GRANT ... TO a missing role fails loudly
