"""One-line, data-grounded causes for late-risk stops, with a suggested fix.

Deterministic: which stop is late and by how much, what upstream delay or window caused it,
and a fix from the rules below. The model may rephrase the line (never the facts).

Fix rules, first that applies: swap the stop ahead of an earlier stop whose window ends
later; reassign the shipment while it is not picked up yet; otherwise notify the customer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.models import Driver, Shipment, Stop, StopKind, StopStatus, User
from logistics_ai.services.eta_updates import late_alerts
from logistics_ai.services.shipment_status import ASSIGNABLE, OPEN_STOP

Fix = str  # "swap" | "reassign" | "notify"


@dataclass(frozen=True)
class LateRisk:
    stop_id: int
    shipment_id: int
    tracking_code: str
    kind: str
    driver_id: int
    driver_name: str
    sequence: int
    eta: str  # local HH:MM
    window: str  # local HH:MM-HH:MM
    late_minutes: int
    cause: str
    fix: Fix
    fix_detail: str
    line: str
    movable: bool  # not picked up and not started: another driver could still take it
    window_left_min: int  # minutes until the window closes (negative: already closed)
    swap_before_stop_id: int | None = None  # fix "swap": the stop to move this one ahead of

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _stops(n: int) -> str:
    return f"{n} earlier stop" if n == 1 else f"{n} earlier stops"


def _hm(moment: datetime | None) -> str:
    return clock.to_local(clock.as_aware(moment)).strftime("%H:%M") if moment else "?"


def _window(stop: Stop, shipment: Shipment) -> tuple[datetime, datetime]:
    if stop.kind == StopKind.pickup:
        return shipment.pickup_window_start, shipment.pickup_window_end
    return shipment.dropoff_window_start, shipment.dropoff_window_end


def _minutes_late(stop: Stop, shipment: Shipment) -> int:
    if stop.planned_arrival is None:
        return 0
    end = clock.as_aware(_window(stop, shipment)[1])
    return max(0, round((clock.as_aware(stop.planned_arrival) - end).total_seconds() / 60))


def explain_stop(session: Session, stop: Stop, shipment: Shipment, driver: Driver) -> LateRisk:
    ahead = list(
        session.exec(
            select(Stop, Shipment)
            .join(Shipment, col(Shipment.id) == Stop.shipment_id)
            .where(
                Stop.route_id == stop.route_id,
                col(Stop.status).in_(OPEN_STOP),
                col(Stop.sequence) < stop.sequence,
            )
            .order_by(col(Stop.sequence))
        ).all()
    )
    late_by = _minutes_late(stop, shipment)
    start, end = _window(stop, shipment)
    width = round((clock.as_aware(end) - clock.as_aware(start)).total_seconds() / 60)
    upstream_late = [(s, sh) for s, sh in ahead if s.late_risk]
    if upstream_late:
        first, first_shipment = upstream_late[0]
        cause = (
            f"delay carried from stop {first.sequence + 1} ({first_shipment.tracking_code} "
            f"{first.kind}, {_minutes_late(first, first_shipment)} min late)"
        )
    elif width <= 45:
        cause = f"a narrow {width}-min window behind {_stops(len(ahead))}"
    elif ahead:
        cause = f"{_stops(len(ahead))} ahead of it on the route"
    else:
        cause = "the driver's current position is too far from it"
    my_end = clock.as_aware(end)
    # A drop-off can only move up to just after its own pickup.
    own_pickup = next((s.sequence for s, _ in ahead if s.shipment_id == stop.shipment_id), -1)
    swappable = next(
        (
            (s, sh)
            for s, sh in ahead
            if s.sequence > own_pickup and clock.as_aware(_window(s, sh)[1]) > my_end
        ),
        None,
    )
    movable = shipment.status in ASSIGNABLE and stop.status == StopStatus.pending
    if swappable is not None:
        fix: Fix = "swap"
        detail = (
            f"move it ahead of stop {swappable[0].sequence + 1} "
            f"({swappable[1].tracking_code}, window ends {_hm(_window(*swappable)[1])})"
        )
    elif movable:
        fix, detail = "reassign", "reassign it to a driver with room (ask: best driver)"
    else:
        fix, detail = "notify", f"tell the customer the new ETA {_hm(stop.planned_arrival)}"
    user = session.get(User, driver.user_id)
    name = user.full_name if user else f"driver {driver.id}"
    line = (
        f"{shipment.tracking_code} {stop.kind} (stop {stop.sequence + 1} of {name}): ETA "
        f"{_hm(stop.planned_arrival)}, {late_by} min after its {_hm(start)}-{_hm(end)} window; "
        f"cause: {cause}. Suggested: {detail}."
    )
    return LateRisk(
        stop_id=stop.id or 0,
        shipment_id=shipment.id or 0,
        tracking_code=shipment.tracking_code,
        kind=stop.kind,
        driver_id=driver.id or 0,
        driver_name=name,
        sequence=stop.sequence + 1,
        eta=_hm(stop.planned_arrival),
        window=f"{_hm(start)}-{_hm(end)}",
        late_minutes=late_by,
        cause=cause,
        fix=fix,
        fix_detail=detail,
        line=line,
        movable=movable,
        window_left_min=round((my_end - clock.utcnow()).total_seconds() / 60),
        swap_before_stop_id=swappable[0].id if swappable is not None else None,
    )


def late_risks(session: Session, actor: Actor, day: date | None = None) -> list[LateRisk]:
    """Every late-risk stop of the day with its cause and fix (fleet_read required)."""
    rows = late_alerts(session, actor, day or clock.today_local())
    return [explain_stop(session, stop, shipment, driver) for stop, shipment, driver in rows]
