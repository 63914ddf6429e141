"""Action cards: the copilot only PROPOSES changes; a person confirms each one.

A proposal is checked when it is made (the caller may do it, the shipment is visible),
stored for a short time in the shared store under the proposing user, and executed only by
`confirm`, as that same user, through the normal services (so the policy applies again).
Nothing the model says can call `confirm`: it is reached only from the UI button or the
API's confirm route. Every confirmation is audited with the conversation id.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session, col, select

from logistics_ai.ai.explain import explain_stop
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, NotFound
from logistics_ai.kvstore import get_store
from logistics_ai.models import Driver, Route, Shipment, Stop, TrackingEvent, User, saved_id
from logistics_ai.realtime.bus import queue_event
from logistics_ai.security.policy import Action, require
from logistics_ai.services import (
    assignment,
    audit,
    dispatch_planning,
    notifications,
    route_order,
    shipments,
)
from logistics_ai.services.shipment_status import SHIPMENTS_CHANNEL, shipment_event

Kind = Literal["assign", "reassign", "replan", "cancel", "notify", "swap"]
TTL_S = 30 * 60
REQUIRES: dict[str, Action] = {
    "assign": Action.shipment_assign,
    "reassign": Action.shipment_assign,
    "replan": Action.shipment_assign,
    "cancel": Action.shipment_cancel,
    "notify": Action.shipment_assign,  # staff tell customers; customers are not notified by peers
    "swap": Action.shipment_assign,  # reordering a route is dispatch work
}


@dataclass(frozen=True)
class Proposal:
    id: str
    conversation_id: str
    user_id: int | None
    kind: str
    title: str
    shipment_id: int | None = None
    tracking_code: str | None = None
    driver_id: int | None = None
    driver_name: str | None = None
    day: str | None = None
    reason: str | None = None
    # "swap": move stop_id ahead of before_stop_id on the same route (explain.py's fix).
    stop_id: int | None = None
    before_stop_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _key(proposal_id: str) -> str:
    return f"ai:proposal:{proposal_id}"


def _driver_name(session: Session, driver_id: int) -> str:
    driver = session.get(Driver, driver_id)
    if driver is None:
        raise NotFound(f"Driver {driver_id} was not found.")
    user = session.get(User, driver.user_id)
    return user.full_name if user else f"driver {driver_id}"


def propose(
    session: Session,
    actor: Actor,
    conversation_id: str,
    kind: Kind,
    *,
    shipment_id: int | None = None,
    driver_id: int | None = None,
    day: date | None = None,
    reason: str | None = None,
) -> Proposal:
    """Check and store a card. Raises the same errors the action itself would."""
    require(actor, REQUIRES[kind])
    shipment: Shipment | None = None
    if kind != "replan":
        if shipment_id is None:
            raise Conflict(f"A {kind} proposal needs a shipment.")
        shipment = shipments.get_shipment(session, actor, shipment_id)
    name = None
    if kind in ("assign", "reassign"):
        if driver_id is None:
            raise Conflict("An assignment proposal needs a driver.")
        name = _driver_name(session, driver_id)
        if shipment is not None and shipment.driver_id == driver_id:
            raise Conflict(f"{shipment.tracking_code} is already with {name}.")
    code = shipment.tracking_code if shipment else None
    swap: tuple[int, int, str, str] | None = None
    if kind == "swap":
        assert shipment is not None
        swap = _swap_for(session, shipment)
        reason = swap[3]  # the data-grounded late-risk line, not the model's words
    titles = {
        "assign": f"Assign {code} to {name}",
        "reassign": f"Reassign {code} to {name}",
        "replan": f"Re-plan all open work of {(day or clock.today_local()).isoformat()}",
        "cancel": f"Cancel {code}",
        "notify": f"Notify the customer of {code} about its new ETA",
        "swap": f"Swap stops: {swap[2] if swap else code}",
    }
    proposal = Proposal(
        id=secrets.token_urlsafe(12),
        conversation_id=conversation_id,
        user_id=actor.user_id,
        kind=kind,
        title=titles[kind],
        shipment_id=shipment.id if shipment else None,
        tracking_code=code,
        driver_id=driver_id if kind in ("assign", "reassign") else None,
        driver_name=name,
        day=(day or clock.today_local()).isoformat() if kind == "replan" else None,
        reason=(reason or "")[:200] or None,
        stop_id=swap[0] if swap else None,
        before_stop_id=swap[1] if swap else None,
    )
    get_store().set(_key(proposal.id), json.dumps(proposal.as_dict()), TTL_S)
    audit.record(
        session,
        actor,
        "ai.action_proposed",
        "conversation",
        conversation_id,
        {"proposal_id": proposal.id, "kind": kind, "title": proposal.title},
    )
    return proposal


def _swap_for(session: Session, shipment: Shipment) -> tuple[int, int, str, str]:
    """The swap that explain.py's rules suggest for one of the shipment's late-risk stops:
    (stop to move, stop to move it ahead of, what it does, why). Never a reorder of the
    model's own invention: no late-risk stop with a swap fix, no card."""
    for stop in session.exec(
        select(Stop).where(Stop.shipment_id == shipment.id, col(Stop.late_risk))
    ).all():
        route = session.get(Route, stop.route_id) if stop.route_id else None
        driver = session.get(Driver, route.driver_id) if route else None
        if driver is None:
            continue
        risk = explain_stop(session, stop, shipment, driver)
        if risk.fix == "swap" and risk.swap_before_stop_id is not None:
            route_order.check_move(session, risk.stop_id, risk.swap_before_stop_id)
            what = f"{shipment.tracking_code} {stop.kind}: {risk.fix_detail}"
            return risk.stop_id, risk.swap_before_stop_id, what, risk.line
    raise Conflict(f"No stop swap would help {shipment.tracking_code}.")


def load(actor: Actor, proposal_id: str) -> Proposal:
    raw = get_store().get(_key(proposal_id))
    if raw is None:
        raise NotFound("This proposal has expired or was already handled.")
    proposal = Proposal(**json.loads(raw))
    if proposal.user_id != actor.user_id:
        raise NotFound("This proposal has expired or was already handled.")
    return proposal


def dismiss(session: Session, actor: Actor, proposal_id: str) -> Proposal:
    proposal = load(actor, proposal_id)
    get_store().delete(_key(proposal_id))
    audit.record(
        session,
        actor,
        "ai.action_dismissed",
        "conversation",
        proposal.conversation_id,
        {"proposal_id": proposal.id, "kind": proposal.kind},
    )
    return proposal


def confirm(session: Session, actor: Actor, proposal_id: str) -> str:
    """Execute a confirmed card as `actor`; returns what was done, in one line."""
    proposal = load(actor, proposal_id)
    get_store().delete(_key(proposal_id))  # single use, even if the action fails below
    done = _execute(session, actor, proposal)
    audit.record(
        session,
        actor,
        "ai.action_confirmed",
        "conversation",
        proposal.conversation_id,
        {"proposal_id": proposal.id, "kind": proposal.kind, "result": done},
    )
    return done


def _execute(session: Session, actor: Actor, p: Proposal) -> str:
    if p.kind in ("assign", "reassign"):
        assert p.shipment_id is not None and p.driver_id is not None
        shipment = assignment.assign_shipment(session, actor, p.shipment_id, p.driver_id)
        return f"{shipment.tracking_code} is now with {p.driver_name}."
    if p.kind == "cancel":
        assert p.shipment_id is not None
        shipment = shipments.cancel_shipment(session, actor, p.shipment_id, p.reason)
        return f"{shipment.tracking_code} was cancelled."
    if p.kind == "swap":
        assert p.stop_id is not None and p.before_stop_id is not None
        old, new = route_order.move_stop_before(session, actor, p.stop_id, p.before_stop_id)
        return f"{p.tracking_code}'s stop moved from position {old} to {new} on its route."
    if p.kind == "replan":
        day = date.fromisoformat(p.day) if p.day else None
        plan = dispatch_planning.preview(session, actor, day)
        dispatch_planning.apply(session, actor, plan.plan_id)
        return (
            f"Re-planned {plan.service_date}: {plan.newly_assigned} newly assigned, "
            f"{plan.reassigned} reassigned, {len(plan.unassigned)} left unassigned."
        )
    return _notify_late(session, actor, p)


def _notify_late(session: Session, actor: Actor, p: Proposal) -> str:
    """The customer is told through the notification outbox, in this transaction: the
    worker (jobs/notifications.py) sends after commit, with the customer's channels, language,
    opt-outs, retries and exactly-once delivery. Nothing is sent from the request."""
    assert p.shipment_id is not None
    shipment = shipments.get_shipment(session, actor, p.shipment_id)
    eta = clock.to_local(clock.as_aware(shipment.eta)).strftime("%H:%M") if shipment.eta else None
    # The timeline line the customer sees in their app (the message itself goes by outbox).
    note = (
        f"Your delivery is running late; new estimated arrival {eta}."
        if eta
        else "Your delivery is running late; we will update the arrival time shortly."
    )
    queued = notifications.enqueue_for_shipment(session, shipment, "delayed")
    channels = sorted(set(queued))
    session.add(TrackingEvent(shipment_id=saved_id(shipment), status=shipment.status, note=note))
    audit.record(
        session,
        actor,
        "shipment.customer_notified",
        "shipment",
        shipment.id,
        {"template": "delayed", "eta": eta, "channels": channels},
    )
    queue_event(session, SHIPMENTS_CHANNEL, shipment_event(shipment))
    if not channels:
        return (
            f"Nothing was sent for {shipment.tracking_code}: its customer has switched "
            "ETA messages off (or has no active account)."
        )
    return (
        f"A running-late message to the customer of {shipment.tracking_code} is queued "
        f"({', '.join(channels)}){f', new ETA {eta}' if eta else ''}."
    )
