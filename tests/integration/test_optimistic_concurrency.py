"""Optimistic concurrency: a write made from a stale copy is refused, never merged silently.

Each test holds a row in one unit of work while a second one changes and commits it (two
real PostgreSQL sessions), then writes through the first: the second write must win, the
first must fail with StaleWrite (409 in the API, a toast in the UI) and change nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import StaleWrite
from logistics_ai.models import (
    Driver,
    Route,
    Shipment,
    ShipmentStatus,
    Stop,
    StopStatus,
    TrackingEvent,
)
from logistics_ai.services import assignment, drivers, shipments
from logistics_ai.services.eta_updates import refresh_driver_etas
from logistics_ai.services.shipment_status import transition
from tests.support.api import bearer, client, login
from tests.support.world import World, booking, tomorrow_at


def _booked(world: World) -> int:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
        assert shipment.id is not None
        return shipment.id


def _assigned(world: World) -> int:
    shipment_id = _booked(world)
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment_id, world.dave.driver_id)  # type: ignore[arg-type]
    return shipment_id


def test_a_status_change_on_a_stale_shipment_is_refused(world: World, session: Session) -> None:
    shipment_id = _booked(world)
    with pytest.raises(StaleWrite) as caught, session_scope() as first:
        stale = first.get(Shipment, shipment_id)
        assert stale is not None and stale.version == 1
        with session_scope() as second:  # the customer cancels meanwhile
            shipments.cancel_shipment(second, world.alice, shipment_id)
        transition(first, stale, ShipmentStatus.scheduled, world.dispatcher)
        first.flush()
    assert caught.value.http_status == 409 and "Reload" in caught.value.message
    stored = session.get(Shipment, shipment_id)
    assert stored is not None and stored.status == ShipmentStatus.cancelled
    # Only the booking and the cancellation are in the history: the stale write left nothing.
    history = session.exec(
        select(TrackingEvent.status).where(TrackingEvent.shipment_id == shipment_id)
    ).all()
    assert sorted(history) == ["cancelled", "requested"]


def test_two_reports_on_one_stop_cannot_both_win(world: World, session: Session) -> None:
    shipment_id = _assigned(world)
    pickup = next(s for s in assignment.shipment_stops(session, shipment_id) if s.kind == "pickup")
    with pytest.raises(StaleWrite), session_scope() as first:
        stale = first.get(Stop, pickup.id)
        assert stale is not None
        with session_scope() as second:  # the driver's phone reports arrival
            drivers.record_stop_event(second, world.dave, pickup.id, "arrived")  # type: ignore[arg-type]
        stale.status = StopStatus.skipped  # a second device, working from its old copy
        first.add(stale)
    session.expire_all()
    assert session.get(Stop, pickup.id).status == StopStatus.arrived  # type: ignore[union-attr]


def test_a_stale_route_update_is_refused(world: World, session: Session) -> None:
    shipment_id = _assigned(world)
    route_id = session.get(Shipment, shipment_id).route_id  # type: ignore[union-attr]
    with pytest.raises(StaleWrite), session_scope() as first:
        stale = first.get(Route, route_id)
        assert stale is not None
        with session_scope() as second:  # another assignment re-plans the same route
            assignment.assign_shipment(
                second, world.dispatcher, _booked(world), world.dave.driver_id
            )  # type: ignore[arg-type]
        stale.total_distance_m = 1
        first.add(stale)
    session.expire_all()
    route = session.get(Route, route_id)
    assert route is not None and route.total_distance_m == 0 and route.version > 1


def test_an_eta_refresh_does_not_make_decisions_stale(world: World, session: Session) -> None:
    shipment_id = _assigned(world)
    before = session.get(Shipment, shipment_id)
    assert before is not None and before.eta is None
    versions = (before.version, _route_version(session, before.route_id))
    with session_scope() as s:  # the van is near the pickup; the ETA job runs on its day
        van = s.get(Driver, world.dave.driver_id)
        assert van is not None
        van.last_lat, van.last_lon = 41.92, -87.65
        assert refresh_driver_etas(s, world.dave.driver_id, tomorrow_at(8)) == 0  # type: ignore[arg-type]
    session.expire_all()
    after = session.get(Shipment, shipment_id)
    assert after is not None and after.eta is not None  # the ETA was written...
    assert (after.version, _route_version(session, after.route_id)) == versions  # ...unversioned


def _route_version(session: Session, route_id: int | None) -> int:
    route = session.get(Route, route_id)
    assert route is not None
    return route.version


def test_the_api_answers_409_with_a_clear_message(world: World) -> None:
    """The error envelope of a stale write, as API clients see it."""
    http = client()
    token = login(http, "dispatch@test.example.com")["access_token"]
    shipment_id = _booked(world)
    # Make the assignment race: when the request's unit of work first flushes (it has read
    # the shipment by then), a second one cancels the shipment and commits.
    fired: list[bool] = []

    def cancel_meanwhile(session, _context, _instances) -> None:  # type: ignore[no-untyped-def]
        if fired:
            return
        fired.append(True)
        with session_scope() as other:
            shipments.cancel_shipment(other, world.alice, shipment_id)

    event.listen(Session, "before_flush", cancel_meanwhile)
    try:
        response = http.post(
            f"/api/v1/shipments/{shipment_id}/assign",
            json={"driver_id": world.dave.driver_id},
            headers=bearer(token),
        )
    finally:
        event.remove(Session, "before_flush", cancel_meanwhile)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "stale_write" and "Reload" in error["message"]


def test_a_stop_event_on_a_stop_changed_since_its_read_is_refused(
    world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stop event reads everything before its first write (docs/performance.md, Round 9): a
    # change to the stop committed between that read and the stop's write still wins.
    shipment_id = _assigned(world)
    pickup = next(s for s in assignment.shipment_stops(session, shipment_id) if s.kind == "pickup")
    read = drivers._stop_for_actor

    def read_then_changed_elsewhere(*args: object, **kwargs: object) -> object:
        found = read(*args, **kwargs)  # type: ignore[arg-type]
        with session_scope() as other:  # another device, in between
            stop = other.get(Stop, pickup.id)
            assert stop is not None
            stop.status = StopStatus.arrived
            other.add(stop)
        return found

    monkeypatch.setattr(drivers, "_stop_for_actor", read_then_changed_elsewhere)
    with pytest.raises(StaleWrite), session_scope() as s:
        drivers.record_stop_event(s, world.dave, pickup.id, "picked_up")  # type: ignore[arg-type]
    session.expire_all()
    assert session.get(Stop, pickup.id).status == StopStatus.arrived  # type: ignore[union-attr]
    assert session.get(Shipment, shipment_id).status == ShipmentStatus.assigned  # type: ignore[union-attr]
