"""What the live screens re-read when an event arrives: KPI tiles and single rows.

The fan-out (`services/live_updates.py`) never re-reads whole tables: it asks these functions
for the few rows an event touched, and for the KPI tiles (five aggregates in one query per
table) at most once per batch of events.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.clock import local_zone
from logistics_ai.models import Route, Shipment, ShipmentStatus, Stop, TrackingEvent
from logistics_ai.security import policy
from logistics_ai.security.policy import Action
from logistics_ai.services.shipment_status import ON_BOARD, OPEN_STOP

S = ShipmentStatus
# Waiting for their pickup: booked, scheduled or assigned, not yet in a vehicle.
WAITING: tuple[ShipmentStatus, ...] = (S.requested, S.scheduled, S.assigned)


@dataclass(frozen=True)
class Kpis:
    """The dashboard's tiles for one service day."""

    open: int  # waiting for pickup
    in_transit: int  # picked up or on the way
    delivered_today: int  # delivered today (local day), whatever their service day
    on_time_today: int  # of those, delivered before their drop-off window closed
    late_risk: int  # open stops of the day whose ETA passes their window

    @property
    def on_time_rate(self) -> str:
        """ "93%", or "—" before the first delivery of the day (no rate to show)."""
        if self.delivered_today == 0:
            return "—"
        return f"{round(100 * self.on_time_today / self.delivered_today)}%"


def kpis(session: Session, actor: Actor, day: date) -> Kpis:
    policy.require(actor, Action.fleet_read)
    open_count, on_board = session.exec(
        select(
            func.coalesce(func.sum(case((col(Shipment.status).in_(WAITING), 1), else_=0)), 0),
            func.coalesce(func.sum(case((col(Shipment.status).in_(ON_BOARD), 1), else_=0)), 0),
        ).where(Shipment.service_date == day)
    ).one()
    start = datetime.combine(day, datetime.min.time(), tzinfo=local_zone()).astimezone(UTC)
    delivered, on_time = session.exec(
        select(
            func.count(col(TrackingEvent.id)),
            func.coalesce(
                func.sum(
                    case(
                        (
                            col(TrackingEvent.occurred_at) <= col(Shipment.dropoff_window_end),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
        )
        .join(Shipment, col(Shipment.id) == TrackingEvent.shipment_id)
        .where(
            TrackingEvent.status == S.delivered,
            col(TrackingEvent.occurred_at) >= start,
            col(TrackingEvent.occurred_at) < start + timedelta(days=1),
        )
    ).one()
    late = session.exec(
        select(func.count(col(Stop.id)))
        .join(Route, col(Route.id) == Stop.route_id)
        .where(
            Route.service_date == day,
            col(Stop.late_risk).is_(True),
            col(Stop.status).in_(OPEN_STOP),
        )
    ).one()
    return Kpis(int(open_count), int(on_board), int(delivered), int(on_time), int(late))


def shipments_by_id(session: Session, actor: Actor, ids: Collection[int]) -> list[Shipment]:
    """The shipments among `ids` that `actor` may read (others are silently left out)."""
    granted = policy.require(actor, Action.shipment_read)
    query = select(Shipment).where(col(Shipment.id).in_(list(ids)))
    if granted == "own":
        query = query.where(Shipment.customer_id == (actor.customer_id or -1))
    elif granted == "route":
        query = query.where(Shipment.driver_id == (actor.driver_id or -1))
    elif granted != "all":
        return []
    return list(session.exec(query).all())
