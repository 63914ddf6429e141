"""Routing benchmark: our API path vs. raw PyVRP on public instances with known optima.

Usage (also wired as ``python -m logistics_ai bench routing ...``)::

    python -m loadtests.routing_bench --quick            # 6 Solomon + 2 G&H 1000 + city
    python -m loadtests.routing_bench --only 'R1*,C201'  # glob(s) on instance names
    python -m loadtests.routing_bench                    # everything (~25 min)

Per instance it runs (1) the API path - ``Problem`` -> :func:`solver.solve` ->
``Solution`` - and (2) PyVRP called directly on the same integer matrix with the
same budget and seed. Both are re-checked by :mod:`feasibility` and costed in the
instance's own convention (Solomon: double-precision Euclidean; G&H 1000: DIMACS
one-decimal truncation). Gaps are against the distance-only BKS (Solomon
``<NAME>_distance``), the ``.sol`` files (G&H 1000) or the hierarchical BKS (G&H
200/400, marked ``hier``: a distance-minimiser may legitimately beat those).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from loadtests.routing_instances import (
    Instance,
    read_city,
    read_solomon,
    read_vrplib,
    read_vrplib_solution,
)
from logistics_ai.dispatch.feasibility import check_solution
from logistics_ai.dispatch.matrix import resolve_problem
from logistics_ai.dispatch.model import Job, Location, Problem, Shipment, Solution, TimeWindow
from logistics_ai.dispatch.operations import Plan, insert, make_plan
from logistics_ai.dispatch.schedule import schedule_route
from logistics_ai.dispatch.solver import solve

QUICK = ["C101", "C201", "R101", "R201", "RC101", "RC201", "R1_10_1", "RC2_10_5", "city1000"]
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "routing"


@dataclass
class Run:
    cost: float
    vehicles: int
    seconds: float
    feasible: bool
    unassigned: int = 0
    note: str = ""
    cpu_share: float = 1.0  # process CPU time / wall time: < 1 means the box was busy


@dataclass
class Row:
    name: str
    group: str
    bks: float | None
    bks_kind: str
    budget_s: float
    ours: Run
    raw: Run | None

    @staticmethod
    def gap(cost: float, bks: float | None) -> float | None:
        return None if bks is None or not np.isfinite(cost) else 100.0 * (cost - bks) / bks


@dataclass
class CityResult:
    budget_s: float
    first_plan_s: float
    first_plan_km: float
    first_plan_feasible: bool
    first_feasible_in_search_s: float | None
    km_after_budget: float
    routes: int
    unassigned: int
    feasible: bool
    raw_km: float | None
    raw_seconds: float | None
    inserts: list[InsertStats] = field(default_factory=list)


@dataclass
class InsertStats:
    plan: str
    routes: int
    stops_per_route: float
    job_ms: dict[str, float]
    shipment_ms: dict[str, float]
    inserted: int
    attempts: int
    all_feasible: bool


# -- instance discovery -----------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    name: str
    group: str  # solomon | homberger_200 | homberger_400 | homberger_1000 | city
    path: Path


def discover(root: Path) -> list[Spec]:
    specs: list[Spec] = []
    for path in sorted((root / "solomon").glob("*.txt")):
        specs.append(Spec(path.stem, "solomon", path))
    for path in sorted((root / "homberger").glob("*.txt")):
        size = path.stem.split("_")[1]
        specs.append(Spec(path.stem, f"homberger_{size}00", path))
    for path in sorted((root / "homberger").glob("*.vrp")):
        specs.append(Spec(path.stem, "homberger_1000", path))
    if (root / "city1000.json").exists():
        specs.append(Spec("city1000", "city", root / "city1000.json"))
    return specs


def select(specs: list[Spec], only: str | None, quick: bool) -> list[Spec]:
    if quick and not only:
        wanted = {n.lower() for n in QUICK}
        return [s for s in specs if s.name.lower() in wanted]
    if not only:
        return specs
    patterns = [p.strip().lower() for p in only.split(",") if p.strip()]
    return [s for s in specs if any(fnmatch.fnmatch(s.name.lower(), p) for p in patterns)]


def load_bks(root: Path) -> dict[str, dict[str, float]]:
    path = root / "BKS.json"
    return json.loads(path.read_text()) if path.exists() else {}


# -- one instance -----------------------------------------------------------------------------


def run_instance(spec: Spec, bks_table: dict, budget_s: float, seed: int, raw: bool) -> Row:
    if spec.group == "homberger_1000":
        inst = read_vrplib(spec.path, convention="dimacs")
        sol_path = spec.path.with_suffix(".sol")
        bks = read_vrplib_solution(sol_path).cost if sol_path.exists() else None
        kind = "dimacs .sol"
    else:
        inst = read_solomon(spec.path)
        entry = bks_table.get(f"{spec.name}_distance")
        kind = "distance"
        if entry is None:
            entry = bks_table.get(spec.name) or bks_table.get(spec.name.lower())
            kind = "hier"
        bks = float(entry["best_known_cost"]) if entry else None

    ours = run_ours(inst, budget_s, seed)
    raw_run = run_raw(inst, budget_s, seed) if raw else None
    return Row(spec.name, spec.group, bks, kind, budget_s, ours, raw_run)


def run_ours(inst: Instance, budget_s: float, seed: int) -> Run:
    problem = inst.to_problem(budget_s=budget_s, seed=seed)
    started, cpu = time.perf_counter(), time.process_time()
    solution = solve(problem)  # exactly the API path
    seconds = time.perf_counter() - started
    cpu_share = (time.process_time() - cpu) / seconds
    routes = [[int(j) for j in r.job_ids] for r in solution.routes]
    feasible, note = _check(problem, solution, inst)
    return Run(
        cost=inst.cost(routes),
        vehicles=len(routes),
        seconds=seconds,
        feasible=feasible and not solution.unassigned,
        unassigned=len(solution.unassigned),
        note=note,
        cpu_share=cpu_share,
    )


def raw_data(inst: Instance) -> pyvrp.ProblemData:
    """The same instance straight into PyVRP: required clients, one vehicle type."""
    durations, distances = inst.matrices()
    ready, due, service = inst.scaled(inst.ready), inst.scaled(inst.due), inst.scaled(inst.service)
    n = len(inst.coords)
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[int(inst.demand[i])],
            service_duration=service[i],
            tw_early=ready[i],
            tw_late=due[i],
        )
        for i in range(1, n)
    ]
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(float(x), float(y)) for x, y in inst.coords],
        clients=clients,
        depots=[pyvrp.Depot(location=0)],
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=inst.vehicles,
                capacity=[inst.capacity],
                tw_early=ready[0],
                tw_late=due[0],
            )
        ],
        distance_matrices=[distances],
        duration_matrices=[durations],
    )


def run_raw(inst: Instance, budget_s: float, seed: int) -> Run:
    started, cpu = time.perf_counter(), time.process_time()
    data = raw_data(inst)
    result = pyvrp.solve(data, MaxRuntime(budget_s), seed=seed, collect_stats=False)
    seconds = time.perf_counter() - started
    cpu_share = (time.process_time() - cpu) / seconds
    # client c sits on location c + 1 (location 0 is the depot) = instance node c + 1
    routes = [[a.idx + 1 for a in r if a.is_client()] for r in result.best.routes()]
    # Re-time the raw answer with our code and check it like ours.
    problem = inst.to_problem()
    matrix = resolve_problem(problem)
    visits = problem.visits()
    sol = Solution(
        routes=[
            schedule_route(problem.vehicles[k], [visits[str(c)] for c in r], matrix, 1)
            for k, r in enumerate(routes)
        ],
        unassigned=[],
    )
    feasible, note = _check(problem, sol, inst)
    return Run(
        cost=inst.cost(routes) if result.is_feasible() else float("inf"),
        vehicles=len(routes),
        seconds=seconds,
        feasible=feasible and result.is_feasible(),
        note=note,
        cpu_share=cpu_share,
    )


def _check(problem: Problem, solution: Solution, inst: Instance) -> tuple[bool, str]:
    """Independent check; Solomon plans are re-checked on the exact (float) matrix too."""
    report = check_solution(problem, solution)
    if report.ok and inst.convention == "solomon":
        exact = inst.exact_matrix()
        report = check_solution(problem, solution, exact, exact, check_reported=False)
    note = "" if report.ok else f"{len(report.violations)} violations: {report.violations[0]}"
    return report.ok, note


# -- city ---------------------------------------------------------------------------------------


def run_city(path: Path, budget_s: float, seed: int, raw: bool, inserts: int) -> CityResult:
    # 1. First plan: the whole API call with no search budget (construction + local search).
    problem = read_city(path, budget_s=0.0, seed=seed)
    started = time.perf_counter()
    first = solve(problem)
    first_s = time.perf_counter() - started
    first_ok = check_solution(problem, first).ok and not first.unassigned

    # 2. The normal budget; the solver reports when the search first held a feasible plan.
    problem = read_city(path, budget_s=budget_s, seed=seed)
    plan = make_plan(problem)
    report = check_solution(problem, plan.solution)
    stats = plan.solution.stats
    first_in_search = None
    if "first_feasible_s" in stats:
        first_in_search = stats.get("backend_start_s", 0.0) + stats["first_feasible_s"]

    raw_km = raw_s = None
    if raw:
        raw_km, raw_s = _city_raw(problem, plan, budget_s, seed)

    result = CityResult(
        budget_s=budget_s,
        first_plan_s=first_s,
        first_plan_km=first.distance / 1000,
        first_plan_feasible=first_ok,
        first_feasible_in_search_s=first_in_search,
        km_after_budget=plan.solution.distance / 1000,
        routes=len(plan.solution.routes),
        unassigned=len(plan.solution.unassigned),
        feasible=report.ok,
        raw_km=raw_km,
        raw_seconds=raw_s,
    )
    if inserts:
        result.inserts.append(_city_inserts("budget plan", plan, inserts, seed))
        # The distance objective packs the day into fewer, longer routes. For the
        # "50 routes x ~20 stops" figure, plan with route duration capped at 3 h so
        # every van is used, then give the vans 4 h so new orders have room.
        capped = replace(
            problem, vehicles=[replace(v, max_duration_s=3 * 3600) for v in problem.vehicles]
        )
        dense = make_plan(capped)
        roomier = replace(
            problem, vehicles=[replace(v, max_duration_s=4 * 3600) for v in problem.vehicles]
        )
        dense = Plan(roomier, dense.solution, dense.matrix)
        result.inserts.append(_city_inserts("50-route plan", dense, inserts, seed))
    return result


def _city_raw(problem: Problem, plan: Plan, budget_s: float, seed: int) -> tuple[float, float]:
    started = time.perf_counter()
    dur, dist = plan.matrix.durations, plan.matrix.distances
    depot = plan.matrix.row(problem.vehicles[0].start)
    rows = [plan.matrix.row(j.location) for j in problem.jobs]
    order = [depot, *rows]
    sub = np.ix_(order, order)
    v = problem.vehicles[0]
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(0.0, 0.0) for _ in order],
        clients=[
            pyvrp.Client(
                location=i + 1,
                delivery=list(j.demand),
                service_duration=j.service_s,
                tw_early=j.window.start,
                tw_late=j.window.end,
            )
            for i, j in enumerate(problem.jobs)
        ],
        depots=[pyvrp.Depot(location=0)],
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=len(problem.vehicles),
                capacity=list(v.capacity),
                tw_early=v.shift.start,
                tw_late=v.shift.end,
            )
        ],
        distance_matrices=[np.ascontiguousarray(dist[sub])],
        duration_matrices=[np.ascontiguousarray(dur[sub])],
    )
    result = pyvrp.solve(data, MaxRuntime(budget_s), seed=seed, collect_stats=False)
    seconds = time.perf_counter() - started
    km = result.best.distance() / 1000 if result.is_feasible() else float("inf")
    return km, seconds


def _city_inserts(label: str, plan: Plan, count: int, seed: int) -> InsertStats:
    """``count`` new jobs and ``count`` new shipments, each inserted into the same plan."""
    rng = np.random.default_rng(seed + 7)
    lats = np.array([j.location.lat for j in plan.problem.jobs])
    lons = np.array([j.location.lon for j in plan.problem.jobs])
    windows = [j.window for j in plan.problem.jobs]

    def point() -> Location:
        k = int(rng.integers(len(lats)))  # near a real stop, so the spread is city-like
        return Location.at(
            float(lats[k] + rng.normal(0, 0.003)), float(lons[k] + rng.normal(0, 0.005))
        )

    job_ms: list[float] = []
    ship_ms: list[float] = []
    inserted = 0
    feasible = True
    for n in range(count):
        w = windows[int(rng.integers(len(windows)))]
        job = Job(
            f"new-job-{n}", point(), demand=(int(rng.integers(1, 20)),), window=w, service_s=300
        )
        start = int(rng.integers(0, 6)) * 3600
        shipment = Shipment(
            f"new-ship-{n}",
            Job(f"new-ship-{n}-p", point(), window=TimeWindow(start, start + 7200), service_s=120),
            Job(f"new-ship-{n}-d", point(), window=TimeWindow(start, start + 14400), service_s=120),
            amount=(int(rng.integers(1, 10)),),
        )
        for order, sink in ((job, job_ms), (shipment, ship_ms)):
            t = time.perf_counter()
            new_plan = insert(plan, order)
            sink.append(1000 * (time.perf_counter() - t))
            if order.id not in new_plan.solution.unassigned_by_id():
                inserted += 1
            feasible &= check_solution(new_plan.problem, new_plan.solution).ok
    routes = len(plan.solution.routes)
    stops = sum(len(r.stops) for r in plan.solution.routes)
    return InsertStats(
        plan=label,
        routes=routes,
        stops_per_route=stops / max(1, routes),
        job_ms=_percentiles(job_ms),
        shipment_ms=_percentiles(ship_ms),
        inserted=inserted,
        attempts=2 * count,
        all_feasible=feasible,
    )


def _percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "max": float(arr.max()),
    }


# -- output -------------------------------------------------------------------------------------


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and not np.isfinite(x)) else format(x, spec)


def print_row(row: Row) -> None:
    o, r = row.ours, row.raw
    line = (
        f"{row.name:<10} {row.group:<15} bks {_fmt(row.bks, '9.2f')} {row.bks_kind:<11}"
        f" | ours {o.cost:9.2f} gap {_fmt(Row.gap(o.cost, row.bks), '+6.2f')}%"
        f" veh {o.vehicles:3d} {o.seconds:6.2f}s cpu {o.cpu_share:4.0%} {_ok(o)}"
    )
    if r is not None:
        line += (
            f" | raw {_fmt(r.cost, '9.2f')} gap {_fmt(Row.gap(r.cost, row.bks), '+6.2f')}%"
            f" veh {r.vehicles:3d} {r.seconds:6.2f}s cpu {r.cpu_share:4.0%} {_ok(r)}"
            f" | cost x{o.cost / r.cost:.4f} time x{o.seconds / r.seconds:.3f}"
        )
    print(line + (f"  [{o.note}]" if o.note else ""), flush=True)


def _ok(run: Run) -> str:
    return "ok " if run.feasible else "BAD"


def print_city(c: CityResult) -> None:
    print(
        f"city1000   50 vehicles: first plan (budget 0) {c.first_plan_s:.2f}s"
        f" {c.first_plan_km:.1f} km {'feasible' if c.first_plan_feasible else 'INFEASIBLE'};"
        f" first feasible in search {_fmt(c.first_feasible_in_search_s, '.2f')}s;"
        f" after {c.budget_s:g}s {c.km_after_budget:.1f} km, {c.routes} routes,"
        f" {c.unassigned} unassigned, {'feasible' if c.feasible else 'INFEASIBLE'}"
        + (f" | raw PyVRP {c.raw_km:.1f} km in {c.raw_seconds:.2f}s" if c.raw_km else ""),
        flush=True,
    )
    for ins in c.inserts:
        j, s = ins.job_ms, ins.shipment_ms
        print(
            f"city1000   insert into {ins.plan} ({ins.routes} routes x"
            f" {ins.stops_per_route:.1f} stops): job p50 {j['p50']:.1f} ms p95 {j['p95']:.1f} ms"
            f" max {j['max']:.1f} ms; shipment p50 {s['p50']:.1f} ms p95 {s['p95']:.1f} ms"
            f" max {s['max']:.1f} ms; {ins.inserted}/{ins.attempts} inserted,"
            f" all resulting plans feasible: {ins.all_feasible}",
            flush=True,
        )


def summarise(rows: list[Row], city: CityResult | None) -> dict[str, object]:
    groups: dict[str, dict[str, object]] = {}
    for group in sorted({r.group for r in rows}):
        members = [r for r in rows if r.group == group]
        ours = [Row.gap(r.ours.cost, r.bks) for r in members]
        raws = [Row.gap(r.raw.cost, r.bks) for r in members if r.raw is not None]
        groups[group] = {
            "instances": len(members),
            "mean_gap_ours": _mean(ours),
            "mean_gap_raw": _mean(raws) if raws else None,
            "all_feasible": all(r.ours.feasible for r in members),
        }
    paired = [r for r in rows if r.raw is not None and np.isfinite(r.raw.cost)]
    summary: dict[str, object] = {"groups": groups}
    if paired:
        summary["overhead_time_ratio"] = statistics.fmean(
            r.ours.seconds / r.raw.seconds
            for r in paired  # type: ignore[union-attr]
        )
        summary["overhead_cost_ratio"] = statistics.fmean(
            r.ours.cost / r.raw.cost
            for r in paired  # type: ignore[union-attr]
        )
    if city is not None:
        summary["city"] = asdict(city)
    return summary


def _mean(values: list[float | None]) -> float | None:
    real = [v for v in values if v is not None]
    return statistics.fmean(real) if real else None


def print_summary(summary: dict[str, object]) -> None:
    parts = []
    for group, g in summary["groups"].items():  # type: ignore[attr-defined]
        raw = g["mean_gap_raw"]
        parts.append(
            f"{group} ({g['instances']}): mean gap ours {_fmt(g['mean_gap_ours'], '+.2f')}%"
            + (f" raw {_fmt(raw, '+.2f')}%" if raw is not None else "")
            + ("" if g["all_feasible"] else " NOT ALL FEASIBLE")
        )
    if "overhead_time_ratio" in summary:
        parts.append(
            f"overhead ours/raw: time x{summary['overhead_time_ratio']:.3f}"
            f" cost x{summary['overhead_cost_ratio']:.4f}"
        )
    city = summary.get("city")
    if isinstance(city, dict):
        parts.append(
            f"city1000 first feasible {_fmt(city['first_feasible_in_search_s'], '.2f')}s"
            + "".join(
                f", insert p95 ({i['routes']} routes) job {i['job_ms']['p95']:.1f} ms"
                f" shipment {i['shipment_ms']['p95']:.1f} ms"
                for i in city["inserts"]
            )
        )
    print("SUMMARY " + " | ".join(parts), flush=True)


# -- entry point --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m logistics_ai bench routing",
        description="Benchmark the dispatch routing engine against BKS and raw PyVRP.",
    )
    ap.add_argument("--instances", type=Path, default=DEFAULT_DIR, help="benchmark data dir")
    ap.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds per solve (default 10; 30 for the 1000-customer instances"
        " unless this or --large-budget is given)",
    )
    ap.add_argument(
        "--large-budget",
        type=float,
        default=None,
        help="seconds per solve for the 1000-customer instances (overrides --budget)",
    )
    ap.add_argument("--city-budget", type=float, default=10.0, help="city1000 budget (s)")
    ap.add_argument("--only", help="comma-separated globs on instance names, e.g. 'R1*,C201'")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="C101 C201 R101 R201 RC101 RC201, R1_10_1 RC2_10_5 and city1000 (~6 min)",
    )
    ap.add_argument("--no-raw", action="store_true", help="skip the raw-PyVRP comparison")
    ap.add_argument("--inserts", type=int, default=100, help="city insert samples per kind")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON document at the end")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root: Path = args.instances
    if not root.is_dir():
        print(f"instances directory not found: {root}", file=sys.stderr)
        return 2
    specs = select(discover(root), args.only, args.quick)
    if not specs:
        print("no instance matches", file=sys.stderr)
        return 2
    bks = load_bks(root)
    small = args.budget if args.budget is not None else 10.0
    large = (
        args.large_budget
        if args.large_budget is not None
        else (args.budget if args.budget is not None else 30.0)
    )
    show = not args.json
    rows: list[Row] = []
    city: CityResult | None = None
    for spec in specs:
        if spec.group == "city":
            city = run_city(spec.path, args.city_budget, args.seed, not args.no_raw, args.inserts)
            if show:
                print_city(city)
            continue
        budget = large if spec.group == "homberger_1000" else small
        row = run_instance(spec, bks, budget, args.seed, raw=not args.no_raw)
        rows.append(row)
        if show:
            print_row(row)
    summary = summarise(rows, city)
    if args.json:
        doc = {"instances": [asdict(r) for r in rows], "summary": summary}
        print(json.dumps(_clean(doc), indent=2))
    else:
        print_summary(summary)
    feasible = all(r.ours.feasible for r in rows) and (city is None or city.feasible)
    return 0 if feasible else 1


def _clean(obj: object) -> object:
    """JSON has no inf/nan: report them as null."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    return obj


if __name__ == "__main__":
    sys.exit(main())
