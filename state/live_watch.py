"""Registering a tab for live updates, from its page's load handler (after authentication).

The load runs in the worker process that holds the tab's websocket, so the registration lands
in the one `Watchers` registry whose fan-out may push to it (see docs/realtime.md). A
reconnect runs the page's load again: the tab re-reads the database and registers anew.
"""

from __future__ import annotations

import reflex as rx

from logistics_ai.services import live_updates
from state.auth import AuthState


async def watch_live(
    state: rx.State, audience: live_updates.Audience, carrier_id: int | None = None
) -> None:
    token = state.router.session.client_token
    if audience.kind == "tracking":
        live_updates.watch(token, live_updates.Watcher(audience), carrier_id)
        return
    auth = await state.get_state(AuthState)
    live_updates.watch(
        token,
        live_updates.Watcher(audience, auth._credential_fingerprint, auth._session_id),
    )
