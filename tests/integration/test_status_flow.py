"""Assignment, stop events and the status machine, end to end on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from logistics_ai.models import (
    AuditEvent,
    Route,
    RouteStatus,
    Shipment,
    ShipmentStatus,
    Stop,
    TrackingEvent,
)
from logistics_ai.services import assignment, drivers, shipments
from logistics_ai.services.shipment_status import transition
from tests.support.world import World, booking


def _book(world: World, **overrides) -> Shipment:  # type: ignore[no-untyped-def]
    with session_scope() as s:
        return shipments.create_shipment(s, world.alice, booking(**overrides))


def _stops(session: Session, shipment_id: int) -> dict[str, Stop]:
    return {stop.kind: stop for stop in assignment.shipment_stops(session, shipment_id)}


def test_full_lifecycle_writes_history_and_audit(world: World, session: Session) -> None:
    shipment = _book(world)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    stops = _stops(session, shipment.id)  # type: ignore[arg-type]
    assert [stops["pickup"].sequence, stops["dropoff"].sequence] == [0, 1]
    with session_scope() as s:
        drivers.record_stop_event(s, world.dave, stops["pickup"].id, "picked_up")  # type: ignore[arg-type]
    with session_scope() as s:
        drivers.record_stop_event(s, world.dave, stops["dropoff"].id, "delivered")  # type: ignore[arg-type]

    session.expire_all()
    stored = session.get(Shipment, shipment.id)
    assert stored is not None and stored.status == ShipmentStatus.delivered
    history = session.exec(
        select(TrackingEvent.status)
        .where(TrackingEvent.shipment_id == shipment.id)
        .order_by(col(TrackingEvent.id))
    ).all()
    assert list(history) == ["requested", "scheduled", "assigned", "picked_up", "delivered"]
    transitions = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "shipment.status_changed", AuditEvent.entity_id == str(shipment.id)
        )
    ).all()
    assert len(transitions) == 4
    route = session.get(Route, stored.route_id)
    assert route is not None and route.status == RouteStatus.completed


def test_illegal_transition_is_refused_and_changes_nothing(world: World, session: Session) -> None:
    shipment = _book(world)
    with pytest.raises(IllegalTransition) as caught, session_scope() as s:
        fresh = s.get(Shipment, shipment.id)
        transition(s, fresh, ShipmentStatus.delivered, world.dispatcher)  # type: ignore[arg-type]
    assert caught.value.http_status == 409
    assert "cannot become delivered" in caught.value.message
    session.expire_all()
    assert session.get(Shipment, shipment.id).status == ShipmentStatus.requested  # type: ignore[union-attr]
    assert len(session.exec(select(TrackingEvent)).all()) == 1


def test_cancel_after_pickup_is_illegal(world: World) -> None:
    shipment = _book(world)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
        pickup = _stops(s, shipment.id)["pickup"]  # type: ignore[arg-type]
        drivers.record_stop_event(s, world.dave, pickup.id, "picked_up")  # type: ignore[arg-type]
    with pytest.raises((IllegalTransition, Conflict)), session_scope() as s:
        shipments.cancel_shipment(s, world.alice, shipment.id)  # type: ignore[arg-type]


def test_driver_cannot_touch_another_drivers_stop(world: World) -> None:
    shipment = _book(world)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
        pickup = _stops(s, shipment.id)["pickup"]  # type: ignore[arg-type]
    with pytest.raises(NotFound), session_scope() as s:
        drivers.record_stop_event(s, world.erin, pickup.id, "picked_up")  # type: ignore[arg-type]


def test_failed_stop_needs_a_reason_and_skips_the_dropoff(world: World, session: Session) -> None:
    shipment = _book(world)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.erin.driver_id)  # type: ignore[arg-type]
        pickup_id = _stops(s, shipment.id)["pickup"].id  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed), session_scope() as s:
        drivers.record_stop_event(s, world.erin, pickup_id, "failed", reason="  ")  # type: ignore[arg-type]
    with session_scope() as s:
        drivers.record_stop_event(s, world.erin, pickup_id, "failed", reason="Closed")  # type: ignore[arg-type]
    stops = _stops(session, shipment.id)  # type: ignore[arg-type]
    assert (stops["pickup"].status, stops["dropoff"].status) == ("failed", "skipped")
    assert session.get(Shipment, shipment.id).status == ShipmentStatus.failed  # type: ignore[union-attr]


def test_skills_are_enforced_and_reassignment_moves_stops(world: World, session: Session) -> None:
    cold = _book(world, required_skills=["refrigerated"])
    with pytest.raises(Conflict) as caught, session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, cold.id, world.erin.driver_id)  # type: ignore[arg-type]
    assert "refrigerated" in caught.value.message
    plain = _book(world)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, plain.id, world.dave.driver_id)  # type: ignore[arg-type]
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, plain.id, world.erin.driver_id)  # type: ignore[arg-type]
    session.expire_all()
    moved = session.get(Shipment, plain.id)
    route = session.get(Route, moved.route_id)  # type: ignore[union-attr]
    assert route is not None and route.driver_id == world.erin.driver_id
    assert len(_stops(session, plain.id)) == 2  # type: ignore[arg-type]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "shipment.reassigned")).one()


def test_customers_cannot_assign(world: World) -> None:
    shipment = _book(world)
    with pytest.raises(Exception) as caught, session_scope() as s:
        assignment.assign_shipment(s, world.alice, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    assert getattr(caught.value, "http_status", None) == 403
