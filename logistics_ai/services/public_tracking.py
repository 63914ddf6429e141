"""What anyone holding a tracking code may see: status history, first name and city only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from logistics_ai.domain.errors import NotFound
from logistics_ai.models import Driver, Route, Shipment, ShipmentStatus, Stop, saved_id
from logistics_ai.realtime.audience import public_position_allowed
from logistics_ai.services.shipment_status import OPEN_STOP, STATUS_LABELS
from logistics_ai.services.shipments import history
from logistics_ai.services.tracking_codes import looks_like_tracking_code, normalize_tracking_code

# What the public page says about each step. Never the event's own note: cancellation reasons,
# driver notes and failure reasons are free text that can name people, addresses or phones.
PUBLIC_NOTES: dict[ShipmentStatus, str] = {
    ShipmentStatus.requested: "Booking received",
    ShipmentStatus.scheduled: "Scheduled for delivery",
    ShipmentStatus.assigned: "A driver has been assigned",
    ShipmentStatus.picked_up: "Picked up by the driver",
    ShipmentStatus.in_transit: "On the way",
    ShipmentStatus.delivered: "Delivered",
    ShipmentStatus.failed: "Delivery attempt failed",
    ShipmentStatus.cancelled: "The delivery was cancelled",
}


@dataclass(frozen=True)
class PublicEvent:
    status: str
    label: str
    occurred_at: datetime
    note: str


@dataclass(frozen=True)
class PublicTracking:
    tracking_code: str
    status: str
    status_label: str
    recipient_first_name: str
    destination_city: str
    window_start: datetime
    window_end: datetime
    eta: datetime | None
    events: list[PublicEvent]
    # The delivery area for the page's map: the drop-off coarsened to AREA_DEGREES. The page
    # names the city, never the street; a pin on the door would give the address away to
    # anyone holding the code.
    area_lat: float
    area_lon: float


# 0.005 degrees is about 550 m north-south (400 m east-west at 42 N): a few city blocks.
AREA_DEGREES = 0.005


def coarse(value: float) -> float:
    return round(round(value / AREA_DEGREES) * AREA_DEGREES, 6)


def city_of(address: str) -> str:
    """The city part of 'street, neighbourhood, city, region'; never the street."""
    parts = [part.strip() for part in address.split(",") if part.strip()]
    if len(parts) >= 3:
        return parts[-2]
    return parts[-1] if len(parts) == 2 else ""


@dataclass(frozen=True)
class PublicPosition:
    """The carrying driver's last GPS fix, shown only under `public_position_allowed`."""

    lat: float
    lon: float


@dataclass(frozen=True)
class LiveTracking:
    """The public view plus what the live page needs: the position (privacy permitting) and,
    server-side only, which driver carries the shipment (never shown, never sent)."""

    view: PublicTracking
    position: PublicPosition | None
    carrier_id: int | None


# Built once: the tracking page is the most frequent request of a delivery day (Round 9).
_BY_CODE = select(Shipment).where(col(Shipment.tracking_code) == bindparam("b_code"))


def _find(session: Session, raw_code: str) -> Shipment:
    code = normalize_tracking_code(raw_code)
    shipment = None
    if looks_like_tracking_code(code):
        shipment = session.execute(_BY_CODE, {"b_code": code}).scalars().first()
    if shipment is None:
        raise NotFound("No shipment has this tracking code. Check the code and try again.")
    return shipment


def _next_stop_shipment(session: Session, shipment: Shipment) -> int | None:
    """The shipment of the first open stop on the route that carries `shipment`."""
    if shipment.route_id is None:
        return None
    return session.exec(
        select(Stop.shipment_id)
        .join(Route, col(Route.id) == Stop.route_id)
        .where(Route.id == shipment.route_id, col(Stop.status).in_(OPEN_STOP))
        .order_by(col(Stop.sequence))
        .limit(1)
    ).first()


def public_position(session: Session, shipment: Shipment) -> PublicPosition | None:
    if shipment.driver_id is None:
        return None
    next_is_this = _next_stop_shipment(session, shipment) == shipment.id
    if not public_position_allowed(shipment.status, next_is_this):
        return None
    driver = session.get(Driver, shipment.driver_id)
    if driver is None or driver.last_lat is None or driver.last_lon is None:
        return None
    return PublicPosition(driver.last_lat, driver.last_lon)


def live_position(session: Session, raw_code: str) -> PublicPosition | None:
    return public_position(session, _find(session, raw_code))


def live_track(session: Session, raw_code: str) -> LiveTracking:
    shipment = _find(session, raw_code)
    return LiveTracking(
        _view(session, shipment), public_position(session, shipment), shipment.driver_id
    )


def track(session: Session, raw_code: str) -> PublicTracking:
    return _view(session, _find(session, raw_code))


def _view(session: Session, shipment: Shipment) -> PublicTracking:
    return PublicTracking(
        tracking_code=shipment.tracking_code,
        status=shipment.status,
        status_label=STATUS_LABELS[ShipmentStatus(shipment.status)],
        recipient_first_name=shipment.recipient_name.split()[0] if shipment.recipient_name else "",
        destination_city=city_of(shipment.dropoff_address),
        window_start=shipment.dropoff_window_start,
        window_end=shipment.dropoff_window_end,
        eta=shipment.eta,
        events=[
            PublicEvent(
                status=event.status,
                label=STATUS_LABELS[ShipmentStatus(event.status)],
                occurred_at=event.occurred_at,
                note=PUBLIC_NOTES[ShipmentStatus(event.status)],
            )
            for event in history(session, saved_id(shipment))
        ],
        area_lat=coarse(shipment.dropoff_lat),
        area_lon=coarse(shipment.dropoff_lon),
    )
