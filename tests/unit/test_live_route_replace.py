"""A pushed route change replaces that route's stops and line on the dispatch map, only."""

from __future__ import annotations

from logistics_ai.services.live_map import DayMap, MapStop, RouteTrace
from state.dispatch_map import replace_routes, route_lines, stop_dots


def _stop(stop_id: int, driver_id: int, lat: float) -> MapStop:
    return MapStop(
        stop_id=stop_id,
        shipment_id=stop_id,
        driver_id=driver_id,
        sequence=stop_id,
        kind="pickup",
        status="pending",
        late_risk=False,
        lat=lat,
        lon=-87.6,
        tracking_code=f"LAI-{stop_id}",
    )


def test_only_the_changed_routes_are_replaced() -> None:
    before = DayMap(
        stops=[_stop(1, 7, 41.80), _stop(2, 7, 41.81), _stop(3, 8, 41.90)],
        routes=[
            RouteTrace(7, [(41.80, -87.6), (41.81, -87.6)]),
            RouteTrace(8, [(41.90, -87.6)]),
        ],
    )
    names = {7: "Dave", 8: "Erin"}
    dots, lines = stop_dots(before, names), route_lines(before)
    # Dispatch moved stop 2 away from driver 7 and gave him stop 4 instead.
    after = DayMap(
        stops=[_stop(1, 7, 41.80), _stop(4, 7, 41.70)],
        routes=[RouteTrace(7, [(41.80, -87.6), (41.70, -87.6)])],
    )

    new_dots, new_lines = replace_routes(dots, lines, frozenset({7}), after, names)

    assert sorted(dot.id for dot in new_dots) == ["1", "3", "4"]
    assert {line.id: line.points for line in new_lines} == {
        "7": [[41.80, -87.6], [41.70, -87.6]],
        "8": [[41.90, -87.6]],
    }


def test_a_route_emptied_by_an_unassignment_disappears() -> None:
    before = DayMap(stops=[_stop(1, 7, 41.80)], routes=[RouteTrace(7, [(41.80, -87.6)])])
    dots, lines = stop_dots(before, {}), route_lines(before)
    new_dots, new_lines = replace_routes(dots, lines, frozenset({7}), DayMap([], []), {})
    assert new_dots == [] and new_lines == []
