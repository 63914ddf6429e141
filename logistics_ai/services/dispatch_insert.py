"""Auto-assign one shipment: cheapest feasible insertion into the day's live routes.

Existing stops keep their order (drivers' lists stay stable); the new pickup and drop-off
go where they add the least travel without breaking any window, capacity or shift.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, col, select

from logistics_ai.dispatch.matrix import resolve_problem
from logistics_ai.dispatch.operations import Plan, insert
from logistics_ai.dispatch.precheck import prepare
from logistics_ai.dispatch.solver import build_solution
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import Conflict, NotFound
from logistics_ai.models import Driver, Route, Shipment, Stop, StopKind, StopStatus
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit
from logistics_ai.services.assignment import StopKey, place_on_route, resequence, route_for
from logistics_ai.services.dispatch_problem import (
    build_problem,
    dropoff_id,
    parse_job_id,
    pickup_id,
    vehicle_id,
)
from logistics_ai.services.shipment_status import ASSIGNABLE


@dataclass(frozen=True)
class Insertion:
    shipment: Shipment
    driver_id: int
    added_distance_m: int
    runtime_ms: float


def auto_assign(session: Session, actor: Actor, shipment_id: int) -> Insertion:
    require(actor, Action.shipment_assign)
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} was not found.")
    if shipment.status not in ASSIGNABLE or shipment.driver_id is not None:
        raise Conflict(f"Shipment {shipment.tracking_code} is already on a route.")
    started = clock.utcnow()
    problem, context = build_problem(session, shipment.service_date, budget_s=1.0)
    order = next((s for s in problem.shipments if s.id == f"s{shipment_id}"), None)
    if order is None:
        raise Conflict(f"Shipment {shipment.tracking_code} is not open work for its day.")
    without = replace(problem, shipments=[s for s in problem.shipments if s.id != order.id])
    current = _current_plan(session, without, shipment.service_date)
    after = insert(current, order)
    route = next((r for r in after.solution.routes if pickup_id(shipment_id) in r.job_ids), None)
    if route is None:
        why = after.solution.unassigned_by_id().get(order.id)
        raise Conflict(
            f"No driver can take {shipment.tracking_code} without breaking a window, "
            f"capacity or shift: {why.detail if why else 'no feasible position'}.",
            details={"reason": why.reason.value if why else "not_routed"},
        )
    driver_id = context.drivers[route.vehicle_id].driver_id
    before = current.solution.route_for(route.vehicle_id)
    driver = session.get(Driver, driver_id)
    assert driver is not None  # the problem was built from this driver's row
    day_route = route_for(session, driver_id, shipment.service_date)
    place_on_route(session, actor, shipment, driver, day_route, by="auto-insert")
    arrivals: dict[StopKey, datetime] = {
        parse_job_id(s.job_id): context.moment(s.arrival) for s in route.stops
    }
    sequence: list[StopKey] = [parse_job_id(j) for j in route.job_ids]
    resequence(session, day_route, sequence, lambda key: arrivals.get(key))
    added = route.distance - (before.distance if before else 0)
    audit.record(
        session,
        actor,
        "dispatch.auto_assigned",
        "shipment",
        shipment_id,
        {"driver_id": driver_id, "added_distance_m": added},
    )
    elapsed_ms = (clock.utcnow() - started).total_seconds() * 1000
    return Insertion(shipment, driver_id, added, elapsed_ms)


def _current_plan(session: Session, problem, day) -> Plan:
    """Today's routes as they stand in the database, timed on the problem's matrix."""
    matrix = resolve_problem(problem)
    prepared = prepare(problem, matrix)
    visits = problem.visits()
    prefixes = {v.id: set(v.fixed_prefix) for v in problem.vehicles}
    assignment: dict[str, list[str]] = {}
    rows = session.exec(
        select(Stop, Route)
        .join(Route, col(Route.id) == Stop.route_id)
        .where(Route.service_date == day, Stop.status == StopStatus.pending)
        .order_by(col(Route.driver_id), col(Stop.sequence))
    ).all()
    for stop, route in rows:
        vid = vehicle_id(route.driver_id)
        job = (
            pickup_id(stop.shipment_id)
            if stop.kind == StopKind.pickup
            else dropoff_id(stop.shipment_id)
        )
        if job in visits and job not in prefixes.get(vid, set()):
            assignment.setdefault(vid, []).append(job)
    return Plan(problem, build_solution(prepared, assignment), matrix)
