"""Business KPIs and the outbox backlog for /metrics, read from the database at scrape time.

One small aggregate query per family, cached for a few seconds so that several Prometheus
servers (or a fast scrape interval) cost the database nothing noticeable. A failing query
never breaks the scrape: the family is left out and `lai_kpi_scrape_errors_total` counts it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from loguru import logger
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from logistics_ai.db import get_engine
from logistics_ai.domain.clock import local_zone, today_local

CACHE_SECONDS = 10.0
SCRAPE_ERRORS = Counter(
    "lai_kpi_scrape_errors_total", "KPI queries that failed during a scrape", ["family"]
)

# Stop failure reasons are free text typed by drivers (and may name people): only these
# bounded classes become label values, by keyword; anything else counts as "other".
FAILURE_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recipient_absent", ("absent", "not home", "no one", "nobody", "no answer", "unavailable")),
    ("refused", ("refus", "declin", "rejected")),
    ("address_problem", ("address", "not found", "wrong", "access", "gate", "locked")),
    ("closed", ("closed", "business hours")),
    ("damaged", ("damage", "broken")),
)


def failure_class(reason: str | None) -> str:
    lowered = (reason or "").lower()
    for name, words in FAILURE_CLASSES:
        if any(word in lowered for word in words):
            return name
    return "other"


class OperationsCollector:
    """A prometheus_client custom collector (the registry calls `collect` on each scrape)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached_at = 0.0
        self._families: list[GaugeMetricFamily] = []

    def describe(self) -> list[Any]:
        return []  # families are only known after a query; skip the registry's dry run

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            if time.monotonic() - self._cached_at > CACHE_SECONDS:
                self._families = list(self._query())
                self._cached_at = time.monotonic()
            yield from self._families

    def _query(self) -> Iterator[GaugeMetricFamily]:
        for family, query in (
            ("shipments", _shipments_today),
            ("on_time", _on_time_today),
            ("failures", _failures_today),
            ("outbox", _outbox_backlog),
        ):
            try:
                yield from query()
            except Exception as error:  # a missing table or a down database: skip the family
                SCRAPE_ERRORS.labels(family).inc()
                logger.warning("KPI query {} failed: {}", family, type(error).__name__)


def _day_bounds() -> tuple[datetime, datetime, date]:
    day = today_local()
    start = datetime.combine(day, datetime.min.time(), tzinfo=local_zone()).astimezone(UTC)
    return start, start + timedelta(days=1), day


def _shipments_today() -> Iterator[GaugeMetricFamily]:
    _, _, day = _day_bounds()
    family = GaugeMetricFamily(
        "lai_shipments_today", "Shipments of today's service day by status", labels=["status"]
    )
    with get_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT status, count(*) FROM shipments WHERE service_date = :day GROUP BY status"
            ),
            {"day": day},
        ).all()
    for status, count in rows:
        family.add_metric([str(status)], float(count))
    yield family


def _on_time_today() -> Iterator[GaugeMetricFamily]:
    start, end, _ = _day_bounds()
    with get_engine().connect() as connection:
        delivered, on_time = connection.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN e.occurred_at <= s.dropoff_window_end "
                "THEN 1 ELSE 0 END), 0) FROM tracking_events e "
                "JOIN shipments s ON s.id = e.shipment_id "
                "WHERE e.status = 'delivered' AND e.occurred_at >= :start AND e.occurred_at < :end"
            ),
            {"start": start, "end": end},
        ).one()
    yield GaugeMetricFamily(
        "lai_deliveries_today", "Deliveries completed today", value=float(delivered)
    )
    yield GaugeMetricFamily(
        "lai_deliveries_on_time_today",
        "Deliveries completed today within their drop-off window",
        value=float(on_time),
    )


def _failures_today() -> Iterator[GaugeMetricFamily]:
    start, end, _ = _day_bounds()
    family = GaugeMetricFamily(
        "lai_delivery_failures_today", "Stops failed today by reason class", labels=["reason"]
    )
    counts: dict[str, int] = {}
    with get_engine().connect() as connection:
        rows = connection.execute(
            text(
                "SELECT failure_reason, count(*) FROM stops WHERE status = 'failed' "
                "AND completed_at >= :start AND completed_at < :end GROUP BY failure_reason"
            ),
            {"start": start, "end": end},
        ).all()
    for reason, count in rows:
        key = failure_class(reason)
        counts[key] = counts.get(key, 0) + int(count)
    for reason, count in sorted(counts.items()):
        family.add_metric([reason], float(count))
    yield family


def _outbox_backlog() -> Iterator[GaugeMetricFamily]:
    """Pending rows of the notification outbox and the age of the oldest one."""
    with get_engine().connect() as connection:
        pending, oldest = connection.execute(
            text("SELECT count(*), min(created_at) FROM notifications WHERE status = 'pending'")
        ).one()
    yield GaugeMetricFamily(
        "lai_outbox_pending", "Outbox messages waiting to be sent", value=float(pending)
    )
    age = 0.0
    if oldest is not None:
        if isinstance(oldest, str):  # SQLite returns text
            oldest = datetime.fromisoformat(oldest)
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    yield GaugeMetricFamily(
        "lai_outbox_oldest_pending_age_seconds",
        "Age of the oldest outbox message still waiting (0 when none)",
        value=age,
    )
