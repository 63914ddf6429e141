"""ETAs follow the driver: a far-away driver puts the window at risk, a near one clears it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from sqlalchemy import update
from sqlmodel import Session, col

from logistics_ai.db import session_scope
from logistics_ai.models import Driver, Shipment, Stop
from logistics_ai.services import assignment, drivers, shipments
from logistics_ai.services.eta_updates import (
    late_stops,
    refresh_after_commit,
    refresh_after_move,
    refresh_driver_etas,
)
from tests.support import app_config
from tests.support.world import World, booking, tomorrow_at


def _move(driver_id: int, lat: float, lon: float) -> None:
    with session_scope() as s:
        driver = s.get(Driver, driver_id)
        driver.last_lat, driver.last_lon = lat, lon  # type: ignore[union-attr]
        s.add(driver)


def test_late_risk_follows_the_driver(world: World, session: Session) -> None:
    with session_scope() as s:
        shipment = shipments.create_shipment(
            s,
            world.alice,
            booking(pickup_window_start=tomorrow_at(10), pickup_window_end=tomorrow_at(11)),
        )
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    now = tomorrow_at(10, 30)
    _move(world.dave.driver_id, 42.3, -88.2)  # about 60 km north-west: over an hour away  # type: ignore[arg-type]
    with session_scope() as s:
        # About 2.6 h of driving: the pickup window (until 11:00) is missed; the drop-off
        # window (until 14:00) still holds.
        assert refresh_driver_etas(s, world.dave.driver_id, now) == 1  # type: ignore[arg-type]
        at_risk = late_stops(s, now.date())
        assert [stop.kind for stop, _, _ in at_risk] == ["pickup"]
    stored = session.get(Shipment, shipment.id)
    assert stored is not None and stored.eta is not None and stored.eta > tomorrow_at(11)

    _move(world.dave.driver_id, 41.9210, -87.6510)  # at the pickup  # type: ignore[arg-type]
    with session_scope() as s:
        assert refresh_driver_etas(s, world.dave.driver_id, now) == 0  # type: ignore[arg-type]
    session.expire_all()
    pickup = next(
        st
        for st in assignment.shipment_stops(session, shipment.id)  # type: ignore[arg-type]
        if st.kind == "pickup"
    )
    assert isinstance(pickup, Stop) and pickup.late_risk is False
    assert pickup.planned_arrival is not None and pickup.planned_arrival <= tomorrow_at(10, 31)

    # The driver's API shows the same ETA and flag as the driver app.
    from tests.support.api import bearer, client, login

    http = client()
    dave = bearer(login(http, "dave@test.example.com")["access_token"])
    day = tomorrow_at(0).date().isoformat()
    stops = http.get("/api/v1/drivers/me/route", params={"date": day}, headers=dave).json()["stops"]
    shown = next(s for s in stops if s["id"] == pickup.id)
    assert shown["late_risk"] is False
    assert datetime.fromisoformat(shown["eta"]) == pickup.planned_arrival


def test_gps_batch_updates_position_and_etas(world: World, session: Session) -> None:
    from tests.support.api import bearer, client, login

    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    http = client()
    dave = bearer(login(http, "dave@test.example.com")["access_token"])
    sent = http.post(
        "/api/v1/drivers/me/location",
        headers=dave,
        json={
            "pings": [
                {"lat": 41.90, "lon": -87.65},
                {"lat": 41.91, "lon": -87.651, "speed_mps": 8.5},
            ]
        },
    )
    assert sent.status_code == 200 and sent.json()["accepted"] == 2
    assert sent.json()["lat"] == 41.91
    bad = http.post("/api/v1/drivers/me/location", headers=dave, json={"pings": []})
    assert bad.status_code == 422
    future = http.post(
        "/api/v1/drivers/me/location",
        headers=dave,
        json={"pings": [{"lat": 41.9, "lon": -87.6, "recorded_at": "2099-01-01T00:00:00Z"}]},
    )
    assert future.status_code == 422


def _assigned_pickup(world: World) -> tuple[int, int]:
    """A shipment for tomorrow on Dave's route; returns its pickup and drop-off stop ids."""
    with session_scope() as s:
        shipment = shipments.create_shipment(
            s,
            world.alice,
            booking(pickup_window_start=tomorrow_at(10), pickup_window_end=tomorrow_at(11)),
        )
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
        stops = {st.kind: st.id for st in assignment.shipment_stops(s, shipment.id)}  # type: ignore[arg-type]
    return stops["pickup"], stops["dropoff"]  # type: ignore[return-value]


def test_etas_are_recomputed_after_the_change_commits(world: World, session: Session) -> None:
    _, dropoff_id = _assigned_pickup(world)
    _move(world.dave.driver_id, 42.3, -88.2)  # type: ignore[arg-type]
    with session_scope() as s:
        refresh_after_commit(s, world.dave.driver_id, tomorrow_at(10, 30))  # type: ignore[arg-type]
        s.flush()
        inside = s.get(Stop, dropoff_id)
        assert inside is not None and inside.planned_arrival is None  # nothing in the tx
    session.expire_all()
    after = session.get(Stop, dropoff_id)
    assert after is not None and after.planned_arrival is not None  # computed after commit


class _OsrmDown(BaseHTTPRequestHandler):
    """An OSRM that is there but failing: every table request gets a 503."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _OsrmDown.requests.append(self.path)
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"code": "Unavailable", "message": "overloaded"}')

    def log_message(self, *args: object) -> None:
        pass


def test_an_osrm_outage_never_fails_a_stop_event(world: World, session: Session) -> None:
    pickup_id, dropoff_id = _assigned_pickup(world)
    _move(world.dave.driver_id, 41.95, -87.70)  # a GPS fix, so an ETA needs travel times  # type: ignore[arg-type]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OsrmDown)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _OsrmDown.requests.clear()
    try:
        osrm = f"http://127.0.0.1:{server.server_port}"
        with app_config.configured(osrm_url=osrm), session_scope() as s:
            drivers.record_stop_event(s, world.dave, pickup_id, "arrived")
            # The route is tomorrow's: ask for its ETAs too, so OSRM is really called.
            refresh_after_commit(s, world.dave.driver_id, tomorrow_at(10, 30))  # type: ignore[arg-type]
    finally:
        server.shutdown()
    assert _OsrmDown.requests and _OsrmDown.requests[0].startswith("/table/v1/")
    session.expire_all()
    stop = session.get(Stop, pickup_id)
    assert stop is not None and stop.status == "arrived" and stop.actual_arrival is not None
    dropoff = session.get(Stop, dropoff_id)
    assert dropoff is not None and dropoff.planned_arrival is None  # no ETA without OSRM


def test_a_refresh_writes_each_table_once_and_only_what_changed(world: World) -> None:
    from sqlalchemy import event

    from logistics_ai.db import get_engine

    with session_scope() as s:
        for hour in (10, 11, 12):
            shipment = shipments.create_shipment(
                s,
                world.alice,
                booking(
                    pickup_window_start=tomorrow_at(hour),
                    pickup_window_end=tomorrow_at(hour + 1),
                ),
            )
            assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    updates: list[tuple[str, int]] = []

    def seen(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        if sql.lstrip().upper().startswith("UPDATE"):
            rows = len(params) if isinstance(params, list | tuple) else 1
            updates.append((sql.split()[1], rows))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        _move(world.dave.driver_id, 42.3, -88.2)  # type: ignore[arg-type]
        updates.clear()
        with session_scope() as s:
            refresh_driver_etas(s, world.dave.driver_id, tomorrow_at(9))  # type: ignore[arg-type]
        # Six open stops, three of them drop-offs: one statement per table, every row in it.
        assert sorted(updates) == [("shipments", 3), ("stops", 6)]
        updates.clear()
        with session_scope() as s:  # the same position at the same moment: nothing changed
            refresh_driver_etas(s, world.dave.driver_id, tomorrow_at(9))  # type: ignore[arg-type]
        assert updates == []
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _batch(driver_id: int, lat: float, lon: float, now: datetime) -> None:
    """What a GPS batch does to the ETAs: the driver's new position, then the refresh rule."""
    with session_scope() as s:
        driver = s.get(Driver, driver_id)
        driver.last_lat, driver.last_lon = lat, lon  # type: ignore[union-attr]
        s.add(driver)
        refresh_after_move(s, driver_id, now, lat, lon)


def _dropoff_eta(session: Session, stop_id: int) -> datetime | None:
    session.expire_all()
    stop = session.get(Stop, stop_id)
    assert stop is not None
    return stop.planned_arrival


def test_gps_batches_recompute_etas_only_when_the_last_ones_no_longer_hold(
    world: World, session: Session
) -> None:
    """Near fixes soon after a recomputation keep its ETAs; distance, time, a route change or
    a stop event recompute them (ETA_REFRESH_SECONDS 15, ETA_REFRESH_METERS 250)."""
    _, dropoff_id = _assigned_pickup(world)
    dave = world.dave.driver_id
    assert dave is not None
    start = tomorrow_at(10, 30)  # both windows open: an ETA is `now` plus the drive
    with app_config.configured(eta_refresh_seconds="15", eta_refresh_meters="250"):
        _batch(dave, 41.95, -87.70, start)
        first = _dropoff_eta(session, dropoff_id)
        assert first is not None

        # ~110 m further north, 5 s later: within both bounds, so nothing is recomputed.
        _batch(dave, 41.951, -87.70, start + timedelta(seconds=5))
        assert _dropoff_eta(session, dropoff_id) == first

        # ~1.1 km on: beyond the distance bound.
        _batch(dave, 41.96, -87.70, start + timedelta(seconds=8))
        moved = _dropoff_eta(session, dropoff_id)
        assert moved is not None and moved != first

        # Standing still, but 15 s after that recomputation: beyond the time bound.
        _batch(dave, 41.96, -87.70, start + timedelta(seconds=23))
        waited = _dropoff_eta(session, dropoff_id)
        assert waited is not None and waited != moved

        # A route change (a new shipment on Dave's route) recomputes at once: its stops get ETAs.
        _, new_dropoff_id = _assigned_pickup(world)
        assert _dropoff_eta(session, new_dropoff_id) is None
        _batch(dave, 41.96, -87.70, start + timedelta(seconds=25))
        assert _dropoff_eta(session, new_dropoff_id) is not None

    # With the throttle off, the same near fix 2 s later recomputes.
    with app_config.configured(eta_refresh_seconds="0"):
        before = _dropoff_eta(session, dropoff_id)
        _batch(dave, 41.961, -87.70, start + timedelta(seconds=27))
        assert _dropoff_eta(session, dropoff_id) != before


def test_a_failed_recomputation_does_not_hold_the_next_batch_back(
    world: World, session: Session
) -> None:
    _, dropoff_id = _assigned_pickup(world)
    dave = world.dave.driver_id
    assert dave is not None
    start = tomorrow_at(10, 30)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OsrmDown)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        osrm = f"http://127.0.0.1:{server.server_port}"
        with app_config.configured(osrm_url=osrm):
            _batch(dave, 41.95, -87.70, start)  # the recomputation fails: OSRM answers 503
    finally:
        server.shutdown()
    assert _dropoff_eta(session, dropoff_id) is None
    # OSRM is back (the straight-line estimate here); 2 s and ~10 m later the batch recomputes.
    _batch(dave, 41.9501, -87.70, start + timedelta(seconds=2))
    assert _dropoff_eta(session, dropoff_id) is not None


def _assigned_without_eta(world: World) -> int:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
        assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
    with session_scope() as s:  # forget the ETA the assignment computed
        s.execute(update(Shipment).where(col(Shipment.id) == shipment.id).values(eta=None))
    _move(world.dave.driver_id, 41.9210, -87.6510)  # a position to compute ETAs from  # type: ignore[arg-type]
    return shipment.id  # type: ignore[return-value]


def test_the_refresh_runs_once_the_units_connection_is_back(world: World, session: Session) -> None:
    """With one pooled connection and no overflow, a change still refreshes the ETAs: the
    refresh opens its own unit of work only after the change's unit gave its connection back.
    Run from the commit itself (SQLAlchemy's after_commit), it waited for a second connection
    that never came, timed out, and the ETAs stayed unwritten."""
    shipment_id = _assigned_without_eta(world)
    with (
        app_config.configured(db_pool_size="1", db_max_overflow="0", db_pool_timeout="1"),
        session_scope() as s,
    ):
        # A change that holds the unit's connection, as a stop event or a GPS batch does,
        # and the route's ETAs asked for (it is tomorrow's route: at 10:30 tomorrow).
        s.get(Driver, world.dave.driver_id)
        refresh_after_commit(s, world.dave.driver_id, tomorrow_at(10, 30))  # type: ignore[arg-type]
    session.expire_all()
    stored = session.get(Shipment, shipment_id)
    assert stored is not None and stored.eta is not None


def test_a_rolled_back_unit_refreshes_nothing(world: World, session: Session) -> None:
    shipment_id = _assigned_without_eta(world)

    class Abandoned(Exception):
        pass

    try:
        with session_scope() as s:
            s.get(Driver, world.dave.driver_id)
            refresh_after_commit(s, world.dave.driver_id, tomorrow_at(10, 30))  # type: ignore[arg-type]
            raise Abandoned
    except Abandoned:
        pass
    session.expire_all()
    stored = session.get(Shipment, shipment_id)
    assert stored is not None and stored.eta is None
