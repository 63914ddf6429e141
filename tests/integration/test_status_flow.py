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


def test_oversize_can_be_booked_and_needs_an_oversize_vehicle(world: World) -> None:
    big = _book(world, required_skills=["oversize"])
    assert big.required_skills == "oversize"
    with pytest.raises(Conflict) as caught, session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, big.id, world.dave.driver_id)  # type: ignore[arg-type]
    assert caught.value.details == {"missing_skills": ["oversize"]}


def test_a_shipment_heavier_than_the_van_is_refused(world: World, session: Session) -> None:
    heavy = _book(world, weight_kg=900)  # the test vans carry 800 kg
    with pytest.raises(Conflict) as caught, session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, heavy.id, world.erin.driver_id)  # type: ignore[arg-type]
    assert "does not fit" in caught.value.message
    assert session.get(Shipment, heavy.id).status == ShipmentStatus.requested  # type: ignore[union-attr]
    assert not _stops(session, heavy.id)  # type: ignore[arg-type]


def test_every_assignment_path_audits_the_same_way(world: World, session: Session) -> None:
    first, second = _book(world), _book(world)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, first.id, world.dave.driver_id)  # type: ignore[arg-type]
        assignment.assign_shipment(s, world.dispatcher, second.id, world.dave.driver_id)  # type: ignore[arg-type]
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "shipment.assigned")
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.entity_id, e.details) for e in events] == [
        (str(first.id), {"driver_id": world.dave.driver_id, "by": "dispatcher"}),
        (str(second.id), {"driver_id": world.dave.driver_id, "by": "dispatcher"}),
    ]
    # The second shipment goes after the first: one route, four stops numbered 0..3.
    route_stops = session.exec(
        select(Stop)
        .where(col(Stop.shipment_id).in_([first.id, second.id]))
        .order_by(col(Stop.sequence))
    ).all()
    assert [(s.shipment_id, s.kind, s.sequence) for s in route_stops] == [
        (first.id, "pickup", 0),
        (first.id, "dropoff", 1),
        (second.id, "pickup", 2),
        (second.id, "dropoff", 3),
    ]
