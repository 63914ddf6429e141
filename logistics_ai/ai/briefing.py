"""KPIs of a service day and the dispatcher's daily briefing, computed from the database.

On time means the drop-off stop was completed no later than the end of its window.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from logistics_ai.ai.explain import LateRisk, late_risks
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.models import Route, Shipment, ShipmentStatus, Stop, StopKind, StopStatus
from logistics_ai.security.policy import Action, require

CLOSED = (ShipmentStatus.delivered, ShipmentStatus.failed, ShipmentStatus.cancelled)


@dataclass(frozen=True)
class DayKpis:
    day: str
    shipments: int
    by_status: dict[str, int]
    delivered: int
    on_time: int
    on_time_rate: float | None  # None when nothing was delivered
    failures_by_reason: dict[str, int]
    late_risk_open: int
    unassigned_open: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Briefing:
    day: str
    yesterday: DayKpis
    today: DayKpis
    risks: list[LateRisk] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _reason(text: str | None) -> str:
    return " ".join((text or "no reason given").lower().split())[:60]


def day_kpis(session: Session, actor: Actor, day: date) -> DayKpis:
    require(actor, Action.fleet_read)
    statuses = session.exec(select(Shipment.status).where(Shipment.service_date == day)).all()
    by_status = dict(Counter(str(s) for s in statuses))
    dropoffs = session.exec(
        select(Stop, Shipment)
        .join(Route, col(Route.id) == Stop.route_id)
        .join(Shipment, col(Shipment.id) == Stop.shipment_id)
        .where(Route.service_date == day, Stop.kind == StopKind.dropoff)
    ).all()
    done = [
        (clock.as_aware(s.completed_at), clock.as_aware(sh.dropoff_window_end))
        for s, sh in dropoffs
        if s.status == StopStatus.done and s.completed_at is not None
    ]
    on_time = len([1 for completed, window_end in done if completed <= window_end])
    failed = session.exec(
        select(Stop.failure_reason)
        .join(Route, col(Route.id) == Stop.route_id)
        .where(Route.service_date == day, Stop.status == StopStatus.failed)
    ).all()
    late_open = session.exec(
        select(Stop.id)
        .join(Route, col(Route.id) == Stop.route_id)
        .where(
            Route.service_date == day,
            col(Stop.late_risk).is_(True),
            col(Stop.status).in_([StopStatus.pending, StopStatus.arrived]),
        )
    ).all()
    unassigned = session.exec(
        select(Shipment.id).where(
            Shipment.service_date == day,
            col(Shipment.driver_id).is_(None),
            col(Shipment.status).not_in(CLOSED),
        )
    ).all()
    return DayKpis(
        day=day.isoformat(),
        shipments=len(statuses),
        by_status=by_status,
        delivered=len(done),
        on_time=on_time,
        on_time_rate=round(on_time / len(done), 3) if done else None,
        failures_by_reason=dict(Counter(_reason(r) for r in failed).most_common()),
        late_risk_open=len(late_open),
        unassigned_open=len(unassigned),
    )


def _rate(k: DayKpis) -> str:
    if k.on_time_rate is None:
        return "no deliveries"
    return f"{k.on_time_rate:.0%} on time ({k.on_time} of {k.delivered} deliveries)"


def daily_briefing(session: Session, actor: Actor, day: date | None = None) -> Briefing:
    today = day or clock.today_local()
    yesterday = day_kpis(session, actor, today - timedelta(days=1))
    now = day_kpis(session, actor, today)
    risks = late_risks(session, actor, today)
    failures = ", ".join(f"{n} {reason}" for reason, n in yesterday.failures_by_reason.items())
    lines = [
        f"Yesterday: {_rate(yesterday)}; "
        + (f"failures: {failures}." if failures else "no failed deliveries."),
        f"Today: {now.shipments} shipments, {now.unassigned_open} not on a route, "
        f"{now.late_risk_open} stops at risk of being late.",
        *[risk.line for risk in risks[:3]],
    ]
    return Briefing(today.isoformat(), yesterday, now, risks, lines)
