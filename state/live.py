"""The Reflex end of the live fan-out: apply a pushed delta to one tab's state.

`services/live_updates.LiveFanout` decides who receives what; this module only writes it
into the tab through `app.modify_state`, which takes the tab's state lock (in Redis with
several workers) and sends the resulting delta over the tab's websocket.
"""

from __future__ import annotations

from reflex.app import App
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState

from logistics_ai.services import live_updates
from state.auth import AuthState
from state.customer import CustomerState
from state.dispatch import DispatchState
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


async def push(app: App, token: str, watcher: live_updates.Watcher, delta: object) -> bool:
    """Apply `delta` to the tab `token`; False when it is gone or no longer entitled."""
    if not connected_here(app, token):
        return False
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
