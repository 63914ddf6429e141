"""Customer app: my shipments and the booking form with per-field errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
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
from state.map_rows import DESTINATION_COLOR, DRIVER_COLORS, MapMarker
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

ADDRESS_FIELDS = ("pickup_address", "dropoff_address")
# Below this length a miss is still half-typed, not an unknown address.
NOT_FOUND_AFTER_CHARS = 8
NOT_FOUND = "No matching address found. Check the street and number, or add the neighbourhood."


@dataclass(frozen=True)
class AddressChoice:
    """A suggested address: booked as `address`, shown with `label`, placed at lat/lon."""

    address: str
    label: str
    lat: float
    lon: float


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
    # Suggestions while typing (debounced in the browser) and the chosen points ([] = none).
    pickup_suggestions: rx.Field[list[AddressChoice]] = rx.field(default_factory=list)
    dropoff_suggestions: rx.Field[list[AddressChoice]] = rx.field(default_factory=list)
    pickup_point: rx.Field[list[float]] = rx.field(default_factory=list)
    dropoff_point: rx.Field[list[float]] = rx.field(default_factory=list)

    @rx.var
    def booking_markers(self) -> list[MapMarker]:
        """The chosen pickup and delivery points, for the form's small map."""
        # Attributes named in full: Reflex tracks a computed var's dependencies by name.
        chosen = (
            ("pickup", "Pickup", self.pickup_point, self.pickup_place, DRIVER_COLORS["on_route"]),
            ("dropoff", "Delivery", self.dropoff_point, self.dropoff_place, DESTINATION_COLOR),
        )
        return [
            MapMarker(
                key,
                point[0],
                point[1],
                f"{title}: {place.removeprefix('Found: ')}",
                color,
                title[0],
                False,
            )
            for key, title, point, place, color in chosen
            if len(point) == 2
        ]

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
    async def set_field(self, field: str, value: str) -> EventSpec | None:
        if field not in {*ADDRESS_FIELDS, "service_day"}:
            return None
        if field in ADDRESS_FIELDS and value == getattr(self, field):
            return None  # a blur re-sending the text: keep the chosen point and suggestions
        setattr(self, field, value)
        self.errors = {k: v for k, v in self.errors.items() if k != field}
        if field in ADDRESS_FIELDS:
            return await self._suggest(field.removesuffix("_address"), value)
        return None

    async def _suggest(self, prefix: str, text: str) -> EventSpec | None:
        """Suggestions for what was typed. The input debounces in the browser, so this runs
        once per pause in typing, never per keystroke; the lookup runs off the event loop."""
        setattr(self, f"{prefix}_place", "")
        setattr(self, f"{prefix}_point", [])
        signed_in = await self._call(lambda _, __: None, CUSTOMER)
        if isinstance(signed_in, Failed):
            setattr(self, f"{prefix}_suggestions", [])
            return signed_in.event
        # Outside the unit of work: a provider's HTTP call never holds a database connection.
        found = await asyncio.to_thread(geocoding.suggest, text)
        choices = [AddressChoice(s.address, s.label, s.lat, s.lon) for s in found]
        setattr(self, f"{prefix}_suggestions", choices)
        if not choices and len(text.strip()) >= NOT_FOUND_AFTER_CHARS:
            self.errors = {**self.errors, f"{prefix}_address": NOT_FOUND}
        return None

    @rx.event
    async def pick_suggestion(self, prefix: str, index: int) -> None:
        """The customer chose a suggestion: book that address, show its point on the map."""
        if prefix not in ("pickup", "dropoff"):
            return
        choices: list[AddressChoice] = getattr(self, f"{prefix}_suggestions")
        if not 0 <= index < len(choices):
            return
        choice = choices[index]
        setattr(self, f"{prefix}_address", choice.address)
        setattr(self, f"{prefix}_place", f"Found: {choice.label}")
        setattr(self, f"{prefix}_point", [choice.lat, choice.lon])
        setattr(self, f"{prefix}_suggestions", [])
        self.errors = {k: v for k, v in self.errors.items() if k != f"{prefix}_address"}

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
        setattr(self, f"{prefix}_point", [result.value.lat, result.value.lon])
        setattr(self, f"{prefix}_suggestions", [])
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
        for prefix in ("pickup", "dropoff"):
            setattr(self, f"{prefix}_point", [])
            setattr(self, f"{prefix}_suggestions", [])
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
