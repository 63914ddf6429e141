"""PyVRP backend: :class:`PyVRPSolver` maps a prepared problem onto PyVRP 0.14.1
(checked against the installed package):

* time windows, service times, multi-dimensional capacity, shift windows, max
  duration, initial load -> native ``Client`` / ``VehicleType`` fields;
* shipments -> native ``Shipment`` (same vehicle, pickup before delivery);
* orders first go in as *required* (fastest search); only if that finds nothing
  feasible within a short probe do they become optional clients/shipments with a
  prize, so jobs that cannot all fit are dropped (reported ``not_routed``) instead
  of making the whole plan infeasible (see :meth:`PyVRPSolver.route`);
* skills: PyVRP has no skill field. Vehicles are grouped by the set of orders they
  may not serve, and each group gets its own routing *profile* whose matrices make
  travel into forbidden stops prohibitively long and expensive (so a forbidden
  visit is always time-infeasible within a shift and costs more than its prize);
* goods already on one vehicle (on-board jobs, e.g. picked up in a fixed prefix):
  modelled as a shipment whose pickup sits on a private "gate" location that only
  that vehicle's start reaches at zero cost - one extra location per vehicle
  instead of one extra profile (a full matrix copy) per vehicle;
* open routes end at a virtual location reachable from everywhere at zero cost.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyvrp
from pyvrp import (
    Activity,
    ActivityType,
    Client,
    Depot,
    IteratedLocalSearchCallbacks,
    IteratedLocalSearchParams,
    ProblemData,
    SolveParams,
    VehicleType,
)
from pyvrp import Location as PyLocation
from pyvrp import Route as PyRoute
from pyvrp import Shipment as PyShipment
from pyvrp import Solution as PySolution
from pyvrp.constants import MAX_VALUE
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from logistics_ai.dispatch.backend import Assignment, BackendResult
from logistics_ai.dispatch.matrix import IntMatrix
from logistics_ai.dispatch.model import OPEN_END, Visit
from logistics_ai.dispatch.precheck import Prepared, VehicleState

log = logging.getLogger(__name__)


@dataclass
class PyVRPModel:
    """A built ProblemData plus the maps needed to translate its answer back."""

    data: ProblemData
    type_vehicles: list[list[str]]  # vehicle type index -> vehicle ids
    clients: list[str | None]  # client index -> visit id (None: internal release stop)
    shipments: list[tuple[str | None, str]]  # shipment index -> (pickup id | None=gate, dropoff)
    client_of: dict[str, int]
    pickup_of: dict[str, int]  # pickup visit id -> shipment index
    dropoff_of: dict[str, int]  # dropoff / on-board visit id -> shipment index
    gate_shipments: dict[str, list[int]]  # vehicle id -> its gate shipments
    release_clients: dict[str, int] = field(default_factory=dict)  # vehicle id -> client


class _FirstFeasible(IteratedLocalSearchCallbacks):
    """Records when the search first held a feasible solution (for the city benchmark)."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.first_feasible_s: float | None = None

    def on_start(self, ils: pyvrp.IteratedLocalSearch) -> None:
        if ils.initial_solution.is_feasible():
            self.first_feasible_s = time.perf_counter() - self.t0

    def on_best(self, best: PySolution) -> None:
        if self.first_feasible_s is None and best.is_feasible():
            self.first_feasible_s = time.perf_counter() - self.t0


class PyVRPSolver:
    """PyVRP 0.14 iterated local search, budget = ``Problem.budget_s`` (``MaxRuntime``)."""

    name = "pyvrp"

    def __init__(
        self,
        prize_factor: int = 10,
        params: SolveParams | None = None,
        on_model: Callable[[PyVRPModel], None] | None = None,
    ) -> None:
        # prize = prize_factor x longest matrix leg: serving a feasible job always
        # beats dropping it, while it stays far below the forbidden-edge cost.
        self.prize_factor = prize_factor
        self.params = params
        self.on_model = on_model  # hook for benchmarks/tests to inspect the model

    def route(self, prepared: Prepared, initial: Assignment | None = None) -> BackendResult:
        """Two phases, so that the common case pays nothing for droppable orders.

        1. Every order *required*: PyVRP searches fastest this way. If it holds a
           feasible solution (all orders served) it keeps the whole budget.
        2. Only if phase 1 finds nothing feasible within a short probe (10% of the
           budget, at least 0.5 s; or a quarter of ``max_iterations``) are orders made
           optional with prizes, warm-started from phase 1, for the rest of the budget.
           Optional orders cost PyVRP ~25-30% of its iterations (measured on G&H 1000).
        """
        t0 = time.perf_counter()
        problem = prepared.problem
        if not prepared.orders:
            return BackendResult({}, {"build_s": 0.0, "solve_s": 0.0, "phase": 0.0})
        model = build_model(prepared, self.prize_factor, required=True)
        if self.on_model is not None:
            self.on_model(model)
        stats: dict[str, float] = {"build_s": time.perf_counter() - t0}
        callbacks = _FirstFeasible(t0)
        budget = max(0.0, problem.budget_s)
        max_iters = problem.max_iterations
        probe = _Probe(
            budget_s=budget,
            probe_s=min(budget, max(0.5, 0.1 * budget)),
            max_iterations=max_iters,
            probe_iterations=None if max_iters is None else max(1, max_iters // 4),
            plateau=plateau_iterations(sum(len(order.visits) for order in prepared.orders)),
        )
        init = warm_start(model, initial) if initial else None
        result = self._run(model, probe, problem.seed, callbacks, init)
        stats.update(solve_s=result.runtime, iterations=float(result.num_iterations), phase=1.0)
        best, final_model = result.best, model
        if not best.is_feasible() and _budget_left(budget, t0, max_iters, result):
            # Not everything fits: let the solver drop orders (reported not_routed).
            t1 = time.perf_counter()
            optional = build_model(prepared, self.prize_factor, required=False)
            if self.on_model is not None:
                self.on_model(optional)
            stats["build_s"] += time.perf_counter() - t1
            stop: StoppingCriterion = MaxRuntime(max(0.0, budget - (t1 - t0)))
            if max_iters is not None:
                left = max(0, max_iters - result.num_iterations)
                stop = MultipleCriteria([stop, MaxIterations(left)])
            result = self._run(optional, stop, problem.seed, callbacks, _transfer(best, optional))
            best, final_model = result.best, optional
            stats["solve_s"] += result.runtime
            stats["iterations"] += float(result.num_iterations)
            stats["phase"] = 2.0
        if callbacks.first_feasible_s is not None:
            stats["first_feasible_s"] = callbacks.first_feasible_s
        return BackendResult(translate(final_model, best, initial), stats)

    def _run(
        self,
        model: PyVRPModel,
        stop: StoppingCriterion,
        seed: int,
        callbacks: IteratedLocalSearchCallbacks,
        init: PySolution | None,
    ) -> pyvrp.Result:
        with warnings.catch_warnings():
            # PyVRP warns when its penalties max out, i.e. when not all orders fit;
            # that is an expected outcome here (phase 2 / not_routed), not a problem.
            warnings.simplefilter("ignore", PenaltyBoundWarning)
            return pyvrp.solve(
                model.data,
                stop,
                seed=seed,
                collect_stats=False,
                display=False,
                params=self._params(callbacks),
                initial_solution=init,
            )

    def _params(self, callbacks: IteratedLocalSearchCallbacks) -> SolveParams:
        base = self.params or SolveParams()
        return SolveParams(
            ils=IteratedLocalSearchParams(
                num_iters_no_improvement=base.ils.num_iters_no_improvement,
                history_length=base.ils.history_length,
                exhaustive_on_best=base.ils.exhaustive_on_best,
                callbacks=callbacks,
            ),
            penalty=base.penalty,
            neighbourhood=base.neighbourhood,
            operators=base.operators,
            display_interval=base.display_interval,
            perturbation=base.perturbation,
        )


def _budget_left(
    budget_s: float, t0: float, max_iterations: int | None, phase1: pyvrp.Result
) -> bool:
    """Whether phase 2 would get any search at all.

    Under 0.5 s of budget the probe takes all of it; phase 2 then cost a second model and
    neighbourhood (~70 ms for 345 orders, the load test's plan preview) to run 0 iterations
    and hand phase 1's solution back unchanged (docs/performance.md, Round 8).
    """
    if max_iterations is not None and max_iterations - phase1.num_iterations <= 0:
        return False
    return budget_s - (time.perf_counter() - t0) > 0


# A time-budgeted search also stops once its feasible best has not improved for
# max(_PLATEAU_MIN, _PLATEAU_PER_VISIT_PAIR x visits^2) iterations: a local search's
# neighbourhood grows with the square of the visits, so that is every pair tried many times
# over. It only ever ends small problems early: a preview of an evening's three deliveries left
# ran PyVRP for its whole budget (0.2 s, ~5,000 iterations) for the answer it had at the first
# (docs/performance.md, Round 13), whereas 100 visits already need 500,000 stale iterations
# (the routing benchmark's instances never reach that within their budgets).
_PLATEAU_MIN = 500
_PLATEAU_PER_VISIT_PAIR = 50


def plateau_iterations(visits: int) -> int:
    return max(_PLATEAU_MIN, _PLATEAU_PER_VISIT_PAIR * visits * visits)


class _Probe:
    """Stopping criterion of phase 1: the budget, or give up early when infeasible, or stop
    when a time-budgeted search has converged (`plateau`).

    PyVRP calls it once per iteration with the best cost so far, which is the int64
    maximum while no feasible solution is known. With ``max_iterations`` set the
    probe counts iterations only, so seeded runs stay deterministic, and it runs them all.
    """

    _INFEASIBLE = np.iinfo(np.int64).max

    def __init__(
        self,
        budget_s: float,
        probe_s: float,
        max_iterations: int | None,
        probe_iterations: int | None,
        plateau: int | None = None,
    ) -> None:
        self.budget_s = budget_s
        self.probe_s = probe_s
        self.max_iterations = max_iterations
        self.probe_iterations = probe_iterations
        self.plateau = plateau if max_iterations is None else None
        self.calls = 0
        self.start: float | None = None
        self.best = self._INFEASIBLE
        self.stale = 0

    def __call__(self, best_cost: int) -> bool:
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        elapsed = now - self.start
        self.calls += 1
        iterations = self.calls - 1
        if best_cost < self.best:
            self.best, self.stale = best_cost, 0
        else:
            self.stale += 1
        if elapsed > self.budget_s:
            return True
        if self.max_iterations is not None and iterations >= self.max_iterations:
            return True
        if best_cost < self._INFEASIBLE:
            return self.plateau is not None and self.stale >= self.plateau
        if self.probe_iterations is not None:
            return iterations >= self.probe_iterations
        return elapsed > self.probe_s


def _transfer(best: PySolution, model: PyVRPModel) -> PySolution:
    """The phase-1 solution in the phase-2 model (same client/shipment numbering)."""
    routes = [
        PyRoute(
            model.data,
            [Activity(a.type, a.idx) for a in route if not a.is_depot()],
            route.vehicle_type(),
        )
        for route in best.routes()
    ]
    return PySolution(model.data, routes)


def build_model(prepared: Prepared, prize_factor: int = 10, required: bool = False) -> PyVRPModel:
    """Translate a prepared problem into PyVRP ``ProblemData``."""
    base_dur, base_dist = prepared.matrix.durations, prepared.matrix.distances
    states = prepared.vehicles
    coords: list[tuple[float, float]] = []
    src: list[int] = []  # matrix row behind each PyVRP location (-1: virtual)

    def add_location(row: int, where: tuple[float, float]) -> int:
        # PyVRP uses coordinates only for plotting; the matrices carry everything.
        src.append(row)
        coords.append(where)
        return len(src) - 1

    # Depots: shared by vehicles that start/end at the same row; private gates for
    # vehicles carrying on-board orders; one virtual end for open routes.
    pinned = defaultdict(list)
    for order in prepared.orders:
        if order.pinned is not None:
            pinned[order.pinned].append(order)
    depot_locs: list[int] = []
    depot_at: dict[int, int] = {}
    gates: list[int] = []  # PyVRP location indices that are gates

    def depot_for_row(row: int) -> int:
        if row not in depot_at:
            depot_at[row] = len(depot_locs)
            depot_locs.append(add_location(row, (0.0, 0.0)))
        return depot_at[row]

    start_depot: dict[str, int] = {}
    end_depot: dict[str, int] = {}
    free_end: int | None = None
    for s in states:
        if s.id in pinned or any(s.release):
            loc = add_location(s.row, (0.0, 0.0))
            gates.append(loc)
            start_depot[s.id] = len(depot_locs)
            depot_locs.append(loc)
        else:
            start_depot[s.id] = depot_for_row(s.row)
    for s in states:
        if s.end_row is not None:
            end_depot[s.id] = depot_for_row(s.end_row)
        else:
            if free_end is None:
                free_end = len(depot_locs)
                depot_locs.append(add_location(-1, (0.0, 0.0)))
            end_depot[s.id] = free_end

    # Orders: plain jobs -> clients; shipments -> shipments; pinned jobs -> gate shipments.
    used_rows = sorted({r for r in src if r >= 0} | _order_rows(prepared))
    sub = np.ix_(used_rows, used_rows)
    max_leg = int(base_dist[sub].max()) if used_rows else 0
    max_leg_dur = int(base_dur[sub].max()) if used_rows else 0
    prize = prize_factor * max(1, max_leg)
    # A time by which any sensible route is over, even with every stop on it: the
    # latest opening time plus all service plus one longest leg per stop. Vehicles
    # with an open shift end get it as their end, so that a forbidden edge (longer
    # than the horizon) always makes a route time-infeasible, never just expensive.
    visits = [v for o in prepared.orders for v in o.visits]
    horizon = (
        max([s.time for s in states] + [v.window.start for v in visits] + [0])
        + sum(v.service_s for v in visits)
        + (len(visits) + 2) * max(1, max_leg_dur)
    )
    # Forbidden edges must cost more than any prize and be longer than any shift.
    forbid_dist = min(MAX_VALUE // 64, 100 * prize)
    forbid_dur = min(MAX_VALUE // 64, 2 * horizon + 1)
    # Any: unpacked into PyVRP constructors whose keyword types differ (bool and int).
    opt: dict[str, Any] = {"required": required, "prize": 0 if required else prize}

    clients: list[Client] = []
    client_ids: list[str | None] = []
    client_of: dict[str, int] = {}
    ships: list[PyShipment] = []
    ship_ids: list[tuple[str | None, str]] = []
    pickup_of: dict[str, int] = {}
    dropoff_of: dict[str, int] = {}
    gate_ships: dict[str, list[int]] = defaultdict(list)
    loc_of_visit: dict[str, int] = {}
    gate_loc = {
        s.id: depot_locs[start_depot[s.id]] for s in states if s.id in pinned or any(s.release)
    }
    release_clients: dict[str, int] = {}
    for s in states:
        if any(s.release):
            # Drops, at zero cost before anything else, the extra load the vehicle had
            # while driving its prefix: deliveries then fit the prefix's peak load too.
            release_clients[s.id] = len(clients)
            client_ids.append(None)
            clients.append(
                Client(
                    location=gate_loc[s.id],
                    delivery=list(s.release),
                    pickup=[0] * len(s.release),
                    required=True,
                    name=f"release:{s.id}",
                )
            )

    def tw(v: Visit) -> tuple[int, int]:
        return v.window.start, min(v.window.end, OPEN_END)

    for order in prepared.orders:
        if order.pinned is not None:
            (visit,) = order.visits
            loc = add_location(prepared.matrix.row(visit.location), (0.0, 0.0))
            loc_of_visit[visit.id] = loc
            early, late = tw(visit)
            dropoff_of[visit.id] = len(ships)
            gate_ships[order.pinned].append(len(ships))
            ship_ids.append((None, visit.id))
            ships.append(
                PyShipment(
                    pickup_location=gate_loc[order.pinned],
                    delivery_location=loc,
                    delivery_tw_early=early,
                    delivery_tw_late=late,
                    delivery_service_duration=visit.service_s,
                    amount=list(visit.initial),
                    **opt,
                    name=visit.id,
                )
            )
        elif order.is_shipment:
            p, d = order.visits
            lp = add_location(prepared.matrix.row(p.location), (0.0, 0.0))
            ld = add_location(prepared.matrix.row(d.location), (0.0, 0.0))
            loc_of_visit[p.id], loc_of_visit[d.id] = lp, ld
            (pe, pl), (de, dl) = tw(p), tw(d)
            pickup_of[p.id] = dropoff_of[d.id] = len(ships)
            ship_ids.append((p.id, d.id))
            ships.append(
                PyShipment(
                    pickup_location=lp,
                    delivery_location=ld,
                    pickup_tw_early=pe,
                    pickup_tw_late=pl,
                    pickup_service_duration=p.service_s,
                    delivery_tw_early=de,
                    delivery_tw_late=dl,
                    delivery_service_duration=d.service_s,
                    amount=list(p.delta),
                    **opt,
                    name=order.id,
                )
            )
        else:
            (visit,) = order.visits
            loc = add_location(prepared.matrix.row(visit.location), (0.0, 0.0))
            loc_of_visit[visit.id] = loc
            early, late = tw(visit)
            client_of[visit.id] = len(clients)
            client_ids.append(visit.id)
            clients.append(
                Client(
                    location=loc,
                    delivery=list(visit.initial),
                    pickup=[i + d for i, d in zip(visit.initial, visit.delta, strict=True)],
                    service_duration=visit.service_s,
                    tw_early=early,
                    tw_late=late,
                    **opt,
                    name=visit.id,
                )
            )

    # Base matrices over PyVRP locations, then gate / virtual-end patches.
    idx = np.asarray(src, dtype=np.int64)
    real = np.where(idx >= 0, idx, 0)
    dist = base_dist[np.ix_(real, real)].astype(np.int64)
    dur = base_dur[np.ix_(real, real)].astype(np.int64)
    virtual = np.flatnonzero(idx < 0)
    for m, forbid in ((dist, forbid_dist), (dur, forbid_dur)):
        m[virtual, :] = forbid  # nothing leaves the virtual end
        m[:, virtual] = 0  # an open route may stop anywhere for free
        if gates:
            m[:, gates] = forbid  # only the owner (starting on it) reaches a gate
        np.fill_diagonal(m, 0)

    # Skills: one profile per distinct set of forbidden locations.
    profile_of: dict[frozenset[int], int] = {}
    dists: list[IntMatrix] = []
    durs: list[IntMatrix] = []
    vehicle_profile: dict[str, int] = {}
    everyone = len(states)
    restricted = [o for o in prepared.orders if o.pinned is None and len(o.allowed) < everyone]
    for s in states:
        banned = frozenset(
            loc_of_visit[v.id] for o in restricted if s.id not in o.allowed for v in o.visits
        )
        if banned not in profile_of:
            profile_of[banned] = len(dists)
            pd, pt = (dist, dur) if not banned else (dist.copy(), dur.copy())
            if banned:
                cols = np.asarray(sorted(banned), dtype=np.int64)
                pd[:, cols] = forbid_dist
                pt[:, cols] = forbid_dur
                pd[cols, cols] = 0
                pt[cols, cols] = 0
            dists.append(pd)
            durs.append(pt)
        vehicle_profile[s.id] = profile_of[banned]

    # Vehicle types: identical vehicles share a type (PyVRP searches those better).
    groups: dict[tuple[object, ...], list[VehicleState]] = {}
    for s in states:
        key = (
            s.capacity,
            start_depot[s.id],
            end_depot[s.id],
            s.time,
            s.shift_end,
            s.max_duration,
            s.base_load,
            vehicle_profile[s.id],
            bool(s.prefix),
        )
        groups.setdefault(key, []).append(s)
    vehicle_types: list[VehicleType] = []
    type_vehicles: list[list[str]] = []
    for members in groups.values():
        first = members[0]
        extra: dict[str, Any] = {}
        if first.max_duration is not None:
            extra["shift_duration"] = max(0, first.max_duration)
        if first.prefix:
            # After a prefix the vehicle may not "start later": waiting at the last
            # prefix stop counts against max duration in the real route.
            extra["start_late"] = first.time
        vehicle_types.append(
            VehicleType(
                num_available=len(members),
                capacity=list(first.capacity),
                start_depot=start_depot[first.id],
                end_depot=end_depot[first.id],
                tw_early=first.time,
                tw_late=min(first.shift_end, horizon),
                initial_load=list(first.base_load),
                profile=vehicle_profile[first.id],
                name=",".join(m.id for m in members),
                **extra,
            )
        )
        type_vehicles.append([m.id for m in members])

    data = ProblemData(
        locations=[PyLocation(x, y) for x, y in coords],
        clients=clients,
        depots=[Depot(location=loc) for loc in depot_locs],
        vehicle_types=vehicle_types,
        # PyVRP's stub spells the array shape as `int`; numpy's own type is a shape tuple.
        distance_matrices=dists,  # type: ignore[arg-type]
        duration_matrices=durs,  # type: ignore[arg-type]
        groups=[],
        shipments=ships,
    )
    return PyVRPModel(
        data=data,
        type_vehicles=type_vehicles,
        clients=client_ids,
        shipments=ship_ids,
        client_of=client_of,
        pickup_of=pickup_of,
        dropoff_of=dropoff_of,
        gate_shipments=dict(gate_ships),
        release_clients=release_clients,
    )


def _order_rows(prepared: Prepared) -> set[int]:
    return {prepared.matrix.row(v.location) for o in prepared.orders for v in o.visits}


def translate(model: PyVRPModel, best: PySolution, initial: Assignment | None = None) -> Assignment:
    """PyVRP routes -> vehicle id -> visit ids. Infeasible routes are not used.

    PyVRP only knows vehicle *types*; identical vehicles share one. Routes are
    handed back to the vehicle of that type whose previous route (``initial``) they
    overlap most, so a re-optimisation does not swap drivers' routes around.
    """
    by_type: dict[int, list[list[str]]] = defaultdict(list)
    for route in best.routes():
        if not route.is_feasible():
            # Only possible when the budget ran out before any feasible solution was
            # found; its orders are then reported as not routed.
            log.warning("PyVRP returned an infeasible route; its stops are not routed")
            continue
        ids: list[str] = []
        for act in route:  # 0.14: iterating a route yields activities, depots included
            if act.is_client():
                client_id = model.clients[act.idx]
                if client_id is not None:  # release stops are internal
                    ids.append(client_id)
            elif act.is_pickup():
                pickup_id = model.shipments[act.idx][0]
                if pickup_id is not None:  # gate pickups are internal
                    ids.append(pickup_id)
            elif act.is_delivery():
                ids.append(model.shipments[act.idx][1])
        if ids:
            by_type[route.vehicle_type()].append(ids)
    out: Assignment = {}
    for vtype, routes in by_type.items():
        vehicles = list(model.type_vehicles[vtype])
        previous = {v: set((initial or {}).get(v, ())) for v in vehicles}
        pairs = sorted(
            (
                (-len(previous[v] & set(ids)), r, v)
                for r, ids in enumerate(routes)
                for v in vehicles
                if previous[v] & set(ids)
            ),
        )
        done: set[int] = set()
        for _, r, v in pairs:
            if r not in done and v not in out:
                out[v] = routes[r]
                done.add(r)
        free = [v for v in vehicles if v not in out]
        for r, ids in enumerate(routes):
            if r not in done:
                out[free.pop(0)] = ids
    return out


def warm_start(model: PyVRPModel, initial: Assignment) -> PySolution | None:
    """Build a PyVRP solution from a previous plan (stops that no longer fit are skipped)."""
    type_of: dict[str, int] = {}
    for t, members in enumerate(model.type_vehicles):
        for vid in members:
            type_of[vid] = t
    routes: list[PyRoute] = []
    taken: set[str] = set()
    for vehicle_id, ids in initial.items():
        if vehicle_id not in type_of:
            continue
        acts: list[Activity] = []
        seen_pickups: set[int] = set()
        gate = set(model.gate_shipments.get(vehicle_id, []))
        # Shipments are kept only when both ends are present in order on this route.
        complete = _complete_shipments(model, ids)
        for vid in ids:
            if vid in taken:
                continue
            if vid in model.client_of:
                acts.append(Activity(ActivityType.CLIENT, model.client_of[vid]))
            elif vid in model.pickup_of and model.pickup_of[vid] in complete:
                seen_pickups.add(model.pickup_of[vid])
                acts.append(Activity(ActivityType.PICKUP, model.pickup_of[vid]))
            elif vid in model.dropoff_of:
                ship = model.dropoff_of[vid]
                if ship in gate or (ship in complete and ship in seen_pickups):
                    acts.append(Activity(ActivityType.DELIVERY, ship))
                else:
                    continue
            else:
                continue
            taken.add(vid)
        gate_pickups = [
            Activity(ActivityType.PICKUP, s)
            for s in sorted(gate)
            if Activity(ActivityType.DELIVERY, s) in acts
        ]
        if vehicle_id in model.release_clients:
            gate_pickups.insert(0, Activity(ActivityType.CLIENT, model.release_clients[vehicle_id]))
        acts = gate_pickups + acts
        if acts:
            routes.append(PyRoute(model.data, acts, type_of[vehicle_id]))
    if not routes:
        return None
    return PySolution(model.data, routes)


def _complete_shipments(model: PyVRPModel, ids: list[str]) -> set[int]:
    pos = {vid: i for i, vid in enumerate(ids)}
    ok: set[int] = set()
    for k, (p, d) in enumerate(model.shipments):
        if p is not None and p in pos and d in pos and pos[p] < pos[d]:
            ok.add(k)
    return ok
