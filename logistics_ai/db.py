"""Database engine and sessions: SQLite in the embedded default, pooled PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, create_engine

from logistics_ai.domain.errors import StaleWrite
from logistics_ai.realtime.bus import discard_pending, publish_committed
from logistics_ai.settings import get_settings


def ensure_sqlite_directory(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def build_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_directory(database_url)
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    settings = get_settings()
    return create_engine(
        database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,  # survive a PostgreSQL failover or an idle-connection reaper
        pool_recycle=1800,
        # PgBouncer in transaction mode hands each transaction to any server connection, so
        # psycopg must not prepare statements server-side (prepare_threshold=None).
        connect_args={"prepare_threshold": None} if settings.db_pgbouncer else {},
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the app read while the seed or a driver writes; FKs are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error, always closes."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except StaleDataError as stale:
            # A versioned row (shipment, stop, route) changed since this unit of work read it.
            session.rollback()
            discard_pending(session)
            raise StaleWrite(
                "Someone else changed this record while you were working on it; nothing was "
                "saved. Reload it and try again.",
                details={"reason": "stale_write"},
            ) from stale
        except BaseException:
            session.rollback()
            discard_pending(session)
            raise
        publish_committed(session)
