"""Plain data model of a routing problem and its solution.

Nothing here knows about the database or about a particular solver library: the
service layer converts ORM rows into these dataclasses, hands a :class:`Problem`
to :func:`logistics_ai.dispatch.solver.solve` and stores the :class:`Solution`.

Conventions (all integers, so that every backend sees exactly the same numbers):

* times are seconds from a day origin chosen by the caller (e.g. 00:00 local);
* a time window bounds the *start of service* at a stop, like Solomon/PyVRP;
* distances are metres (or whatever unit the matrix uses, e.g. scaled benchmark units);
* loads are vectors, one entry per capacity dimension (e.g. ``(kg, litres)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logistics_ai.dispatch.matrix import MatrixSource

# Python ints do not overflow, so "no limit" is just a very large number. It stays
# below int64 max so it can be passed to numpy / the native solver unchanged.
OPEN_END: int = 2**62

Load = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Location:
    """A point: either coordinates (for a matrix provider) or a row of an explicit matrix."""

    lat: float = math.nan
    lon: float = math.nan
    index: int | None = None

    @classmethod
    def at(cls, lat: float, lon: float) -> Location:
        return cls(lat=lat, lon=lon)

    @classmethod
    def row(cls, index: int) -> Location:
        return cls(index=index)

    @property
    def has_coordinates(self) -> bool:
        return not (math.isnan(self.lat) or math.isnan(self.lon))


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Closed interval ``[start, end]`` in seconds from the day origin."""

    start: int = 0
    end: int = OPEN_END

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends before it starts: {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class Job:
    """One stop to serve.

    ``demand`` is delivered here and is on board from the start of the route (a
    depot delivery); ``pickup`` is collected here and stays on board until the
    route ends. For a shipment's pickup/dropoff ends leave both empty: the
    shipment's ``amount`` moves between them.

    ``on_board`` names the vehicle that already carries this job's goods (e.g. a
    shipment picked up earlier today): only that vehicle may serve it.
    """

    id: str
    location: Location
    demand: Load = ()
    pickup: Load = ()
    window: TimeWindow = TimeWindow()
    service_s: int = 0
    skills: frozenset[str] = frozenset()
    on_board: str | None = None


@dataclass(frozen=True, slots=True)
class Shipment:
    """A pickup-and-dropoff pair: same vehicle, pickup first, ``amount`` carried between."""

    id: str
    pickup: Job
    dropoff: Job
    amount: Load = ()
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle and its shift.

    ``end=None`` means an open route that finishes at the last stop. ``shift.end``
    is the latest arrival at ``end`` (or latest departure from the last stop of an
    open route). ``max_duration_s`` counts from the departure at ``start``; for a
    mid-day problem pass the allowance that is left.

    Mid-day / in-progress routes: set ``start`` to the current position,
    ``start_time`` to now and ``start_load`` to goods on board that are not for any
    job of this problem (they stay on board). ``fixed_prefix`` lists job ids the
    driver is committed to next; they stay first and in this order.
    """

    id: str
    capacity: Load
    start: Location
    end: Location | None = None
    shift: TimeWindow = TimeWindow()
    max_duration_s: int | None = None
    skills: frozenset[str] = frozenset()
    fixed_prefix: tuple[str, ...] = ()
    start_time: int | None = None
    start_load: Load = ()

    @property
    def departure_earliest(self) -> int:
        if self.start_time is None:
            return self.shift.start
        return max(self.start_time, self.shift.start)


class StopKind(StrEnum):
    JOB = "job"
    PICKUP = "pickup"
    DROPOFF = "dropoff"


@dataclass(frozen=True, slots=True)
class Visit:
    """A job or shipment end flattened to what scheduling needs.

    ``initial`` is the amount that must be on board when the route starts (depot
    deliveries); ``delta`` is the change of load when this stop is served.
    """

    id: str
    kind: StopKind
    location: Location
    window: TimeWindow
    service_s: int
    initial: Load
    delta: Load
    skills: frozenset[str]
    shipment_id: str | None = None
    on_board: str | None = None


@dataclass
class Problem:
    """Everything a solver needs, independent of any database."""

    jobs: list[Job]
    vehicles: list[Vehicle]
    shipments: list[Shipment] = field(default_factory=list)
    matrix: MatrixSource | None = None  # None -> HaversineMatrix() defaults
    budget_s: float = 5.0
    seed: int = 0
    max_iterations: int | None = None  # optional extra stop, for deterministic tests

    def __post_init__(self) -> None:
        self._visits: dict[str, Visit] | None = None

    # -- derived views --------------------------------------------------------------------
    @property
    def dims(self) -> int:
        """Number of capacity dimensions (the longest vector anywhere)."""
        vectors: Iterable[Load] = (
            *(v.capacity for v in self.vehicles),
            *(v.start_load for v in self.vehicles),
            *(j.demand for j in self.jobs),
            *(j.pickup for j in self.jobs),
            *(s.amount for s in self.shipments),
        )
        return max((len(v) for v in vectors), default=0)

    def visits(self) -> dict[str, Visit]:
        """All stops by id (plain jobs and both ends of every shipment). Cached."""
        if self._visits is None:
            self._visits = build_visits(self)
        return self._visits

    def iter_orders(self) -> Iterator[Job | Shipment]:
        yield from self.jobs
        yield from self.shipments

    def vehicle(self, vehicle_id: str) -> Vehicle:
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)


def pad(load: Sequence[int], dims: int) -> Load:
    """Missing dimensions mean zero (a job with only kg does not use volume)."""
    if len(load) > dims:
        raise ValueError(f"load {tuple(load)} has more than {dims} dimensions")
    return (*(int(x) for x in load), *([0] * (dims - len(load))))


def build_visits(problem: Problem) -> dict[str, Visit]:
    """Flatten jobs and shipments to visits and validate ids/dimensions."""
    dims = problem.dims
    zero = (0,) * dims
    vehicle_ids = {v.id for v in problem.vehicles}
    if len(vehicle_ids) != len(problem.vehicles):
        raise ValueError("duplicate vehicle id")
    for v in problem.vehicles:
        if len(v.capacity) != dims:
            raise ValueError(f"vehicle {v.id}: capacity must have {dims} dimensions")
    visits: dict[str, Visit] = {}

    def add(visit: Visit) -> None:
        if visit.id in visits:
            raise ValueError(f"duplicate job id {visit.id!r}")
        if visit.on_board is not None and visit.on_board not in vehicle_ids:
            raise ValueError(f"job {visit.id!r} is on board unknown vehicle {visit.on_board!r}")
        visits[visit.id] = visit

    for job in problem.jobs:
        demand, pickup = pad(job.demand, dims), pad(job.pickup, dims)
        if job.on_board is not None and any(pickup):
            # An on-board job is delivered from the vehicle; collecting at the same
            # stop is not modelled (keeps the solver mapping simple).
            raise ValueError(f"job {job.id!r}: on_board jobs cannot also have a pickup amount")
        add(
            Visit(
                id=job.id,
                kind=StopKind.JOB,
                location=job.location,
                window=job.window,
                service_s=job.service_s,
                initial=demand,
                delta=tuple(p - d for p, d in zip(pickup, demand, strict=True)),
                skills=job.skills,
                on_board=job.on_board,
            )
        )
    for s in problem.shipments:
        for end in (s.pickup, s.dropoff):
            if any(end.demand) or any(end.pickup) or end.on_board is not None:
                raise ValueError(
                    f"shipment {s.id!r}: put the load in Shipment.amount, not in its ends"
                )
        amount = pad(s.amount, dims)
        skills = s.skills | s.pickup.skills | s.dropoff.skills
        for end, kind, sign in ((s.pickup, StopKind.PICKUP, 1), (s.dropoff, StopKind.DROPOFF, -1)):
            add(
                Visit(
                    id=end.id,
                    kind=kind,
                    location=end.location,
                    window=end.window,
                    service_s=end.service_s,
                    initial=zero,
                    delta=tuple(sign * a for a in amount),
                    skills=skills,
                    shipment_id=s.id,
                )
            )
    for v in problem.vehicles:
        for job_id in v.fixed_prefix:
            if job_id not in visits:
                raise ValueError(f"vehicle {v.id}: fixed prefix names unknown job {job_id!r}")
    return visits


# -- solution ---------------------------------------------------------------------------------


class UnassignedReason(StrEnum):
    NO_VEHICLE_WITH_SKILL = "no_vehicle_with_skill"
    WINDOW_UNREACHABLE = "window_unreachable"
    CAPACITY = "capacity"
    NOT_ROUTED = "not_routed"  # individually feasible, but the solver left it out


@dataclass(frozen=True, slots=True)
class Unassigned:
    """An order that is not in any route. ``id`` is the job or shipment id."""

    id: str
    reason: UnassignedReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ScheduledStop:
    job_id: str
    kind: StopKind
    arrival: int
    start: int  # start of service (arrival plus any wait for the window)
    departure: int
    load: Load  # on board after this stop
    shipment_id: str | None = None
    fixed: bool = False  # part of the vehicle's fixed prefix


@dataclass(frozen=True, slots=True)
class Route:
    vehicle_id: str
    stops: tuple[ScheduledStop, ...]
    departure: int  # leaves the start location
    end_time: int  # arrives at the end location (open route: leaves the last stop)
    distance: int
    duration: int  # end_time - departure, waiting included
    start_load: Load = ()

    @property
    def job_ids(self) -> list[str]:
        return [s.job_id for s in self.stops]


@dataclass
class Solution:
    routes: list[Route]
    unassigned: list[Unassigned]
    runtime_s: float = 0.0
    solver: str = ""
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def distance(self) -> int:
        return sum(r.distance for r in self.routes)

    @property
    def duration(self) -> int:
        return sum(r.duration for r in self.routes)

    def route_for(self, vehicle_id: str) -> Route | None:
        for r in self.routes:
            if r.vehicle_id == vehicle_id:
                return r
        return None

    def unassigned_by_id(self) -> dict[str, Unassigned]:
        return {u.id: u for u in self.unassigned}
