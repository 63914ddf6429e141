"""Auto-dispatch: solve the day's open work, preview the plan, apply it atomically.

A preview is stored (Redis in production) under a plan id with the versions of every
shipment and route it read. Applying re-checks those versions inside one transaction, so a
plan computed before someone else changed the board is refused instead of overwriting.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from logistics_ai.dispatch.model import Solution
from logistics_ai.dispatch.operations import make_plan
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, NotFound
from logistics_ai.kvstore import get_store
from logistics_ai.models import (
    Driver,
    Route,
    Shipment,
    utcnow,
)
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit
from logistics_ai.services.assignment import place_on_route, resequence, route_for
from logistics_ai.services.dispatch_problem import (
    PlanningContext,
    build_problem,
    parse_job_id,
)
from logistics_ai.settings import get_settings

PLAN_TTL_S = 30 * 60


@dataclass
class PlannedStop:
    shipment_id: int
    tracking_code: str
    kind: str
    address: str
    arrival: str  # ISO timestamp
    load_kg: int


@dataclass
class PlannedRoute:
    driver_id: int
    driver_name: str
    vehicle: str
    capacity_kg: float
    distance_m: int
    duration_s: int
    max_load_kg: int
    stops: list[PlannedStop]


@dataclass
class PlanPreview:
    plan_id: str
    service_date: str
    created_at: str
    runtime_s: float
    routes: list[PlannedRoute]
    unassigned: list[dict[str, str]]
    newly_assigned: int
    reassigned: int
    unchanged: int
    total_distance_m: int
    total_duration_s: int
    shipment_versions: dict[str, int] = field(default_factory=dict)
    route_versions: dict[str, int] = field(default_factory=dict)


def _to_preview(solution: Solution, context: PlanningContext, session: Session) -> PlanPreview:
    routes: list[PlannedRoute] = []
    placed: dict[int, int] = {}  # shipment -> driver
    for route in solution.routes:
        info = context.drivers[route.vehicle_id]
        stops = []
        for stop in route.stops:
            shipment_id, kind = parse_job_id(stop.job_id)
            shipment = context.shipments[shipment_id]
            placed[shipment_id] = info.driver_id
            stops.append(
                PlannedStop(
                    shipment_id,
                    shipment.tracking_code,
                    kind.value,
                    context.addresses[stop.job_id],
                    context.moment(stop.arrival).isoformat(),
                    stop.load[0] if stop.load else 0,
                )
            )
        routes.append(
            PlannedRoute(
                info.driver_id,
                info.name,
                info.vehicle_label,
                info.capacity_kg,
                route.distance,
                route.duration,
                max((s.load_kg for s in stops), default=0),
                stops,
            )
        )
    unassigned = []
    for item in solution.unassigned:
        shipment_id = int(item.id.split("-")[0][1:])
        unassigned.append(
            {
                "shipment_id": str(shipment_id),
                "tracking_code": context.shipments[shipment_id].tracking_code,
                "reason": item.reason.value,
                "detail": item.detail,
            }
        )
    newly = sum(1 for sid, d in placed.items() if context.shipments[sid].driver_id is None)
    moved = sum(1 for sid, d in placed.items() if context.shipments[sid].driver_id not in (None, d))
    existing_routes = session.exec(select(Route).where(Route.service_date == context.day)).all()
    return PlanPreview(
        plan_id=secrets.token_urlsafe(12),
        service_date=context.day.isoformat(),
        created_at=utcnow().isoformat(),
        runtime_s=round(solution.runtime_s, 2),
        routes=sorted(routes, key=lambda r: r.driver_name),
        unassigned=unassigned,
        newly_assigned=newly,
        reassigned=moved,
        unchanged=len(placed) - newly - moved,
        total_distance_m=solution.distance,
        total_duration_s=solution.duration,
        shipment_versions={str(sid): s.version for sid, s in context.shipments.items()},
        route_versions={str(r.driver_id): r.version for r in existing_routes},
    )


def preview(
    session: Session,
    actor: Actor,
    day: date | None = None,
    budget_s: float | None = None,
    seed: int = 0,
) -> PlanPreview:
    require(actor, Action.shipment_assign)
    day = day or clock.today_local()
    budget = budget_s if budget_s is not None else get_settings().dispatch_budget_seconds
    problem, context = build_problem(session, day, budget_s=budget, seed=seed)
    if not problem.vehicles:
        raise Conflict("No driver is on duty with a vehicle; nothing can be planned.")
    plan = make_plan(problem)
    result = _to_preview(plan.solution, context, session)
    get_store().set(f"plan:{result.plan_id}", json.dumps(asdict(result)), PLAN_TTL_S)
    return result


def load_preview(plan_id: str) -> PlanPreview:
    raw = get_store().get(f"plan:{plan_id}")
    if raw is None:
        raise NotFound("This plan preview has expired or does not exist. Run auto-dispatch again.")
    data = json.loads(raw)
    data["routes"] = [
        PlannedRoute(**{**r, "stops": [PlannedStop(**s) for s in r["stops"]]})
        for r in data["routes"]
    ]
    return PlanPreview(**data)


def apply(session: Session, actor: Actor, plan_id: str) -> PlanPreview:
    """Write a previewed plan: assignments, stop order and ETAs, all or nothing."""
    require(actor, Action.shipment_assign)
    plan = load_preview(plan_id)
    day = date.fromisoformat(plan.service_date)
    _check_not_stale(session, plan, day)
    for planned in plan.routes:
        driver = session.get(Driver, planned.driver_id)
        if driver is None:
            raise Conflict("A driver in this plan no longer exists. Run auto-dispatch again.")
        route = route_for(session, planned.driver_id, day)
        for stop_plan in planned.stops:
            shipment = session.get(Shipment, stop_plan.shipment_id)
            assert shipment is not None  # versions were checked above
            place_on_route(session, actor, shipment, driver, route, by="auto-dispatch")
        arrivals = {
            (p.shipment_id, p.kind): datetime.fromisoformat(p.arrival) for p in planned.stops
        }
        resequence(session, route, list(arrivals), arrivals.get)
        route.total_distance_m = planned.distance_m
        route.total_duration_s = planned.duration_s
        session.add(route)
    audit.record(
        session,
        actor,
        "dispatch.plan_applied",
        "plan",
        plan_id,
        {
            "service_date": plan.service_date,
            "routes": len(plan.routes),
            "newly_assigned": plan.newly_assigned,
            "reassigned": plan.reassigned,
            "unassigned": len(plan.unassigned),
            "distance_m": plan.total_distance_m,
        },
    )
    get_store().delete(f"plan:{plan_id}")
    return plan


def _check_not_stale(session: Session, plan: PlanPreview, day: date) -> None:
    ids = [int(s) for s in plan.shipment_versions]
    current = {
        s.id: s.version
        for s in session.exec(select(Shipment).where(col(Shipment.id).in_(ids))).all()
    }
    changed = [sid for sid in ids if current.get(sid) != plan.shipment_versions[str(sid)]]
    routes = {
        r.driver_id: r.version
        for r in session.exec(select(Route).where(Route.service_date == day)).all()
    }
    changed_routes = [
        d for d, v in routes.items() if plan.route_versions.get(str(d)) not in (None, v)
    ]
    if changed or changed_routes:
        raise Conflict(
            "The board changed since this plan was computed "
            f"({len(changed)} shipments, {len(changed_routes)} routes). Run auto-dispatch again.",
            details={"shipments": changed[:20], "routes": changed_routes[:20]},
        )
