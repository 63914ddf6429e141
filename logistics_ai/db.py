"""Database engine and sessions: SQLite in the embedded default, pooled PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    # A fixed pool per process (no churn). No pre-ping: a round trip per checkout would be
    # a quarter of a read's database time. A dropped connection (failover, idle reaper) is
    # instead detected when it fails: SQLAlchemy then invalidates the whole pool, so only
    # the requests in flight fail (503 + Retry-After, see api/errors.py) and the next ones
    # connect afresh. LIFO keeps the busy set small, so the idle tail can age out.
    return create_engine(
        database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=1800,
        pool_use_lifo=True,
        # PgBouncer in transaction mode hands each transaction to any server connection, so
        # psycopg must not prepare statements server-side (prepare_threshold=None).
        connect_args={"prepare_threshold": None} if settings.db_pgbouncer else _IN_UTC,
    )


# Sessions in UTC (a server's default is often `Etc/UTC` or a local zone): psycopg then reads
# every timestamptz with `datetime.UTC` as its zone, which `UTCDateTime` keeps as it is, where
# any other zone costs a conversion per value (seven per shipment row: ~5% of a list's CPU,
# docs/performance.md, Round 11). PgBouncer refuses startup options unless told to ignore
# them, so behind it values are still converted, one by one, as before.
_IN_UTC = {"options": "-c TimeZone=UTC"}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the app read while the seed or a driver writes; FKs are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


def new_session() -> Session:
    """A session for one unit of work. Cheap: no connection is taken until the first query."""
    return Session(get_engine(), expire_on_commit=False)


class ReadSession(Session):
    """A session that only reads: each statement runs in its own implicit transaction.

    On PostgreSQL a unit of work costs BEGIN and COMMIT round trips around its statements;
    a single-statement read (one shipment by id) paid three round trips for one. Here the
    connection is in autocommit, so a read is one round trip. Statements do not share a
    snapshot (a list's count and its page may see different commits). Flushing a change
    raises: writes belong in a unit of work (`new_session`), never here.
    """

    def flush(self, objects: Any = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("ReadSession cannot write; use a unit of work (new_session).")
        super().flush(objects)


@lru_cache(maxsize=4)  # keyed by the engine: tests build one engine per database
def _autocommit(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def new_read_session() -> ReadSession:
    """A read-only session without BEGIN/COMMIT round trips (see ReadSession)."""
    return ReadSession(_autocommit(get_engine()), expire_on_commit=False)


_AFTER_UNIT = "lai_after_unit"


def after_unit(session: Session, run: Callable[[], None]) -> None:
    """Run `run` once `session`'s unit of work has committed, given its connection back to the
    pool and announced its changes (`commit_unit`); a unit that rolls back runs nothing.

    For side work that opens a unit of its own (ETA refreshes): run from the commit itself
    (SQLAlchemy's after_commit, which fires before the session lets go of its connection),
    it held a second connection in the same thread, so a burst of such requests could leave
    threads waiting for each other's connections, and the request's answer waited for it
    with its first connection still checked out (docs/performance.md, Round 9).
    """
    session.info.setdefault(_AFTER_UNIT, []).append(run)


def commit_unit(session: Session) -> None:
    """Commit, then announce the committed changes, then run the side work queued with
    `after_unit` (side work runs after the commit, with the connection given back)."""
    try:
        session.commit()
    except BaseException as error:
        abandon_unit(session, error)
        raise
    session.close()
    publish_committed(session)
    for run in session.info.pop(_AFTER_UNIT, []):
        run()


def abandon_unit(session: Session, error: BaseException | None = None) -> None:
    """Roll back and forget the announcements of a failed unit of work.

    A stale versioned row (shipment, stop, route changed since this unit of work read it)
    is raised as the domain's StaleWrite (409) instead of the ORM's error.
    """
    session.rollback()
    discard_pending(session)
    session.info.pop(_AFTER_UNIT, None)
    session.close()
    if isinstance(error, StaleDataError):
        raise StaleWrite(
            "Someone else changed this record while you were working on it; nothing was "
            "saved. Reload it and try again.",
            details={"reason": "stale_write"},
        ) from error


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error, always closes."""
    session = new_session()
    try:
        yield session
    except BaseException as error:
        abandon_unit(session, error)
        raise
    commit_unit(session)
