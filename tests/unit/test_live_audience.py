"""The pure routing of bus events to the live screens' audiences, and the privacy rule."""

from __future__ import annotations

import pytest

from logistics_ai.realtime.audience import plan, public_position_allowed


def _shipment(
    shipment_id: int, code: str, customer_id: int | None, driver_id: int | None
) -> tuple[str, dict]:
    return (
        "shipments",
        {
            "shipment_id": shipment_id,
            "tracking_code": code,
            "status": "picked_up",
            "customer_id": customer_id,
            "driver_id": driver_id,
        },
    )


@pytest.mark.parametrize(
    ("status", "next_is_this", "allowed"),
    [
        ("in_transit", False, True),  # on the way: shown even if other stops come first
        ("picked_up", True, True),  # the drop-off is the driver's next stop
        ("assigned", True, True),  # the pickup is the driver's next stop
        ("picked_up", False, False),  # on board, but the driver serves others first
        ("assigned", False, False),
        ("scheduled", False, False),
        ("delivered", True, False),  # closed: never, whatever the route says
        ("failed", True, False),
        ("cancelled", True, False),
    ],
)
def test_public_position_rule(status: str, next_is_this: bool, allowed: bool) -> None:
    assert public_position_allowed(status, next_is_this) is allowed


def test_a_shipment_event_reaches_its_own_customer_only() -> None:
    work = plan([_shipment(7, "LAI-AAA", customer_id=3, driver_id=None)], carriers={})
    assert work.customers == {3: {7}}
    assert work.shipments == {7}
    assert work.kpis is True
    assert work.codes == {"LAI-AAA"}
    assert work.drivers == set()  # no driver named: no driver app reloads


def test_events_of_two_customers_stay_apart() -> None:
    work = plan(
        [
            _shipment(1, "LAI-A", customer_id=10, driver_id=5),
            _shipment(2, "LAI-B", customer_id=11, driver_id=6),
        ],
        carriers={},
    )
    assert work.customers == {10: {1}, 11: {2}}
    assert work.drivers == {5, 6}
    assert work.fleet_rows == {5, 6}
    assert work.routes == {5, 6}  # their stops changed state on the map


def test_positions_keep_the_last_fix_and_move_only_the_carrier_tracking_pages() -> None:
    events = [
        ("drivers", {"driver_id": 4, "lat": 41.0, "lon": -87.0}),
        ("drivers", {"driver_id": 4, "lat": 41.5, "lon": -87.5}),
    ]
    work = plan(events, carriers={"LAI-MINE": 4, "LAI-OTHER": 9, "LAI-NONE": None})
    assert work.positions == {4: (41.5, -87.5)}
    assert work.moved_codes == {"LAI-MINE"}
    assert work.codes == set()  # a move alone re-reads no public view
    assert work.kpis is False and work.customers == {}


def test_an_eta_change_reloads_the_carrier_views_and_the_driver() -> None:
    work = plan([("eta", {"driver_id": 4, "late_risk": 1})], carriers={"LAI-MINE": 4})
    assert work.codes == {"LAI-MINE"}
    assert work.moved_codes == set()
    assert work.drivers == {4}
    # The board re-reads only if the late-risk count changed (the fan-out remembers it).
    assert work.late_risk == {4: 1}
    assert work.fleet_rows == set() and work.routes == set() and work.kpis is False


def test_a_reassignment_moves_the_tracking_page_to_the_new_carrier() -> None:
    events = [
        _shipment(1, "LAI-X", customer_id=2, driver_id=8),
        ("drivers", {"driver_id": 4, "lat": 41.0, "lon": -87.0}),
    ]
    work = plan(events, carriers={"LAI-X": 4})
    assert work.carriers == {"LAI-X": 8}
    assert work.moved_codes == set()  # the old driver's move no longer concerns LAI-X


def test_route_and_status_changes_reload_the_driver_and_the_fleet_row() -> None:
    work = plan(
        [("routes", {"driver_id": 3}), ("drivers", {"driver_id": 5, "status": "on_break"})],
        carriers={},
    )
    assert work.drivers == {3} and work.routes == {3}
    assert work.fleet_rows == {3, 5}
    assert work.positions == {}


def test_malformed_payloads_are_ignored() -> None:
    work = plan(
        [
            ("shipments", {"tracking_code": "LAI-X"}),
            ("drivers", {"lat": 1.0, "lon": 2.0}),
            ("eta", {"driver_id": "4"}),
            ("drivers", {"driver_id": True, "lat": 1.0, "lon": 2.0}),
        ],
        carriers={"LAI-X": 4},
    )
    assert work.positions == {} and work.codes == set() and work.kpis is False
