"""The customer-facing events and languages that have templates."""

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
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
CHANNELS = ("email", "sms")
