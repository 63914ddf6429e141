"""The independent checker must catch every kind of violation on hand-made plans."""

from __future__ import annotations

from dataclasses import replace

import pytest

from logistics_ai.dispatch.feasibility import check_solution
from logistics_ai.dispatch.matrix import ExplicitMatrix, resolve_problem
from logistics_ai.dispatch.model import (
    Job,
    Location,
    Problem,
    Route,
    ScheduledStop,
    Shipment,
    Solution,
    StopKind,
    TimeWindow,
    Unassigned,
    UnassignedReason,
    Vehicle,
)
from logistics_ai.dispatch.schedule import schedule_route

L = Location.row


@pytest.fixture
def problem(grid) -> Problem:
    # depot 0 at x=0, stops every 100 m on a line; 1 m/s
    m: ExplicitMatrix = grid([(100.0 * i, 0.0) for i in range(6)])
    jobs = [
        Job("a", L(1), demand=(2, 1), window=TimeWindow(0, 500), service_s=10),
        Job("b", L(2), demand=(2, 1), window=TimeWindow(0, 1000), service_s=10),
        Job("cold", L(3), demand=(1, 0), skills=frozenset({"fridge"})),
    ]
    shipments = [Shipment("s", Job("s-p", L(4)), Job("s-d", L(5)), amount=(1, 1))]
    vehicles = [
        Vehicle("v1", (5, 3), L(0), L(0), shift=TimeWindow(0, 3000), skills=frozenset({"fridge"})),
        Vehicle("v2", (5, 3), L(0), L(0), shift=TimeWindow(0, 3000)),
    ]
    return Problem(jobs, vehicles, shipments, matrix=m)


def _route(problem: Problem, vehicle_id: str, ids: list[str], fixed: int = 0) -> Route:
    visits = problem.visits()
    return schedule_route(
        problem.vehicle(vehicle_id),
        [visits[i] for i in ids],
        resolve_problem(problem),
        problem.dims,
        fixed_count=fixed,
    )


def _solution(problem: Problem, routes: dict[str, list[str]], unassigned=()) -> Solution:
    return Solution(
        [_route(problem, v, ids) for v, ids in routes.items()],
        [Unassigned(u, UnassignedReason.NOT_ROUTED) for u in unassigned],
    )


def test_valid_plan_passes(problem: Problem) -> None:
    sol = _solution(problem, {"v1": ["a", "b", "cold", "s-p", "s-d"]})
    report = check_solution(problem, sol)
    assert report.ok, report.violations
    assert report.distance == 1000  # 0 -> 500 m and back


def test_late_window(problem: Problem) -> None:
    sol = _solution(problem, {"v1": ["b", "cold", "s-p", "s-d", "a"]})  # a reached at ~900 s
    assert "window" in check_solution(problem, sol).kinds()


def test_capacity_each_dimension(problem: Problem) -> None:
    small = replace(problem, vehicles=[replace(problem.vehicles[0], capacity=(5, 1))])
    sol = _solution(small, {"v1": ["a", "b"]})  # volume 2 > 1 at departure
    report = check_solution(small, sol)
    assert "capacity" in report.kinds()
    assert any("(4, 2)" in v.detail for v in report.violations)


def test_dropoff_before_pickup(problem: Problem) -> None:
    sol = _solution(problem, {"v1": ["s-d", "s-p"]}, unassigned=["a", "b", "cold"])
    assert "shipment" in check_solution(problem, sol).kinds()


def test_shipment_split_over_vehicles(problem: Problem) -> None:
    sol = _solution(problem, {"v1": ["s-p"], "v2": ["s-d"]}, unassigned=["a", "b", "cold"])
    assert "shipment" in check_solution(problem, sol).kinds()


def test_skill_violation(problem: Problem) -> None:
    sol = _solution(problem, {"v2": ["cold"]}, unassigned=["a", "b", "s"])
    assert check_solution(problem, sol).kinds() == {"skill"}


def test_shift_end_and_max_duration(problem: Problem) -> None:
    short = replace(
        problem,
        vehicles=[replace(problem.vehicles[0], shift=TimeWindow(0, 600), max_duration_s=500)],
    )
    sol = _solution(short, {"v1": ["a", "b", "cold", "s-p", "s-d"]})
    assert {"shift", "duration"} <= check_solution(short, sol).kinds()


def test_coverage_missing_and_duplicate(problem: Problem) -> None:
    missing = _solution(problem, {"v1": ["a"]})  # b, cold, s neither routed nor unassigned
    assert "coverage" in check_solution(problem, missing).kinds()
    dup = _solution(problem, {"v1": ["a", "b"], "v2": ["a"]}, unassigned=["cold", "s"])
    assert any(v.detail == "served twice" for v in check_solution(problem, dup).violations)
    both = _solution(problem, {"v1": ["a", "b", "cold"]}, unassigned=["a", "s"])
    assert any("but routed" in v.detail for v in check_solution(problem, both).violations)


def test_reported_figures_must_match(problem: Problem) -> None:
    sol = _solution(problem, {"v1": ["a", "b", "cold", "s-p", "s-d"]})
    route = sol.routes[0]
    bad_dist = replace(route, distance=route.distance - 1)
    assert "distance" in check_solution(problem, Solution([bad_dist], [])).kinds()
    early = replace(
        route,
        stops=(replace(route.stops[0], arrival=50, start=50, departure=60), *route.stops[1:]),
    )
    assert "travel" in check_solution(problem, Solution([early], [])).kinds()
    wrong_load = replace(route, stops=(replace(route.stops[0], load=(9, 9)), *route.stops[1:]))
    assert "load" in check_solution(problem, Solution([wrong_load], [])).kinds()


def test_fixed_prefix_must_come_first(problem: Problem) -> None:
    fixed = replace(problem, vehicles=[replace(problem.vehicles[0], fixed_prefix=("b", "a"))])
    ok = _solution(fixed, {"v1": ["b", "a", "cold", "s-p", "s-d"]})
    assert check_solution(fixed, ok).ok
    swapped = _solution(fixed, {"v1": ["a", "b", "cold", "s-p", "s-d"]})
    assert "prefix" in check_solution(fixed, swapped).kinds()


def test_exact_matrix_override(problem: Problem) -> None:
    sol = _solution(problem, {"v1": ["a", "b", "cold", "s-p", "s-d"]})
    m = resolve_problem(problem)
    slower = m.durations * 2.0  # float matrices are accepted
    report = check_solution(problem, sol, slower, m.distances * 1.0, check_reported=False)
    assert "travel" in report.kinds()


def test_unknown_stop_reported(problem: Problem) -> None:
    bogus = Route(
        "v1",
        (ScheduledStop("zzz", StopKind.JOB, 0, 0, 0, (0, 0)),),
        departure=0,
        end_time=0,
        distance=0,
        duration=0,
    )
    assert "coverage" in check_solution(problem, Solution([bogus], [])).kinds()
