"""Readers for the shared benchmark files, and the cost conventions behind the gaps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from loadtests import routing_bench as bench
from loadtests.routing_instances import (
    read_city,
    read_solomon,
    read_vrplib,
    read_vrplib_solution,
)
from logistics_ai.dispatch.feasibility import check_solution
from logistics_ai.dispatch.matrix import resolve_problem
from logistics_ai.dispatch.model import Solution
from logistics_ai.dispatch.schedule import schedule_route


def test_solomon_reader(routing_data: Path) -> None:
    inst = read_solomon(routing_data / "solomon" / "C101.txt")
    assert inst.name == "C101"
    assert (inst.vehicles, inst.capacity, inst.num_customers) == (25, 200, 100)
    assert inst.coords[0].tolist() == [40.0, 50.0]
    assert (inst.ready[0], inst.due[0], inst.service[0]) == (0, 1236, 0)
    assert inst.coords[1].tolist() == [45.0, 68.0]
    assert (inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (10, 912, 967, 90)
    assert (
        inst.demand.sum()
        == json.loads((routing_data / "BKS.json").read_text())["C101"]["total_demand"]
    )


def test_all_solomon_files_parse(routing_data: Path) -> None:
    files = sorted((routing_data / "solomon").glob("*.txt"))
    assert len(files) == 56
    bks = json.loads((routing_data / "BKS.json").read_text())
    for path in files:
        inst = read_solomon(path)
        entry = bks[f"{path.stem}_distance"]
        assert inst.num_customers == entry["jobs"] == 100
        assert inst.capacity == entry["capacity"]
        assert int(inst.demand.sum()) == entry["total_demand"]


def test_homberger_text_reader(routing_data: Path) -> None:
    inst = read_solomon(routing_data / "homberger" / "c2_2_1.txt")
    assert (inst.vehicles, inst.capacity, inst.num_customers) == (50, 700, 200)


@pytest.mark.parametrize(("name", "routes"), [("R1_10_1", 95), ("RC2_10_5", 27)])
def test_vrplib_bks_solution_cost_matches_cost_line(
    routing_data: Path, name: str, routes: int
) -> None:
    inst = read_vrplib(routing_data / "homberger" / f"{name}.vrp")
    assert inst.num_customers == 1000 and inst.vehicles == 250
    assert inst.service[0] == 0 and inst.service[1] == 10
    sol = read_vrplib_solution(routing_data / "homberger" / f"{name}.sol")
    assert len(sol.routes) == routes
    assert sorted(c for r in sol.routes for c in r) == list(range(1, 1001))
    # DIMACS convention: floor(10 * euclid) / 10 per leg
    assert inst.cost(sol.routes) == pytest.approx(sol.cost, abs=1e-6)


def test_vrplib_bks_solution_is_feasible_in_our_model(routing_data: Path) -> None:
    """Our time/window/capacity semantics accept the published best solution."""
    inst = read_vrplib(routing_data / "homberger" / "RC2_10_5.vrp")
    sol = read_vrplib_solution(routing_data / "homberger" / "RC2_10_5.sol")
    problem = inst.to_problem()
    matrix = resolve_problem(problem)
    visits = problem.visits()
    routes = [
        schedule_route(problem.vehicles[k], [visits[str(c)] for c in r], matrix, 1)
        for k, r in enumerate(sol.routes)
    ]
    report = check_solution(problem, Solution(routes, []))
    assert report.ok, report.violations[:3]
    assert report.distance / inst.scale == pytest.approx(sol.cost)


def test_solomon_scaled_matrix_is_safe(routing_data: Path) -> None:
    inst = read_solomon(routing_data / "solomon" / "R101.txt")
    durations, distances = inst.matrices()
    exact = inst.exact_matrix()
    assert (durations >= exact - 1e-6).all()  # rounded up: integer-feasible => feasible
    assert np.abs(distances - exact).max() <= 0.5
    assert inst.cost([[1, 2, 3]]) == pytest.approx(
        sum(float(inst.euclid()[a, b]) for a, b in [(0, 1), (1, 2), (2, 3), (3, 0)])
    )


def test_city_reader(routing_data: Path) -> None:
    problem = read_city(routing_data / "city1000.json")
    assert len(problem.jobs) == 1000 and len(problem.vehicles) == 50
    assert problem.vehicles[0].capacity == (300,)
    assert problem.vehicles[0].shift.end == 36_000
    assert problem.jobs[1].window.start == 18_000


def test_bench_cli_smoke(routing_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(["--only", "C101", "--budget", "0.2", "--instances", str(routing_data)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[-1].startswith("SUMMARY solomon (1)")
    assert "overhead ours/raw" in out


def test_bench_cli_json(routing_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(
        [
            "--only",
            "RC101",
            "--budget",
            "0.2",
            "--no-raw",
            "--json",
            "--instances",
            str(routing_data),
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    (row,) = doc["instances"]
    assert row["name"] == "RC101" and row["ours"]["feasible"]
    assert doc["summary"]["groups"]["solomon"]["instances"] == 1


def test_bench_selection(routing_data: Path) -> None:
    specs = bench.discover(routing_data)
    quick = bench.select(specs, None, quick=True)
    assert {s.name for s in quick} == set(bench.QUICK)
    assert {s.name for s in bench.select(specs, "rc2*", quick=False)} == {
        f"RC20{i}" for i in range(1, 9)
    } | {"RC2_10_5"}
    assert bench.main(["--only", "nothing-matches", "--instances", str(routing_data)]) == 2
