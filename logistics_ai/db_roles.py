"""Least privilege on PostgreSQL: the role the app runs as may not rewrite the audit trail.

Migrations run as the schema owner (the release step). When DB_APP_ROLE names the role that
the app replicas and the worker connect as, every migration ends by granting it read/write on
the tables it needs, except UPDATE, DELETE and TRUNCATE on the append-only audit tables, and
no write at all on the migration bookkeeping. Audit retention (deleting whole old segments of
a chain behind a signed checkpoint) therefore runs as the owner: `python -m logistics_ai
retention --audit` in the release container, or the worker when given the owner's URL.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy import Connection, text

APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints")
READ_ONLY_TABLES = ("alembic_version",)


def _ident(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


class RoleSetupError(RuntimeError):
    """The owner could not create or update the app role (no CREATEROLE): create it by hand."""


def ensure_app_role(connection: Connection, role: str, password: str) -> bool:
    """Create the app role (LOGIN and nothing else) when missing, and set its password.

    Idempotent; returns True when the role was created. The owner needs CREATEROLE (the
    official image's POSTGRES_USER has it); otherwise an operator creates the role once.
    """
    if connection.dialect.name != "postgresql":
        return False
    # psycopg composes the statement: PostgreSQL's utility statements take no bind parameters,
    # and SQLAlchemy's own text would treat ":" and "%" in the password as placeholders.
    attributes = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    verb = sql.SQL("CREATE ROLE" if exists is None else "ALTER ROLE")
    statement = sql.SQL("{} {} {} PASSWORD {}").format(
        verb, sql.Identifier(role), attributes, sql.Literal(password)
    )
    cursor = connection.connection.cursor()  # the unit's own transaction
    try:
        cursor.execute(statement)
    except psycopg.errors.InsufficientPrivilege as error:
        raise RoleSetupError(
            f"could not create or update the role {role!r} as the migration user "
            f"({type(error).__name__}); create it once with "
            f"CREATE ROLE {role} LOGIN PASSWORD '...', or give the owner CREATEROLE"
        ) from None
    finally:
        cursor.close()
    return exists is None


def grant_app_role(connection: Connection, role: str) -> None:
    """Idempotent: safe to run after every migration."""
    if connection.dialect.name != "postgresql":
        return  # SQLite has no roles: the embedded default is one process and one file
    who = _ident(connection, role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {who}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {who}")
    for table in READ_ONLY_TABLES:
        statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM {who}")
    for statement in statements:
        connection.execute(text(statement))
