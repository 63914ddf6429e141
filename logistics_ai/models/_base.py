"""Column helpers shared by the table modules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import DateTime, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class _HasId(Protocol):
    id: int | None


def saved_id(row: _HasId) -> int:
    """The primary key of a row that has been flushed or read from the database.

    Table classes declare ``id: int | None`` because a new object has none until the
    flush; code holding a stored row uses this instead of an ``assert`` or a type-ignore.
    """
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush the session first")
    return row.id


def versioned(cls: Any) -> dict[str, Any]:
    """Mapper arguments for optimistic concurrency on a table's `version` column.

    Every ORM UPDATE adds `WHERE version = <the version read>` and bumps it, so a write made
    from a stale copy matches no row: SQLAlchemy raises StaleDataError, which the unit of work
    (logistics_ai.db.session_scope) turns into a 409 StaleWrite. Derived values that may be
    overwritten freely (ETAs) are written with plain UPDATE statements, which leave it alone.
    """
    return {"version_id_col": cls.__table__.c.version}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite drops tzinfo on the way back; this restores it so comparisons never mix
    naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None or value.tzinfo is UTC:  # PostgreSQL sessions are in UTC (db.py)
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
