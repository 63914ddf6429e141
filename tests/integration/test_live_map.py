"""What the maps are given: the public driver-position rule, the coarsened delivery area, the
dispatch day map, and the booking form's address suggestions (offline geocoder)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import PermissionDenied
from logistics_ai.geo.geocoder import offline_geocode
from logistics_ai.models import Stop
from logistics_ai.services import assignment, drivers, geocoding, live_map, shipments
from logistics_ai.services.public_tracking import live_track, track
from tests.support.world import World, booking, tomorrow_at

DAVE_AT = (41.9001, -87.6502)  # a GPS report, far from every booked point


def _book_two_for_dave(world: World) -> tuple[str, str, int]:
    """Two shipments on Dave's route, A's stops before B's; Dave has reported a position."""
    codes = []
    with session_scope() as s:
        for recipient in ("Ana Alpha", "Ben Beta"):
            shipment = shipments.create_shipment(s, world.alice, booking(recipient_name=recipient))
            codes.append((shipment.id, shipment.tracking_code))
    with session_scope() as s:
        for shipment_id, _ in codes:
            assignment.assign_shipment(s, world.dispatcher, shipment_id, world.dave.driver_id)  # type: ignore[arg-type]
    with session_scope() as s:
        drivers.record_locations(
            s,
            world.dave,
            {"pings": [{"lat": DAVE_AT[0], "lon": DAVE_AT[1], "recorded_at": None}]},
        )
    return codes[0][1], codes[1][1], codes[0][0]


def _stops_of(session: Session, shipment_id: int) -> list[Stop]:
    return list(
        session.exec(
            select(Stop).where(Stop.shipment_id == shipment_id).order_by(col(Stop.sequence))
        ).all()
    )


def _shown(session: Session, code: str) -> tuple[float, float] | None:
    """The driver position the public tracking page gets for `code` (None: not shown)."""
    position = live_track(session, code).position
    return (position.lat, position.lon) if position else None


def test_driver_position_is_public_only_while_the_shipment_is_next(world: World) -> None:
    code_a, code_b, id_a = _book_two_for_dave(world)
    with session_scope() as s:
        assert _shown(s, code_a) == DAVE_AT  # A's pickup is Dave's next stop
        assert _shown(s, code_b) is None  # B waits behind A

    with session_scope() as s:
        pickup, dropoff = _stops_of(s, id_a)
        drivers.record_stop_event(s, world.dave, pickup.id, "picked_up")  # type: ignore[arg-type]
    with session_scope() as s:
        assert _shown(s, code_a) == DAVE_AT  # on board, A's drop-off is next
        assert _shown(s, code_b) is None

    with session_scope() as s:
        drivers.record_stop_event(s, world.dave, dropoff.id, "delivered")  # type: ignore[arg-type]
    with session_scope() as s:
        assert track(s, code_a).status == "delivered"
        assert _shown(s, code_a) is None
        assert _shown(s, code_b) == DAVE_AT  # now B's pickup is next


def test_unassigned_shipment_shows_no_driver_and_only_a_coarse_area(world: World) -> None:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
    with session_scope() as s:
        view = track(s, shipment.tracking_code)
        assert _shown(s, shipment.tracking_code) is None
    # booking() drops off at 41.7943, -87.5907: the nearest points of a 0.005 degree grid.
    assert (view.area_lat, view.area_lon) == (41.795, -87.59)


def test_day_map_draws_each_route_through_its_stops_for_staff_only(world: World) -> None:
    _book_two_for_dave(world)
    day = tomorrow_at(9).date()
    with session_scope() as s:
        drawn = live_map.day_map(s, world.dispatcher, day)
    assert len(drawn.stops) == 4
    assert [r.driver_id for r in drawn.routes] == [world.dave.driver_id]
    # booking(): pickups at 41.9214, -87.6513 and drop-offs at 41.7943, -87.5907, and manual
    # assignment appends each shipment's pickup and drop-off at the end of the day.
    pickup, dropoff = (41.9214, -87.6513), (41.7943, -87.5907)
    assert drawn.routes[0].points == [pickup, dropoff, pickup, dropoff]
    with session_scope() as s, pytest.raises(PermissionDenied):
        live_map.day_map(s, world.alice, day)


def test_suggestions_are_bookable_addresses_at_the_point_booked() -> None:
    found = geocoding.suggest("1200 N Clark St")
    assert found[0].address == "1200 N Clark St, Chicago, IL"
    for suggestion in found:
        place = offline_geocode(suggestion.address)  # what the booking will geocode
        assert (place.lat, place.lon) == (suggestion.lat, suggestion.lon)
    completed = geocoding.suggest("1200 N Clark St, Linc")
    assert [s.address for s in completed] == ["1200 N Clark St, Lincoln Park, Chicago, IL"]
    assert geocoding.suggest("Hy")[:1] == []  # too short to look up
    assert geocoding.suggest("Qwertyuiop Blvd") == []
