"""Independent feasibility checker for a :class:`Solution`.

It recomputes everything from the problem and a matrix and shares no scheduling
code with the solver path (only the data classes), so a bug there cannot hide
itself here. Used by the unit tests and the benchmark.

Checked: every order served at most once and either fully routed or reported
unassigned; shipments on one route with pickup first; skills and on-board pins;
fixed prefixes first and in order; reported times physically possible (travel
from the matrix, windows, service, shift start/end, max duration); loads per
dimension never negative or above capacity, and equal to the reported ones;
distances equal to the reported ones.

Pass ``durations``/``distances`` (e.g. float Euclidean matrices) to check a plan
built on a rounded integer matrix against the exact one; rows must match the
problem's matrix rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from logistics_ai.dispatch.matrix import ResolvedMatrix, resolve_problem
from logistics_ai.dispatch.model import Job, Problem, Route, Solution, Vehicle

_EPS = 1e-6


@dataclass(frozen=True)
class Violation:
    kind: str  # coverage | shipment | skill | prefix | window | shift | duration | capacity | ...
    detail: str
    vehicle_id: str | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class RouteCheck:
    vehicle_id: str
    distance: float
    duration: float
    stops: int


@dataclass
class FeasibilityReport:
    violations: list[Violation] = field(default_factory=list)
    routes: list[RouteCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def distance(self) -> float:
        return sum(r.distance for r in self.routes)

    @property
    def duration(self) -> float:
        return sum(r.duration for r in self.routes)

    def kinds(self) -> set[str]:
        return {v.kind for v in self.violations}


@dataclass(frozen=True)
class _Stop:
    """The checker's own flattening of jobs and shipment ends."""

    job: Job
    order_id: str
    delivery: tuple[int, ...]  # on board from the start, left here
    pickup: tuple[int, ...]  # collected here, kept to the end
    carried: tuple[int, ...]  # shipment amount (+ at pickup, - at dropoff)
    sign: int  # +1 pickup end, -1 dropoff end, 0 plain job
    skills: frozenset[str]


def _vec(load: tuple[int, ...], dims: int) -> tuple[int, ...]:
    return tuple(load) + (0,) * (dims - len(load))


def _stops(problem: Problem, dims: int) -> dict[str, _Stop]:
    zero = (0,) * dims
    out: dict[str, _Stop] = {}
    for j in problem.jobs:
        out[j.id] = _Stop(j, j.id, _vec(j.demand, dims), _vec(j.pickup, dims), zero, 0, j.skills)
    for s in problem.shipments:
        skills = s.skills | s.pickup.skills | s.dropoff.skills
        amount = _vec(s.amount, dims)
        out[s.pickup.id] = _Stop(s.pickup, s.id, zero, zero, amount, 1, skills)
        out[s.dropoff.id] = _Stop(s.dropoff, s.id, zero, zero, amount, -1, skills)
    return out


def check_solution(
    problem: Problem,
    solution: Solution,
    durations: npt.ArrayLike | None = None,
    distances: npt.ArrayLike | None = None,
    *,
    check_reported: bool = True,
) -> FeasibilityReport:
    """Verify ``solution`` against ``problem``. ``check_reported`` compares the
    solution's own distance/load figures with the recomputed ones (turn it off when
    checking against a different matrix)."""
    resolved = resolve_problem(problem)
    dur = np.asarray(durations if durations is not None else resolved.durations)
    dist = np.asarray(distances if distances is not None else resolved.distances)
    dims = max(
        [len(v.capacity) for v in problem.vehicles]
        + [len(j.demand) for j in problem.jobs]
        + [len(j.pickup) for j in problem.jobs]
        + [len(s.amount) for s in problem.shipments]
        + [0]
    )
    stops = _stops(problem, dims)
    vehicles = {v.id: v for v in problem.vehicles}
    report = FeasibilityReport()
    bad = report.violations.append

    # -- coverage --------------------------------------------------------------------------
    where: dict[str, tuple[str, int]] = {}  # job id -> (vehicle, position)
    seen_vehicles: set[str] = set()
    for route in solution.routes:
        if route.vehicle_id not in vehicles:
            bad(Violation("coverage", "route for unknown vehicle", route.vehicle_id))
            continue
        if route.vehicle_id in seen_vehicles:
            bad(Violation("coverage", "vehicle has two routes", route.vehicle_id))
        seen_vehicles.add(route.vehicle_id)
        for pos, stop in enumerate(route.stops):
            if stop.job_id not in stops:
                bad(Violation("coverage", "unknown job", route.vehicle_id, stop.job_id))
            elif stop.job_id in where:
                bad(Violation("coverage", "served twice", route.vehicle_id, stop.job_id))
            else:
                where[stop.job_id] = (route.vehicle_id, pos)
    unassigned = [u.id for u in solution.unassigned]
    if len(set(unassigned)) != len(unassigned):
        bad(Violation("coverage", "an order is reported unassigned twice"))
    orders = {j.id: [j.id] for j in problem.jobs}
    orders.update({s.id: [s.pickup.id, s.dropoff.id] for s in problem.shipments})
    for uid in unassigned:
        if uid not in orders:
            bad(Violation("coverage", "unassigned id is not an order", job_id=uid))
        elif any(jid in where for jid in orders[uid]):
            bad(Violation("coverage", "reported unassigned but routed", job_id=uid))
    for oid, ids in orders.items():
        if not any(j in where for j in ids) and oid not in unassigned:
            bad(Violation("coverage", "neither routed nor reported unassigned", job_id=oid))

    # -- shipments: same vehicle, pickup first ---------------------------------------------
    for s in problem.shipments:
        p, d = where.get(s.pickup.id), where.get(s.dropoff.id)
        if p is None and d is None:
            continue
        if p is None or d is None or p[0] != d[0]:
            bad(Violation("shipment", "pickup and dropoff not on the same route", job_id=s.id))
        elif p[1] > d[1]:
            bad(Violation("shipment", "dropoff before pickup", p[0], s.id))

    # -- per route -------------------------------------------------------------------------
    for route in solution.routes:
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None:
            continue
        _check_route(resolved, vehicle, route, stops, dur, dist, dims, check_reported, report)
    return report


def _check_route(
    resolved: ResolvedMatrix,
    vehicle: Vehicle,
    route: Route,
    stops: dict[str, _Stop],
    dur: np.ndarray,
    dist: np.ndarray,
    dims: int,
    check_reported: bool,
    report: FeasibilityReport,
) -> None:
    vid = vehicle.id

    def bad(kind: str, detail: str, job_id: str | None = None) -> None:
        report.violations.append(Violation(kind, detail, vid, job_id))

    seq = [stops[s.job_id] for s in route.stops if s.job_id in stops]
    if len(seq) != len(route.stops):
        return  # unknown ids already reported

    # Fixed prefix first and in order.
    head = tuple(s.job_id for s in route.stops[: len(vehicle.fixed_prefix)])
    if head != vehicle.fixed_prefix:
        bad("prefix", f"route starts {head}, fixed prefix is {vehicle.fixed_prefix}")

    # Skills and on-board pins.
    for st in seq:
        if not st.skills <= vehicle.skills:
            bad("skill", f"needs {sorted(st.skills - vehicle.skills)}", st.job.id)
        if st.job.on_board is not None and st.job.on_board != vid:
            bad("skill", f"goods are on board {st.job.on_board}", st.job.id)

    # Times: the reported schedule must be physically possible.
    rows = [resolved.row(vehicle.start)]
    rows += [resolved.row(st.job.location) for st in seq]
    if route.departure < vehicle.departure_earliest:
        bad("shift", f"leaves at {route.departure} before {vehicle.departure_earliest}")
    t = float(route.departure)
    for k, (st, rep) in enumerate(zip(seq, route.stops, strict=True)):
        earliest = t + float(dur[rows[k], rows[k + 1]])
        if rep.arrival + _EPS < earliest:
            bad("travel", f"arrives {rep.arrival}, cannot before {earliest:.3f}", st.job.id)
        if rep.start + _EPS < max(rep.arrival, st.job.window.start):
            bad("window", f"starts {rep.start} before window/arrival", st.job.id)
        if rep.start > st.job.window.end + _EPS:
            bad("window", f"starts {rep.start} after window end {st.job.window.end}", st.job.id)
        if rep.departure + _EPS < rep.start + st.job.service_s:
            bad("service", "departs before service is done", st.job.id)
        t = max(float(rep.departure), earliest + st.job.service_s)
    distance = sum(float(dist[a, b]) for a, b in pairwise(rows))
    end_arrival = t
    if vehicle.end is not None:
        end_row = resolved.row(vehicle.end)
        end_arrival = t + float(dur[rows[-1], end_row])
        distance += float(dist[rows[-1], end_row])
    if route.end_time + _EPS < end_arrival:
        bad("travel", f"reported end {route.end_time} before possible {end_arrival:.3f}")
    end = max(float(route.end_time), end_arrival)
    if end > vehicle.shift.end + _EPS:
        bad("shift", f"ends {end:.3f} after shift end {vehicle.shift.end}")
    duration = end - route.departure
    if vehicle.max_duration_s is not None and duration > vehicle.max_duration_s + _EPS:
        bad("duration", f"takes {duration:.3f}s > max {vehicle.max_duration_s}s")
    if check_reported and abs(distance - route.distance) > _EPS:
        bad("distance", f"reported {route.distance}, recomputed {distance}")

    # Loads per dimension.
    cap = _vec(vehicle.capacity, dims)
    load = list(_vec(vehicle.start_load, dims))
    for st in seq:
        load = [x + d for x, d in zip(load, st.delivery, strict=True)]
    if any(x > c for x, c in zip(load, cap, strict=True)):
        bad("capacity", f"leaves with {tuple(load)} > capacity {cap}")
    for st, rep in zip(seq, route.stops, strict=True):
        for d in range(dims):
            load[d] += st.pickup[d] - st.delivery[d] + st.sign * st.carried[d]
        if any(x > c for x, c in zip(load, cap, strict=True)):
            bad("capacity", f"load {tuple(load)} > capacity {cap}", st.job.id)
        if any(x < 0 for x in load):
            bad("capacity", f"negative load {tuple(load)}", st.job.id)
        if check_reported and tuple(load) != tuple(rep.load):
            bad("load", f"reported load {rep.load}, recomputed {tuple(load)}", st.job.id)

    report.routes.append(RouteCheck(vid, distance, duration, len(seq)))
