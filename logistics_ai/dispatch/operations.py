"""Day-to-day operations on a plan, pure functions (no DB): build, insert, re-optimise.

* :func:`insert` adds one new order to an existing plan by *cheapest feasible
  insertion*: every position on every eligible vehicle is scored in O(1) using
  earliest departure times and latest allowed service starts, the cheapest
  candidates are re-verified with a full re-timing. It never moves existing stops,
  so drivers' sequences stay stable; run :func:`reoptimize` for that.
* :func:`reoptimize` solves again from the current plan as warm start; fixed
  prefixes (stops drivers are committed to) stay first and in order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from logistics_ai.dispatch.matrix import ResolvedMatrix, resolve_problem
from logistics_ai.dispatch.model import (
    Job,
    Problem,
    Route,
    Shipment,
    Solution,
    Unassigned,
    UnassignedReason,
    Vehicle,
    Visit,
    pad,
)
from logistics_ai.dispatch.precheck import Order, prepare
from logistics_ai.dispatch.schedule import schedule_route
from logistics_ai.dispatch.solver import Assignment, Solver, solve

# How many of the cheapest candidates get a full re-timing before giving up. The
# O(1) test is exact for windows, shift end and capacity; only max route duration
# (which depends on how long the vehicle can delay its departure) needs this.
_VERIFY_LIMIT = 25


@dataclass(frozen=True)
class Plan:
    """A problem, its current solution and the matrix both were computed on."""

    problem: Problem
    solution: Solution
    matrix: ResolvedMatrix


def make_plan(
    problem: Problem, solver: Solver | None = None, initial: Assignment | None = None
) -> Plan:
    matrix = resolve_problem(problem)
    return Plan(problem, solve(problem, solver, initial, matrix), matrix)


def reoptimize(problem: Problem, current_plan: Plan, solver: Solver | None = None) -> Plan:
    """Solve ``problem`` again, warm-started from ``current_plan``.

    ``problem`` carries the current state: vehicles at their positions with the
    stops they are committed to as ``fixed_prefix``, served stops removed, new
    orders added. Stops of the old plan that still exist seed the search.
    """
    visits = problem.visits()
    fixed = {job_id for v in problem.vehicles for job_id in v.fixed_prefix}
    vehicle_ids = {v.id for v in problem.vehicles}
    initial: Assignment = {}
    for route in current_plan.solution.routes:
        if route.vehicle_id not in vehicle_ids:
            continue
        ids = [s.job_id for s in route.stops if s.job_id in visits and s.job_id not in fixed]
        if ids:
            initial[route.vehicle_id] = ids
    return make_plan(problem, solver, initial)


# -- insertion --------------------------------------------------------------------------------


def insert(plan: Plan, order: Job | Shipment) -> Plan:
    """Insert ``order`` into ``plan`` at its cheapest feasible position.

    Returns a new plan whose problem contains the order; if nothing is feasible the
    order is listed in ``solution.unassigned`` with the reason.
    """
    problem = _with_order(plan.problem, order)
    end_locations = (
        [order.location]
        if isinstance(order, Job)
        else [
            order.pickup.location,
            order.dropoff.location,
        ]
    )
    matrix = plan.matrix.extend(end_locations)
    prepared = prepare(problem, matrix, only={order.id})
    if prepared.unassigned:
        return _unchanged(plan, problem, matrix, prepared.unassigned[0])
    (prepared_order,) = prepared.orders

    candidates: list[tuple[int, str, tuple[int, ...]]] = []
    views: dict[str, _RouteView] = {}
    for state in prepared.vehicles:
        if state.id not in prepared_order.allowed:
            continue
        view = _RouteView.build(state.vehicle, plan, problem, matrix, prepared.dims)
        views[state.id] = view
        if prepared_order.is_shipment:
            candidates.extend(view.shipment_candidates(*prepared_order.visits))
        else:
            candidates.extend(view.job_candidates(prepared_order.visits[0]))
    candidates.sort(key=lambda c: c[0])

    for _, vehicle_id, positions in candidates[:_VERIFY_LIMIT]:
        view = views[vehicle_id]
        route = view.try_insert(prepared_order, positions, matrix, prepared.dims)
        if route is not None:
            routes = [r for r in plan.solution.routes if r.vehicle_id != vehicle_id]
            routes.append(route)
            routes.sort(key=lambda r: _vehicle_order(problem, r.vehicle_id))
            solution = Solution(
                routes=routes,
                unassigned=list(plan.solution.unassigned),
                solver="insert",
                stats=dict(plan.solution.stats),
            )
            return Plan(problem, solution, matrix)
    reason = Unassigned(
        order.id, UnassignedReason.NOT_ROUTED, "no feasible position in the current routes"
    )
    return _unchanged(plan, problem, matrix, reason)


def _with_order(problem: Problem, order: Job | Shipment) -> Problem:
    known = problem.visits()
    ids = [order.id] if isinstance(order, Job) else [order.id, order.pickup.id, order.dropoff.id]
    if any(i in known for i in ids) or any(s.id == order.id for s in problem.shipments):
        raise ValueError(f"order id {order.id!r} already exists in the plan")
    if isinstance(order, Job):
        return replace(problem, jobs=[*problem.jobs, order])
    return replace(problem, shipments=[*problem.shipments, order])


def _unchanged(plan: Plan, problem: Problem, matrix: ResolvedMatrix, why: Unassigned) -> Plan:
    solution = Solution(
        routes=list(plan.solution.routes),
        unassigned=[*plan.solution.unassigned, why],
        solver="insert",
        stats=dict(plan.solution.stats),
    )
    return Plan(problem, solution, matrix)


def _vehicle_order(problem: Problem, vehicle_id: str) -> int:
    for i, v in enumerate(problem.vehicles):
        if v.id == vehicle_id:
            return i
    return len(problem.vehicles)


@dataclass
class _RouteView:
    """Precomputed timing/load profile of one route for O(1) insertion tests.

    Node 0 is the start, nodes 1..k the stops. ``dep[i]``: earliest departure from
    node i. ``latest[i]``: latest service start at stop i that keeps every later stop
    and the shift end feasible (``latest[k + 1]`` is the latest arrival at the end).
    """

    vehicle: Vehicle
    visits: list[Visit]
    fixed: int
    rows: np.ndarray
    end_row: int | None
    dep: np.ndarray
    latest: np.ndarray
    loads: np.ndarray  # (k + 1, dims): on board after node i
    capacity: np.ndarray
    matrix: ResolvedMatrix

    @property
    def dur(self) -> np.ndarray:
        return self.matrix.durations

    @property
    def dist(self) -> np.ndarray:
        return self.matrix.distances

    @classmethod
    def build(
        cls, vehicle: Vehicle, plan: Plan, problem: Problem, matrix: ResolvedMatrix, dims: int
    ) -> _RouteView:
        visits_by_id = problem.visits()
        route = plan.solution.route_for(vehicle.id)
        visits = [visits_by_id[s.job_id] for s in route.stops] if route else []
        fixed = len(vehicle.fixed_prefix)
        dur = matrix.durations
        rows = np.asarray(
            [matrix.row(vehicle.start), *(matrix.row(v.location) for v in visits)], dtype=np.int64
        )
        end_row = matrix.row(vehicle.end) if vehicle.end is not None else None
        k = len(visits)
        dep = np.zeros(k + 1, dtype=np.int64)
        dep[0] = vehicle.departure_earliest
        for i, v in enumerate(visits, start=1):
            arrival = int(dep[i - 1]) + int(dur[rows[i - 1], rows[i]])
            dep[i] = max(arrival, v.window.start) + v.service_s
        latest = np.zeros(k + 2, dtype=np.int64)
        latest[k + 1] = vehicle.shift.end
        for i in range(k, 0, -1):
            v = visits[i - 1]
            if i == k:
                travel = int(dur[rows[k], end_row]) if end_row is not None else 0
            else:
                travel = int(dur[rows[i], rows[i + 1]])
            latest[i] = min(v.window.end, int(latest[i + 1]) - v.service_s - travel)
        load = np.asarray(pad(vehicle.start_load, dims), dtype=np.int64)
        for v in visits:
            load = load + np.asarray(v.initial, dtype=np.int64)
        loads = np.zeros((k + 1, dims), dtype=np.int64)
        loads[0] = load
        for i, v in enumerate(visits, start=1):
            loads[i] = loads[i - 1] + np.asarray(v.delta, dtype=np.int64)
        return cls(
            vehicle,
            visits,
            fixed,
            rows,
            end_row,
            dep,
            latest,
            loads,
            np.asarray(pad(vehicle.capacity, dims), dtype=np.int64),
            matrix,
        )

    # -- plain jobs: vectorised over all positions -----------------------------------------
    def job_candidates(self, visit: Visit) -> list[tuple[int, str, tuple[int, ...]]]:
        k = len(self.visits)
        x = self.row_of(visit)
        pos = np.arange(self.fixed, k + 1)  # insert after node i
        if pos.size == 0:
            return []
        prev = self.rows[pos]
        start = np.maximum(self.dep[pos] + self.dur[prev, x], visit.window.start)
        ok = start <= visit.window.end
        has_next = pos < k
        nxt = self.rows[np.minimum(pos + 1, k)]
        if self.end_row is not None:
            to_next_dur = np.where(has_next, self.dur[x, nxt], self.dur[x, self.end_row])
            to_next_dist = np.where(has_next, self.dist[x, nxt], self.dist[x, self.end_row])
            old = np.where(has_next, self.dist[prev, nxt], self.dist[prev, self.end_row])
        else:  # open route: nothing after the last stop
            to_next_dur = np.where(has_next, self.dur[x, nxt], 0)
            to_next_dist = np.where(has_next, self.dist[x, nxt], 0)
            old = np.where(has_next, self.dist[prev, nxt], 0)
        ok &= start + visit.service_s + to_next_dur <= self.latest[pos + 1]
        # capacity: the delivery rides from the start to the stop, the pickup after it
        delivery = np.asarray(visit.initial, dtype=np.int64)
        pickup = delivery + np.asarray(visit.delta, dtype=np.int64)
        pref = np.maximum.accumulate(self.loads, axis=0)[pos]
        suf = np.maximum.accumulate(self.loads[::-1], axis=0)[::-1][pos]
        ok &= np.all(pref + delivery <= self.capacity, axis=1)
        ok &= np.all(suf + pickup <= self.capacity, axis=1)
        delta = self.dist[prev, x] + to_next_dist - old
        return [(int(delta[n]), self.vehicle.id, (int(pos[n]),)) for n in np.flatnonzero(ok)]

    # -- shipments: O(k^2) incremental scan per route ----------------------------------------
    def shipment_candidates(self, pv: Visit, dv: Visit) -> list[tuple[int, str, tuple[int, ...]]]:
        """Pickup after node i, dropoff after node j >= i (j == i: right after the pickup)."""
        k = len(self.visits)
        dur, dist, rows, latest = self.dur, self.dist, self.rows, self.latest
        p, d = self.row_of(pv), self.row_of(dv)
        amount = np.asarray(pv.delta, dtype=np.int64)
        over = np.any(self.loads + amount > self.capacity, axis=1)  # node can't carry it
        out: list[tuple[int, str, tuple[int, ...]]] = []
        for i in range(self.fixed, k + 1):
            ri = int(rows[i])
            p_start = max(int(self.dep[i]) + int(dur[ri, p]), pv.window.start)
            if p_start > pv.window.end or over[i]:
                continue
            base_i = self._next_dist(ri, i)  # edge the pickup breaks
            t = p_start + pv.service_s  # departure from the node before the dropoff slot
            last = p  # that node's matrix row
            for j in range(i, k + 1):
                if j > i:
                    # stop j now rides behind the pickup: re-time it; if it is already
                    # too late or too full, every later dropoff slot is too.
                    rj = int(rows[j])
                    arrival = t + int(dur[last, rj])
                    if arrival > latest[j] or over[j]:
                        break
                    v = self.visits[j - 1]
                    t = max(arrival, v.window.start) + v.service_s
                    last = rj
                d_start = max(t + int(dur[last, d]), dv.window.start)
                if d_start > dv.window.end:
                    continue
                d_dep = d_start + dv.service_s
                to_next = int(dur[d, rows[j + 1]]) if j < k else self._end_dur(d)
                if d_dep + to_next > latest[j + 1]:
                    continue
                if j == i:
                    cost = int(dist[ri, p]) + int(dist[p, d]) + self._next_dist(d, i) - base_i
                else:
                    cost = (
                        int(dist[ri, p])
                        + int(dist[p, rows[i + 1]])
                        - base_i
                        + int(dist[last, d])
                        + self._next_dist(d, j)
                        - self._next_dist(last, j)
                    )
                out.append((cost, self.vehicle.id, (i, j)))
        return out

    # -- verification ------------------------------------------------------------------------
    def try_insert(
        self, order: Order, positions: tuple[int, ...], matrix: ResolvedMatrix, dims: int
    ) -> Route | None:
        visits = list(self.visits)
        if order.is_shipment:
            pv, dv = order.visits
            i, j = positions
            visits.insert(j, dv)  # after node j (node j is visits[j - 1])
            visits.insert(i, pv)
        else:
            visits.insert(positions[0], order.visits[0])
        route = schedule_route(self.vehicle, visits, matrix, dims, fixed_count=self.fixed)
        return route if _route_ok(self.vehicle, visits, route) else None

    # -- helpers -----------------------------------------------------------------------------
    def row_of(self, visit: Visit) -> int:
        return self.matrix.row(visit.location)

    def _end_dur(self, row: int) -> int:
        return int(self.dur[row, self.end_row]) if self.end_row is not None else 0

    def _next_dist(self, row: int, node: int) -> int:
        """Distance from ``row`` to whatever follows node ``node`` (next stop or the end)."""
        if node < len(self.visits):
            return int(self.dist[row, self.rows[node + 1]])
        return int(self.dist[row, self.end_row]) if self.end_row is not None else 0


def _route_ok(vehicle: Vehicle, visits: list[Visit], route: Route) -> bool:
    """Full check of a re-timed route (windows, shift, max duration, capacity)."""
    if any(s.start > v.window.end for s, v in zip(route.stops, visits, strict=True)):
        return False
    if route.end_time > vehicle.shift.end:
        return False
    if vehicle.max_duration_s is not None and route.duration > vehicle.max_duration_s:
        return False
    cap = pad(vehicle.capacity, len(route.start_load))
    for load in (route.start_load, *(s.load for s in route.stops)):
        if any(x > c or x < 0 for x, c in zip(load, cap, strict=True)):
            return False
    return True
