"""Turning service results into the plain strings the pages render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logistics_ai.domain import clock
from logistics_ai.models import Shipment, ShipmentStatus
from logistics_ai.services.shipment_status import STATUS_LABELS, can_transition


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


@dataclass(frozen=True)
class ShipmentRow:
    """A shipment as the board and the customer's list show it."""

    id: int
    tracking_code: str
    status: str
    status_label: str
    service_date: str
    pickup: str
    dropoff: str
    pickup_window: str
    dropoff_window: str
    recipient: str
    weight: str
    price: str
    driver_id: str  # the driver picker's value: the driver's id, "" when unassigned
    skills: str
    cancellable: bool  # the status machine still allows cancelling (before pickup)


def shipment_row(shipment: Shipment) -> ShipmentRow:
    return ShipmentRow(
        id=shipment.id or 0,
        tracking_code=shipment.tracking_code,
        status=shipment.status,
        status_label=status_label(shipment.status),
        service_date=shipment.service_date.isoformat(),
        pickup=shipment.pickup_address,
        dropoff=shipment.dropoff_address,
        pickup_window=window(shipment.pickup_window_start, shipment.pickup_window_end),
        dropoff_window=window(shipment.dropoff_window_start, shipment.dropoff_window_end),
        recipient=shipment.recipient_name,
        weight=f"{shipment.weight_kg:g} kg",
        price=money(shipment.price_cents),
        driver_id=str(shipment.driver_id or ""),
        skills=shipment.required_skills,
        cancellable=can_transition(shipment.status, ShipmentStatus.cancelled),
    )
