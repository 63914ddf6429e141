"""Turning service results into the plain strings the pages render."""

from __future__ import annotations

from datetime import datetime

from logistics_ai.domain import clock
from logistics_ai.models import ShipmentStatus
from logistics_ai.services.shipment_status import STATUS_LABELS


def hhmm(moment: datetime | None) -> str:
    return clock.to_local(moment).strftime("%H:%M") if moment else ""


def window(start: datetime, end: datetime) -> str:
    return f"{hhmm(start)}–{hhmm(end)}"


def when(moment: datetime | None) -> str:
    return clock.to_local(moment).strftime("%b %d, %H:%M") if moment else ""


def hours_minutes(seconds: int) -> str:
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def status_label(status: str) -> str:
    return STATUS_LABELS[ShipmentStatus(status)]


def shipment_row(shipment) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "id": str(shipment.id),
        "tracking_code": shipment.tracking_code,
        "status": shipment.status,
        "status_label": status_label(shipment.status),
        "service_date": shipment.service_date.isoformat(),
        "pickup": shipment.pickup_address,
        "dropoff": shipment.dropoff_address,
        "pickup_window": window(shipment.pickup_window_start, shipment.pickup_window_end),
        "dropoff_window": window(shipment.dropoff_window_start, shipment.dropoff_window_end),
        "recipient": shipment.recipient_name,
        "weight": f"{shipment.weight_kg:g} kg",
        "price": money(shipment.price_cents),
        "driver_id": str(shipment.driver_id or ""),
        "skills": shipment.required_skills,
    }
