"""Live fan-out: committed bus events -> deltas for the screens open in this worker process.

Each backend worker runs one `LiveFanout` (a Reflex lifespan task, see
logistics_ai/logistics_ai.py). It subscribes to the bus (Redis pub/sub when REDIS_URL is set,
so changes made by the REST API, other workers and other replicas arrive; the in-process bus
in the embedded default) and pushes to the client tokens registered in this process's
`Watchers`. A tab registers when its page loads (after authentication) in the worker that
holds its websocket, and only that worker pushes to it: no delta reaches a tab twice.

GPS fixes go to the staff tabs as they arrive (they need no read). Everything else is read in
batches (whatever arrived while the previous batch was being read and pushed): one read-only
unit of work in a worker thread re-reads only the touched rows, then the UI's `Push` is called
once per tab. See docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeAlias

from loguru import logger
from sqlmodel import Session

from logistics_ai.db import session_scope
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import NotFound
from logistics_ai.models import Driver, Role, Shipment
from logistics_ai.realtime import audience as rules
from logistics_ai.realtime.audience import Audience, Work
from logistics_ai.realtime.bus import EventBus, get_bus
from logistics_ai.security import refresh
from logistics_ai.services import drivers, live_board, live_map, public_tracking

HOUSEKEEPING_SECONDS = 30.0
COALESCE_SECONDS = 0.015
# A lost Redis connection drops every channel's subscription at once, and each comes back on
# its own a few milliseconds apart: the resumptions of this long are answered by one reload.
RESUME_SETTLE_SECONDS = 0.5
_RESUMED = "(bus resumed)"  # a queue item, never a bus channel
# The KPI tiles are read (and written into every staff tab's state) at most once per this
# many seconds: when a shift starts, each driver's first ETA changes the late-risk count, and
# every read batch of those seconds wrote the tiles into every dashboard (a state write: the
# tab's lock, its state loaded and saved, the tiles re-rendered). Only the latest tiles matter,
# so a change within the interval is read once it ends, never dropped (docs/realtime.md,
# Round 10).
KPI_SPACING_SECONDS = 1.0
_KPIS_DUE = "(tiles due)"  # an unread item, never a bus channel


@dataclass(frozen=True)
class Watcher:
    """A tab that receives live updates, and what its pushes are checked against."""

    audience: Audience
    # The digest of the credential the tab's data was loaded for, and that credential's
    # session: a push into a tab whose user signed out, or whose session was revoked, is
    # dropped (and the tab unregistered). Empty for the public tracking page.
    fingerprint: str = ""
    session_id: str = ""


class Watchers:
    """The client tokens of this worker process that asked for live updates."""

    def __init__(self) -> None:
        self._by_token: dict[str, Watcher] = {}
        # Tracking code -> driver carrying it (server-side only, for position routing).
        self._carriers: dict[str, int | None] = {}

    def watch(self, token: str, watcher: Watcher, carrier_id: int | None = None) -> None:
        """Register (or re-register after a reconnect or a navigation) one tab."""
        self._by_token[token] = watcher
        if watcher.audience.kind == "tracking":
            self._carriers[watcher.audience.key] = carrier_id

    def unwatch(self, token: str) -> None:
        watcher = self._by_token.pop(token, None)
        if (
            watcher is not None
            and watcher.audience.kind == "tracking"
            and not any(w.audience == watcher.audience for w in self._by_token.values())
        ):
            self._carriers.pop(watcher.audience.key, None)

    def get(self, token: str) -> Watcher | None:
        return self._by_token.get(token)

    def tokens(self) -> list[str]:
        return list(self._by_token)

    def by_audience(self) -> dict[Audience, list[str]]:
        grouped: dict[Audience, list[str]] = {}
        for token, watcher in self._by_token.items():
            grouped.setdefault(watcher.audience, []).append(token)
        return grouped

    def carriers(self) -> dict[str, int | None]:
        return dict(self._carriers)

    def set_carrier(self, code: str, driver_id: int | None) -> None:
        if code in self._carriers:
            self._carriers[code] = driver_id


WATCHERS = Watchers()  # this worker process's registry


def watch(token: str, watcher: Watcher, carrier_id: int | None = None) -> None:
    if token:
        WATCHERS.watch(token, watcher, carrier_id)


def unwatch(token: str) -> None:
    WATCHERS.unwatch(token)


# --- Deltas: what one push carries -------------------------------------------------------


@dataclass(frozen=True)
class StaffDelta:
    day: date  # the service day the fleet progress and KPIs were read for
    positions: Mapping[int, tuple[float, float]] = field(default_factory=dict)
    position_at: Mapping[int, float] = field(default_factory=dict)  # epoch s of each fix
    fleet: list[drivers.DriverRow] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    kpis: live_board.Kpis | None = None
    # The map's stops and lines of the routes that changed (`route_drivers`), read afresh,
    # and their drivers' names (a stop's title names its driver).
    route_drivers: frozenset[int] = frozenset()
    day_map: live_map.DayMap | None = None
    route_names: Mapping[int, str] = field(default_factory=dict)
    # When the read began (epoch s): a page keeps whichever of this and its own last read of
    # a route is newer.
    read_at: float = 0.0


@dataclass(frozen=True)
class CustomerDelta:
    shipments: list[Shipment]


@dataclass(frozen=True)
class DriverDelta:
    stops: list[drivers.StopView]
    shift_status: str


@dataclass(frozen=True)
class TrackingDelta:
    view: public_tracking.PublicTracking | None  # None: only the position changed
    position: public_tracking.PublicPosition | None  # None: not shown (privacy rule)


@dataclass(frozen=True)
class Reload:
    """Re-read everything from the database, as when the page loads: the bus lost its
    connection, so changes made meanwhile were never announced (docs/realtime.md)."""


RELOAD = Reload()

Delta: TypeAlias = StaffDelta | CustomerDelta | DriverDelta | TrackingDelta | Reload
# Applies a delta to one tab's state; False when the tab is gone or no longer entitled.
Push = Callable[[str, Watcher, Delta], Awaitable[bool]]

LIVE = "live fan-out"


def _staff_actor() -> Actor:
    return Actor(user_id=None, role=Role.dispatcher, label=LIVE)


def _customer_actor(customer_id: int) -> Actor:
    return Actor(user_id=None, role=Role.customer, label=LIVE, customer_id=customer_id)


def _driver_actor(driver_id: int) -> Actor:
    return Actor(user_id=None, role=Role.driver, label=LIVE, driver_id=driver_id)


def read_deltas(
    session: Session, work: Work, audiences: Iterable[Audience], day: date
) -> dict[Audience, Delta]:
    """One delta per watched audience that `work` concerns. Every read runs as an actor of
    that audience, so the policy, not only the routing, keeps each screen to its own rows."""
    deltas: dict[Audience, Delta] = {}
    for audience in audiences:
        delta = _read_for(session, work, audience, day)
        if delta is not None:
            deltas[audience] = delta
    return deltas


def _read_for(session: Session, work: Work, audience: Audience, day: date) -> Delta | None:
    if audience.kind == "staff":
        # GPS fixes are not read: `LiveFanout.push_fixes` pushes them as they arrive.
        if not (work.fleet_rows or work.shipments or work.kpis or work.routes):
            return None
        actor = _staff_actor()
        return StaffDelta(
            day=day,
            read_at=time.time(),
            fleet=drivers.fleet_board(session, actor, day, work.fleet_rows)
            if work.fleet_rows
            else [],
            shipments=live_board.shipments_by_id(session, actor, work.shipments)
            if work.shipments
            else [],
            kpis=live_board.kpis(session, actor, day) if work.kpis else None,
            route_drivers=frozenset(work.routes),
            day_map=live_map.day_map(session, actor, day, work.routes) if work.routes else None,
            route_names=drivers.names(session, actor, work.routes) if work.routes else {},
        )
    if audience.kind == "customer":
        ids = work.customers.get(int(audience.key))
        if not ids:
            return None
        return CustomerDelta(
            live_board.shipments_by_id(session, _customer_actor(int(audience.key)), ids)
        )
    if audience.kind == "driver":
        driver_id = int(audience.key)
        if driver_id not in work.drivers:
            return None
        views = drivers.stops_for_day(session, _driver_actor(driver_id), driver_id, day)
        me = session.get(Driver, driver_id)
        return DriverDelta(views, me.status if me else "")
    code = audience.key
    try:
        if code in work.codes:
            live = public_tracking.live_track(session, code)
            return TrackingDelta(live.view, live.position)
        if code in work.moved_codes:
            return TrackingDelta(None, public_tracking.live_position(session, code))
    except NotFound:  # erased or never existed: nothing to show
        return None
    return None


async def _unsubscribe_all(stops: list[Callable[[], None]]) -> None:
    # Each stop waits for its listener thread to close its connection: together, off the loop.
    await asyncio.gather(*(asyncio.to_thread(stop) for stop in stops))


class LiveFanout:
    """Bus subscriber of one worker process: batches events, reads deltas, pushes them."""

    def __init__(
        self,
        push: Push,
        watchers: Watchers = WATCHERS,
        bus: EventBus | None = None,
        connected: Callable[[str], bool] | None = None,
    ) -> None:
        self._push = push
        self._watchers = watchers
        self._bus = bus
        # Whether a token's socket is still held by this process (closed tabs are forgotten
        # at the next housekeeping even when no event ever targets them).
        self._connected = connected
        self._last_housekeeping = time.monotonic()
        # Last late-risk count seen per driver (on the boards, then in ETA events).
        self._late_risk: dict[int, int] = {}
        # Events pushed as fixes and not yet read for (`_read_loop`).
        self._unread: list[tuple[str, dict[str, Any]]] = []
        self._unread_ready = asyncio.Event()
        # When the tiles were last read (monotonic s), and the timer of a read owed since.
        self._kpis_read_at = float("-inf")
        self._kpis_owed: asyncio.TimerHandle | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

        # Bus handlers run on the publisher's thread (in-process bus) or on the Redis
        # listener thread: hand each event to the loop, never touch state from there.
        def on_event(channel: str, payload: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (channel, dict(payload)))

        settling: list[asyncio.TimerHandle] = []

        def settle_then_reload() -> None:
            for timer in settling:
                timer.cancel()
            settling[:] = [loop.call_later(RESUME_SETTLE_SECONDS, queue.put_nowait, (_RESUMED, {}))]

        def on_resume() -> None:
            loop.call_soon_threadsafe(settle_then_reload)

        bus = self._bus or get_bus()
        await self._seed_late_risk()
        stops = await self._subscribe(bus, on_event, on_resume)
        logger.info("live fan-out listening on {}", ", ".join(rules.CHANNELS))
        reader = asyncio.create_task(self._read_loop())
        # One pending get, kept across housekeeping timeouts: cancelling a get that has just
        # taken an event (as wait_for may on Python 3.11) would lose that event.
        getter: asyncio.Task[tuple[str, dict[str, Any]]] | None = None
        try:
            while True:
                batch: list[tuple[str, dict[str, Any]]] = []
                getter = getter or asyncio.ensure_future(queue.get())
                await asyncio.wait({getter}, timeout=HOUSEKEEPING_SECONDS)
                if getter.done():
                    batch.append(getter.result())
                    getter = None
                    # A short window gathers the fixes that arrive together into one push per
                    # tab. Kept short: it is spent on every push.
                    await asyncio.sleep(COALESCE_SECONDS)
                while not queue.empty():
                    batch.append(queue.get_nowait())
                resumed = any(channel == _RESUMED for channel, _ in batch)
                batch = [event for event in batch if event[0] != _RESUMED]
                try:
                    if resumed:
                        await self.reload_all()
                    if batch:
                        await self.push_fixes(batch)
                        self._unread.extend(batch)
                        self._unread_ready.set()
                    await self._housekeeping()
                except Exception:  # one bad batch must not end live updates for this worker
                    logger.exception("live fan-out failed on a batch of {} events", len(batch))
        finally:
            reader.cancel()
            if self._kpis_owed is not None:
                self._kpis_owed.cancel()
            for timer in settling:
                timer.cancel()
            if getter is not None:
                getter.cancel()
            await _unsubscribe_all(stops)

    async def _read_loop(self) -> None:
        """The reads, one batch at a time and in order: whatever arrived while the previous
        read and its pushes ran forms the next batch. Fixes never wait here (`run` pushes them
        as they arrive): a read under load takes hundreds of milliseconds, and every fix of
        that time used to queue behind it and reach the screens in one burst."""
        while True:
            await self._unread_ready.wait()
            self._unread_ready.clear()
            batch, self._unread = self._unread, []
            try:
                await self.read_and_push(batch)
            except Exception:  # one bad batch must not end live updates for this worker
                logger.exception("live fan-out failed to read a batch of {} events", len(batch))

    async def reload_all(self) -> int:
        """After a gap in the bus: start again from the database, as at start-up. The
        late-risk counts are read again (an ETA event missed in the gap would leave a board
        showing an old count), then every tab re-reads what it shows."""
        logger.warning("event bus was interrupted; every open tab re-reads its data")
        await self._seed_late_risk()
        tokens = self._watchers.tokens()
        return sum(await asyncio.gather(*(self._push_one(t, RELOAD) for t in tokens)))

    async def _seed_late_risk(self) -> None:
        """Start from the late-risk counts the boards show now, read before subscribing (a
        board loaded since then shows them or a later count that an event carries): ETAs are
        refreshed on every GPS batch, and without this each driver's first refresh in a new
        worker re-read and re-pushed its row, route and tiles to every board, all at once
        when a shift starts or a deployment restarts the workers."""
        day = clock.today_local()

        def read() -> dict[int, int]:
            with session_scope() as session:
                board = drivers.fleet_board(session, _staff_actor(), day)
                return {row.id: row.late_risk for row in board}

        try:
            self._late_risk = await asyncio.to_thread(read)
        except Exception as error:  # each driver's first refresh then re-reads, as before
            logger.warning("live fan-out could not read the late-risk counts ({})", error)

    @staticmethod
    async def _subscribe(
        bus: EventBus, handler: Callable[[str, dict[str, Any]], None], on_resume: Callable[[], None]
    ) -> list[Callable[[], None]]:
        """Subscribe to every channel; with Redis down at start, retry until it is back
        (the tabs still work, they just are not live until then)."""
        delay = 1.0
        while True:
            stops: list[Callable[[], None]] = []
            try:
                for channel in rules.CHANNELS:
                    stops.append(
                        await asyncio.to_thread(bus.subscribe, channel, handler, on_resume)
                    )
                return stops
            except Exception as error:
                await _unsubscribe_all(stops)
                logger.warning("live fan-out cannot subscribe yet ({}); retrying", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def push_fixes(self, batch: list[tuple[str, dict[str, Any]]]) -> int:
        """The batch's GPS fixes to the staff tabs, at once: they need no database read."""
        staff = self._watchers.by_audience().get(Audience.staff(), [])
        if not staff:
            return 0
        work = rules.plan(batch, {})
        if not work.positions:
            return 0
        moved = StaffDelta(
            day=clock.today_local(), positions=work.positions, position_at=work.position_at
        )
        return sum(await asyncio.gather(*(self._push_one(t, moved) for t in staff)))

    async def read_and_push(self, batch: list[tuple[str, dict[str, Any]]]) -> int:
        """Everything in the batch but the staff's fixes (`push_fixes`): one read-only unit of
        work re-reads the touched rows for each audience, then each tab gets its delta."""
        work = rules.plan(batch, self._watchers.carriers())
        work.positions, work.position_at = {}, {}
        for driver_id, late in work.late_risk.items():
            if late == rules.UNKNOWN or self._late_risk.get(driver_id) != late:
                # Late-risk highlights changed: the route's stops and the tiles. Not the
                # fleet row: nothing a board shows of it (status, progress, the marker's
                # colour and name) depends on the count, and re-sending it doubled the rows
                # each dashboard received when a shift starts (docs/realtime.md, Round 10).
                work.routes.add(driver_id)
                work.kpis = True
            self._late_risk[driver_id] = late
        work.kpis = self._kpis_now(work.kpis or any(c == _KPIS_DUE for c, _ in batch))
        for code, carrier in work.carriers.items():
            self._watchers.set_carrier(code, carrier)
        grouped = self._watchers.by_audience()
        if not grouped:
            return 0
        day = clock.today_local()

        def read() -> dict[Audience, Delta]:
            with session_scope() as session:
                return read_deltas(session, work, grouped, day)

        deltas = await asyncio.to_thread(read)
        jobs = [
            self._push_one(token, delta)
            for audience, delta in deltas.items()
            for token in grouped[audience]
        ]
        return sum(await asyncio.gather(*jobs))

    def _kpis_now(self, wanted: bool) -> bool:
        """Whether this batch reads the tiles: at most once per KPI_SPACING_SECONDS. A change
        within the interval is owed: a timer hands the read loop a `_KPIS_DUE` item when the
        interval ends, and the tiles are read then (the latest count, whatever came between)."""
        if not wanted:
            return False
        now = time.monotonic()
        wait = self._kpis_read_at + KPI_SPACING_SECONDS - now
        if wait <= 0:
            self._kpis_read_at = now
            if self._kpis_owed is not None:  # this read is the one owed
                self._kpis_owed.cancel()
                self._kpis_owed = None
            return True
        if self._kpis_owed is None:
            self._kpis_owed = asyncio.get_running_loop().call_later(wait, self._owe_kpis)
        return False

    def _owe_kpis(self) -> None:
        self._kpis_owed = None
        self._unread.append((_KPIS_DUE, {}))
        self._unread_ready.set()

    async def _push_one(self, token: str, delta: Delta) -> bool:
        watcher = self._watchers.get(token)
        if watcher is None:
            return False
        try:
            delivered = await self._push(token, watcher, delta)
        except Exception:
            logger.exception("live push to a tab failed; it reloads on its next connect")
            delivered = False
        if not delivered and self._watchers.get(token) == watcher:
            self._watchers.unwatch(token)
        return delivered

    async def _housekeeping(self) -> None:
        """Forget closed tabs, and tabs whose session was signed out or revoked elsewhere
        (another tab, an admin, a deactivation): their pushes stop within
        HOUSEKEEPING_SECONDS."""
        now = time.monotonic()
        if now - self._last_housekeeping < HOUSEKEEPING_SECONDS:
            return
        self._last_housekeeping = now
        if self._connected is not None:
            for token in self._watchers.tokens():
                if not self._connected(token):
                    self._watchers.unwatch(token)
        signed_in = {
            token: watcher.session_id
            for token in self._watchers.tokens()
            if (watcher := self._watchers.get(token)) is not None and watcher.session_id
        }
        sessions = set(signed_in.values())
        active = await asyncio.to_thread(lambda: {s for s in sessions if refresh.is_active(s)})
        for token, session_id in signed_in.items():
            if session_id not in active:
                self._watchers.unwatch(token)
