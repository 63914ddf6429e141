"""Solve a :class:`Problem`: pre-check, hand the rest to a backend, build the :class:`Solution`.

This is the one code path the API (and the benchmark) uses:
``Problem -> resolve matrix -> prepare (prefixes, pre-checks) -> backend -> Solution``.
The backend is PyVRP by default (:mod:`logistics_ai.dispatch.pyvrp_backend`); any
object implementing :class:`~logistics_ai.dispatch.backend.Solver` can replace it.
"""

from __future__ import annotations

import logging
import time

from logistics_ai.dispatch.backend import Assignment, BackendResult, Solver
from logistics_ai.dispatch.matrix import ResolvedMatrix, resolve_problem
from logistics_ai.dispatch.model import Problem, Solution, Unassigned, UnassignedReason, Visit
from logistics_ai.dispatch.precheck import Order, Prepared, VehicleState, prepare
from logistics_ai.dispatch.pyvrp_backend import PyVRPSolver
from logistics_ai.dispatch.schedule import schedule_route
from logistics_ai.observability import metrics

log = logging.getLogger(__name__)


def solve(
    problem: Problem,
    solver: Solver | None = None,
    initial: Assignment | None = None,
    matrix: ResolvedMatrix | None = None,
) -> Solution:
    """Problem -> Solution through ``solver`` (PyVRP by default). The API path."""
    started = time.perf_counter()
    solver = solver if solver is not None else PyVRPSolver()
    matrix = matrix if matrix is not None else resolve_problem(problem)
    matrix_s = time.perf_counter() - started
    prepared = prepare(problem, matrix)
    backend_start_s = time.perf_counter() - started  # matrix + pre-checks
    try:
        result = solver.route(prepared, initial)
    except Exception:
        metrics.observe_optimizer_failure(solver.name)
        raise
    solution = build_solution(prepared, result.routes)
    solution.runtime_s = time.perf_counter() - started
    solution.solver = solver.name
    metrics.observe_optimizer_run(
        solver.name, solution.runtime_s, [u.reason.value for u in solution.unassigned]
    )
    solution.stats = {"matrix_s": matrix_s, "backend_start_s": backend_start_s, **result.stats}
    return solution


def build_solution(prepared: Prepared, routes: Assignment) -> Solution:
    """Prepend prefixes, time every route and report what was left out."""
    problem = prepared.problem
    visits = problem.visits()
    order_of_visit = {v.id: o for o in prepared.orders for v in o.visits}
    served: set[str] = set()
    taken: set[str] = set()
    out = []
    for state in prepared.vehicles:
        tail = [visits[vid] for vid in routes.get(state.id, []) if vid in visits]
        tail = _drop_invalid(state, tail, order_of_visit, taken)
        served.update(order_of_visit[v.id].id for v in tail)
        if not tail and not state.prefix:
            continue
        out.append(
            schedule_route(
                state.vehicle,
                [*state.prefix, *tail],
                prepared.matrix,
                prepared.dims,
                fixed_count=len(state.prefix),
            )
        )
    unassigned = list(prepared.unassigned)
    for order in prepared.orders:
        if order.id not in served:
            detail = "the solver found no feasible place for it within the budget"
            if order.pinned is not None:
                detail += f" (goods are on board {order.pinned})"
            unassigned.append(Unassigned(order.id, UnassignedReason.NOT_ROUTED, detail))
    return Solution(routes=out, unassigned=unassigned)


def _drop_invalid(
    state: VehicleState,
    tail: list[Visit],
    order_of_visit: dict[str, Order],
    taken: set[str],
) -> list[Visit]:
    """Safety net for any backend: drop stops that are not open orders or already on
    another route, orders put on a vehicle without the skill, and shipments split or
    reversed. Logged, because a correct backend never triggers it."""
    position: dict[str, int] = {}
    bad: set[str] = set()
    for i, v in enumerate(tail):
        order = order_of_visit.get(v.id)
        if order is None or v.id in position or v.id in taken:
            bad.add(v.id if order is None else order.id)
            continue
        position[v.id] = i
        if state.id not in order.allowed:
            bad.add(order.id)
    for vid in position:
        order = order_of_visit[vid]
        where = [position.get(v.id, -1) for v in order.visits]
        if -1 in where or where != sorted(where):
            bad.add(order.id)
    if bad:
        log.error("backend returned invalid stops %s for %s; dropped", sorted(bad), state.id)
    kept = [v for v in tail if v.id in position and order_of_visit[v.id].id not in bad]
    taken.update(v.id for v in kept)
    return kept


__all__ = ["Assignment", "BackendResult", "PyVRPSolver", "Solver", "build_solution", "solve"]
