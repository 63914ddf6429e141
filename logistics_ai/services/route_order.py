"""Changing the order of a driver's open stops by hand: move one stop ahead of another.

This is the "swap" fix for a late-risk stop (logistics_ai/ai/explain.py): a stop whose
window ends earlier goes ahead of one whose window ends later. The stops in between keep
their relative order, so the only precedence that can break is the moved drop-off's own
pickup, which is checked. Numbering goes through `assignment.resequence`; ETAs are
recomputed after commit, like after any stop event.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, NotFound
from logistics_ai.models import Route, Shipment, Stop, StopKind, StopStatus, saved_id
from logistics_ai.realtime.bus import queue_event
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit
from logistics_ai.services.assignment import StopKey, resequence, route_stops
from logistics_ai.services.eta_updates import refresh_after_commit
from logistics_ai.services.shipment_status import SHIPMENTS_CHANNEL


def _label(session: Session, stop: Stop) -> str:
    shipment = session.get(Shipment, stop.shipment_id)
    code = shipment.tracking_code if shipment else f"shipment {stop.shipment_id}"
    return f"stop {stop.sequence + 1} ({code} {stop.kind})"


def check_move(session: Session, stop_id: int, before_stop_id: int) -> tuple[Stop, Stop, Route]:
    """The two stops and their route, or the reason the move cannot be made."""
    stop, before = session.get(Stop, stop_id), session.get(Stop, before_stop_id)
    if stop is None or before is None:
        raise NotFound("That stop was not found.")
    if stop.route_id is None or stop.route_id != before.route_id:
        raise Conflict("The two stops are not on the same route.")
    route = session.get(Route, stop.route_id)
    if route is None:
        raise NotFound("That route was not found.")
    if stop.status != StopStatus.pending or before.status != StopStatus.pending:
        raise Conflict("Only stops the driver has not started can be reordered.")
    if stop.sequence <= before.sequence:
        raise Conflict(f"{_label(session, stop)} is already ahead of {_label(session, before)}.")
    if stop.kind == StopKind.dropoff:
        pickup = next(
            (
                s
                for s in route_stops(session, saved_id(route))
                if s.shipment_id == stop.shipment_id and s.kind == StopKind.pickup
            ),
            None,
        )
        pending = pickup is not None and pickup.status == StopStatus.pending
        if pickup is not None and pending and pickup.sequence >= before.sequence:
            raise Conflict(
                f"{_label(session, stop)} cannot go ahead of its own pickup "
                f"({_label(session, pickup)})."
            )
    return stop, before, route


def move_stop_before(
    session: Session, actor: Actor, stop_id: int, before_stop_id: int, now: datetime | None = None
) -> tuple[int, int]:
    """Move stop `stop_id` to just ahead of `before_stop_id` on their route; returns the
    moved stop's (old, new) 1-based positions."""
    require(actor, Action.shipment_assign)
    stop, before, route = check_move(session, stop_id, before_stop_id)
    old_position, new_position = stop.sequence + 1, before.sequence + 1
    moved: StopKey = (stop.shipment_id, stop.kind)
    order: list[StopKey] = [
        (s.shipment_id, s.kind)
        for s in route_stops(session, saved_id(route))
        if s.status == StopStatus.pending and s.id != stop.id
    ]
    order.insert(order.index((before.shipment_id, before.kind)), moved)
    resequence(session, route, order)
    audit.record(
        session,
        actor,
        "route.stop_moved",
        "route",
        route.id,
        {
            "stop_id": stop.id,
            "before_stop_id": before.id,
            "from_position": old_position,
            "to_position": new_position,
        },
    )
    refresh_after_commit(session, route.driver_id, now or clock.utcnow())
    shipment = session.get(Shipment, stop.shipment_id)
    if shipment is not None:
        queue_event(
            session,
            SHIPMENTS_CHANNEL,
            {
                "shipment_id": shipment.id,
                "tracking_code": shipment.tracking_code,
                "status": shipment.status,
            },
        )
    return old_position, new_position
