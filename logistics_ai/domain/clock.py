"""Local time of the operating area: service days and window times are local."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from logistics_ai.models import utcnow
from logistics_ai.settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def today_local() -> date:
    return utcnow().astimezone(local_zone()).date()


def local_datetime(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=local_zone())


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def as_aware(moment: datetime) -> datetime:
    """Naive datetimes from forms mean local wall-clock time."""
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone())
