"""Customer app: notification preferences and the proof of delivery of a delivered shipment."""

from __future__ import annotations

import base64

import reflex as rx
from reflex.event import EventSpec

from logistics_ai.models import Role
from logistics_ai.services import notifications, proof
from state.auth import AuthState
from state.service import Failed

CUSTOMER = (Role.customer,)
EVENT_CHOICES: list[tuple[str, str]] = [
    ("booked", "Booking confirmed"),
    ("out_for_delivery", "Out for delivery (with ETA)"),
    ("delivered", "Delivered (with proof)"),
    ("failed", "Delivery failed"),
]


class NotificationPrefsState(AuthState):
    email: rx.Field[bool] = rx.field(True)
    sms: rx.Field[bool] = rx.field(False)
    events: rx.Field[list[str]] = rx.field(default_factory=list)
    language: rx.Field[str] = rx.field("en")
    saved: rx.Field[bool] = rx.field(False)

    @rx.event
    async def load(self) -> EventSpec | None:
        result = await self._call(notifications.my_preferences, CUSTOMER)
        if isinstance(result, Failed):
            return result.event
        prefs = result.value
        self.email, self.sms = prefs.email, prefs.sms
        self.events, self.language = list(prefs.events), prefs.language
        self.saved = False
        return None

    @rx.event
    async def toggle_event(self, event: str, on: bool) -> None:
        chosen = [e for e in self.events if e != event]
        self.events = [*chosen, event] if on else chosen
        self.saved = False

    @rx.event
    async def set_email(self, on: bool) -> None:
        self.email, self.saved = on, False

    @rx.event
    async def set_sms(self, on: bool) -> None:
        self.sms, self.saved = on, False

    @rx.event
    async def set_language(self, value: str) -> None:
        self.language, self.saved = value, False

    @rx.event
    async def save(self) -> EventSpec | None:
        wanted = {
            "email": self.email,
            "sms": self.sms,
            "events": [e for e, _ in EVENT_CHOICES if e in self.events],
            "language": self.language,
        }
        result = await self._call(
            lambda s, actor: notifications.update_my_preferences(s, actor, wanted), CUSTOMER
        )
        if isinstance(result, Failed):
            return result.event
        self.saved = True
        return rx.toast.success("Notification settings saved.")


class ProofViewState(AuthState):
    """The proof of one delivered shipment, shown in a dialog (never on public pages)."""

    open: rx.Field[bool] = rx.field(False)
    tracking_code: rx.Field[str] = rx.field("")
    recipient_name: rx.Field[str] = rx.field("")
    taken_at: rx.Field[str] = rx.field("")
    # Small images as data URLs: the thumbnail and the signature (tens of KB).
    thumbnail: rx.Field[str] = rx.field("")
    signature: rx.Field[str] = rx.field("")
    missing: rx.Field[str] = rx.field("")

    @rx.event
    async def show(self, shipment_id: int, tracking_code: str) -> EventSpec | None:
        def read(s, actor):
            links = proof.get_proof(s, actor, shipment_id, route_base="")
            thumb, _ = proof.read_proof_file(s, actor, shipment_id, "thumbnail")
            sig = (
                proof.read_proof_file(s, actor, shipment_id, "signature")[0]
                if links.proof.signature_key
                else b""
            )
            return links.proof, thumb, sig

        self.open, self.tracking_code = True, tracking_code
        self.thumbnail = self.signature = self.missing = ""
        result = await self._call(read)
        if isinstance(result, Failed):
            self.missing = result.message
            return None
        stored, thumb, sig = result.value
        self.recipient_name = stored.recipient_name or "not recorded"
        self.taken_at = stored.created_at.strftime("%Y-%m-%d %H:%M UTC")
        self.thumbnail = "data:image/jpeg;base64," + base64.b64encode(thumb).decode()
        self.signature = "data:image/png;base64," + base64.b64encode(sig).decode() if sig else ""
        return None

    @rx.event
    async def close(self) -> None:
        self.open = False
