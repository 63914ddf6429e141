"""Booking, validation and visibility of shipments on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import NotFound, PermissionDenied, ValidationFailed
from logistics_ai.models import AuditEvent, Shipment, ShipmentStatus, TrackingEvent
from logistics_ai.services import assignment, shipments
from logistics_ai.services.tracking_codes import looks_like_tracking_code
from tests.support.world import World, booking, tomorrow_at


def test_booking_records_history_audit_and_price(world: World, session: Session) -> None:
    with session_scope() as s:
        created = shipments.create_shipment(s, world.alice, booking())
    stored = session.get(Shipment, created.id)
    assert stored is not None
    assert stored.status == ShipmentStatus.requested
    assert looks_like_tracking_code(stored.tracking_code)
    assert stored.customer_id == world.alice.customer_id
    assert stored.price_cents > 490  # base fare plus distance and load
    events = session.exec(
        select(TrackingEvent).where(TrackingEvent.shipment_id == created.id)
    ).all()
    assert [e.status for e in events] == ["requested"]
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "shipment.created")).one()
    assert audit.actor_user_id == world.alice.user_id
    assert audit.entity_id == str(created.id)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pickup_lat": 123.0}, "pickup_lat"),
        ({"dropoff_lon": -200.0}, "dropoff_lon"),
        ({"weight_kg": -3}, "weight_kg"),
        ({"volume_m3": 0}, "volume_m3"),
        ({"pickup_window_end": tomorrow_at(8)}, "pickup_window_end"),
        ({"dropoff_window_end": tomorrow_at(10, 30)}, "dropoff_window_end"),
        ({"recipient_name": "   "}, "recipient_name"),
        ({"recipient_phone": "call me maybe"}, "recipient_phone"),
        ({"pickup_lat": 40.7128, "pickup_lon": -74.0060}, "pickup_address"),  # New York
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    world: World, session: Session, overrides: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught, session_scope() as s:
        shipments.create_shipment(s, world.alice, booking(**overrides))
    assert field in caught.value.field_errors, caught.value.field_errors
    assert caught.value.http_status == 422
    assert session.exec(select(Shipment)).all() == []
    assert session.exec(select(TrackingEvent)).all() == []


def test_tracking_codes_are_unique_and_unguessable(world: World) -> None:
    with session_scope() as s:
        codes = {
            shipments.create_shipment(s, world.alice, booking()).tracking_code for _ in range(30)
        }
    assert len(codes) == 30
    assert all(looks_like_tracking_code(code) for code in codes)


def test_customer_cannot_see_another_customers_shipment(world: World) -> None:
    with session_scope() as s:
        mine = shipments.create_shipment(s, world.alice, booking())
        shipments.create_shipment(s, world.bob, booking())
    with session_scope() as s:
        with pytest.raises(NotFound):
            shipments.get_shipment(s, world.bob, mine.id)  # type: ignore[arg-type]
        assert shipments.list_shipments(s, world.alice).total == 1
        assert shipments.list_shipments(s, world.bob).total == 1
        assert shipments.list_shipments(s, world.dispatcher).total == 2
        # A driver sees only shipments on their own routes: none yet.
        assert shipments.list_shipments(s, world.dave).total == 0


def test_drivers_cannot_book(world: World) -> None:
    with pytest.raises(PermissionDenied), session_scope() as s:
        shipments.create_shipment(s, world.dave, booking())


def test_list_filters_search_and_pages(world: World) -> None:
    with session_scope() as s:
        for index in range(7):
            shipments.create_shipment(s, world.alice, booking(recipient_name=f"Person {index}"))
        shipments.create_shipment(s, world.alice, booking(recipient_name="Zelda Unique"))
    with session_scope() as s:
        page = shipments.list_shipments(s, world.dispatcher, {"page_size": 3, "page": 3})
        assert (page.total, len(page.items), page.pages) == (8, 2, 3)
        found = shipments.list_shipments(s, world.dispatcher, {"search": "zelda"})
        assert [x.recipient_name for x in found.items] == ["Zelda Unique"]
        day = tomorrow_at(9).date()
        assert (
            shipments.list_shipments(s, world.dispatcher, {"date_from": day, "date_to": day}).total
            == 8
        )
        assert shipments.list_shipments(s, world.dispatcher, {"status": "delivered"}).total == 0
    with pytest.raises(ValidationFailed), session_scope() as s:
        shipments.list_shipments(s, world.dispatcher, {"page_size": 1000})


def test_each_scope_and_filter_shape_lists_what_it_names(world: World) -> None:
    # The list's statements are built once per scope and set of filters present, with every
    # value bound at run time: the same shape with other values must not reuse old values.
    with session_scope() as s:
        alices = [
            shipments.create_shipment(s, world.alice, booking(recipient_name=f"Alice {i}")).id
            for i in range(3)
        ]
        bobs = [
            shipments.create_shipment(s, world.bob, booking(recipient_name=f"Bob {i}")).id
            for i in range(2)
        ]
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, alices[0], world.dave.driver_id)
        assignment.assign_shipment(s, world.dispatcher, bobs[1], world.erin.driver_id)

    def ids(actor: Actor, **filters: object) -> set[int]:
        with session_scope() as s:
            return {x.id for x in shipments.list_shipments(s, actor, dict(filters)).items}

    assert ids(world.alice) == set(alices)
    assert ids(world.bob) == set(bobs)
    assert ids(world.dave) == {alices[0]}
    assert ids(world.erin) == {bobs[1]}
    assert ids(world.dispatcher, driver_id=world.dave.driver_id) == {alices[0]}
    assert ids(world.dispatcher, driver_id=world.erin.driver_id) == {bobs[1]}
    assert ids(world.dispatcher, unassigned_only=True) == {alices[1], alices[2], bobs[0]}
    assert ids(world.alice, unassigned_only=True) == {alices[1], alices[2]}
    assert ids(world.dispatcher, search="bob 1") == {bobs[1]}
    assert ids(world.dispatcher, search="alice 2") == {alices[2]}
    assert ids(world.bob, search="alice") == set()
    assert ids(world.dispatcher, status="assigned", search="alice") == {alices[0]}
    assert ids(world.dispatcher, status="requested", unassigned_only=True, search="bob") == {
        bobs[0]
    }


def test_a_list_counts_only_so_far_past_its_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope() as s:
        for _ in range(8):
            shipments.create_shipment(s, world.alice, booking())
    monkeypatch.setattr(shipments, "COUNT_AHEAD", 4)

    def counted(page: int) -> tuple[int, bool, int]:
        with session_scope() as s:
            listed = shipments.list_shipments(s, world.dispatcher, {"page_size": 3, "page": page})
        return listed.total, listed.total_exact, len(listed.items)

    # Counting stops 4 rows past the page's first row: a lower bound, flagged as such...
    assert counted(1) == (4, False, 3)
    assert counted(2) == (7, False, 3)
    # ...and exact once the end is within reach.
    assert counted(3) == (8, True, 2)
    # A page past the last match still says how many there are (no row carries the count).
    assert counted(5) == (8, True, 0)
    monkeypatch.setattr(shipments, "COUNT_AHEAD", 5)
    assert counted(2) == (8, True, 3)


def test_the_api_list_validates_its_query_once_and_names_bad_parameters(world: World) -> None:
    from tests.support.api import bearer, client, login

    with session_scope() as s:
        for name in ("Ada Query", "Ben Query"):
            shipments.create_shipment(s, world.alice, booking(recipient_name=name))
    http = client()
    staff = bearer(login(http, "dispatch@test.example.com")["access_token"])

    def listed(**params: object) -> object:
        return http.get("/api/v1/shipments", params=params, headers=staff)

    found = listed(search="ada", status="requested", page_size=5).json()  # type: ignore[attr-defined]
    assert [item["recipient_name"] for item in found["items"]] == ["Ada Query"]
    assert (found["page"], found["page_size"]) == (1, 5)
    assert listed(unassigned_only="true").json()["total"] == 2  # type: ignore[attr-defined]
    assert listed(status="delivered").json()["total"] == 0  # type: ignore[attr-defined]

    for params, field in (
        ({"stauts": "requested"}, "stauts"),  # a typo is an error, not a silently ignored filter
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": 10_000}, "page_size"),
        ({"status": "lost"}, "status"),
        ({"date_from": "tomorrow"}, "date_from"),
        ({"search": "x" * 101}, "search"),
    ):
        refused = listed(**params)
        assert refused.status_code == 422, params  # type: ignore[attr-defined]
        assert field in refused.json()["error"]["details"]["fields"], refused.text  # type: ignore[attr-defined]
