"""Routing engine: plain-data problems in, timed routes out (no DB, no UI).

Typical use from the service layer::

    from logistics_ai.dispatch import Job, Location, Problem, Vehicle, make_plan

    plan = make_plan(Problem(jobs=jobs, vehicles=vans, budget_s=10))
    plan = insert(plan, new_job)  # cheapest feasible insertion, milliseconds

See ``docs/dispatch.md`` for the model, options, limits and benchmark figures.
"""

from logistics_ai.dispatch.eta import StopEta, eta, eta_for_route
from logistics_ai.dispatch.feasibility import FeasibilityReport, check_solution
from logistics_ai.dispatch.matrix import (
    ExplicitMatrix,
    HaversineMatrix,
    MatrixProvider,
    OsrmError,
    OsrmMatrix,
)
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
from logistics_ai.dispatch.operations import Plan, insert, make_plan, reoptimize
from logistics_ai.dispatch.solver import PyVRPSolver, Solver, solve

__all__ = [
    "ExplicitMatrix",
    "FeasibilityReport",
    "HaversineMatrix",
    "Job",
    "Location",
    "MatrixProvider",
    "OsrmError",
    "OsrmMatrix",
    "Plan",
    "Problem",
    "PyVRPSolver",
    "Route",
    "ScheduledStop",
    "Shipment",
    "Solution",
    "Solver",
    "StopEta",
    "StopKind",
    "TimeWindow",
    "Unassigned",
    "UnassignedReason",
    "Vehicle",
    "check_solution",
    "eta",
    "eta_for_route",
    "insert",
    "make_plan",
    "reoptimize",
    "solve",
]
