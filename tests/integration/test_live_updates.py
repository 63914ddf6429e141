"""The live fan-out against real PostgreSQL and Redis: changes made by another process (the
REST API in its own server) reach this process's tabs, filtered by audience and privacy."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from redis.client import PubSubWorkerThread
from sqlmodel import Session, text

from logistics_ai.db import session_scope
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import IllegalTransition
from logistics_ai.models import DriverStatus, Role, Shipment, ShipmentStatus
from logistics_ai.realtime.audience import CHANNELS, Work
from logistics_ai.realtime.bus import get_bus
from logistics_ai.security import refresh
from logistics_ai.services import assignment, drivers, live_board, live_updates, shipments
from logistics_ai.services.live_updates import (
    Audience,
    CustomerDelta,
    Delta,
    DriverDelta,
    LiveFanout,
    Reload,
    StaffDelta,
    TrackingDelta,
    Watcher,
    Watchers,
    read_deltas,
)
from logistics_ai.services.shipment_status import transition
from logistics_ai.settings import get_settings
from tests.support import services
from tests.support.live_api import live_api
from tests.support.world import PASSWORD, World, booking

FIX = (41.90123, -87.65432)


@dataclass
class Recorder:
    """Stands in for the Reflex tabs: what each registered token was pushed."""

    received: list[tuple[str, Delta]]
    lock: threading.Lock

    async def push(self, token: str, _watcher: Watcher, delta: Delta) -> bool:
        with self.lock:
            self.received.append((token, delta))
        return True

    def of(self, token: str) -> list[Delta]:
        with self.lock:
            return [delta for t, delta in self.received if t == token]

    def wait_for(self, predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"not received; got {self.received!r}"
            time.sleep(0.05)


def _subscribed(count: int) -> bool:
    settings = get_settings()
    client = redis.Redis.from_url(settings.redis_url)  # type: ignore[arg-type]
    channels = [settings.redis_key_prefix + "bus:" + channel for channel in CHANNELS]
    return all(n >= count for _, n in client.pubsub_numsub(*channels))


@contextmanager
def fanout(watchers: Watchers) -> Iterator[Recorder]:
    """A LiveFanout on its own event loop thread, subscribed to the real Redis bus."""
    recorder = Recorder([], threading.Lock())
    loop = asyncio.new_event_loop()
    task = loop.create_task(LiveFanout(recorder.push, watchers).run())

    def main() -> None:
        asyncio.set_event_loop(loop)
        with suppress(asyncio.CancelledError):
            loop.run_until_complete(task)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not _subscribed(1):
        assert time.monotonic() < deadline, "the fan-out did not subscribe"
        time.sleep(0.05)
    try:
        yield recorder
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)


def _book(world_actor, **extra) -> Shipment:  # type: ignore[no-untyped-def]
    with session_scope() as s:
        return shipments.create_shipment(s, world_actor, booking(**extra))


def _assign(world: World, shipment_id: int, driver_id: int) -> None:
    with session_scope() as s:
        assignment.assign_shipment(s, world.dispatcher, shipment_id, driver_id)


def _token(api: str, email: str) -> dict[str, str]:
    response = httpx.post(f"{api}/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _stop_event(api: str, auth: dict[str, str], shipment: Shipment, kind: str, event: str) -> None:
    day = shipment.service_date.isoformat()
    route = httpx.get(f"{api}/api/v1/drivers/me/route", headers=auth, params={"date": day})
    stop = next(
        s
        for s in route.json()["stops"]
        if s["tracking_code"] == shipment.tracking_code and s["kind"] == kind
    )
    response = httpx.post(
        f"{api}/api/v1/stops/{stop['id']}/events", headers=auth, json={"event": event}
    )
    assert response.status_code == 200, response.text


def test_rest_changes_reach_each_audience_of_another_process_and_no_other(
    world: World, session: Session, tmp_path: Path
) -> None:
    assert world.dave.driver_id and world.alice.customer_id and world.bob.customer_id
    mine = _book(world.alice)
    theirs = _book(world.bob, recipient_name="Sam Other")
    _assign(world, mine.id, world.dave.driver_id)  # type: ignore[arg-type]
    _assign(world, theirs.id, world.dave.driver_id)  # type: ignore[arg-type]

    # No session ids: the revocation check (tested below) leaves these tabs alone.
    watchers = Watchers()
    watchers.watch("staff", Watcher(Audience.staff(), "f"))
    watchers.watch("alice", Watcher(Audience.customer(world.alice.customer_id), "f"))
    watchers.watch("bob", Watcher(Audience.customer(world.bob.customer_id), "f"))
    watchers.watch("dave", Watcher(Audience.driver(world.dave.driver_id), "f"))
    watchers.watch("track-mine", Watcher(Audience.tracking(mine.tracking_code)), None)
    watchers.watch(
        "track-theirs", Watcher(Audience.tracking(theirs.tracking_code)), world.dave.driver_id
    )

    with fanout(watchers) as recorder, live_api(tmp_path / "api.log") as api:
        auth = _token(api, "dave@test.example.com")
        # Dave's route: alice's pickup, alice's drop-off, then bob's. He picks alice's up.
        _stop_event(api, auth, mine, "pickup", "picked_up")

        recorder.wait_for(
            lambda: any(
                isinstance(d, StaffDelta)
                and any(s.id == mine.id and s.status == "picked_up" for s in d.shipments)
                for d in recorder.of("staff")
            )
        )
        recorder.wait_for(
            lambda: any(
                isinstance(d, TrackingDelta) and d.view and d.view.status == "picked_up"
                for d in recorder.of("track-mine")
            )
        )
        recorder.wait_for(lambda: any(isinstance(d, DriverDelta) for d in recorder.of("dave")))
        recorder.wait_for(lambda: bool(recorder.of("alice")))

        # The GPS fix through the API: the staff marker moves; alice's drop-off is Dave's
        # next stop, so her page may show him; bob's shipment is neither next nor in transit.
        response = httpx.post(
            f"{api}/api/v1/drivers/me/location",
            headers=auth,
            json={"pings": [{"lat": FIX[0], "lon": FIX[1]}]},
        )
        assert response.status_code == 200, response.text
        recorder.wait_for(
            lambda: any(
                isinstance(d, StaffDelta) and d.positions.get(world.dave.driver_id) == FIX  # type: ignore[arg-type]
                for d in recorder.of("staff")
            )
        )
        recorder.wait_for(
            lambda: any(
                isinstance(d, TrackingDelta)
                and d.position is not None
                and (d.position.lat, d.position.lon) == FIX
                for d in recorder.of("track-mine")
            )
        )
        # Bob's page heard about Dave (his ETA moved) but never where he is.
        recorder.wait_for(lambda: bool(recorder.of("track-theirs")))
        time.sleep(1.0)  # anything still in flight lands before the negative checks

    # What a staff delta carries for the map of that day: Dave's route, re-read (the
    # fan-out reads today's; the booking is for tomorrow, so read that day here).
    work = Work(routes={world.dave.driver_id})
    with session_scope() as s:
        staff = read_deltas(s, work, [Audience.staff()], mine.service_date)[Audience.staff()]
    assert isinstance(staff, StaffDelta) and staff.day_map is not None
    assert {(st.shipment_id, st.kind, st.status) for st in staff.day_map.stops} == {
        (mine.id, "pickup", "done"),
        (mine.id, "dropoff", "pending"),
        (theirs.id, "pickup", "pending"),
        (theirs.id, "dropoff", "pending"),
    }

    for delta in recorder.of("track-theirs"):
        assert isinstance(delta, TrackingDelta) and delta.position is None
        assert delta.view is None or delta.view.tracking_code == theirs.tracking_code
    for delta in recorder.of("track-mine"):
        assert isinstance(delta, TrackingDelta)
        assert delta.view is None or delta.view.tracking_code == mine.tracking_code
    # Each customer only ever received rows of their own shipments; bob's did not change.
    for token, customer in (("alice", world.alice), ("bob", world.bob)):
        for delta in recorder.of(token):
            assert isinstance(delta, CustomerDelta)
            assert {s.customer_id for s in delta.shipments} == {customer.customer_id}
    assert all(s.id == mine.id for d in recorder.of("alice") for s in d.shipments)  # type: ignore[union-attr]
    assert recorder.of("bob") == []


def test_a_rolled_back_change_pushes_nothing(world: World) -> None:
    created = _book(world.alice)
    watchers = Watchers()
    watchers.watch("staff", Watcher(Audience.staff(), "f"))
    watchers.watch("alice", Watcher(Audience.customer(world.alice.customer_id or 0), "f"))
    watchers.watch("track", Watcher(Audience.tracking(created.tracking_code)), None)
    with fanout(watchers) as recorder:
        with pytest.raises(IllegalTransition), session_scope() as s:
            fresh = s.get(Shipment, created.id)
            assert fresh is not None
            transition(s, fresh, ShipmentStatus.scheduled, world.dispatcher)
            transition(s, fresh, ShipmentStatus.delivered, world.dispatcher)
        time.sleep(1.5)
        assert recorder.received == []
        # The same change committed does reach them (the fan-out was listening).
        with session_scope() as s:
            fresh = s.get(Shipment, created.id)
            assert fresh is not None
            transition(s, fresh, ShipmentStatus.scheduled, world.dispatcher)
        recorder.wait_for(lambda: {t for t, _ in recorder.received} == {"staff", "alice", "track"})


def test_closed_tabs_and_revoked_sessions_are_forgotten(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.dispatcher.user_id is not None
    live, _ = refresh.start(world.dispatcher.user_id, "web", None, None)
    revoked, _ = refresh.start(world.dispatcher.user_id, "web", None, None)
    refresh.revoke(revoked)
    watchers = Watchers()
    watchers.watch("live", Watcher(Audience.staff(), "f", live.session_id))
    watchers.watch("revoked", Watcher(Audience.staff(), "f", revoked.session_id))
    watchers.watch("closed", Watcher(Audience.staff(), "f", live.session_id))
    watchers.watch("public", Watcher(Audience.tracking("LAI-X")), None)
    monkeypatch.setattr(live_updates, "HOUSEKEEPING_SECONDS", 0.0)
    recorder = Recorder([], threading.Lock())
    fan = LiveFanout(recorder.push, watchers, connected=lambda token: token != "closed")
    asyncio.run(fan._housekeeping())
    assert sorted(watchers.tokens()) == ["live", "public"]


def test_a_reassigned_shipment_tracking_page_follows_the_new_driver(world: World) -> None:
    assert world.dave.driver_id and world.erin.driver_id
    created = _book(world.alice)
    _assign(world, created.id, world.dave.driver_id)  # type: ignore[arg-type]
    watchers = Watchers()
    watchers.watch("track", Watcher(Audience.tracking(created.tracking_code)), world.dave.driver_id)
    with fanout(watchers) as recorder:
        _assign(world, created.id, world.erin.driver_id)  # type: ignore[arg-type]
        recorder.wait_for(
            lambda: watchers.carriers() == {created.tracking_code: world.erin.driver_id}
        )
        recorder.wait_for(lambda: bool(recorder.of("track")))


def test_eta_refreshes_reread_the_board_only_when_late_risk_changes(world: World) -> None:
    """ETAs are refreshed after every GPS batch; the board (the route's highlights, the
    tiles) re-reads only when a driver's late-risk count changes, so a steady drive costs no
    reads. (The tiles' own spacing: the next tests.)"""
    assert world.dave.driver_id
    watchers = Watchers()
    watchers.watch("staff", Watcher(Audience.staff(), "f"))
    bus = get_bus()

    def board_reads() -> int:
        return sum(
            1
            for d in recorder.of("staff")
            if isinstance(d, StaffDelta) and (d.kpis is not None or d.fleet or d.route_drivers)
        )

    def route_reads() -> int:
        return sum(1 for d in recorder.of("staff") if isinstance(d, StaffDelta) and d.route_drivers)

    with fanout(watchers) as recorder:
        # The boards show 0 late-risk stops for Dave (read when the fan-out started): the
        # same count again is no news, however often it is refreshed.
        for _ in range(3):
            bus.publish("eta", {"driver_id": world.dave.driver_id, "late_risk": 0})
        bus.publish("drivers", {"driver_id": world.dave.driver_id, "lat": 41.8, "lon": -87.6})
        recorder.wait_for(lambda: any(d.positions for d in recorder.of("staff")))  # type: ignore[union-attr]
        time.sleep(0.5)
        assert board_reads() == 0
        bus.publish("eta", {"driver_id": world.dave.driver_id, "late_risk": 2})
        recorder.wait_for(lambda: route_reads() == 1)
        bus.publish("eta", {"driver_id": world.dave.driver_id, "late_risk": 2})
        bus.publish("eta", {"driver_id": world.dave.driver_id})  # a count it could not tell
        recorder.wait_for(lambda: route_reads() == 2)
        bus.publish("eta", {"driver_id": world.dave.driver_id, "late_risk": 0})
        recorder.wait_for(lambda: route_reads() == 3)


def _one_staff_tab() -> Watchers:
    watchers = Watchers()
    watchers.watch("staff", Watcher(Audience.staff(), "f"))
    return watchers


def _staff_deltas(recorder: Recorder) -> list[StaffDelta]:
    return [d for d in recorder.of("staff") if isinstance(d, StaffDelta)]


def test_a_drivers_start_and_first_eta_send_its_fleet_row_once(world: World) -> None:
    """A shift start: the driver's "on route" status, then its first ETA changes its
    late-risk count. The board gets the row once (with the status), then the route's
    highlights (with the driver's name for the stops' titles) and the tiles: the row's
    content does not depend on the count, and sending it again doubled the rows every
    dashboard received while a shift starts (docs/realtime.md, Round 10)."""
    dave = world.dave.driver_id
    assert dave
    bus = get_bus()
    with fanout(_one_staff_tab()) as recorder:

        def staff() -> list[StaffDelta]:
            return _staff_deltas(recorder)

        with session_scope() as s:  # the driver app's "start shift"
            drivers.set_own_status(s, world.dave, DriverStatus.on_route)
        recorder.wait_for(lambda: any(row.id == dave for d in staff() for row in d.fleet))
        bus.publish("eta", {"driver_id": dave, "late_risk": 3})
        recorder.wait_for(lambda: any(dave in d.route_drivers for d in staff()))
        time.sleep(0.5)  # anything else the two events would send
        rows = [row for d in staff() for row in d.fleet if row.id == dave]
        assert [row.status for row in rows] == ["on_route"]
        route = next(d for d in staff() if dave in d.route_drivers)
        assert route.route_names == {dave: rows[0].name}
        assert any(d.kpis is not None for d in staff())


def _open_today() -> int:
    with session_scope() as s:
        return live_board.kpis(s, world_staff(), clock.today_local()).open


def world_staff() -> Actor:
    return Actor(user_id=None, role=Role.dispatcher, label="test")


def test_tiles_are_read_at_most_once_per_interval_and_the_last_change_is_never_dropped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three shipments join today's board one after the other within the tiles' interval:
    each one's row is pushed at once; the tiles are read for the first, and once more when
    the interval ends, counting all three (only the latest tiles matter; a state write per
    change per tab was what a shift start cost every dashboard)."""
    monkeypatch.setattr(live_updates, "KPI_SPACING_SECONDS", 3.0)  # room for a loaded machine
    booked = [_book(world.alice) for _ in range(3)]  # tomorrow's: not on today's tiles yet
    before = _open_today()
    bus = get_bus()
    with fanout(_one_staff_tab()) as recorder:

        def staff() -> list[StaffDelta]:
            return _staff_deltas(recorder)

        for shipment in booked:
            with session_scope() as s:  # moved to today, then announced as a change would be
                s.exec(  # type: ignore[call-overload]
                    text("UPDATE shipments SET service_date = :day WHERE id = :id"),
                    params={"day": clock.today_local(), "id": shipment.id},
                )
            bus.publish("shipments", {"shipment_id": shipment.id, "driver_id": None})
            recorder.wait_for(
                lambda: any(s.id == shipment.id for d in staff() for s in d.shipments)  # noqa: B023
            )
        expected = _open_today()
        assert expected == before + 3
        recorder.wait_for(
            lambda: any(d.kpis is not None and d.kpis.open == expected for d in staff()),
            timeout=10.0,
        )
        time.sleep(0.5)
        tiles = [d.kpis for d in staff() if d.kpis is not None]
        assert len(tiles) == 2, tiles
        assert tiles[-1].open == expected


def test_fixes_reach_the_board_while_a_read_is_held_up(world: World) -> None:
    """A status change makes the fan-out read the database; a fix arriving meanwhile goes out
    at once instead of queueing behind that read (under load, fixes used to reach the
    screens in bursts, one per read)."""
    assert world.dave.driver_id
    created = _book(world.alice)
    watchers = Watchers()
    watchers.watch("staff", Watcher(Audience.staff(), "f"))
    bus = get_bus()
    with fanout(watchers) as recorder:
        # Another transaction holds the shipments table: the staff read of the change waits.
        with session_scope() as blocker:
            blocker.exec(text("LOCK TABLE shipments IN ACCESS EXCLUSIVE MODE"))  # type: ignore[call-overload]
            bus.publish("shipments", {"shipment_id": created.id, "driver_id": None})
            time.sleep(0.3)  # the read has started and is waiting for the lock
            fix = {"driver_id": world.dave.driver_id, "lat": FIX[0], "lon": FIX[1]}
            bus.publish("drivers", fix)
            recorder.wait_for(
                lambda: any(
                    isinstance(d, StaffDelta) and d.positions == {world.dave.driver_id: FIX}
                    for d in recorder.of("staff")
                )
            )
            assert not any(
                isinstance(d, StaffDelta) and d.shipments for d in recorder.of("staff")
            ), "the read could not have finished while the table was locked"
        recorder.wait_for(
            lambda: any(
                isinstance(d, StaffDelta) and [s.id for s in d.shipments] == [created.id]
                for d in recorder.of("staff")
            )
        )


def test_every_tab_reloads_after_the_bus_lost_its_connection(
    world: World, redis_url: str, redis_prefix: str
) -> None:
    """Redis pub/sub delivers at most once: what is published while the fan-out's connection
    is down (Redis restarted, a Sentinel failover) never reaches it. Once subscribed again,
    every open tab re-reads from the database, and later changes arrive as before."""
    assert world.alice.customer_id
    watchers = Watchers()
    watchers.watch("staff", Watcher(Audience.staff(), "f"))
    watchers.watch("alice", Watcher(Audience.customer(world.alice.customer_id), "f"))
    watchers.watch("track", Watcher(Audience.tracking("LAI-NOT-BOOKED")), None)
    tabs = ("alice", "staff", "track")

    def reloads(token: str) -> int:
        return sum(isinstance(d, Reload) for d in recorder.of(token))

    with fanout(watchers) as recorder:
        assert services.kill_bus_subscriptions(redis_url, redis_prefix) >= len(CHANNELS)
        recorder.wait_for(lambda: all(reloads(t) for t in tabs))
        assert recorder.received == [(t, d) for t, d in recorder.received if isinstance(d, Reload)]
        created = _book(world.alice)
        recorder.wait_for(
            lambda: any(
                isinstance(d, StaffDelta) and [s.id for s in d.shipments] == [created.id]
                for d in recorder.of("staff")
            )
        )
        recorder.wait_for(lambda: any(isinstance(d, CustomerDelta) for d in recorder.of("alice")))
    # The channels' subscriptions come back a few milliseconds apart and are answered
    # together; never more than one reload per channel.
    assert all(1 <= reloads(t) <= len(CHANNELS) for t in tabs), recorder.received


def _listener_threads() -> int:
    return sum(isinstance(t, PubSubWorkerThread) and t.is_alive() for t in threading.enumerate())


def test_unsubscribing_ends_the_listener_before_it_returns(
    world: World, redis_url: str, redis_prefix: str
) -> None:
    """The listener thread closes its own connection. Closed from outside while the thread
    was reconnecting (a Redis restart, say), the connection went back to the pool still
    subscribed, and the next publish on it failed ("only SUBSCRIBE ... allowed")."""
    bus = get_bus()
    before = _listener_threads()
    stop = bus.subscribe("shipments", lambda _channel, _payload: None)
    assert _listener_threads() == before + 1
    assert services.kill_bus_subscriptions(redis_url, redis_prefix) >= 1  # now reconnecting
    stop()
    assert _listener_threads() == before
    for _ in range(20):  # every pooled connection still takes a publish
        bus.publish("shipments", {"shipment_id": 0})
