"""All tables, imported here so SQLModel.metadata (and Alembic) sees every one."""

from logistics_ai.models._base import saved_id, utcnow
from logistics_ai.models.accounts import AccountToken, Consent
from logistics_ai.models.enums import (
    DriverStatus,
    NotificationStatus,
    Role,
    RouteStatus,
    ShipmentStatus,
    StopKind,
    StopStatus,
)
from logistics_ai.models.fleet import Depot, Driver, Vehicle
from logistics_ai.models.idempotency import IdempotencyRecord
from logistics_ai.models.notifications import NotificationPreference
from logistics_ai.models.records import (
    ApiKey,
    AuditCheckpoint,
    AuditEvent,
    AuditHead,
    Notification,
    SubjectKey,
)
from logistics_ai.models.routing import Route, Stop
from logistics_ai.models.shipments import Shipment, TrackingEvent
from logistics_ai.models.telemetry import LocationPing, ProofOfDelivery
from logistics_ai.models.users import Customer, Invitation, User
from logistics_ai.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccountToken",
    "ApiKey",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Consent",
    "Customer",
    "Depot",
    "Driver",
    "DriverStatus",
    "IdempotencyRecord",
    "Invitation",
    "LocationPing",
    "Notification",
    "NotificationPreference",
    "NotificationStatus",
    "ProofOfDelivery",
    "Role",
    "Route",
    "RouteStatus",
    "Shipment",
    "ShipmentStatus",
    "Stop",
    "StopKind",
    "StopStatus",
    "SubjectKey",
    "TrackingEvent",
    "User",
    "Vehicle",
    "WebhookDelivery",
    "WebhookEndpoint",
    "saved_id",
    "utcnow",
]
