"""Putting shipments on a driver's route for the day, and taking them off again.

`place_on_route` is the one assignment path: manual assignment, auto-insert and applying an
auto-dispatch plan all go through it (status steps, skills and capacity checks, audit), and
`resequence` is the one place that numbers a route's open stops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, NotFound
from logistics_ai.models import (
    Driver,
    Route,
    Shipment,
    ShipmentStatus,
    Stop,
    StopKind,
    StopStatus,
    Vehicle,
    utcnow,
)
from logistics_ai.realtime.bus import queue_event
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit
from logistics_ai.services.shipment_status import (
    ASSIGNABLE,
    CLOSED_STOP,
    ON_BOARD,
    ROUTES_CHANNEL,
    SHIPMENTS_CHANNEL,
    shipment_event,
    transition,
)

StopKey = tuple[int, str]  # (shipment id, stop kind)


def route_for(session: Session, driver_id: int, service_date: date) -> Route:
    route = session.exec(
        select(Route).where(Route.driver_id == driver_id, Route.service_date == service_date)
    ).first()
    if route is None:
        route = Route(driver_id=driver_id, service_date=service_date)
        session.add(route)
        session.flush()
    return route


def shipment_stops(session: Session, shipment_id: int) -> list[Stop]:
    return list(session.exec(select(Stop).where(Stop.shipment_id == shipment_id)).all())


def _tags(value: str) -> set[str]:
    return {tag.strip() for tag in value.split(",") if tag.strip()}


def check_vehicle_fits(session: Session, driver: Driver, shipment: Shipment) -> None:
    """Conflict unless the driver's vehicle has the skills and the capacity for the shipment."""
    vehicle = session.get(Vehicle, driver.vehicle_id) if driver.vehicle_id else None
    if vehicle is None:
        raise Conflict("This driver has no vehicle; assign one before giving them work.")
    missing = _tags(shipment.required_skills) - _tags(vehicle.skills)
    if missing:
        raise Conflict(
            f"This driver's vehicle lacks: {', '.join(sorted(missing))}.",
            details={"missing_skills": sorted(missing)},
        )
    if shipment.weight_kg > vehicle.capacity_kg or shipment.volume_m3 > vehicle.capacity_m3:
        raise Conflict(
            f"Shipment {shipment.tracking_code} ({shipment.weight_kg:g} kg, "
            f"{shipment.volume_m3:g} m3) does not fit {vehicle.label} "
            f"({vehicle.capacity_kg:g} kg, {vehicle.capacity_m3:g} m3).",
            details={"capacity": "exceeded"},
        )


def _touch(session: Session, route: Route) -> None:
    route.updated_at = utcnow()
    session.add(route)
    queue_event(
        session,
        ROUTES_CHANNEL,
        {"driver_id": route.driver_id, "service_date": route.service_date.isoformat()},
    )


def detach_from_route(session: Session, shipment: Shipment) -> None:
    """Remove a not-yet-started shipment's stops from its route."""
    if shipment.route_id is None or shipment.id is None:
        return
    stops = shipment_stops(session, shipment.id)
    if any(stop.status != StopStatus.pending for stop in stops):
        raise Conflict(
            f"Shipment {shipment.tracking_code} has a stop in progress; it cannot be moved."
        )
    route = session.get(Route, shipment.route_id)
    for stop in stops:
        session.delete(stop)
    if route is not None:
        _touch(session, route)
    shipment.route_id = None
    shipment.driver_id = None
    session.flush()


def place_on_route(
    session: Session,
    actor: Actor,
    shipment: Shipment,
    driver: Driver,
    route: Route,
    *,
    by: str = "dispatcher",
) -> tuple[Stop, Stop]:
    """Put `shipment` on `route` (the driver's day): its pickup and drop-off go last.

    Does nothing when it is already there. Otherwise checks the status, the vehicle's skills
    and capacity, takes the shipment off any other route, steps the status to assigned (or
    audits a reassignment) and returns the (pickup, drop-off) stops. Callers reorder with
    `resequence`.
    """
    require(actor, Action.shipment_assign)
    if shipment.id is None or driver.id is None or route.id is None:
        raise ValueError("place_on_route needs persisted rows")
    if route.driver_id != driver.id or route.service_date != shipment.service_date:
        raise Conflict(
            f"Shipment {shipment.tracking_code} is for {shipment.service_date}; "
            "that route is another driver's or another day's."
        )
    if shipment.route_id == route.id and shipment.status in (*ASSIGNABLE, *ON_BOARD):
        stops = {stop.kind: stop for stop in shipment_stops(session, shipment.id)}
        return stops[StopKind.pickup], stops[StopKind.dropoff]
    if ShipmentStatus(shipment.status) not in ASSIGNABLE:
        raise Conflict(
            f"Shipment {shipment.tracking_code} is {shipment.status} and can no longer be assigned."
        )
    check_vehicle_fits(session, driver, shipment)
    previous_driver = shipment.driver_id
    detach_from_route(session, shipment)
    if shipment.status == ShipmentStatus.requested:
        transition(session, shipment, ShipmentStatus.scheduled, actor, note="Scheduled")
    last = max((s.sequence for s in route_stops(session, route.id)), default=-1)
    pickup = Stop(
        route_id=route.id, shipment_id=shipment.id, kind=StopKind.pickup, sequence=last + 1
    )
    dropoff = Stop(
        route_id=route.id, shipment_id=shipment.id, kind=StopKind.dropoff, sequence=last + 2
    )
    session.add_all([pickup, dropoff])
    _touch(session, route)
    shipment.driver_id = driver.id
    shipment.route_id = route.id
    if shipment.status == ShipmentStatus.assigned:
        # Reassignment between drivers: the status stays, the audit says who and by what.
        audit.record(
            session,
            actor,
            "shipment.reassigned",
            "shipment",
            shipment.id,
            {"from_driver": previous_driver, "to_driver": driver.id, "by": by},
        )
        session.add(shipment)
        # No status change, but a new carrier: the live tracking page follows the new driver.
        queue_event(session, SHIPMENTS_CHANNEL, shipment_event(shipment))
    else:
        transition(session, shipment, ShipmentStatus.assigned, actor, note="Driver assigned")
        audit.record(
            session,
            actor,
            "shipment.assigned",
            "shipment",
            shipment.id,
            {"driver_id": driver.id, "by": by},
        )
    session.flush()
    return pickup, dropoff


def route_stops(session: Session, route_id: int) -> list[Stop]:
    return list(
        session.exec(
            select(Stop).where(Stop.route_id == route_id).order_by(col(Stop.sequence))
        ).all()
    )


def resequence(
    session: Session,
    route: Route,
    order: Sequence[StopKey],
    arrival: Callable[[StopKey], datetime | None] | None = None,
) -> None:
    """Number the route's open stops in `order`, after its closed ones.

    Pending stops that `order` leaves out (e.g. the solver could not fit them) keep their
    driver and go last, in their previous order, so no two stops share a place in the list.
    Stops already visited or in progress keep their place. Drop-off arrivals become the
    shipments' ETAs.
    """
    assert route.id is not None
    stops = route_stops(session, route.id)
    by_key = {(s.shipment_id, s.kind): s for s in stops}
    fixed = [s for s in stops if s.status != StopStatus.pending]
    sequence = max((s.sequence for s in fixed), default=-1) + 1
    placed: set[StopKey] = set()
    for key in order:
        stop = by_key.get(key)
        if stop is None or stop.status != StopStatus.pending or key in placed:
            continue
        stop.sequence = sequence
        if arrival is not None:
            stop.planned_arrival = arrival(key)
        placed.add(key)
        sequence += 1
    for stop in stops:
        if stop.status == StopStatus.pending and (stop.shipment_id, stop.kind) not in placed:
            stop.sequence = sequence
            sequence += 1
    session.add_all(stops)
    for stop in stops:
        if stop.kind == StopKind.dropoff and stop.status not in CLOSED_STOP and arrival:
            shipment = session.get(Shipment, stop.shipment_id)
            if shipment is not None and stop.planned_arrival is not None:
                shipment.eta = stop.planned_arrival
                session.add(shipment)
    _touch(session, route)
    session.flush()


def assign_shipment(session: Session, actor: Actor, shipment_id: int, driver_id: int) -> Shipment:
    """Manual assignment from the board or the API: the shipment goes at the end of the day."""
    require(actor, Action.shipment_assign)
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} was not found.")
    driver = session.get(Driver, driver_id)
    if driver is None:
        raise NotFound(f"Driver {driver_id} was not found.")
    route = route_for(session, driver_id, shipment.service_date)
    place_on_route(session, actor, shipment, driver, route)
    return shipment


def unassign_shipment(session: Session, actor: Actor, shipment_id: int) -> Shipment:
    require(actor, Action.shipment_assign)
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} was not found.")
    detach_from_route(session, shipment)
    transition(session, shipment, ShipmentStatus.scheduled, actor, note="Driver unassigned")
    return shipment
