"""Public tracking page: no login, no PII beyond first name and city."""

from __future__ import annotations

import reflex as rx

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import NotFound
from logistics_ai.services.public_tracking import track
from state.formatting import when, window


class TrackingState(rx.State):
    found: bool = False
    loaded: bool = False
    code: str = ""
    status: str = ""
    status_label: str = ""
    first_name: str = ""
    city: str = ""
    delivery_window: str = ""
    events: list[dict[str, str]] = []

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        raw = self.router.url.query_parameters.get("code") or self.tracking_code  # type: ignore[attr-defined]
        self.code = str(raw or "")
        try:
            with session_scope() as session:
                view = track(session, self.code)
        except NotFound:
            self.found = False
            self.loaded = True
            return
        self.found = True
        self.loaded = True
        self.code = view.tracking_code
        self.status = view.status
        self.status_label = view.status_label
        self.first_name = view.recipient_first_name
        self.city = view.destination_city
        self.delivery_window = window(view.window_start, view.window_end)
        self.events = [
            {
                "status": e.status,
                "label": e.label,
                "when": when(e.occurred_at),
                "note": e.note or "",
            }
            for e in reversed(view.events)
        ]
