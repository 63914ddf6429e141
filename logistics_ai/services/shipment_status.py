"""The shipment status machine. Every transition writes history and audit in one transaction."""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import Table, bindparam, insert
from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import IllegalTransition
from logistics_ai.models import (
    Shipment,
    ShipmentStatus,
    StopStatus,
    TrackingEvent,
    saved_id,
    utcnow,
)
from logistics_ai.realtime.bus import queue_event
from logistics_ai.services import audit, notifications, webhooks

S = ShipmentStatus

ALLOWED_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.requested: frozenset({S.scheduled, S.cancelled}),
    S.scheduled: frozenset({S.assigned, S.cancelled}),
    # An assigned shipment can be handed back to the pool (unassigned) before pickup.
    S.assigned: frozenset({S.scheduled, S.picked_up, S.failed, S.cancelled}),
    S.picked_up: frozenset({S.in_transit, S.delivered, S.failed}),
    S.in_transit: frozenset({S.delivered, S.failed}),
    # A failed delivery can be rescheduled by dispatch; delivered and cancelled are final.
    S.failed: frozenset({S.scheduled}),
    S.delivered: frozenset(),
    S.cancelled: frozenset(),
}

STATUS_LABELS: dict[ShipmentStatus, str] = {
    S.requested: "Requested",
    S.scheduled: "Scheduled",
    S.assigned: "Driver assigned",
    S.picked_up: "Picked up",
    S.in_transit: "In transit",
    S.delivered: "Delivered",
    S.failed: "Delivery failed",
    S.cancelled: "Cancelled",
}

SHIPMENTS_CHANNEL = "shipments"
# A driver's route changed (stops added, removed or reordered): that driver's app reloads.
ROUTES_CHANNEL = "routes"


def shipment_event(shipment: Shipment) -> dict[str, object]:
    """The bus payload of a shipment change: what the live fan-out filters on (who owns it,
    who drives it, its public code), never its contents."""
    return {
        "shipment_id": shipment.id,
        "tracking_code": shipment.tracking_code,
        "status": str(shipment.status),
        "customer_id": shipment.customer_id,
        "driver_id": shipment.driver_id,
        "service_date": shipment.service_date.isoformat(),
    }


# --- The vocabularies around the machine: defined here once, used by the services, the API
# schemas and (through state/) the pages.

# May be put on a route, or moved to another one, by dispatch (manual, auto-insert, plan).
ASSIGNABLE: tuple[ShipmentStatus, ...] = (S.requested, S.scheduled, S.assigned)
# Goods are in a van: the shipment's drop-off is still to come.
ON_BOARD: tuple[ShipmentStatus, ...] = (S.picked_up, S.in_transit)
# A day's unfinished work, what the planner sees.
OPEN_WORK: tuple[ShipmentStatus, ...] = (*ASSIGNABLE, *ON_BOARD)

# A stop still to be visited or finished; a closed one never changes again.
OPEN_STOP: tuple[StopStatus, ...] = (StopStatus.pending, StopStatus.arrived)
CLOSED_STOP: tuple[StopStatus, ...] = (StopStatus.done, StopStatus.failed, StopStatus.skipped)

# What a driver reports at a stop.
StopEvent = Literal["arrived", "picked_up", "delivered", "failed"]
STOP_EVENTS: tuple[str, ...] = get_args(StopEvent)

# What a shipment may require of the vehicle (Vehicle.skills holds the same tags).
Skill = Literal["refrigerated", "liftgate", "fragile", "oversize"]
SKILLS: tuple[str, ...] = get_args(Skill)

# Which transitions the customer hears about (see logistics_ai/notify/templates).
CUSTOMER_EVENTS: dict[ShipmentStatus, notifications.NotifyEvent] = {
    S.picked_up: "out_for_delivery",
    S.delivered: "delivered",
    S.failed: "failed",
}


def can_transition(current: str, target: str) -> bool:
    return ShipmentStatus(target) in ALLOWED_TRANSITIONS[ShipmentStatus(current)]


def require_transition(shipment: Shipment, target: ShipmentStatus) -> None:
    """Raise IllegalTransition, saying what is allowed instead, unless the machine permits it.

    Callers that prepare a transition (detaching stops before a cancel) check first, so the
    refusal names the status rather than whatever preparation step would fail.
    """
    current = ShipmentStatus(shipment.status)
    if target not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none (final status)"
        raise IllegalTransition(
            f"Shipment {shipment.tracking_code} is {STATUS_LABELS[current].lower()} "
            f"and cannot become {STATUS_LABELS[target].lower()}. Allowed next: {allowed}.",
            details={"from": current.value, "to": target.value},
        )


_EVENTS: Table = TrackingEvent.__table__  # type: ignore[attr-defined]
# The history row, built once (building a statement per call cost more CPU than running it,
# docs/performance.md, Round 9). Prefixed names: a column's own name is SQLAlchemy's.
_HISTORY_ROW = insert(_EVENTS).values(
    {c.key: bindparam(f"row_{c.key}", type_=c.type) for c in _EVENTS.columns if c.key != "id"}
)


class _Unread:
    """`transition`'s recipient when the caller did not read it: the outbox write reads it."""


UNREAD = _Unread()


def transition(
    session: Session,
    shipment: Shipment,
    target: ShipmentStatus,
    actor: Actor,
    *,
    note: str | None = None,
    position: tuple[float, float] | None = None,
    recipient: notifications.Recipient | _Unread | None = UNREAD,
) -> TrackingEvent:
    """Move `shipment` to `target`, or raise IllegalTransition without touching anything.

    A caller that read the customer's `recipient` already (a stop event reads it with the
    stop) passes it: the outbox write then needs no read of its own."""
    current = ShipmentStatus(shipment.status)
    require_transition(shipment, target)
    now = utcnow()
    shipment.status = target
    shipment.updated_at = now
    session.add(shipment)
    # The shipment's UPDATE (and its version check) goes first, as it did when a read
    # autoflushed it: the row's lock before the audit head's, the order every writer keeps.
    session.flush()
    event = TrackingEvent(
        shipment_id=saved_id(shipment),
        status=target,
        occurred_at=now,
        note=note,
        lat=position[0] if position else None,
        lon=position[1] if position else None,
    )
    # One Core INSERT, not an object for the unit of work's flush: nothing reads the history
    # row back through the session in the writing transaction (a later query sees it, as the
    # row is in the database at once), and the flush cost more CPU than the statement
    # (docs/performance.md, Round 9). The returned event has no id.
    session.connection().execute(
        _HISTORY_ROW,
        {f"row_{c.key}": getattr(event, c.key) for c in _EVENTS.columns if c.key != "id"},
    )
    audit.record(
        session,
        actor,
        "shipment.status_changed",
        "shipment",
        shipment.id,
        {"from": current.value, "to": target.value, "note": note},
    )
    webhooks.enqueue(
        session,
        "shipment.status_changed",
        {
            "shipment_id": shipment.id,
            "tracking_code": shipment.tracking_code,
            "from": current.value,
            "to": target.value,
        },
    )
    if target in CUSTOMER_EVENTS:  # outbox row in this same transaction
        template = CUSTOMER_EVENTS[target]
        if isinstance(recipient, _Unread):
            notifications.enqueue_for_shipment(session, shipment, template, reason=note)
        else:
            notifications.enqueue_to(session, recipient, shipment, template, reason=note)
    queue_event(session, SHIPMENTS_CHANNEL, shipment_event(shipment))
    return event
