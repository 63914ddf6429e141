from __future__ import annotations

from dataclasses import replace
from itertools import combinations_with_replacement

import numpy as np
import pytest

from logistics_ai.dispatch.eta import eta, eta_for_route
from logistics_ai.dispatch.feasibility import check_solution
from logistics_ai.dispatch.matrix import HaversineMatrix
from logistics_ai.dispatch.model import (
    Job,
    Location,
    Problem,
    Shipment,
    TimeWindow,
    UnassignedReason,
    Vehicle,
)
from logistics_ai.dispatch.operations import Plan, insert, make_plan, reoptimize
from logistics_ai.dispatch.schedule import schedule_route

L = Location.row


def _base(grid, n: int = 24, vehicles: int = 3, seed: int = 5, windows: bool = True) -> Plan:
    rng = np.random.default_rng(seed)
    pts = [(500.0, 500.0), *map(tuple, rng.uniform(0, 1000, size=(40, 2)))]  # rows > n: spare
    m = grid(pts)
    jobs = []
    for i in range(1, n + 1):
        start = int(rng.integers(0, 4000)) if windows else 0
        jobs.append(
            Job(f"j{i}", L(i), demand=(1, 1), window=TimeWindow(start, start + 2500), service_s=60)
        )
    fleet = [
        Vehicle(f"v{k}", (10, 12), L(0), L(0), shift=TimeWindow(0, 12_000)) for k in range(vehicles)
    ]
    problem = Problem(jobs, fleet, matrix=m, budget_s=10, max_iterations=300, seed=3)
    plan = make_plan(problem)
    assert check_solution(problem, plan.solution).ok
    return plan


def _ok(plan: Plan) -> None:
    report = check_solution(plan.problem, plan.solution)
    assert report.ok, report.violations


def _brute_force_best(plan: Plan, visits_to_add) -> int | None:
    """Cheapest feasible distance increase over every position of every route."""
    problem = plan.problem
    all_visits = problem.visits()
    best = None
    for vehicle in problem.vehicles:
        route = plan.solution.route_for(vehicle.id)
        current = [all_visits[s.job_id] for s in route.stops] if route else []
        base = route.distance if route else 0
        k = len(current)
        if len(visits_to_add) == 1:
            slots = [(i,) for i in range(k + 1)]
        else:
            slots = list(combinations_with_replacement(range(k + 1), 2))
        for slot in slots:
            seq = list(current)
            if len(slot) == 1:
                seq.insert(slot[0], visits_to_add[0])
            else:
                seq.insert(slot[1], visits_to_add[1])
                seq.insert(slot[0], visits_to_add[0])
            r = schedule_route(vehicle, seq, plan.matrix, problem.dims)
            ok = all(s.start <= v.window.end for s, v in zip(r.stops, seq, strict=True))
            ok &= r.end_time <= vehicle.shift.end
            cap = vehicle.capacity
            for load in [r.start_load, *(s.load for s in r.stops)]:
                ok &= all(x <= c for x, c in zip(load, cap, strict=True))
            if ok and (best is None or r.distance - base < best):
                best = r.distance - base
    return best


def test_insert_job_is_cheapest_feasible_and_keeps_plan_feasible(grid) -> None:
    plan = _base(grid)
    for n, row in enumerate(range(25, 31)):
        job = Job(f"new{n}", L(row), demand=(1, 1), window=TimeWindow(1000, 6000), service_s=60)
        new = insert(plan, job)
        _ok(new)
        assert job.id not in new.solution.unassigned_by_id()
        # brute force over the *old* routes with the new visit
        visit = new.problem.visits()[job.id]
        old_with_job = Plan(new.problem, plan.solution, new.matrix)
        expected = _brute_force_best(old_with_job, [visit])
        assert new.solution.distance - plan.solution.distance == expected


def test_insert_shipment_is_cheapest_feasible(grid) -> None:
    plan = _base(grid, n=15)
    for n, (a, b) in enumerate([(25, 26), (27, 28), (29, 30)]):
        s = Shipment(
            f"ship{n}",
            Job(f"ship{n}-p", L(a), window=TimeWindow(0, 5000), service_s=30),
            Job(f"ship{n}-d", L(b), window=TimeWindow(2000, 9000), service_s=30),
            amount=(2, 2),
        )
        new = insert(plan, s)
        _ok(new)
        assert s.id not in new.solution.unassigned_by_id()
        visits = new.problem.visits()
        expected = _brute_force_best(
            Plan(new.problem, plan.solution, new.matrix),
            [visits[s.pickup.id], visits[s.dropoff.id]],
        )
        assert new.solution.distance - plan.solution.distance == expected
        ids = next(r.job_ids for r in new.solution.routes if s.pickup.id in r.job_ids)
        assert ids.index(s.pickup.id) < ids.index(s.dropoff.id)


def test_insert_never_before_fixed_prefix(grid) -> None:
    plan = _base(grid, vehicles=1, n=8)
    route = plan.solution.routes[0]
    prefix = tuple(route.job_ids[:3])
    problem = replace(
        plan.problem, vehicles=[replace(plan.problem.vehicles[0], fixed_prefix=prefix)]
    )
    fixed_plan = make_plan(problem)
    assert tuple(fixed_plan.solution.routes[0].job_ids[:3]) == prefix
    # a job right next to the depot would be cheapest first - but the prefix stays first
    m = fixed_plan.matrix
    near_depot = int(np.argsort(m.distances[0])[1])
    new = insert(fixed_plan, Job("new", L(near_depot)))
    _ok(new)
    assert tuple(new.solution.routes[0].job_ids[:3]) == prefix


def test_insert_reports_reasons(grid) -> None:
    plan = _base(grid)
    heavy = insert(plan, Job("heavy", L(25), demand=(50, 1)))
    assert heavy.solution.unassigned_by_id()["heavy"].reason is UnassignedReason.CAPACITY
    skill = insert(plan, Job("crane", L(25), skills=frozenset({"crane"})))
    assert (
        skill.solution.unassigned_by_id()["crane"].reason is UnassignedReason.NO_VEHICLE_WITH_SKILL
    )
    # reachable alone, but every van is already busy across that window
    busy = insert(plan, Job("busy", L(25), window=TimeWindow(11_000, 11_001), service_s=900))
    reason = busy.solution.unassigned_by_id()["busy"].reason
    assert reason in {UnassignedReason.WINDOW_UNREACHABLE, UnassignedReason.NOT_ROUTED}
    _ok(busy)
    with pytest.raises(ValueError, match="already exists"):
        insert(plan, Job("j1", L(3)))


def test_insert_into_haversine_plan_extends_matrix() -> None:
    depot = Location.at(52.37, 4.89)
    jobs = [Job(f"j{i}", Location.at(52.37 + 0.01 * i, 4.89 + 0.005 * i)) for i in range(1, 6)]
    vehicles = [Vehicle("v", (), depot, depot, shift=TimeWindow(0, 36_000))]
    problem = Problem(jobs, vehicles, matrix=HaversineMatrix(), max_iterations=100, seed=1)
    plan = make_plan(problem)
    new = insert(plan, Job("new", Location.at(52.33, 4.80)))
    _ok(new)
    assert "new" in new.solution.routes[0].job_ids
    assert new.matrix.durations.shape == (7, 7)


def test_reoptimize_honours_prefixes_and_new_orders(grid) -> None:
    plan = _base(grid, n=20)
    # Mid-day: each driver has committed to their first two stops; a new order arrives.
    vehicles = []
    for v in plan.problem.vehicles:
        route = plan.solution.route_for(v.id)
        prefix = tuple(route.job_ids[:2]) if route else ()
        vehicles.append(replace(v, fixed_prefix=prefix))
    problem = replace(
        plan.problem,
        vehicles=vehicles,
        jobs=[*plan.problem.jobs, Job("late-order", L(25), demand=(1, 1))],
    )
    new = reoptimize(problem, plan)
    _ok(new)
    for v in vehicles:
        if v.fixed_prefix:
            assert tuple(new.solution.route_for(v.id).job_ids[:2]) == v.fixed_prefix
    assert "late-order" in {j for r in new.solution.routes for j in r.job_ids}
    # warm start: not worse than the old plan plus the cheapest insertion
    assert new.solution.distance <= insert(plan, problem.jobs[-1]).solution.distance


def test_eta_waits_and_flags_late_risk(grid) -> None:
    m = grid([(0.0, 0.0), (100.0, 0.0), (300.0, 0.0), (600.0, 0.0)])
    stops = [
        Job("a", L(1), window=TimeWindow(500, 900), service_s=50),  # arrive 100, wait
        Job("b", L(2), window=TimeWindow(0, 800), service_s=50),  # 550 + 200 = 750 ok
        Job("c", L(3), window=TimeWindow(0, 1000), service_s=0),  # 800 + 300 = 1100 late
    ]
    etas = eta(stops, L(0), now=0, matrix=m)
    assert [e.eta for e in etas] == [100, 750, 1100]
    assert etas[0].start == 500 and etas[0].departure == 550
    assert [e.late_risk for e in etas] == [False, False, True]
    assert etas[2].slack_s == -100
    later = eta(stops[1:], L(1), now=700, matrix=m)  # driver is running late
    assert [e.late_risk for e in later] == [True, True]


def test_eta_for_route_uses_plan_matrix(grid) -> None:
    plan = _base(grid)
    route = plan.solution.routes[0]
    first = route.stops[0]
    etas = eta_for_route(plan, route.vehicle_id, L(0), now=route.departure)
    assert etas[0].eta == first.arrival
    assert len(etas) == len(route.stops)
    rest = eta_for_route(plan, route.vehicle_id, L(0), 0, served={first.job_id})
    assert [e.job_id for e in rest] == route.job_ids[1:]


def test_reoptimize_without_search_returns_the_warm_start(grid) -> None:
    plan = _base(grid, n=20, vehicles=4)
    frozen = replace(plan.problem, max_iterations=0)
    again = reoptimize(frozen, plan)
    assert {r.vehicle_id: r.job_ids for r in again.solution.routes} == {
        r.vehicle_id: r.job_ids for r in plan.solution.routes
    }


def test_reoptimize_mid_day_with_shipments_in_prefix(grid) -> None:
    rng = np.random.default_rng(21)
    pts = [(500.0, 500.0), *map(tuple, rng.uniform(0, 1000, size=(16, 2)))]
    m = grid(pts)
    shipments = [
        Shipment(f"s{i}", Job(f"s{i}-p", L(i)), Job(f"s{i}-d", L(i + 8)), amount=(2,))
        for i in range(1, 9)
    ]
    fleet = [Vehicle(f"v{k}", (5,), L(0), L(0), shift=TimeWindow(0, 20_000)) for k in range(2)]
    problem = Problem([], fleet, shipments, matrix=m, max_iterations=300, seed=4)
    plan = make_plan(problem)
    _ok(plan)
    route = max(plan.solution.routes, key=lambda r: len(r.stops))
    # commit to the stops up to (and including) the first pickup whose dropoff comes later
    ids = route.job_ids
    cut = next(i for i, j in enumerate(ids) if j.endswith("-p")) + 1
    prefix = tuple(ids[:cut])
    carried = prefix[-1].removesuffix("-p") + "-d"
    assert carried not in prefix
    vehicles = [replace(v, fixed_prefix=prefix) if v.id == route.vehicle_id else v for v in fleet]
    new = reoptimize(replace(problem, vehicles=vehicles), plan)
    _ok(new)
    new_ids = new.solution.route_for(route.vehicle_id).job_ids
    assert tuple(new_ids[:cut]) == prefix
    assert carried in new_ids  # goods on board stay with that van
    assert not new.solution.unassigned


def test_insert_into_open_route(grid) -> None:
    m = grid([(0.0, 0.0), (100.0, 0.0), (200.0, 0.0), (300.0, 0.0)])
    jobs = [Job("a", L(1)), Job("b", L(2))]
    van = Vehicle("v", (), L(0), end=None, shift=TimeWindow(0, 1000))
    plan = make_plan(Problem(jobs, [van], matrix=m, max_iterations=50, seed=1))
    assert plan.solution.routes[0].job_ids == ["a", "b"]
    new = insert(plan, Job("c", L(3)))
    _ok(new)
    assert new.solution.routes[0].job_ids == ["a", "b", "c"]
    assert new.solution.distance == 300  # no return leg on an open route
