"""End-to-end: Problem -> solve() -> Solution, checked by the independent checker.

Every solve is seeded and iteration-limited (``max_iterations``), so results do not
depend on machine speed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from logistics_ai.dispatch import pyvrp_backend
from logistics_ai.dispatch.feasibility import check_solution
from logistics_ai.dispatch.matrix import resolve_problem
from logistics_ai.dispatch.model import (
    Job,
    Location,
    Problem,
    Shipment,
    Solution,
    StopKind,
    TimeWindow,
    UnassignedReason,
    Vehicle,
)
from logistics_ai.dispatch.precheck import Prepared
from logistics_ai.dispatch.solver import Assignment, BackendResult, solve

L = Location.row
SHIFT = TimeWindow(0, 20_000)


def _points(n: int, seed: int = 7) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    return [(500.0, 500.0), *map(tuple, rng.uniform(0, 1000, size=(n, 2)))]


def _solve(problem: Problem, **kw) -> Solution:
    solution = solve(problem, **kw)
    report = check_solution(problem, solution)
    assert report.ok, report.violations
    return solution


def _fast(jobs, vehicles, matrix, shipments=(), iters: int = 300, seed: int = 1) -> Problem:
    return Problem(
        list(jobs),
        list(vehicles),
        list(shipments),
        matrix=matrix,
        budget_s=10.0,
        max_iterations=iters,
        seed=seed,
    )


def test_all_jobs_routed_and_deterministic(grid) -> None:
    m = grid(_points(30))
    jobs = [Job(f"j{i}", L(i), demand=(1,), service_s=60) for i in range(1, 31)]
    vehicles = [Vehicle(f"v{k}", (12,), L(0), L(0), shift=SHIFT) for k in range(4)]
    first = _solve(_fast(jobs, vehicles, m))
    again = _solve(_fast(jobs, vehicles, m))
    assert not first.unassigned
    assert sorted(j for r in first.routes for j in r.job_ids) == sorted(j.id for j in jobs)
    assert [r.job_ids for r in first.routes] == [r.job_ids for r in again.routes]
    assert first.distance == sum(r.distance for r in first.routes)


def test_pickup_before_dropoff_on_same_vehicle(grid) -> None:
    m = grid(_points(20, seed=3))
    shipments = [
        Shipment(f"s{i}", Job(f"s{i}-p", L(i)), Job(f"s{i}-d", L(i + 10)), amount=(3,))
        for i in range(1, 11)
    ]
    # capacity 6: at most two shipments on board at once
    vehicles = [Vehicle(f"v{k}", (6,), L(0), L(0), shift=SHIFT) for k in range(3)]
    sol = _solve(_fast([], vehicles, m, shipments))
    assert not sol.unassigned
    for route in sol.routes:
        ids = route.job_ids
        for s in shipments:
            if s.pickup.id in ids or s.dropoff.id in ids:
                assert ids.index(s.pickup.id) < ids.index(s.dropoff.id)
        assert max(stop.load[0] for stop in route.stops) <= 6
        kinds = {stop.kind for stop in route.stops}
        assert kinds <= {StopKind.PICKUP, StopKind.DROPOFF}


def test_multi_dimensional_capacity_binds_on_volume(grid) -> None:
    m = grid(_points(8, seed=5))
    # light but bulky: weight never binds, volume (dimension 2) allows 2 jobs per van
    jobs = [Job(f"j{i}", L(i), demand=(1, 5)) for i in range(1, 9)]
    vehicles = [Vehicle(f"v{k}", (100, 10), L(0), L(0), shift=SHIFT) for k in range(4)]
    sol = _solve(_fast(jobs, vehicles, m))
    assert not sol.unassigned
    assert len(sol.routes) == 4
    for route in sol.routes:
        assert route.start_load == (2, 10)
        assert route.stops[-1].load == (0, 0)


def test_skills_respected(grid) -> None:
    m = grid(_points(12, seed=11))
    jobs = [
        Job(f"j{i}", L(i), skills=frozenset({"fridge"}) if i % 3 == 0 else frozenset())
        for i in range(1, 13)
    ]
    vehicles = [
        Vehicle("plain1", (), L(0), L(0), shift=SHIFT),
        Vehicle("plain2", (), L(0), L(0), shift=SHIFT),
        Vehicle("cold", (), L(0), L(0), shift=SHIFT, skills=frozenset({"fridge"})),
    ]
    sol = _solve(_fast(jobs, vehicles, m))
    assert not sol.unassigned
    cold_jobs = {j.id for j in jobs if j.skills}
    for route in sol.routes:
        if route.vehicle_id != "cold":
            assert not cold_jobs & set(route.job_ids)
    assert cold_jobs <= set(sol.route_for("cold").job_ids)


def test_skills_with_tight_shifts_force_two_vehicles(grid) -> None:
    # The fridge van cannot do everything in its shift; plain jobs must go elsewhere.
    m = grid([(0.0, 0.0), *[(100.0 * i, 0.0) for i in range(1, 7)]])
    jobs = [
        Job(f"j{i}", L(i), service_s=400, skills=frozenset({"fridge"}) if i <= 3 else frozenset())
        for i in range(1, 7)
    ]
    vehicles = [
        Vehicle("cold", (), L(0), L(0), shift=TimeWindow(0, 2000), skills=frozenset({"fridge"})),
        Vehicle("plain", (), L(0), L(0), shift=TimeWindow(0, 2500)),
    ]
    sol = _solve(_fast(jobs, vehicles, m))
    assert not sol.unassigned
    assert set(sol.route_for("cold").job_ids) == {"j1", "j2", "j3"}
    assert set(sol.route_for("plain").job_ids) == {"j4", "j5", "j6"}


def test_fixed_prefix_kept_first_in_order(grid) -> None:
    m = grid(_points(15, seed=2))
    jobs = [Job(f"j{i}", L(i), demand=(1,), service_s=30) for i in range(1, 16)]
    prefix = ("j9", "j2", "j14")  # deliberately not a sensible order
    vehicles = [
        Vehicle("v1", (20,), L(0), L(0), shift=SHIFT, fixed_prefix=prefix),
        Vehicle("v2", (20,), L(0), L(0), shift=SHIFT),
    ]
    sol = _solve(_fast(jobs, vehicles, m))
    route = sol.route_for("v1")
    assert tuple(route.job_ids[:3]) == prefix
    assert all(s.fixed for s in route.stops[:3]) and not any(s.fixed for s in route.stops[3:])
    for route in sol.routes:
        if route.vehicle_id != "v1":
            assert not set(prefix) & set(route.job_ids)


def test_prefix_pickup_keeps_dropoff_on_same_vehicle(grid) -> None:
    m = grid(_points(10, seed=4))
    shipment = Shipment("s", Job("s-p", L(1)), Job("s-d", L(9)), amount=(4,))
    jobs = [Job(f"j{i}", L(i), demand=(1,)) for i in range(2, 9)]
    vehicles = [
        # v1 picked the shipment up as its first committed stop; v2 starts right at
        # the dropoff and would be the cheaper carrier if the goods were not on v1.
        Vehicle("v1", (10,), L(0), L(0), shift=SHIFT, fixed_prefix=("s-p",)),
        Vehicle("v2", (10,), L(9), L(9), shift=SHIFT),
    ]
    sol = _solve(_fast(jobs, vehicles, m, [shipment]))
    ids = sol.route_for("v1").job_ids
    assert ids[0] == "s-p" and "s-d" in ids
    assert not sol.unassigned


def test_on_board_job_stays_on_its_vehicle(grid) -> None:
    m = grid(_points(6, seed=8))
    jobs = [
        Job("parcel", L(5), demand=(2,), on_board="far"),
        *[Job(f"j{i}", L(i), demand=(1,)) for i in range(1, 5)],
    ]
    vehicles = [
        Vehicle("near", (10,), L(5), L(5), shift=SHIFT),
        Vehicle("far", (10,), L(0), L(0), shift=SHIFT),
    ]
    sol = _solve(_fast(jobs, vehicles, m))
    assert "parcel" in sol.route_for("far").job_ids
    assert not sol.unassigned


def test_precheck_reasons(grid) -> None:
    m = grid([(0.0, 0.0), (100.0, 0.0), (5000.0, 0.0), (200.0, 0.0)])
    jobs = [
        Job("ok", L(1), demand=(1, 1)),
        Job("no-skill", L(1), skills=frozenset({"crane"})),
        Job("too-heavy", L(1), demand=(11, 1)),
        Job("too-bulky", L(3), demand=(1, 9)),
        Job("too-far", L(2), window=TimeWindow(0, 1000)),  # 5000 m at 1 m/s
        Job("back-too-late", L(2)),  # reachable, but not back before the shift ends
    ]
    shipments = [Shipment("ship-heavy", Job("sp", L(1)), Job("sd", L(3)), amount=(20, 1))]
    vehicles = [Vehicle("v", (10, 5), L(0), L(0), shift=TimeWindow(0, 8000))]
    sol = _solve(_fast(jobs, vehicles, m, shipments))
    reasons = {u.id: u.reason for u in sol.unassigned}
    assert reasons == {
        "no-skill": UnassignedReason.NO_VEHICLE_WITH_SKILL,
        "too-heavy": UnassignedReason.CAPACITY,
        "too-bulky": UnassignedReason.CAPACITY,
        "ship-heavy": UnassignedReason.CAPACITY,
        "too-far": UnassignedReason.WINDOW_UNREACHABLE,
        "back-too-late": UnassignedReason.WINDOW_UNREACHABLE,
    }
    assert sol.routes[0].job_ids == ["ok"]


def test_max_duration_makes_window_unreachable(grid) -> None:
    m = grid([(0.0, 0.0), (1000.0, 0.0)])
    jobs = [Job("x", L(1), service_s=100)]
    vehicles = [Vehicle("v", (), L(0), L(0), shift=SHIFT, max_duration_s=2050)]
    sol = _solve(_fast(jobs, vehicles, m))
    assert [u.reason for u in sol.unassigned] == [UnassignedReason.WINDOW_UNREACHABLE]
    roomy = replace(vehicles[0], max_duration_s=2100)
    assert not _solve(_fast(jobs, [roomy], m)).unassigned


def test_solver_drops_what_does_not_fit_as_not_routed(grid) -> None:
    m = grid(_points(20, seed=1))
    jobs = [Job(f"j{i}", L(i), service_s=60) for i in range(1, 21)]
    vehicles = [Vehicle("v1", (), L(0), L(0), shift=TimeWindow(0, 4000))]
    sol = _solve(_fast(jobs, vehicles, m, iters=400))
    assert sol.unassigned, "20 stops cannot fit in one 4000 s shift"
    assert {u.reason for u in sol.unassigned} == {UnassignedReason.NOT_ROUTED}
    assert len(sol.routes[0].stops) + len(sol.unassigned) == 20
    assert sol.stats["phase"] == 2.0


def test_no_second_phase_when_the_first_used_the_whole_budget(grid) -> None:
    # One iteration in all: the probe takes it, so phase 2 would search nothing. Its answer
    # is phase 1's, every order still accounted for (on a route or reported not routed).
    m = grid(_points(20, seed=1))
    jobs = [Job(f"j{i}", L(i), service_s=60) for i in range(1, 21)]
    vehicles = [Vehicle("v1", (), L(0), L(0), shift=TimeWindow(0, 4000))]
    sol = _solve(_fast(jobs, vehicles, m, iters=1))
    assert sol.stats["phase"] == 1.0
    assert sol.unassigned, "20 stops cannot fit in one 4000 s shift"
    routed = [job for route in sol.routes for job in route.job_ids]
    assert sorted(routed + [u.id for u in sol.unassigned]) == sorted(j.id for j in jobs)


def test_open_route_and_mid_day_start(grid) -> None:
    m = grid(_points(8, seed=6))
    jobs = [Job(f"j{i}", L(i), demand=(1,), window=TimeWindow(0, 50_000)) for i in range(1, 9)]
    vehicles = [
        Vehicle(
            "v",
            (10,),
            start=L(3),
            end=None,
            shift=TimeWindow(0, 50_000),
            start_time=30_000,
            start_load=(2,),
        )
    ]
    sol = _solve(_fast(jobs, vehicles, m))
    route = sol.route_for("v")
    assert route.departure >= 30_000
    assert route.start_load == (10,)  # 2 already on board + 8 deliveries
    assert route.end_time == route.stops[-1].departure  # open route: ends at last stop


def test_infinite_shift_with_skills_never_violates(grid) -> None:
    m = grid(_points(10, seed=9))
    jobs = [
        Job(f"j{i}", L(i), skills=frozenset({"x"}) if i % 2 else frozenset()) for i in range(1, 11)
    ]
    vehicles = [
        Vehicle("plain", (), L(0), L(0)),
        Vehicle("xv", (), L(0), L(0), skills=frozenset({"x"})),
    ]
    sol = _solve(_fast(jobs, vehicles, m))
    assert not sol.unassigned


class _InOrderSolver:
    """A trivial backend: every order on the first vehicle allowed to take it, in input
    order. Shows that :class:`Solver` is all another library has to implement."""

    name = "in-order"

    def route(self, prepared: Prepared, initial: Assignment | None = None) -> BackendResult:
        routes: Assignment = {}
        for order in prepared.orders:
            vehicle = next(s.id for s in prepared.vehicles if s.id in order.allowed)
            routes.setdefault(vehicle, []).extend(v.id for v in order.visits)
        return BackendResult(routes)


def test_pluggable_backend(grid) -> None:
    m = grid(_points(5, seed=1))
    jobs = [Job(f"j{i}", L(i)) for i in range(1, 5)]
    shipments = [Shipment("s", Job("s-p", L(5)), Job("s-d", L(1)))]
    vehicles = [Vehicle("v", (), L(0), L(0), shift=SHIFT)]
    sol = _solve(_fast(jobs, vehicles, m, shipments), solver=_InOrderSolver())
    assert sol.solver == "in-order"
    assert sol.route_for("v").job_ids == ["j1", "j2", "j3", "j4", "s-p", "s-d"]


def test_route_times_are_consistent(grid) -> None:
    m = grid(_points(10, seed=12))
    rng = np.random.default_rng(0)
    jobs = []
    for i in range(1, 11):
        start = int(rng.integers(0, 3000))
        jobs.append(Job(f"j{i}", L(i), window=TimeWindow(start, start + 1500), service_s=120))
    vehicles = [Vehicle(f"v{k}", (), L(0), L(0), shift=TimeWindow(0, 10_000)) for k in range(3)]
    problem = _fast(jobs, vehicles, m)
    sol = _solve(problem)
    dur = resolve_problem(problem).durations
    for route in sol.routes:
        prev, t = 0, route.departure
        for stop in route.stops:
            row = int(stop.job_id[1:])
            assert stop.arrival == t + dur[prev, row]
            assert stop.start >= stop.arrival
            t, prev = stop.departure, row
        assert route.duration == route.end_time - route.departure


def test_invalid_inputs_rejected(grid) -> None:
    m = grid(_points(3))
    with pytest.raises(ValueError, match="duplicate job id"):
        solve(_fast([Job("a", L(1)), Job("a", L(2))], [Vehicle("v", (), L(0))], m))
    with pytest.raises(ValueError, match="unknown job"):
        solve(_fast([Job("a", L(1))], [Vehicle("v", (), L(0), fixed_prefix=("zz",))], m))
    with pytest.raises(ValueError, match="dimensions"):
        solve(_fast([Job("a", L(1), demand=(1, 2))], [Vehicle("v", (5,), L(0))], m))


def test_prefix_deliveries_share_capacity_with_later_deliveries(grid) -> None:
    # Deliveries are loaded at the start, so while the prefix is driven the van also
    # carries every later delivery: 6 (prefix) + later ones must fit in 10.
    m = grid(_points(6, seed=13))
    jobs = [
        Job("big", L(1), demand=(6,)),
        *[Job(f"j{i}", L(i), demand=(2,)) for i in range(2, 7)],
    ]
    vehicles = [Vehicle("v", (10,), L(0), L(0), shift=SHIFT, fixed_prefix=("big",))]
    sol = _solve(_fast(jobs, vehicles, m))
    route = sol.route_for("v")
    assert route.job_ids[0] == "big"
    assert len(route.stops) == 3  # big + two 2-unit deliveries
    assert route.start_load == (10,)
    assert {u.reason for u in sol.unassigned} == {UnassignedReason.NOT_ROUTED}
    assert len(sol.unassigned) == 3


def test_max_duration_after_prefix_counts_waiting(grid) -> None:
    # The prefix stop's exact window fixes the departure at 0, so waiting for "late"
    # (window 1000) cannot be avoided: route 0 -> 1200 s > 1000 s max duration.
    m = grid([(0.0, 0.0), (100.0, 0.0), (200.0, 0.0), (150.0, 0.0)])
    jobs = [
        Job("first", L(1), window=TimeWindow(100, 100)),
        Job("late", L(2), window=TimeWindow(1000, 1000)),
        Job("easy", L(3)),
    ]
    vehicle = Vehicle(
        "v", (), L(0), L(0), shift=SHIFT, max_duration_s=1000, fixed_prefix=("first",)
    )
    sol = _solve(_fast(jobs, [vehicle], m))
    assert sol.route_for("v").job_ids == ["first", "easy"]
    assert {u.id: u.reason for u in sol.unassigned} == {"late": UnassignedReason.WINDOW_UNREACHABLE}
    # without the committed stop the van may leave later and not wait: it fits
    free = replace(vehicle, fixed_prefix=())
    assert not _solve(_fast(jobs[1:], [free], m)).unassigned


class _SloppySolver:
    """A broken backend: wrong skills, split/reversed shipments, duplicates."""

    name = "sloppy"

    def route(self, prepared: Prepared, initial: Assignment | None = None) -> BackendResult:
        return BackendResult(
            {
                "plain": ["cold", "ok", "s1-p", "s2-d", "s2-p", "ghost"],
                "fridge": ["ok", "s1-d"],
            }
        )


def test_invalid_backend_output_is_dropped_not_trusted(grid) -> None:
    m = grid(_points(6, seed=3))
    jobs = [Job("ok", L(1)), Job("cold", L(2), skills=frozenset({"fridge"}))]
    shipments = [
        Shipment("s1", Job("s1-p", L(3)), Job("s1-d", L(4))),
        Shipment("s2", Job("s2-p", L(5)), Job("s2-d", L(6))),
    ]
    vehicles = [
        Vehicle("plain", (), L(0), L(0), shift=SHIFT),
        Vehicle("fridge", (), L(0), L(0), shift=SHIFT, skills=frozenset({"fridge"})),
    ]
    sol = _solve(_fast(jobs, vehicles, m, shipments), solver=_SloppySolver())
    assert sol.route_for("plain").job_ids == ["ok"]
    assert sol.route_for("fridge") is None  # its "ok" was a duplicate, "s1-d" half a shipment
    assert {u.id for u in sol.unassigned} == {"cold", "s1", "s2"}


def test_a_converged_time_budgeted_search_stops_before_its_budget(grid) -> None:
    # Three stops and ten vans: the first feasible answer is the best there is. With a 30 s
    # budget and no iteration limit (the API's previews), the search stops after the plateau
    # of stale iterations instead of running for the budget, and keeps that answer.
    m = grid(_points(3, seed=2))
    jobs = [Job(f"j{i}", L(i), service_s=60) for i in range(1, 4)]
    vans = [Vehicle(f"v{k}", (), L(0), L(0), shift=SHIFT) for k in range(10)]
    sol = _solve(Problem(jobs, vans, matrix=m, budget_s=30, seed=1))
    # 3 visits: max(500, 50 x 3^2) = 500 stale iterations after the first feasible best.
    assert sol.stats["iterations"] == 500
    assert sol.stats["solve_s"] < 30
    assert not sol.unassigned and sorted(j for r in sol.routes for j in r.job_ids) == [
        "j1",
        "j2",
        "j3",
    ]


def test_the_plateau_resets_on_every_improvement_and_waits_for_feasibility() -> None:
    infeasible = np.iinfo(np.int64).max

    def calls_until_stop(costs: list[int], plateau: int, max_iterations: int | None = None) -> int:
        probe = pyvrp_backend._Probe(
            budget_s=3600,
            probe_s=3600,
            max_iterations=max_iterations,
            probe_iterations=None,
            plateau=plateau,
        )
        for count, cost in enumerate(costs, start=1):
            if probe(cost):
                return count
        return -1

    # Stale from the first feasible cost: 1 improving call, then 5 stale ones stop it.
    assert calls_until_stop([100] * 20, plateau=5) == 6
    # An improvement every 4 calls never lets 5 stale calls accumulate.
    improving = [1000 - (i // 4) for i in range(40)]
    assert calls_until_stop(improving, plateau=5) == -1
    # While infeasible it never stops for a plateau (the probe's own time limit applies).
    assert calls_until_stop([infeasible] * 20, plateau=5) == -1
    # An explicit iteration budget is run in full: seeded runs stay as they were.
    assert calls_until_stop([100] * 20, plateau=5, max_iterations=10) == 11


def test_the_plateau_only_ends_small_problems_early() -> None:
    assert pyvrp_backend.plateau_iterations(3) == 500
    assert pyvrp_backend.plateau_iterations(10) == 5_000
    # The routing benchmark's smallest instances (Solomon, 100 visits) would need 500,000
    # stale iterations; a 10 s run of them makes well under that in all.
    assert pyvrp_backend.plateau_iterations(100) == 500_000
