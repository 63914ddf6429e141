"""Plain-words booking in the customer app: the text box fills the booking form, which the
customer checks and submits as usual. The model (or the offline grammar) runs in a
background event, outside the state lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from logistics_ai.ai import booking, budget
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import DomainError
from logistics_ai.services.shipment_status import SKILLS
from state.auth import AuthState
from state.customer import CUSTOMER, CustomerState
from state.service import Failed

SOURCE_LABEL = {
    "groq": "Filled in by the AI model (Groq). Check every field, then book.",
    "offline": "Filled in by the offline reader (no AI model). Check every field, then book.",
}
# Booking-form inputs that are not bound to state: filled in the browser by id.
UNBOUND = ("recipient_name", "recipient_phone", "weight_kg", "volume_m3", "notes")


def _local(value: str) -> datetime:
    return clock.to_local(datetime.fromisoformat(value))


def form_events(draft: dict[str, Any]) -> list[Any]:
    """Browser-side updates for the form's unbound inputs (values go in as text, no script)."""
    events: list[Any] = [
        rx.set_value(name, str(draft[name])) for name in UNBOUND if draft.get(name) is not None
    ]
    for prefix in ("pickup", "dropoff"):
        for edge, suffix in (("start", "from"), ("end", "to")):
            value = draft.get(f"{prefix}_window_{edge}")
            if value:
                events.append(rx.set_value(f"{prefix}_{suffix}", _local(value).strftime("%H:%M")))
    wanted = set(draft.get("required_skills") or [])
    for skill in SKILLS:  # a fixed vocabulary: the script never carries user text
        checked = "true" if skill in wanted else "false"
        events.append(rx.call_script(f"document.getElementById('skill_{skill}').checked={checked}"))
    return events


def within_ai_budget(_: Session, actor: Actor) -> Actor:
    """The signed-in user, if their AI budget allows one more request (raises otherwise)."""
    budget.limit_user(actor)
    return actor


class AiBookingState(AuthState):
    ai_text: rx.Field[str] = rx.field("")
    ai_busy: rx.Field[bool] = rx.field(False)
    ai_questions: rx.Field[list[str]] = rx.field(default_factory=list)
    ai_source_note: rx.Field[str] = rx.field("")

    @rx.event
    async def set_ai_text(self, value: str) -> None:
        self.ai_text = value[: booking.MAX_TEXT]

    @rx.event(background=True)
    async def read_text(self) -> AsyncIterator[EventSpec | list[Any]]:
        async with self:
            text = self.ai_text.strip()
            if self.ai_busy or not text:
                return
            self.ai_busy = True
        allowed = await self._call_background(within_ai_budget, CUSTOMER)
        if isinstance(allowed, Failed):
            async with self:
                self.ai_busy = False
            yield allowed.event
            return
        try:
            result = await booking.parse_order(text)
        except DomainError as error:
            async with self:
                self.ai_busy = False
            yield rx.toast.error(error.message)
            return
        draft = result.draft
        async with self:
            self.ai_busy = False
            self.ai_questions = [q.question for q in result.questions]
            self.ai_source_note = SOURCE_LABEL[result.source]
            form = await self.get_state(CustomerState)
            for prefix in ("pickup", "dropoff"):
                if draft.get(f"{prefix}_address"):
                    setattr(form, f"{prefix}_address", draft[f"{prefix}_address"])
                # The booking is geocoded server-side; the form only says the address was found.
                found = draft.get(f"{prefix}_lat") is not None
                setattr(form, f"{prefix}_place", "Found on the map" if found else "")
            start = draft.get("pickup_window_start") or draft.get("dropoff_window_start")
            if start:
                form.service_day = _local(start).date().isoformat()
            form.errors = {}
            form.form_message = ""
        yield form_events(draft)
