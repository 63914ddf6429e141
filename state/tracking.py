"""Public tracking page: no login, no PII beyond first name and city."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from logistics_ai.domain.errors import NotFound
from logistics_ai.services.public_tracking import track
from state.formatting import when, window
from state.service import Failed, run


@dataclass(frozen=True)
class TrackingEventRow:
    status: str
    label: str
    when: str
    note: str


class TrackingState(rx.State):
    found: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    code: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    status_label: rx.Field[str] = rx.field("")
    first_name: rx.Field[str] = rx.field("")
    city: rx.Field[str] = rx.field("")
    delivery_window: rx.Field[str] = rx.field("")
    events: rx.Field[list[TrackingEventRow]] = rx.field(default_factory=list)

    @rx.event
    async def load(self) -> None:
        # /track/<code>, or /track/?code=<code> from a form
        path_code = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        code = self.router.url.query_parameters.get("code") or path_code
        self.code = code
        result = await run(lambda session: track(session, code))
        self.loaded = True
        if isinstance(result, Failed):
            if not isinstance(result.error, NotFound):
                raise result.error
            self.found = False
            return
        view = result.value
        self.found = True
        self.code = view.tracking_code
        self.status = view.status
        self.status_label = view.status_label
        self.first_name = view.recipient_first_name
        self.city = view.destination_city
        self.delivery_window = window(view.window_start, view.window_end)
        self.events = [
            TrackingEventRow(e.status, e.label, when(e.occurred_at), e.note or "")
            for e in reversed(view.events)
        ]
