"""The Reflex end of the live fan-out: apply a pushed delta to one tab's state.

`services/live_updates.LiveFanout` decides who receives what; this module only writes it
into the tab through `app.modify_state`, which takes the tab's state lock (in Redis with
several workers) and sends the resulting delta over the tab's websocket.
"""

from __future__ import annotations

import dataclasses
import json
import time

from reflex.app import App
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event

from logistics_ai.services import live_updates
from state.auth import AuthState
from state.customer import CustomerState
from state.dispatch import DispatchState, coordinate
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


def positions_script(delta: live_updates.StaffDelta) -> str:
    """The call that hands a batch of GPS fixes to the page's fleet store
    (components/live_map.jsx), or queues it there until the store's module has loaded."""
    now = time.time()  # a fix without a time (none today) is taken as current
    rows = [
        [driver_id, coordinate(lat), coordinate(lng), delta.position_at.get(driver_id, now)]
        for driver_id, (lat, lng) in delta.positions.items()
    ]
    return (
        "(window.laiFleet||(window.laiFleetQueue=window.laiFleetQueue||[]))"
        f".push({json.dumps(rows)})"
    )


async def push_positions(app: App, token: str, delta: live_updates.StaffDelta) -> None:
    """GPS fixes go to the tab as one small script event, not through its state: a state
    change would re-send the whole fleet list (and re-render every row and marker) on each
    fix, and take the tab's state lock. The tab is entitled by its registration, which
    sign-out and session housekeeping remove (docs/realtime.md)."""
    namespace = app.event_namespace
    if namespace is None:
        return
    event = Event(name="_call_script", payload={"javascript_code": positions_script(delta)})
    await namespace.emit_update(StateUpdate(events=[event]), token)


async def push(app: App, token: str, watcher: live_updates.Watcher, delta: object) -> bool:
    """Apply `delta` to the tab `token`; False when it is gone or no longer entitled."""
    if not connected_here(app, token):
        return False
    if isinstance(delta, live_updates.StaffDelta) and delta.positions:
        await push_positions(app, token, delta)
        delta = dataclasses.replace(delta, positions={}, position_at={})
        if not (delta.fleet or delta.shipments or delta.kpis or delta.day_map):
            return True
    cls = STATE_OF[watcher.audience.kind]
    async with app.modify_state(BaseStateToken(ident=token, cls=cls)) as root:
        if watcher.audience.kind == "tracking":
            tracking = await root.get_state(TrackingState)
            if tracking.code != watcher.audience.key:  # the tab moved on to another code
                return False
            tracking._apply_live(delta)  # type: ignore[arg-type]  # kind picked the delta type
            return True
        auth = await root.get_state(AuthState)
        # Signed out, or signed in as someone else since it registered: nothing more.
        if not watcher.fingerprint or auth._credential_fingerprint != watcher.fingerprint:
            return False
        state = await root.get_state(cls)
        state._apply_live(delta)  # type: ignore[attr-defined]  # every STATE_OF class has it
    return True


async def run_fanout(app: App) -> None:
    """Lifespan task: one fan-out per backend worker process."""

    async def to_tab(token: str, watcher: live_updates.Watcher, delta: object) -> bool:
        return await push(app, token, watcher, delta)

    await live_updates.LiveFanout(to_tab, connected=lambda token: connected_here(app, token)).run()
