"""Customer app: my shipments and the booking form with per-field errors."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from logistics_ai.domain import clock
from logistics_ai.models import Role
from logistics_ai.services import geocoding, live_updates, shipments
from logistics_ai.services.shipment_status import SKILLS
from state.auth import AuthState
from state.formatting import ShipmentRow, shipment_row
from state.live_watch import watch_live
from state.service import Failed

CUSTOMER = (Role.customer,)
# Form fields whose text is parsed here before validation; their errors show under the input.
TIME_FIELDS = ("pickup_from", "pickup_to", "dropoff_from", "dropoff_to")
SERVICE_FIELD_FOR_INPUT = {
    "pickup_window_start": "pickup_from",
    "pickup_window_end": "pickup_to",
    "dropoff_window_start": "dropoff_from",
    "dropoff_window_end": "dropoff_to",
}


class CustomerState(AuthState):
    my_shipments: rx.Field[list[ShipmentRow]] = rx.field(default_factory=list)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    form_message: rx.Field[str] = rx.field("")
    booked_code: rx.Field[str] = rx.field("")
    submitting: rx.Field[bool] = rx.field(False)
    pickup_address: rx.Field[str] = rx.field("")
    # Where "Check address" placed the stop, as words; customers never type coordinates:
    # the booking is geocoded server-side from the address alone.
    pickup_place: rx.Field[str] = rx.field("")
    dropoff_address: rx.Field[str] = rx.field("")
    dropoff_place: rx.Field[str] = rx.field("")
    service_day: rx.Field[str] = rx.field("")

    @rx.event
    async def load(self) -> EventSpec | None:
        if not self.service_day:
            self.service_day = clock.today_local().isoformat()
        return await self._guard(CUSTOMER) or await self._refresh()

    async def _refresh(self) -> EventSpec | None:
        result = await self._call(
            lambda s, actor: (
                shipments.list_shipments(s, actor, {"page_size": 50}),
                actor.customer_id,
            ),
            CUSTOMER,
        )
        if isinstance(result, Failed):
            return result.event
        shipments_page, customer_id = result.value
        self.my_shipments = [shipment_row(s) for s in shipments_page.items]
        if customer_id is not None:
            await watch_live(self, live_updates.Audience.customer(customer_id))
        return None

    def _apply_live(self, delta: live_updates.CustomerDelta) -> None:
        """Pushed rows of this customer's shipments: replace in place, new ones on top."""
        fresh = {s.id: shipment_row(s) for s in delta.shipments}
        kept = [fresh.pop(row.id, row) for row in self.my_shipments]
        self.my_shipments = [*fresh.values(), *kept]

    @rx.event
    async def set_field(self, field: str, value: str) -> None:
        if field in {"pickup_address", "dropoff_address", "service_day"}:
            setattr(self, field, value)
            if field.endswith("_address"):
                setattr(self, field.replace("_address", "_place"), "")
            self.errors = {k: v for k, v in self.errors.items() if k != field}

    @rx.event
    async def locate(self, prefix: str) -> EventSpec | None:
        """Show where a stop's address is found (offline gazetteer by default)."""
        if prefix not in ("pickup", "dropoff"):
            return None
        address = getattr(self, f"{prefix}_address").strip()
        field = f"{prefix}_address"
        # A configured online geocoder is an HTTP call: never on the event loop.
        result = await self._call(lambda _, __: geocoding.locate(address, field=field), CUSTOMER)
        if isinstance(result, Failed):
            if result.signed_out or not result.field_errors:
                return result.event
            self.errors = {**self.errors, **result.field_errors}
            return None
        setattr(self, f"{prefix}_place", f"Found: {result.value.label}")
        self.errors = {k: v for k, v in self.errors.items() if k != field}
        return None

    @rx.event
    async def submit(self, form_data: dict[str, str]) -> EventSpec | None:
        self.booked_code = ""
        payload, problems = self._payload(form_data)
        if problems:
            self.errors = problems
            self.form_message = "Please correct the highlighted fields."
            return None
        result = await self._call(
            lambda s, actor: shipments.create_shipment(s, actor, payload).tracking_code, CUSTOMER
        )
        if isinstance(result, Failed):
            if result.field_errors:
                self.errors = {
                    SERVICE_FIELD_FOR_INPUT.get(field, field): message
                    for field, message in result.field_errors.items()
                }
                self.form_message = "Please correct the highlighted fields."
                return None
            self.form_message = result.message
            return result.event
        code = result.value
        self.errors = {}
        self.form_message = ""
        self.booked_code = code
        for field in ("pickup_address", "pickup_place", "dropoff_address", "dropoff_place"):
            setattr(self, field, "")
        return await self._refresh() or rx.toast.success(f"Booked. Tracking code {code}")

    def _payload(self, form_data: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Parse the text inputs; each unparseable one gets its own message."""
        problems: dict[str, str] = {}
        try:
            day = date.fromisoformat(self.service_day)
        except ValueError:
            day = None
            problems["service_day"] = "enter a date"
        times: dict[str, datetime | None] = {}
        for field in TIME_FIELDS:
            raw = (form_data.get(field) or "").strip()
            try:
                times[field] = clock.local_datetime(day, time.fromisoformat(raw)) if day else None
            except ValueError:
                times[field] = None
                problems[field] = "enter a time like 14:30"
        numbers: dict[str, float] = {}
        for field, raw in (
            ("weight_kg", form_data.get("weight_kg", "")),
            ("volume_m3", form_data.get("volume_m3", "")),
        ):
            try:
                numbers[field] = float(str(raw).strip())
            except ValueError:
                problems[field] = "enter a number"
        if problems:
            return {}, problems
        skills = [s for s in SKILLS if form_data.get(f"skill_{s}")]
        payload = {
            "pickup_address": self.pickup_address,
            "pickup_window_start": times["pickup_from"],
            "pickup_window_end": times["pickup_to"],
            "dropoff_address": self.dropoff_address,
            "dropoff_window_start": times["dropoff_from"],
            "dropoff_window_end": times["dropoff_to"],
            "recipient_name": form_data.get("recipient_name", ""),
            "recipient_phone": (form_data.get("recipient_phone") or "").strip() or None,
            "notes": (form_data.get("notes") or "").strip() or None,
            "required_skills": skills,
            **numbers,
        }
        return payload, {}
