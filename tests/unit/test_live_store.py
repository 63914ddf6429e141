"""GPS fixes, fleet rows and changed routes reach a dashboard as script calls into its live
stores.

The scripts `state/live.py` sends are run here, with `components/live_store.js` itself, by a
real JavaScript engine (the bun that `make install` puts in .tools/bin): before the store's
module has loaded (the pushes wait in a queue and are replayed) and after. The merge of a
pushed route into the board's snapshot is checked from the board's own rows
(`state/dispatch_map`), built from a day map as the fan-out reads it.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

from logistics_ai.services.drivers import DriverRow
from logistics_ai.services.live_map import DayMap, MapStop, RouteTrace
from logistics_ai.services.live_updates import StaffDelta
from state.dispatch_map import route_lines, stop_dots
from state.live import drivers_script, positions_script, routes_script, store_events

ROOT = Path(__file__).resolve().parents[2]
BUN = ROOT / ".tools" / "bin" / "bun"
STORE = ROOT / "components" / "live_store.js"
DAY = date(2026, 11, 30)
SNAPSHOT_READ_AT = 1764504000.0


def run_js(body: str) -> object:
    """Run `body` in a module that has `store` (live_store.js) and a bare `window`; it prints
    its result with `out(value)`."""
    program = (
        f"import * as store from {json.dumps(str(STORE))};\n"
        "globalThis.window = {};\n"
        "const out = (value) => console.log(JSON.stringify(value));\n"
        f"{body}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".mjs", delete=False) as source:
        source.write(program)
    result = subprocess.run(
        [str(BUN), "run", source.name], capture_output=True, text=True, timeout=60, check=False
    )
    Path(source.name).unlink()
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _stop(stop_id: int, driver_id: int, lat: float, status: str = "pending") -> MapStop:
    return MapStop(
        stop_id=stop_id,
        shipment_id=stop_id,
        driver_id=driver_id,
        sequence=stop_id,
        kind="pickup",
        status=status,
        late_risk=False,
        lat=lat,
        lon=-87.6,
        tracking_code=f"LAI-{stop_id}",
    )


def _driver(driver_id: int, name: str) -> DriverRow:
    return DriverRow(
        id=driver_id,
        name=name,
        status="on_route",
        vehicle="Van",
        capacity_kg=1000.0,
        skills="",
        stops_today=2,
        stops_done_today=0,
        last_seen="",
        lat=None,
        lon=None,
    )


# The board as a dashboard read it: Dave (7) has stops 1 and 2, Erin (8) has stop 3.
BOARD = DayMap(
    stops=[_stop(1, 7, 41.80), _stop(2, 7, 41.81), _stop(3, 8, 41.90)],
    routes=[RouteTrace(7, [(41.80, -87.6), (41.81, -87.6)]), RouteTrace(8, [(41.90, -87.6)])],
)
NAMES = {7: "Dave Driver", 8: "Erin Driver", 9: "Frank Driver"}  # Frank: no route on the board
SNAPSHOT = {
    "stops": [asdict(dot) for dot in stop_dots(BOARD, NAMES)],
    "lines": [asdict(line) for line in route_lines(BOARD)],
}


def route_change(day_map: DayMap, drivers: set[int], read_at: float, day: date = DAY) -> str:
    """The script the fan-out sends after `drivers`' routes changed, read at `read_at`."""
    return routes_script(
        StaffDelta(
            day=day,
            route_drivers=frozenset(drivers),
            day_map=day_map,
            route_names={d: NAMES[d] for d in drivers},
            read_at=read_at,
        )
    )


def merged_after(*scripts: str, day: str = DAY.isoformat()) -> dict[str, object]:
    """The map a dashboard shows after `scripts`, sent before the store's module loaded."""
    result = run_js(
        "\n".join(f"{script};" for script in scripts)
        + f"""
const live = store.liveStores();
const snapshot = {json.dumps(SNAPSHOT)};
const groups = store.mergeRouteGroups(store.routeGroups(snapshot.stops, snapshot.lines),
                                      live.routes.entries(), {json.dumps(day)}, {SNAPSHOT_READ_AT});
out({{
  stops: groups.flatMap((g) => g.stops).map((s) => [s.id, s.driver_id, s.title]).sort(),
  lines: Object.fromEntries(groups.filter((g) => g.line).map((g) => [g.line.id, g.line.points])),
}});"""
    )
    assert isinstance(result, dict)
    return result


def test_a_changed_route_replaces_only_that_routes_stops_and_line() -> None:
    # Dispatch moved stop 2 away from Dave and gave him stop 4 instead; his stop 1 is done.
    after = DayMap(
        stops=[_stop(1, 7, 41.80, "done"), _stop(4, 7, 41.70)],
        routes=[RouteTrace(7, [(41.80, -87.6), (41.70, -87.6)])],
    )
    shown = merged_after(route_change(after, {7}, SNAPSHOT_READ_AT + 1))
    assert shown["stops"] == [
        ["1", 7, "Pickup LAI-1, done (Dave Driver)"],
        ["3", 8, "Pickup LAI-3, pending (Erin Driver)"],
        ["4", 7, "Pickup LAI-4, pending (Dave Driver)"],
    ]
    assert shown["lines"] == {"7": [[41.80, -87.6], [41.70, -87.6]], "8": [[41.90, -87.6]]}


def test_a_route_push_replaces_only_its_group_in_place_and_keeps_the_others_objects() -> None:
    # The map re-renders a route's dots, names and line only when its group is a new object:
    # a push for Dave (7) must leave Erin's (8) group the snapshot's own, keep the board's
    # order (Dave's names stay first in the hidden list), hand back the same group for the
    # same pushed route on the next render, and put a route the board did not have last.
    dave = DayMap(stops=[_stop(4, 7, 41.70)], routes=[RouteTrace(7, [(41.70, -87.6)])])
    frank = DayMap(stops=[_stop(5, 9, 41.60)], routes=[RouteTrace(9, [(41.60, -87.6)])])
    scripts = [
        route_change(dave, {7}, SNAPSHOT_READ_AT + 1),
        route_change(frank, {9}, SNAPSHOT_READ_AT + 1),
    ]
    result = run_js(
        "\n".join(f"{script};" for script in scripts)
        + f"""
const live = store.liveStores();
const snapshot = {json.dumps(SNAPSHOT)};
const board = store.routeGroups(snapshot.stops, snapshot.lines);
const day = {json.dumps(DAY.isoformat())};
const first = store.mergeRouteGroups(board, live.routes.entries(), day, {SNAPSHOT_READ_AT});
const again = store.mergeRouteGroups(board, live.routes.entries(), day, {SNAPSHOT_READ_AT});
const older = store.mergeRouteGroups(board, live.routes.entries(), day, {SNAPSHOT_READ_AT + 2});
out({{
  board: board.map((g) => [g.key, g.stops.map((s) => s.id), g.line && g.line.id]),
  merged: first.map((g) => [g.key, g.stops.map((s) => s.id), g.line && g.line.id]),
  erinKept: first[1] === board[1],
  samePushedGroups: first[0] === again[0] && first[2] === again[2],
  daveReplaced: first[0] !== board[0],
  olderPushesLeaveTheBoard: older === board,
}});"""
    )
    assert result == {
        "board": [["7", ["1", "2"], "7"], ["8", ["3"], "8"]],
        "merged": [["7", ["4"], "7"], ["8", ["3"], "8"], ["9", ["5"], "9"]],
        "erinKept": True,
        "samePushedGroups": True,
        "daveReplaced": True,
        "olderPushesLeaveTheBoard": True,
    }


def test_a_route_emptied_by_an_unassignment_disappears() -> None:
    shown = merged_after(route_change(DayMap([], []), {7}, SNAPSHOT_READ_AT + 1))
    assert shown["stops"] == [["3", 8, "Pickup LAI-3, pending (Erin Driver)"]]
    assert shown["lines"] == {"8": [[41.90, -87.6]]}


def test_the_newer_of_snapshot_and_push_wins_per_route() -> None:
    gone = route_change(DayMap([], []), {7}, SNAPSHOT_READ_AT - 1)
    # Read before the board was: the board already shows at least as much.
    assert len(merged_after(gone)["stops"]) == 3  # type: ignore[arg-type]
    # A push for another day does not touch this one's map.
    tomorrow = route_change(DayMap([], []), {7}, SNAPSHOT_READ_AT + 1, date(2026, 12, 1))
    assert len(merged_after(tomorrow)["stops"]) == 3  # type: ignore[arg-type]
    # Two pushes delivered out of order: the later read stays.
    emptied = route_change(DayMap([], []), {7}, SNAPSHOT_READ_AT + 5)
    restored = route_change(BOARD, {7}, SNAPSHOT_READ_AT + 2)
    assert len(merged_after(emptied, restored)["stops"]) == 1  # type: ignore[arg-type]
    assert len(merged_after(restored, emptied)["stops"]) == 1  # type: ignore[arg-type]


def _fixes(positions: dict[int, tuple[float, float]], at: dict[int, float]) -> str:
    return positions_script(StaffDelta(day=DAY, positions=positions, position_at=at))


def test_gps_fixes_are_formatted_like_the_fleet_rows_and_an_older_one_never_wins() -> None:
    fixes = [
        _fixes({7: (41.901234, -87.654321)}, {7: 1764504002.0}),
        _fixes({7: (41.8, -87.7), 9: (41.85, -87.65)}, {7: 1764504001.0, 9: 1764504001.0}),
    ]
    # The first push waits for the store's module; the second arrives after it has loaded.
    shown = run_js(
        f"""{fixes[0]};
const live = store.liveStores();
{fixes[1]};
out([live.fleet.get(7), live.fleet.get("9"), window.laiLiveQueue ?? null]);"""
    )
    assert shown == [
        {
            "lat": 41.90123,
            "lng": -87.65432,
            "latText": "41.90123",
            "lngText": "-87.65432",
            "at": 1764504002.0,
        },
        {
            "lat": 41.85,
            "lng": -87.65,
            "latText": "41.85000",
            "lngText": "-87.65000",
            "at": 1764504001.0,
        },
        None,
    ]


def test_a_fix_without_a_time_is_taken_as_current() -> None:
    script = positions_script(StaffDelta(day=DAY, positions={3: (41.9, -87.6)}))
    at = run_js(f"{script}; out(store.liveStores().fleet.get(3).at);")
    assert isinstance(at, float) and at > SNAPSHOT_READ_AT


def test_a_subscriber_hears_only_its_own_driver() -> None:
    calls = run_js(
        f"""const live = store.liveStores();
const heard = [];
live.fleet.subscribe(7, () => heard.push(7));
live.fleet.subscribe(9, () => heard.push(9));
{_fixes({7: (41.9, -87.6)}, {7: 1.0})};
{_fixes({7: (41.8, -87.6)}, {7: 0.5})};
out(heard);"""
    )
    assert calls == [7]  # the older second fix changed nothing, so nobody re-renders


def test_route_pushes_within_one_frame_notify_the_map_once() -> None:
    """The map hears about route pushes once per animation frame (each re-render compares
    every stop of the day); fixes and fleet rows are heard at once (their subscribers write
    the DOM directly or re-render one row). The stores themselves are current at once."""
    heard = run_js(
        f"""const frames = [];
globalThis.requestAnimationFrame = (callback) => frames.push(callback);
globalThis.cancelAnimationFrame = () => {{}};
const live = store.liveStores();
const heard = [];
live.fleet.subscribe(7, () => heard.push(["fix", live.fleet.get(7).latText]));
live.drivers.subscribe(7, () => heard.push(["row", live.drivers.get(7, "2026-11-30").status]));
live.routes.subscribe(() => heard.push(["routes", live.routes.version()]));
{_fixes({7: (41.9, -87.6)}, {7: 1.0})};
{_rows("on_break", 1, SNAPSHOT_READ_AT + 1)};
{route_change(BOARD, {7}, SNAPSHOT_READ_AT + 1)};
{route_change(BOARD, {8}, SNAPSHOT_READ_AT + 1)};
const before = [[...heard], live.routes.entries().size, frames.length];
frames.forEach((callback) => callback()); // the next frame
out([before, heard.slice(2)]);"""
    )
    assert heard == [
        [[["fix", "41.90000"], ["row", "on_break"]], 2, 1],  # one frame requested for both
        [["routes", 2]],
    ]


def test_a_tab_without_frames_still_redraws_its_routes() -> None:
    """A hidden tab runs no animation frames: a timer flushes instead."""
    heard = run_js(
        f"""globalThis.requestAnimationFrame = () => 1; // never runs
globalThis.cancelAnimationFrame = () => {{}};
const live = store.liveStores();
const heard = [];
live.routes.subscribe(() => heard.push(live.routes.version()));
{route_change(BOARD, {7}, SNAPSHOT_READ_AT + 1)};
const before = heard.length;
await new Promise((resolve) => setTimeout(resolve, 400));
out([before, heard]);"""
    )
    assert heard == [0, [1]]


def test_the_tabs_of_one_batch_share_one_serialisation() -> None:
    batch = StaffDelta(day=DAY, positions={7: (41.9, -87.6)}, position_at={7: 1.0})
    first = store_events(batch)
    assert store_events(batch) is first  # the next tab of the same batch
    later = StaffDelta(day=DAY, positions={7: (41.8, -87.6)}, position_at={7: 2.0})
    assert store_events(later) is not first
    assert "41.80000" in store_events(later)[0].payload["javascript_code"]


def _rows(status: str, done: int, read_at: float, day: date = DAY) -> str:
    row = replace(_driver(7, "Dave Driver"), status=status, stops_done_today=done)
    return drivers_script(StaffDelta(day=day, fleet=[row], read_at=read_at))


def test_a_status_change_reaches_the_drivers_list_and_marker_as_one_row() -> None:
    on_break = _rows("on_break", 1, SNAPSHOT_READ_AT + 1)
    shown = run_js(
        f"""{on_break};
const live = store.liveStores();
out([live.drivers.get(7, "2026-11-30"), live.drivers.get(7, "2026-12-01") ?? null]);"""
    )
    assert shown == [
        {
            "status": "on_break",
            "statusLabel": "on break",
            "progress": "1/2",
            "color": "#ad5700",
            "title": "Dave Driver, on break",
            "readAt": SNAPSHOT_READ_AT + 1,
        },
        None,  # another day's board counts other stops
    ]


def test_the_latest_read_of_a_driver_wins_whatever_the_order_of_arrival() -> None:
    later = _rows("available", 2, SNAPSHOT_READ_AT + 5)
    earlier = _rows("on_route", 1, SNAPSHOT_READ_AT + 2)
    for first, second in ((later, earlier), (earlier, later)):
        shown = run_js(
            f"""const live = store.liveStores();
{first};
{second};
out(live.drivers.get(7, "2026-11-30").status);"""
        )
        assert shown == "available"
