"""Putting shipments on a driver's route for the day, and taking them off again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

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
from logistics_ai.security import policy
from logistics_ai.security.policy import Action
from logistics_ai.services import audit
from logistics_ai.services.shipment_status import transition

ASSIGNABLE = {ShipmentStatus.requested, ShipmentStatus.scheduled, ShipmentStatus.assigned}


def _require_staff(actor: Actor) -> None:
    policy.require(actor, Action.shipment_assign)


def route_for(session: Session, driver_id: int, service_date: date) -> Route:
    route = session.exec(
        select(Route).where(Route.driver_id == driver_id, Route.service_date == service_date)
    ).first()
    if route is None:
        route = Route(driver_id=driver_id, service_date=service_date)
        session.add(route)
        session.flush()
    return route


def _missing_skills(session: Session, driver: Driver, shipment: Shipment) -> set[str]:
    needed = {s for s in shipment.required_skills.split(",") if s}
    if not needed:
        return set()
    vehicle = session.get(Vehicle, driver.vehicle_id) if driver.vehicle_id else None
    have = {s for s in (vehicle.skills if vehicle else "").split(",") if s}
    return needed - have


def detach_from_route(session: Session, shipment: Shipment) -> None:
    """Remove a not-yet-started shipment's stops from its route."""
    if shipment.route_id is None:
        return
    stops = shipment_stops(session, shipment.id)  # type: ignore[arg-type]
    if any(stop.status != StopStatus.pending for stop in stops):
        raise Conflict(
            f"Shipment {shipment.tracking_code} has a stop in progress; it cannot be moved."
        )
    route = session.get(Route, shipment.route_id)
    for stop in stops:
        session.delete(stop)
    if route is not None:
        route.version += 1
        route.updated_at = utcnow()
        session.add(route)
    shipment.route_id = None
    shipment.driver_id = None
    session.flush()


def assign_shipment(session: Session, actor: Actor, shipment_id: int, driver_id: int) -> Shipment:
    _require_staff(actor)
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} was not found.")
    driver = session.get(Driver, driver_id)
    if driver is None:
        raise NotFound(f"Driver {driver_id} was not found.")
    if ShipmentStatus(shipment.status) not in ASSIGNABLE:
        raise Conflict(
            f"Shipment {shipment.tracking_code} is {shipment.status} and can no longer be assigned."
        )
    if shipment.driver_id == driver_id:
        return shipment
    missing = _missing_skills(session, driver, shipment)
    if missing:
        raise Conflict(
            f"This driver's vehicle lacks: {', '.join(sorted(missing))}.",
            details={"missing_skills": sorted(missing)},
        )
    previous_driver = shipment.driver_id
    if shipment.status == ShipmentStatus.assigned:
        detach_from_route(session, shipment)
    elif shipment.status == ShipmentStatus.requested:
        transition(session, shipment, ShipmentStatus.scheduled, actor, note="Scheduled")

    route = route_for(session, driver_id, shipment.service_date)
    next_sequence = (
        session.exec(
            select(func.coalesce(func.max(Stop.sequence), -1)).where(Stop.route_id == route.id)
        ).one()
        + 1
    )
    session.add(
        Stop(
            route_id=route.id,  # type: ignore[arg-type]
            shipment_id=shipment.id,  # type: ignore[arg-type]
            kind=StopKind.pickup,
            sequence=next_sequence,
        )
    )
    session.add(
        Stop(
            route_id=route.id,  # type: ignore[arg-type]
            shipment_id=shipment.id,  # type: ignore[arg-type]
            kind=StopKind.dropoff,
            sequence=next_sequence + 1,
        )
    )
    route.version += 1
    route.updated_at = utcnow()
    session.add(route)
    shipment.driver_id = driver_id
    shipment.route_id = route.id
    if shipment.status == ShipmentStatus.assigned:
        # Reassignment between drivers: the status stays, the history and audit say who.
        audit.record(
            session,
            actor,
            "shipment.reassigned",
            "shipment",
            shipment.id,
            {"from_driver": previous_driver, "to_driver": driver_id},
        )
        session.add(shipment)
    else:
        transition(session, shipment, ShipmentStatus.assigned, actor, note="Driver assigned")
        audit.record(
            session, actor, "shipment.assigned", "shipment", shipment.id, {"driver_id": driver_id}
        )
    session.flush()
    return shipment


def unassign_shipment(session: Session, actor: Actor, shipment_id: int) -> Shipment:
    _require_staff(actor)
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} was not found.")
    detach_from_route(session, shipment)
    transition(session, shipment, ShipmentStatus.scheduled, actor, note="Driver unassigned")
    return shipment


def shipment_stops(session: Session, shipment_id: int) -> list[Stop]:
    return list(session.exec(select(Stop).where(Stop.shipment_id == shipment_id)).all())
