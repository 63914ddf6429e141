"""The customer-facing events and languages that have templates.

`EVENTS` are what a customer switches on or off. A few further templates are sent under one of
those switches (`PREFERENCE`): a dispatcher's "running late" notice is an ETA update, so it
goes to customers who receive "out for delivery (with ETA)" messages."""

from __future__ import annotations

from typing import Literal

NotifyEvent = Literal["booked", "out_for_delivery", "delivered", "failed"]
EVENTS: tuple[NotifyEvent, ...] = ("booked", "out_for_delivery", "delivered", "failed")
EVENT_LABELS: dict[str, str] = {
    "booked": "Booking confirmed",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "failed": "Delivery failed",
}
Template = Literal[NotifyEvent, "delayed"]
TEMPLATES: tuple[Template, ...] = (*EVENTS, "delayed")
PREFERENCE: dict[str, NotifyEvent] = {"delayed": "out_for_delivery"}
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
CHANNELS = ("email", "sms")
