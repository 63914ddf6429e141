"""The route solver of previews and /optimize runs in child processes at a lower CPU priority
(logistics_ai/services/solver_pool.py), with the same answer as in the calling thread."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from logistics_ai.dispatch.matrix import HaversineMatrix
from logistics_ai.dispatch.model import Job, Location, Problem, Solution, TimeWindow, Vehicle
from logistics_ai.observability import metrics
from logistics_ai.services import solver_pool
from tests.support import app_config


@pytest.fixture(autouse=True)
def fresh_pool() -> Iterator[None]:
    solver_pool.shutdown()
    yield
    solver_pool.shutdown()


def _problem() -> Problem:
    # Iterations, not seconds, bound the search: a seeded run gives the same routes anywhere.
    depot = Location.at(41.88, -87.65)
    jobs = [
        Job(f"j{i}", Location.at(41.88 + 0.01 * i, -87.65 + 0.007 * (i % 5))) for i in range(12)
    ]
    vans = [Vehicle(f"v{k}", (), depot, depot, shift=TimeWindow(0, 36_000)) for k in range(2)]
    return Problem(jobs, vans, matrix=HaversineMatrix(), max_iterations=200, seed=7)


def _routes(solution: Solution) -> list[tuple[str, list[str]]]:
    return [(r.vehicle_id, r.job_ids) for r in solution.routes]


def _runs() -> float:
    return metrics.OPTIMIZER_RUNS.labels("pyvrp", "ok")._value.get()


def test_a_solve_runs_in_a_nicer_child_with_the_same_routes_and_is_counted_here() -> None:
    with app_config.configured(solver_process_workers="0"):
        in_thread = solver_pool.solve(_problem())
        assert solver_pool.children() == set()
    with app_config.configured(solver_process_workers="1", solver_process_nice="7"):
        before = _runs()
        in_child = solver_pool.solve(_problem())
        (child,) = solver_pool.children()
        assert child != os.getpid()
        assert os.getpriority(os.PRIO_PROCESS, child) == os.getpriority(os.PRIO_PROCESS, 0) + 7
        # The child's own metrics registry is never scraped: the run is counted in this one.
        assert _runs() == before + 1
    assert _routes(in_child) == _routes(in_thread)
    assert in_child.distance == in_thread.distance and not in_child.unassigned
    assert sorted(j for _, ids in _routes(in_child) for j in ids) == sorted(
        f"j{i}" for i in range(12)
    )


def test_a_child_that_dies_costs_no_answer_and_the_next_solve_gets_a_new_pool() -> None:
    with app_config.configured(solver_process_workers="1", solver_process_nice="0"):
        expected = _routes(solver_pool.solve(_problem()))
        (victim,) = solver_pool.children()
        os.kill(victim, signal.SIGKILL)
        # The dead child's pool is noticed on this call or the next; every call still answers.
        assert _routes(solver_pool.solve(_problem())) == expected
        assert _routes(solver_pool.solve(_problem())) == expected
        assert victim not in solver_pool.children()
        assert solver_pool.children()


def test_a_changed_configuration_replaces_the_children_and_shutdown_stops_them() -> None:
    with app_config.configured(solver_process_workers="1", solver_process_nice="0"):
        solver_pool.solve(_problem())
        (first,) = solver_pool.children()
    with app_config.configured(solver_process_workers="1", solver_process_nice="3"):
        solver_pool.solve(_problem())
        (second,) = solver_pool.children()
        assert second != first
        solver_pool.shutdown()
        assert solver_pool.children() == set()
        with pytest.raises(ProcessLookupError):
            os.kill(second, 0)


def test_a_problem_the_solver_refuses_fails_in_the_caller_and_counts_as_a_failure() -> None:
    depot = Location.at(41.88, -87.65)
    # Two visits with one id: the solver refuses the problem in the child; the caller gets the
    # same exception it would get in its own thread, and the failure is counted here.
    jobs = [Job("same", depot), Job("same", depot)]
    vans = [Vehicle("v", (), depot, depot, shift=TimeWindow(0, 3_600))]
    problem = Problem(jobs, vans, matrix=HaversineMatrix(), max_iterations=10, seed=1)
    failures = metrics.OPTIMIZER_RUNS.labels("pyvrp", "error")
    before = failures._value.get()
    child = app_config.configured(solver_process_workers="1", solver_process_nice="0")
    with child, pytest.raises(ValueError) as in_child:
        solver_pool.solve(problem)
    with app_config.configured(solver_process_workers="0"), pytest.raises(ValueError) as in_thread:
        solver_pool.solve(problem)
    assert str(in_child.value) == str(in_thread.value)
    assert failures._value.get() == before + 2
