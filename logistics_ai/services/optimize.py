"""Stateless optimisation for integrators: a routing problem in, routes out.

Nothing is read from or written to the database; the same engine and code path as the
dashboard's auto-dispatch (`logistics_ai.dispatch.solver.solve`).
"""

from __future__ import annotations

from typing import Annotated, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from logistics_ai.dispatch import model as vrp
from logistics_ai.dispatch.matrix import ExplicitMatrix, HaversineMatrix
from logistics_ai.dispatch.solver import solve
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import DomainError
from logistics_ai.domain.validation import Clean, bounded
from logistics_ai.security.policy import Action, require

MAX_STOPS = 2000  # stops plus shipment ends
MAX_VEHICLES = 200
MAX_MATRIX = 1000  # rows of an explicit matrix (a million cells per matrix)
MAX_DIMS = 4
MAX_BUDGET_S = 30.0
DAY_S = 7 * 86400

Seconds = Annotated[int, Field(ge=0, le=DAY_S)]
Amounts = Annotated[list[Annotated[int, Field(ge=0, le=10**9)]], Field(max_length=MAX_DIMS)]
Skills = Annotated[list[Annotated[str, bounded(40, min_length=1), Clean]], Field(max_length=10)]


class TooLarge(DomainError):
    http_status = 413
    code = "payload_too_large"


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    index: int | None = Field(default=None, ge=0, lt=MAX_MATRIX)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        has_coords = self.lat is not None and self.lon is not None
        if has_coords == (self.index is not None) or (self.lat is None) != (self.lon is None):
            raise ValueError("give either lat and lon, or a matrix index")
        return self

    def location(self) -> vrp.Location:
        if self.index is not None:
            return vrp.Location.row(self.index)
        return vrp.Location.at(self.lat, self.lon)  # type: ignore[arg-type]  # set: _one_kind


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Seconds = 0
    end: Seconds = DAY_S

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class StopIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, bounded(64, min_length=1), Clean]
    location: PointIn
    window: WindowIn = WindowIn()
    service_s: Seconds = 0
    demand: Amounts = Field(default_factory=list, description="Delivered here (from the depot)")
    pickup: Amounts = Field(default_factory=list, description="Collected here")
    skills: Skills = Field(default_factory=list)


class ShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, bounded(64, min_length=1), Clean]
    pickup: StopIn
    dropoff: StopIn
    amount: Amounts = Field(default_factory=list)
    skills: Skills = Field(default_factory=list)


class VehicleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, bounded(64, min_length=1), Clean]
    capacity: Amounts = Field(min_length=1)
    start: PointIn
    end: PointIn | None = None
    shift: WindowIn = WindowIn()
    max_duration_s: Seconds | None = None
    skills: Skills = Field(default_factory=list)


class MatrixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    durations: list[list[Annotated[int, Field(ge=0, le=10**8)]]] = Field(max_length=MAX_MATRIX)
    distances: list[list[Annotated[int, Field(ge=0, le=10**9)]]] = Field(max_length=MAX_MATRIX)


class OptimizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stops: list[StopIn] = Field(default_factory=list)
    shipments: list[ShipmentIn] = Field(default_factory=list)
    vehicles: list[VehicleIn] = Field(min_length=1)
    matrix: MatrixIn | None = Field(
        default=None, description="Explicit square matrices; locations then use `index`."
    )
    budget_seconds: float = Field(default=2.0, gt=0, le=MAX_BUDGET_S)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class StopOut(BaseModel):
    id: str
    kind: str
    arrival: int
    start: int
    departure: int
    load: list[int]


class RouteOut(BaseModel):
    vehicle_id: str
    stops: list[StopOut]
    distance: int
    duration: int


class UnassignedOut(BaseModel):
    id: str
    reason: str
    detail: str


class OptimizeResponse(BaseModel):
    routes: list[RouteOut]
    unassigned: list[UnassignedOut]
    total_distance: int
    total_duration: int
    vehicles_used: int
    runtime_s: float


def check_size(request: OptimizeRequest) -> None:
    stops = len(request.stops) + 2 * len(request.shipments)
    if stops > MAX_STOPS:
        raise TooLarge(f"At most {MAX_STOPS} stops per request (got {stops}).")
    if len(request.vehicles) > MAX_VEHICLES:
        raise TooLarge(f"At most {MAX_VEHICLES} vehicles per request.")


def _job(stop: StopIn) -> vrp.Job:
    return vrp.Job(
        id=stop.id,
        location=stop.location.location(),
        demand=tuple(stop.demand),
        pickup=tuple(stop.pickup),
        window=vrp.TimeWindow(stop.window.start, stop.window.end),
        service_s=stop.service_s,
        skills=frozenset(stop.skills),
    )


def _problem(request: OptimizeRequest) -> vrp.Problem:
    matrix = None
    uses_index = any(p.index is not None for p in _points(request))
    if request.matrix is not None:
        durations = np.asarray(request.matrix.durations, dtype=np.int64)
        distances = np.asarray(request.matrix.distances, dtype=np.int64)
        if (
            durations.ndim != 2
            or durations.shape[0] != durations.shape[1]
            or durations.shape != distances.shape
        ):
            raise vrp_error("matrix: durations and distances must be square and the same size")
        matrix = ExplicitMatrix(durations, distances)
        size = durations.shape[0]
        for point in _points(request):
            if point.index is None or point.index >= size:
                raise vrp_error(f"with an explicit matrix every location needs an index < {size}")
    elif uses_index:
        raise vrp_error("locations use matrix indexes but no matrix was given")
    try:
        return vrp.Problem(
            jobs=[_job(s) for s in request.stops],
            shipments=[
                vrp.Shipment(
                    id=s.id,
                    pickup=_job(s.pickup),
                    dropoff=_job(s.dropoff),
                    amount=tuple(s.amount),
                    skills=frozenset(s.skills),
                )
                for s in request.shipments
            ],
            vehicles=[
                vrp.Vehicle(
                    id=v.id,
                    capacity=tuple(v.capacity),
                    start=v.start.location(),
                    end=v.end.location() if v.end else None,
                    shift=vrp.TimeWindow(v.shift.start, v.shift.end),
                    max_duration_s=v.max_duration_s,
                    skills=frozenset(v.skills),
                )
                for v in request.vehicles
            ],
            matrix=matrix if matrix is not None else HaversineMatrix(),
            budget_s=request.budget_seconds,
            seed=request.seed,
        )
    except ValueError as error:
        raise vrp_error(str(error)) from None


def _points(request: OptimizeRequest) -> list[PointIn]:
    points = [s.location for s in request.stops]
    for shipment in request.shipments:
        points += [shipment.pickup.location, shipment.dropoff.location]
    for vehicle in request.vehicles:
        points.append(vehicle.start)
        if vehicle.end is not None:
            points.append(vehicle.end)
    return points


def vrp_error(message: str) -> DomainError:
    from logistics_ai.domain.validation import fail

    return fail({"problem": message})


def optimize(actor: Actor, request: OptimizeRequest) -> OptimizeResponse:
    require(actor, Action.optimize_run)
    check_size(request)
    problem = _problem(request)
    try:
        problem.visits()  # validates ids, dimensions and prefixes before any solving
    except ValueError as error:
        raise vrp_error(str(error)) from None
    solution = solve(problem)
    return OptimizeResponse(
        routes=[
            RouteOut(
                vehicle_id=r.vehicle_id,
                distance=r.distance,
                duration=r.duration,
                stops=[
                    StopOut(
                        id=s.job_id,
                        kind=s.kind.value,
                        arrival=s.arrival,
                        start=s.start,
                        departure=s.departure,
                        load=list(s.load),
                    )
                    for s in r.stops
                ],
            )
            for r in solution.routes
        ],
        unassigned=[
            UnassignedOut(id=u.id, reason=u.reason.value, detail=u.detail)
            for u in solution.unassigned
        ],
        total_distance=solution.distance,
        total_duration=solution.duration,
        vehicles_used=len(solution.routes),
        runtime_s=round(solution.runtime_s, 3),
    )
