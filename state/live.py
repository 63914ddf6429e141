"""The Reflex end of the live fan-out: apply a pushed delta to one tab's state.

`services/live_updates.LiveFanout` decides who receives what; this module only writes it
into the tab through `app.modify_state`, which takes the tab's state lock (in Redis with
several workers) and sends the resulting delta over the tab's websocket.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import json
import operator
import time
from collections.abc import Awaitable, Callable

from loguru import logger
from reflex.app import App
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event

from logistics_ai.services import live_updates
from state import dispatch_map
from state.auth import AuthState
from state.customer import CustomerState
from state.dispatch import DispatchKpiState, DispatchState, coordinate, fleet_row
from state.driver import DriverState
from state.tracking import TrackingState

STATE_OF: dict[str, type[BaseState]] = {
    "staff": DispatchState,
    "customer": CustomerState,
    "driver": DriverState,
    "tracking": TrackingState,
}


def connected_here(app: App, token: str) -> bool:
    """Whether this worker process holds the tab's websocket (Reflex's token manager has
    no public accessor for it). Only that worker pushes: a tab that reconnected to another
    worker registered there, and is dropped here."""
    namespace = app.event_namespace
    if namespace is None:
        return False
    manager = namespace._token_manager
    record = manager.token_to_socket.get(token)
    return record is not None and record.instance_id == manager.instance_id


def live_script(kind: str, payload: object) -> str:
    """A call that hands `payload` to the page's live store `kind` (components/live_store.js),
    or queues it until the store's module has loaded. The store ignores the third argument,
    when the server sent it (epoch ms): `bench realtime` reads it from the websocket frame to
    tell the server's share of a push's latency from the page's."""
    args = f"{json.dumps(kind)},{json.dumps(payload, separators=(',', ':'))}"
    sent_ms = round(time.time() * 1000, 1)
    return (
        f"(window.laiLive?window.laiLive.push({args},{sent_ms})"
        f":(window.laiLiveQueue=window.laiLiveQueue||[]).push([{args}]))"
    )


def positions_script(delta: live_updates.StaffDelta) -> str:
    """The batch of GPS fixes for the fleet store, formatted like the fleet rows."""
    now = time.time()  # a fix without a time (none today) is taken as current
    rows = [
        [driver_id, coordinate(lat), coordinate(lng), delta.position_at.get(driver_id, now)]
        for driver_id, (lat, lng) in delta.positions.items()
    ]
    return live_script("fleet", rows)


def drivers_script(delta: live_updates.StaffDelta) -> str:
    """The re-read fleet rows for the driver store, with what the Drivers list and the
    driver's marker show of them (status, stops done, the marker's colour and name)."""
    rows = [fleet_row(row) for row in delta.fleet]
    markers = dispatch_map.fleet_markers(rows, selected="")
    patch = {
        "day": delta.day.isoformat(),
        "read_at": delta.read_at,
        "rows": [
            {
                "id": row.driver_id,
                "status": row.status,
                "status_label": row.status_label,
                "progress": row.progress,
                "color": marker.color,
                "title": marker.title,
            }
            for row, marker in zip(rows, markers, strict=True)
        ],
    }
    return live_script("drivers", patch)


def routes_script(delta: live_updates.StaffDelta) -> str:
    """The changed routes' stops and lines for the route store, as the board reads them."""
    assert delta.day_map is not None
    names = delta.route_names
    patch = {
        "day": delta.day.isoformat(),
        "read_at": delta.read_at,
        "drivers": sorted(delta.route_drivers),
        "stops": [dataclasses.asdict(dot) for dot in dispatch_map.stop_dots(delta.day_map, names)],
        "lines": [dataclasses.asdict(line) for line in dispatch_map.route_lines(delta.day_map)],
    }
    return live_script("routes", patch)


@dataclasses.dataclass
class _Built:
    """The store events of the delta being pushed: every staff tab of a batch gets the same
    delta object, so they are serialised once per batch, not once per tab."""

    delta: live_updates.StaffDelta | None = None
    events: list[Event] = dataclasses.field(default_factory=list)


_LAST = _Built()


def store_events(delta: live_updates.StaffDelta) -> list[Event]:
    if _LAST.delta is not delta:
        scripts = []
        if delta.positions:
            scripts.append(positions_script(delta))
        if delta.fleet:
            scripts.append(drivers_script(delta))
        if delta.day_map is not None:
            scripts.append(routes_script(delta))
        _LAST.events = [
            Event(name="_call_script", payload={"javascript_code": code}) for code in scripts
        ]
        _LAST.delta = delta
    return _LAST.events


async def push_to_stores(app: App, token: str, delta: live_updates.StaffDelta) -> None:
    """GPS fixes, re-read fleet rows and changed routes go to the tab as small script events,
    not through its state: a state change would re-send the whole list (every driver, every
    stop of the day) and re-render all of it on each change, and take the tab's state lock
    (at 20 dashboards x 200 drivers, those state writes were the event loop's stalls). The
    tab is entitled by its registration, which sign-out and session housekeeping remove
    (docs/realtime.md)."""
    namespace = app.event_namespace
    if namespace is None:
        return
    await namespace.emit_update(StateUpdate(events=store_events(delta)), token)


async def reload_tab(app: App, token: str, watcher: live_updates.Watcher) -> None:
    """Have the tab run its page's load event again, as on a fresh load: it re-reads from the
    database with the tab's own credential (checked again by the handler), and registers again."""
    namespace = app.event_namespace
    if namespace is None:
        return
    load = STATE_OF[watcher.audience.kind].load  # type: ignore[attr-defined]  # every one has it
    await namespace.emit_update(StateUpdate(events=Event.from_event_type(load)), token)


# Applies queued deltas, in order, to one tab's state; False when the tab is gone or no longer
# entitled.
Write = Callable[[str, live_updates.Watcher, list[object]], Awaitable[bool]]


class StateWrites:
    """Per tab, the state writes still to apply, in the order they were pushed.

    A write waits for the tab's state lock, which the tab's own event holds while it works (a
    filter change re-reading the board, say). Awaited by the fan-out, that wait held up every
    other tab and the next batch of events; queued here, it holds up only this tab's later
    writes, and the page's live stores are fed meanwhile. The deltas that queued up while a
    write ran go in together, in one write: each write loads and saves the tab's state (a
    board's worth of rows), and a burst of status changes (a shift starting) cost one write
    per change per tab, on the event loop every push shares.
    """

    def __init__(self, write: Write) -> None:
        self._write = write
        self._pending: dict[str, list[tuple[live_updates.Watcher, object]]] = {}
        self._drains: dict[str, asyncio.Task[None]] = {}

    def queue(self, token: str, watcher: live_updates.Watcher, delta: object) -> None:
        self._pending.setdefault(token, []).append((watcher, delta))
        if token not in self._drains:
            self._drains[token] = asyncio.create_task(self._drain(token))

    async def _drain(self, token: str) -> None:
        try:
            while pending := self._pending.pop(token, None):
                # Consecutive deltas of one registration go in one write; a tab that signed
                # in as someone else in between gets each group checked on its own.
                for watcher, group in itertools.groupby(pending, key=operator.itemgetter(0)):
                    deltas = [delta for _, delta in group]
                    entitled = await self._write_safely(token, watcher, deltas)
                    if not entitled and live_updates.WATCHERS.get(token) == watcher:
                        live_updates.unwatch(token)  # gone or no longer entitled: no more pushes
        finally:
            del self._drains[token]

    async def _write_safely(
        self, token: str, watcher: live_updates.Watcher, deltas: list[object]
    ) -> bool:
        try:
            return await self._write(token, watcher, deltas)
        except Exception:
            logger.exception("live push to a tab failed; it reloads on its next connect")
            return False


def written_states(kind: str, deltas: list[object]) -> list[type[BaseState]]:
    """The states `deltas` change. A dashboard's tiles and its shipment rows are states of
    their own: a write loads (server) and re-renders (page) only what it changes."""
    if kind != "staff":
        return [STATE_OF[kind]]
    staff = [d for d in deltas if isinstance(d, live_updates.StaffDelta)]
    states: list[type[BaseState]] = []
    if any(d.shipments for d in staff):
        states.append(DispatchState)
    if any(d.kpis is not None for d in staff):
        states.append(DispatchKpiState)
    return states


async def write_state(
    app: App, token: str, watcher: live_updates.Watcher, deltas: list[object]
) -> bool:
    """Apply `deltas` in order to the tab's state; False when it is gone or no longer
    entitled."""
    states = written_states(watcher.audience.kind, deltas)
    if not states:
        return True
    async with app.modify_state(BaseStateToken(ident=token, cls=states[0])) as root:
        if watcher.audience.kind == "tracking":
            tracking = await root.get_state(TrackingState)
            if tracking.code != watcher.audience.key:  # the tab moved on to another code
                return False
            for delta in deltas:
                tracking._apply_live(delta)  # type: ignore[arg-type]  # kind picked the delta type
            return True
        auth = await root.get_state(AuthState)
        # Signed out, or signed in as someone else since it registered: nothing more.
        if not watcher.fingerprint or auth._credential_fingerprint != watcher.fingerprint:
            return False
        for cls in states:
            state = await root.get_state(cls)
            for delta in deltas:
                state._apply_live(delta)  # type: ignore[attr-defined]  # every one has it
    return True


async def push(
    app: App, writes: StateWrites, token: str, watcher: live_updates.Watcher, delta: object
) -> bool:
    """Send `delta` to the tab `token`: store pushes at once, the state write queued behind
    the tab's earlier ones (`StateWrites`). False when the tab's socket is not held here."""
    if not connected_here(app, token):
        return False
    if isinstance(delta, live_updates.Reload):
        await reload_tab(app, token, watcher)
        return True
    if isinstance(delta, live_updates.StaffDelta) and (
        delta.positions or delta.day_map or delta.fleet
    ):
        await push_to_stores(app, token, delta)
        delta = dataclasses.replace(
            delta,
            positions={},
            position_at={},
            fleet=[],
            day_map=None,
            route_drivers=frozenset(),
            route_names={},
        )
        if not (delta.shipments or delta.kpis):
            return True
    writes.queue(token, watcher, delta)
    return True


async def run_fanout(app: App) -> None:
    """Lifespan task: one fan-out per backend worker process."""

    writes = StateWrites(functools.partial(write_state, app))

    async def to_tab(token: str, watcher: live_updates.Watcher, delta: object) -> bool:
        return await push(app, writes, token, watcher, delta)

    await live_updates.LiveFanout(to_tab, connected=lambda token: connected_here(app, token)).run()
