"""Closed vocabularies of the domain, stored as short strings with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    customer = "customer"
    driver = "driver"
    dispatcher = "dispatcher"
    admin = "admin"


class DriverStatus(StrEnum):
    off_duty = "off_duty"
    available = "available"
    on_route = "on_route"
    on_break = "on_break"


class ShipmentStatus(StrEnum):
    requested = "requested"
    scheduled = "scheduled"
    assigned = "assigned"
    picked_up = "picked_up"
    in_transit = "in_transit"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"


class RouteStatus(StrEnum):
    planned = "planned"
    active = "active"
    completed = "completed"


class StopKind(StrEnum):
    pickup = "pickup"
    dropoff = "dropoff"


class StopStatus(StrEnum):
    pending = "pending"
    arrived = "arrived"
    done = "done"
    failed = "failed"
    skipped = "skipped"


class NotificationStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a worker; see Notification.locked_until
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"  # the customer opted out before it was sent


def check_in(column: str, enum: type[StrEnum]) -> str:
    """SQL for a CHECK constraint that keeps a string column inside an enum."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"
