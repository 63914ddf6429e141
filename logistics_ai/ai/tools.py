"""The copilot's tools: each one calls an existing service AS THE CALLER, so the permission
policy applies to every call. A tool is offered to the model only when the caller's role
(and API-key scopes) allow its action; a call to anything else is refused and audited.

Results carry only what the question needs: no phone numbers, no notes (free text written
by customers is untrusted and never shown to the model), names and addresses only as far as
AI_SEND_PERSONAL_DATA allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from logistics_ai.ai import privacy
from logistics_ai.ai.briefing import day_kpis
from logistics_ai.ai.explain import late_risks
from logistics_ai.ai.proposals import propose
from logistics_ai.ai.reassign import on_time_candidate
from logistics_ai.db import get_engine, session_scope
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, DomainError, NotFound
from logistics_ai.models import AuditEvent, Driver, Shipment, ShipmentStatus, User, Vehicle
from logistics_ai.security.policy import Action, ownership
from logistics_ai.services import assignment, audit, dispatch_insert, drivers, shipments
from logistics_ai.services.shipments import ShipmentFilter

MAX_ROWS = 20
SAVABLE_MIN_LEFT = 30  # minutes a window must still be open for a reassignment to help


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DayArgs(Args):
    day: date | None = Field(default=None, description="Service day (YYYY-MM-DD); default today")


class ListArgs(DayArgs):
    status: ShipmentStatus | None = None
    search: str | None = Field(default=None, max_length=60, description="Tracking code or text")
    unassigned_only: bool = False
    driver_id: int | None = Field(default=None, ge=1)
    limit: int = Field(default=10, ge=1, le=MAX_ROWS)


class DriverArgs(DayArgs):
    driver_id: int = Field(ge=1)


class ShipmentArgs(Args):
    shipment_id: int | None = Field(default=None, ge=1)
    tracking_code: str | None = Field(default=None, max_length=20)


class ProposeArgs(ShipmentArgs):
    action: Literal["assign", "reassign", "replan", "cancel", "notify", "swap"]
    driver_id: int | None = Field(default=None, ge=1)
    day: date | None = None
    reason: str | None = Field(default=None, max_length=200)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[Args]
    action: Action
    run: Callable[[Session, Actor, Any, str], dict[str, Any]]

    def schema(self) -> dict[str, Any]:
        parameters = self.args.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            },
        }


def _window(start: Any, end: Any) -> str:
    def hm(m: Any) -> str:
        return clock.to_local(clock.as_aware(m)).strftime("%H:%M")

    return f"{hm(start)}-{hm(end)}"


def shipment_row(s: Shipment) -> dict[str, Any]:
    return {
        "id": s.id,
        "tracking_code": s.tracking_code,
        "status": s.status,
        "service_date": s.service_date.isoformat(),
        "driver_id": s.driver_id,
        "recipient": privacy.redact(s.recipient_name, "recipient_name"),
        "dropoff_address": privacy.redact(s.dropoff_address, "address"),
        "dropoff_window": _window(s.dropoff_window_start, s.dropoff_window_end),
        "eta": clock.to_local(clock.as_aware(s.eta)).strftime("%H:%M") if s.eta else None,
        "weight_kg": s.weight_kg,
        "required_skills": [k for k in s.required_skills.split(",") if k],
    }


def resolve_shipment(session: Session, actor: Actor, args: ShipmentArgs) -> Shipment:
    """The shipment named by id or tracking code, if the caller may see it (else NotFound)."""
    if args.shipment_id is not None:
        return shipments.get_shipment(session, actor, args.shipment_id)
    code = (args.tracking_code or "").strip().upper()
    if code:
        page = shipments.list_shipments(session, actor, ShipmentFilter(search=code, page_size=5))
        for item in page.items:
            if item.tracking_code.upper() == code:
                return item
    raise NotFound("No such shipment is visible to you.")


def _list(session: Session, actor: Actor, a: ListArgs, _c: str) -> dict[str, Any]:
    page = shipments.list_shipments(
        session,
        actor,
        ShipmentFilter(
            status=a.status,
            date_from=a.day,
            date_to=a.day,
            search=a.search,
            driver_id=a.driver_id,
            unassigned_only=a.unassigned_only,
            page_size=a.limit,
        ),
    )
    return {"total": page.total, "shipments": [shipment_row(s) for s in page.items]}


def _late(session: Session, actor: Actor, a: DayArgs, _c: str) -> dict[str, Any]:
    risks = late_risks(session, actor, a.day)
    # Stops another driver could still save: not started, window open longest first.
    savable = sorted(
        (r for r in risks if r.movable and r.window_left_min >= SAVABLE_MIN_LEFT),
        key=lambda r: -r.window_left_min,
    )
    return {
        "late_risk_stops": [r.as_dict() for r in risks[:MAX_ROWS]],
        "total": len(risks),
        "savable_by_reassignment": [r.as_dict() for r in savable[:10]],
    }


def _route(session: Session, actor: Actor, a: DriverArgs, _c: str) -> dict[str, Any]:
    day = a.day or clock.today_local()
    views = drivers.stops_for_day(session, actor, a.driver_id, day)
    driver = session.get(Driver, a.driver_id)
    vehicle = session.get(Vehicle, driver.vehicle_id) if driver and driver.vehicle_id else None
    loads = {v.shipment.id: v.shipment.weight_kg for v in views}
    return {
        "driver_id": a.driver_id,
        "day": day.isoformat(),
        "capacity_kg": vehicle.capacity_kg if vehicle else None,
        "planned_load_kg": round(sum(loads.values()), 1),
        "stops": [
            {
                "sequence": v.stop.sequence + 1,
                "kind": v.stop.kind,
                "status": v.stop.status,
                "tracking_code": v.shipment.tracking_code,
                "address": privacy.redact(v.address, "address"),
                "window": _window(*v.window),
                "eta": clock.to_local(clock.as_aware(v.stop.planned_arrival)).strftime("%H:%M")
                if v.stop.planned_arrival
                else None,
                "late_risk": v.stop.late_risk,
            }
            for v in views
        ],
    }


def _kpis(session: Session, actor: Actor, a: DayArgs, _c: str) -> dict[str, Any]:
    return day_kpis(session, actor, a.day or clock.today_local()).as_dict()


def _plan(session: Session, actor: Actor, a: DayArgs, _c: str) -> dict[str, Any]:
    """What the last applied plan of a day did, from the audit trail and today's routes."""
    day = (a.day or clock.today_local()).isoformat()
    board = drivers.fleet_board(session, actor, date.fromisoformat(day))  # fleet_read check
    events = [
        e
        for e in session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "dispatch.plan_applied")
            .order_by(col(AuditEvent.id).desc())
            .limit(50)
        ).all()
        if (e.details or {}).get("service_date") == day
    ]
    last = events[0] if events else None
    return {
        "day": day,
        "applied_plan": None
        if last is None
        else {
            "applied_at": last.occurred_at.isoformat(),
            "applied_by": last.actor_label,
            **{k: v for k, v in (last.details or {}).items() if k != "service_date"},
        },
        "routes": [
            {
                "driver_id": r.id,
                "driver": r.name,
                "stops": r.stops_today,
                "done": r.stops_done_today,
            }
            for r in board
            if r.stops_today
        ],
        "how_plans_are_made": "The solver minimises total travel time while keeping every "
        "time window, vehicle capacity, skill and shift; stops already started stay put.",
    }


def _best(session: Session, actor: Actor, a: ShipmentArgs, _c: str) -> dict[str, Any]:
    return best_driver(actor, resolve_shipment(session, actor, a).id or 0)


def best_driver(actor: Actor, shipment_id: int) -> dict[str, Any]:
    """Cheapest insertion into today's routes, computed in a transaction that is rolled back:
    the real assignment service runs, and nothing of it is kept. When no route has a feasible
    place (the routes already run late), the driver who can still deliver it on time."""
    with Session(get_engine(), expire_on_commit=False) as trial:
        try:
            shipment = shipments.get_shipment(trial, actor, shipment_id)
            current = shipment.driver_id
            answer: dict[str, Any] = {
                "shipment_id": shipment_id,
                "tracking_code": shipment.tracking_code,
                "current_driver_id": current,
            }
            if current is not None:
                assignment.detach_from_route(trial, shipment)
            try:
                insertion = dispatch_insert.auto_assign(trial, actor, shipment_id)
            except Conflict as refused:
                trial.rollback()
                shipment = shipments.get_shipment(trial, actor, shipment_id)
                fallback = on_time_candidate(trial, shipment)
                if fallback is None:
                    raise Conflict(
                        f"{refused.message} No other driver can deliver it on time either."
                    ) from None
                return answer | {
                    "method": "on_time_append",
                    "best_driver_id": fallback.driver_id,
                    "best_driver": fallback.name,
                    "dropoff_eta": clock.to_local(fallback.dropoff_eta).strftime("%H:%M"),
                    "same_as_current": False,
                }
            driver = trial.get(Driver, insertion.driver_id)
            user = trial.get(User, driver.user_id) if driver else None
            return answer | {
                "method": "cheapest_insertion",
                "best_driver_id": insertion.driver_id,
                "best_driver": user.full_name if user else None,
                "added_distance_m": insertion.added_distance_m,
                "same_as_current": insertion.driver_id == current,
            }
        finally:
            trial.rollback()


def _propose(session: Session, actor: Actor, a: ProposeArgs, conversation: str) -> dict[str, Any]:
    shipment_id = None
    if a.action != "replan":
        shipment_id = resolve_shipment(session, actor, a).id
    card = propose(
        session,
        actor,
        conversation,
        a.action,
        shipment_id=shipment_id,
        driver_id=a.driver_id,
        day=a.day,
        reason=a.reason,
    )
    return {"proposal": card.as_dict(), "status": "waiting for the user's confirmation"}


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool(
            "list_shipments",
            "List and filter shipments the user may see.",
            ListArgs,
            Action.shipment_read,
            _list,
        ),
        Tool(
            "late_risk_stops",
            "Open stops whose ETA passes their window, each with its cause and a suggested fix.",
            DayArgs,
            Action.fleet_read,
            _late,
        ),
        Tool(
            "driver_route",
            "A driver's stops for a day in order, with ETAs and the planned load.",
            DriverArgs,
            Action.route_read,
            _route,
        ),
        Tool("day_kpis", "KPIs of a service day.", DayArgs, Action.fleet_read, _kpis),
        Tool(
            "explain_plan",
            "What the last applied dispatch plan of a day did, and how plans are made.",
            DayArgs,
            Action.fleet_read,
            _plan,
        ),
        Tool(
            "best_driver",
            "The driver who can take a shipment at the least added travel (cheapest insertion).",
            ShipmentArgs,
            Action.shipment_assign,
            _best,
        ),
        Tool(
            "propose_action",
            "Propose assign/reassign/replan/cancel/notify/swap as a card the user must confirm. "
            "Nothing changes until the user clicks confirm.",
            ProposeArgs,
            Action.shipment_read,
            _propose,
        ),
    )
}


def offered(actor: Actor) -> list[Tool]:
    """The tools this caller's role and scopes allow: the model never sees the others."""
    return [t for t in TOOLS.values() if ownership(actor.role, t.action, actor.scopes) is not None]


def run_tool(actor: Actor, conversation_id: str, name: str, raw_args: str) -> dict[str, Any]:
    """Run one tool call from the model (untrusted input) as `actor`; audit it either way."""
    allowed = {t.name for t in offered(actor)}
    with session_scope() as session:
        details: dict[str, Any] = {"tool": name[:60], "arguments": raw_args[:500]}
        if name not in allowed:
            audit.record(
                session, actor, "ai.tool_refused", "conversation", conversation_id, details
            )
            return {"error": f"The tool '{name[:60]}' is not available to this user."}
        tool = TOOLS[name]
        try:
            args = tool.args.model_validate_json(raw_args or "{}")
        except ValidationError as error:
            details["error"] = "invalid arguments"
            audit.record(
                session, actor, "ai.tool_refused", "conversation", conversation_id, details
            )
            return {"error": f"Invalid arguments: {error.errors()[0]['msg']}"}
        try:
            with session.begin_nested():  # a failed tool leaves nothing behind but its audit
                result = tool.run(session, actor, args, conversation_id)
        except DomainError as error:
            details |= {"ok": False, "error": error.message[:200]}
            audit.record(session, actor, "ai.tool_call", "conversation", conversation_id, details)
            return {"error": error.message}
        details["ok"] = True
        audit.record(session, actor, "ai.tool_call", "conversation", conversation_id, details)
        return result
