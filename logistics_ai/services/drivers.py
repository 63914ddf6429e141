"""Drivers: the fleet board, shift status, today's stops and stop events."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, bindparam, func, insert, or_, update
from sqlmodel import Session, col, select

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, NotFound, PermissionDenied
from logistics_ai.domain.validation import Moment, fail, parse
from logistics_ai.models import (
    Customer,
    Driver,
    DriverStatus,
    LocationPing,
    ProofOfDelivery,
    Route,
    RouteStatus,
    Shipment,
    ShipmentStatus,
    Stop,
    StopKind,
    StopStatus,
    User,
    Vehicle,
    saved_id,
    utcnow,
)
from logistics_ai.realtime.bus import queue_event
from logistics_ai.security import policy, shredding
from logistics_ai.security.policy import Action
from logistics_ai.services import audit, notifications
from logistics_ai.services.eta_updates import refresh_after_commit, refresh_after_move
from logistics_ai.services.shipment_status import CLOSED_STOP, OPEN_STOP, StopEvent, transition

DRIVERS_CHANNEL = "drivers"
MAX_REASON_LENGTH = 300


@dataclass(frozen=True)
class DriverRow:
    id: int
    name: str
    status: str
    vehicle: str
    capacity_kg: float
    skills: str
    stops_today: int
    stops_done_today: int
    last_seen: str
    # Last GPS fix (None before the first one): the dashboard's markers and live fleet list.
    lat: float | None = None
    lon: float | None = None
    late_risk: int = 0


@dataclass(frozen=True)
class StopView:
    stop: Stop
    shipment: Shipment

    @property
    def address(self) -> str:
        return (
            self.shipment.pickup_address
            if self.stop.kind == StopKind.pickup
            else self.shipment.dropoff_address
        )

    @property
    def window(self) -> tuple:  # (start, end) datetimes
        if self.stop.kind == StopKind.pickup:
            return self.shipment.pickup_window_start, self.shipment.pickup_window_end
        return self.shipment.dropoff_window_start, self.shipment.dropoff_window_end

    @property
    def position(self) -> tuple[float, float]:
        if self.stop.kind == StopKind.pickup:
            return self.shipment.pickup_lat, self.shipment.pickup_lon
        return self.shipment.dropoff_lat, self.shipment.dropoff_lon


def fleet_board(
    session: Session, actor: Actor, day: date, driver_ids: Collection[int] | None = None
) -> list[DriverRow]:
    """The fleet for `day`; `driver_ids` narrows it to a few rows (the live board's deltas)."""
    policy.require(actor, Action.fleet_read)
    only = (lambda column: column.in_(list(driver_ids))) if driver_ids is not None else None

    def per_driver(*conditions: Any) -> dict[int, int]:
        query = (
            select(Route.driver_id, func.count(col(Stop.id)))
            .join(Stop, col(Stop.route_id) == Route.id)
            .where(Route.service_date == day, *conditions)
            .group_by(col(Route.driver_id))
        )
        if only is not None:
            query = query.where(only(col(Route.driver_id)))
        return {driver_id: count for driver_id, count in session.exec(query).all()}

    counts = per_driver()
    done = per_driver(col(Stop.status).in_([StopStatus.done, StopStatus.failed]))
    late = per_driver(col(Stop.late_risk).is_(True), col(Stop.status).in_(OPEN_STOP))
    query = (
        select(Driver, User, Vehicle)
        .join(User, col(User.id) == Driver.user_id)
        .join(Vehicle, col(Vehicle.id) == Driver.vehicle_id, isouter=True)
        .order_by(col(User.full_name))
    )
    if only is not None:
        query = query.where(only(col(Driver.id)))
    rows = session.exec(query).all()
    return [
        DriverRow(
            id=saved_id(driver),
            name=user.full_name,
            status=driver.status,
            vehicle=f"{vehicle.label} ({vehicle.plate})" if vehicle else "no vehicle",
            capacity_kg=vehicle.capacity_kg if vehicle else 0.0,
            skills=vehicle.skills if vehicle else "",
            stops_today=counts.get(saved_id(driver), 0),
            stops_done_today=done.get(saved_id(driver), 0),
            last_seen=driver.last_seen_at.isoformat() if driver.last_seen_at else "",
            lat=driver.last_lat,
            lon=driver.last_lon,
            late_risk=late.get(saved_id(driver), 0),
        )
        for driver, user, vehicle in rows
    ]


def names(session: Session, actor: Actor, driver_ids: Collection[int]) -> dict[int, str]:
    """Drivers' names by id, as the fleet board shows them (the map's stop titles name the
    driver of each stop)."""
    policy.require(actor, Action.fleet_read)
    query = (
        select(Driver.id, User.full_name)
        .join(User, col(User.id) == Driver.user_id)
        .where(col(Driver.id).in_(list(driver_ids)))
    )
    return {driver_id: name for driver_id, name in session.exec(query).all() if driver_id}


def set_status(session: Session, actor: Actor, driver_id: int, status: DriverStatus) -> Driver:
    if (
        policy.require(actor, Action.driver_status_update) == "self"
        and actor.driver_id != driver_id
    ):
        raise PermissionDenied("You can only change your own shift status.")
    driver = session.get(Driver, driver_id)
    if driver is None:
        raise NotFound(f"Driver {driver_id} was not found.")
    previous = driver.status
    driver.status = DriverStatus(status)
    session.add(driver)
    audit.record(
        session,
        actor,
        "driver.status_changed",
        "driver",
        driver_id,
        {"from": previous, "to": status},
    )
    queue_event(session, DRIVERS_CHANNEL, {"driver_id": driver_id, "status": str(status)})
    return driver


def set_own_status(session: Session, actor: Actor, status: DriverStatus) -> Driver:
    """A driver's own shift status (the driver app's toggle, PUT /drivers/me/status)."""
    policy.require(actor, Action.driver_status_update)
    if actor.driver_id is None:
        raise NotFound("You have no driver profile.")
    return set_status(session, actor, actor.driver_id, status)


def stops_for_day(session: Session, actor: Actor, driver_id: int, day: date) -> list[StopView]:
    if policy.require(actor, Action.route_read) == "self" and actor.driver_id != driver_id:
        raise NotFound("Route not found.")
    rows = session.execute(_STOPS_OF_DAY, {"b_driver": driver_id, "b_day": day}).all()
    return [StopView(stop=stop, shipment=shipment) for stop, shipment in rows]


# Built once: the driver app reads it on every refresh, and the live fan-out for each
# driver's screen after each of their changes.
_STOPS_OF_DAY = (
    select(Stop, Shipment)
    .join(Route, col(Route.id) == Stop.route_id)
    .join(Shipment, col(Shipment.id) == Stop.shipment_id)
    .where(Route.driver_id == bindparam("b_driver"), Route.service_date == bindparam("b_day"))
    .order_by(col(Stop.sequence))
)


def my_route(session: Session, actor: Actor, day: date) -> list[StopView]:
    """The calling driver's own stops for a day."""
    policy.require(actor, Action.route_read)
    if actor.driver_id is None:
        raise NotFound("This account has no driver profile.")
    return stops_for_day(session, actor, actor.driver_id, day)


# A stop event's one read before its first write, built once: the stop, its route and
# shipment; the customer's recipient for the outbox row (notifications.RECIPIENT_COLUMNS);
# the driver's subject key, which seals their audit rows (shredding.key_column). Three round
# trips before (the recipient and the key were read between the writes, each autoflushing
# them), and building the statement per call was a large part of the event's CPU
# (docs/performance.md, Round 9: the stop event's statements).
_STOP_EVENT_COLUMNS: tuple[Any, ...] = (
    Stop,
    Route,
    Shipment,
    *notifications.RECIPIENT_COLUMNS,
    shredding.key_column(bindparam("subject_id")),
)
_STOP_EVENT_READ = notifications.with_recipient(
    select(*_STOP_EVENT_COLUMNS)
    .join(Route, col(Route.id) == Stop.route_id)
    .join(Shipment, col(Shipment.id) == Stop.shipment_id)
    .join(Customer, col(Customer.id) == Shipment.customer_id)
).where(col(Stop.id) == bindparam("stop_id"))
_STOPS: Table = Stop.__table__  # type: ignore[attr-defined]
_OPEN_STOPS_ON_ROUTE = select(func.count(_STOPS.c.id)).where(
    _STOPS.c.route_id == bindparam("route_id"), _STOPS.c.status.in_(OPEN_STOP)
)


@dataclass(frozen=True)
class _StopContext:
    stop: Stop
    route: Route
    shipment: Shipment
    recipient: notifications.Recipient | None


def _stop_for_actor(session: Session, actor: Actor, stop_id: int) -> _StopContext:
    row = session.execute(
        _STOP_EVENT_READ, {"stop_id": stop_id, "subject_id": actor.user_id}
    ).first()
    granted = policy.require(actor, Action.stop_update)
    # A driver asking about another driver's stop learns nothing, not even that it exists.
    if row is None or (granted == "route" and row[1].driver_id != actor.driver_id):
        raise NotFound(f"Stop {stop_id} was not found.")
    stop, route, shipment, *recipient, key = row
    if actor.user_id is not None:
        shredding.remember(session, actor.user_id, key)
    return _StopContext(stop, route, shipment, notifications.recipient_from(recipient))


def record_stop_event(
    session: Session,
    actor: Actor,
    stop_id: int,
    event: StopEvent,
    *,
    reason: str | None = None,
    position: tuple[float, float] | None = None,
) -> StopView:
    """Record a driver's event at a stop; the stop and its shipment as the driver app shows
    them (the API's answer)."""
    found = _stop_for_actor(session, actor, stop_id)
    stop, route, shipment = found.stop, found.route, found.shipment
    reason = (reason or "").strip() or None
    if stop.status in CLOSED_STOP:
        raise Conflict(f"This stop is already {stop.status}.")
    now = utcnow()
    if event == "arrived":
        stop.status = StopStatus.arrived
        stop.actual_arrival = now
    elif event == "failed":
        if not reason:
            raise fail({"reason": "say why the stop failed (e.g. recipient absent)"})
        if len(reason) > MAX_REASON_LENGTH:
            raise fail({"reason": f"keep the reason under {MAX_REASON_LENGTH} characters"})
        transition(
            session,
            shipment,
            ShipmentStatus.failed,
            actor,
            note=reason,
            position=position,
            recipient=found.recipient,
        )
        stop.status = StopStatus.failed
        stop.failure_reason = reason
        stop.completed_at = now
        _skip_remaining_stops(session, shipment, stop)
    else:
        expected = StopKind.pickup if event == "picked_up" else StopKind.dropoff
        if stop.kind != expected:
            raise Conflict(f"This is a {stop.kind} stop; '{event}' does not apply to it.")
        target = ShipmentStatus.picked_up if event == "picked_up" else ShipmentStatus.delivered
        if target == ShipmentStatus.delivered and shipment.requires_proof:
            _require_proof(session, shipment)
        transition(
            session,
            shipment,
            target,
            actor,
            note=None,
            position=position,
            recipient=found.recipient,
        )
        stop.status = StopStatus.done
        stop.completed_at = now
        stop.actual_arrival = stop.actual_arrival or now
    session.add(stop)
    if route.status == RouteStatus.planned:
        route.status = RouteStatus.active
        session.add(route)
    # The stop's UPDATE (its version check) before its audit row: the row's lock before the
    # audit head's, as the shipment's in `transition` (the audit record writes at once).
    session.flush()
    audit.record(session, actor, f"stop.{event}", "stop", stop.id, {"reason": reason})
    if stop.status in CLOSED_STOP:  # an arrived stop is still open: the route cannot be done
        _complete_route_if_finished(session, route)
    refresh_after_commit(session, route.driver_id, now)
    # The shipment read with the stop, not looked up again: the session holds clean objects
    # weakly, so `stop_view`'s lookup found it gone and read it a second time.
    return StopView(stop=stop, shipment=shipment)


def _require_proof(session: Session, shipment: Shipment) -> None:
    proof = session.exec(
        select(ProofOfDelivery.id).where(ProofOfDelivery.shipment_id == shipment.id)
    ).first()
    if proof is None:
        raise Conflict(
            f"Shipment {shipment.tracking_code} needs a proof of delivery (photo) before it "
            "can be marked delivered.",
            details={"reason": "proof_required"},
        )


def _skip_remaining_stops(session: Session, shipment: Shipment, failed_stop: Stop) -> None:
    for other in session.exec(select(Stop).where(Stop.shipment_id == shipment.id)).all():
        if other.id != failed_stop.id and other.status == StopStatus.pending:
            other.status = StopStatus.skipped
            session.add(other)


def _complete_route_if_finished(session: Session, route: Route) -> None:
    open_stops = session.execute(_OPEN_STOPS_ON_ROUTE, {"route_id": route.id}).scalar_one()
    if open_stops == 0 and route.status != RouteStatus.completed:
        route.status = RouteStatus.completed
        session.add(route)


# --- GPS -------------------------------------------------------------------------------

MAX_PINGS_PER_BATCH = 100


class PingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    recorded_at: Moment | None = None
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    speed_mps: float | None = Field(default=None, ge=0, le=100)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)


class PingBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pings: list[PingIn] = Field(min_length=1, max_length=MAX_PINGS_PER_BATCH)


@dataclass(frozen=True, slots=True)
class DriverPosition:
    """Where the server holds a driver after a GPS batch (the batch's newest fix, or a newer
    one it already had)."""

    id: int
    last_lat: float | None
    last_lon: float | None
    last_seen_at: datetime | None


_DRIVERS: Table = Driver.__table__  # type: ignore[attr-defined]
_PINGS: Table = LocationPing.__table__  # type: ignore[attr-defined]
_POSITION = (_DRIVERS.c.id, _DRIVERS.c.last_lat, _DRIVERS.c.last_lon, _DRIVERS.c.last_seen_at)
# Built once, not per batch: building and keying the statements was a tenth of a batch's CPU.
_MOVE_DRIVER = (
    update(_DRIVERS)
    .where(
        _DRIVERS.c.id == bindparam("b_id"),
        or_(_DRIVERS.c.last_seen_at.is_(None), _DRIVERS.c.last_seen_at <= bindparam("b_at")),
    )
    .values(
        last_lat=bindparam("b_lat"), last_lon=bindparam("b_lon"), last_seen_at=bindparam("b_at")
    )
    .returning(*_POSITION)
)
_HELD_POSITION = select(*_POSITION).where(_DRIVERS.c.id == bindparam("b_id"))
_ADD_FIXES = insert(_PINGS)


def record_locations(session: Session, actor: Actor, payload: PingBatch | dict) -> DriverPosition:
    """Store a batch of GPS fixes from the driver's phone and move the driver's marker.

    The busiest write of the product (every driver every few seconds), so it is two Core
    statements, not an ORM unit of work: one UPDATE that moves the driver only if the batch's
    newest fix is newer than the one held (RETURNING the position), and one multi-row INSERT
    of the fixes. The ORM version read the driver, then flushed the update and the fixes
    (docs/performance.md, Round 9)."""
    policy.require(actor, Action.driver_location_update)
    batch = payload if isinstance(payload, PingBatch) else parse(PingBatch, payload)
    if actor.driver_id is None:
        raise NotFound("This account has no driver profile.")
    driver_id = actor.driver_id
    now = utcnow()
    stamped = [(clock.as_aware(p.recorded_at) if p.recorded_at else now, p) for p in batch.pings]
    latest_at, latest = stamped[0]
    for at, ping in stamped:
        if at > now + timedelta(minutes=5):
            raise fail({"recorded_at": "is in the future; check the phone's clock"})
        if at >= latest_at:  # the last of equal timestamps wins, as the phone sent them
            latest_at, latest = at, ping
    fixes = [
        {
            "driver_id": driver_id,
            "lat": ping.lat,
            "lon": ping.lon,
            "recorded_at": at,
            "accuracy_m": ping.accuracy_m,
            "speed_mps": ping.speed_mps,
            "heading_deg": ping.heading_deg,
        }
        for at, ping in stamped
    ]
    moved = session.execute(
        _MOVE_DRIVER,
        {"b_id": driver_id, "b_lat": latest.lat, "b_lon": latest.lon, "b_at": latest_at},
    ).first()
    held = moved or session.execute(_HELD_POSITION, {"b_id": driver_id}).first()
    if held is None:
        raise NotFound("This account has no driver profile.")
    # Fixes older than the position held are still history (a phone replaying its queue).
    session.execute(_ADD_FIXES, fixes)
    if moved is not None:
        refresh_after_move(session, driver_id, now, latest.lat, latest.lon)
        queue_event(
            session,
            DRIVERS_CHANNEL,
            {
                "driver_id": driver_id,
                "lat": latest.lat,
                "lon": latest.lon,
                "at": latest_at.isoformat(),
            },
        )
    return DriverPosition(*held)


def stop_view(session: Session, stop: Stop) -> StopView:
    return StopView(stop=stop, shipment=session.get_one(Shipment, stop.shipment_id))
