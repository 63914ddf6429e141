"""Forward timing of one route: arrival, service start, departure and load per stop.

Used to turn a solver's stop order into a :class:`Route`, to roll a vehicle
forward over its fixed prefix, and by the insertion heuristic. (The feasibility
checker deliberately does *not* use this module, so it stays an independent check.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from logistics_ai.dispatch.matrix import IntMatrix, ResolvedMatrix
from logistics_ai.dispatch.model import Load, Route, ScheduledStop, Vehicle, Visit, pad


@dataclass(frozen=True, slots=True)
class _Times:
    arrival: list[int]
    start: list[int]
    departure: list[int]
    end_time: int


def _forward(
    t0: int, rows: list[int], end_row: int | None, visits: Sequence[Visit], dur: IntMatrix
) -> _Times:
    arrival: list[int] = []
    start: list[int] = []
    departure: list[int] = []
    t = t0
    for k, visit in enumerate(visits):
        t += int(dur[rows[k], rows[k + 1]])
        arrival.append(t)
        t = max(t, visit.window.start)
        start.append(t)
        t += visit.service_s
        departure.append(t)
    if end_row is not None:
        t += int(dur[rows[-1], end_row])
    return _Times(arrival, start, departure, t)


def departure_delay(visits: Sequence[Visit], times: _Times) -> int:
    """How long the vehicle can postpone leaving without arriving anywhere later.

    Waiting at a stop is wasted shift time; leaving later absorbs it. The delay is
    capped by the total wait (beyond that the route would end later) and by each
    window's slack plus the waiting already absorbed before that stop.
    """
    waited = 0
    best: int | None = None
    for k, visit in enumerate(visits):
        waited += times.start[k] - times.arrival[k]
        slack = max(0, visit.window.end - times.start[k])
        cap = waited + slack
        best = cap if best is None else min(best, cap)
    delay_cap = waited if best is None else min(waited, best)
    return max(0, delay_cap)


def initial_load(vehicle: Vehicle, visits: Sequence[Visit], dims: int) -> Load:
    """On board when leaving: the vehicle's own load plus every depot delivery of the route."""
    load = list(pad(vehicle.start_load, dims))
    for visit in visits:
        for d in range(dims):
            load[d] += visit.initial[d]
    return tuple(load)


def schedule_route(
    vehicle: Vehicle,
    visits: Sequence[Visit],
    matrix: ResolvedMatrix,
    dims: int,
    fixed_count: int = 0,
) -> Route:
    """Time a route that serves ``visits`` in order (the first ``fixed_count`` are fixed)."""
    rows = [matrix.row(vehicle.start), *(matrix.row(v.location) for v in visits)]
    end_row = matrix.row(vehicle.end) if vehicle.end is not None else None
    t0 = vehicle.departure_earliest
    times = _forward(t0, rows, end_row, visits, matrix.durations)
    delay = departure_delay(visits, times)
    if delay:
        times = _forward(t0 + delay, rows, end_row, visits, matrix.durations)
    departure = t0 + delay
    end_time = times.end_time if (visits or end_row is not None) else departure
    if end_row is None and visits:
        end_time = times.departure[-1]

    dist = matrix.distances
    distance = sum(int(dist[a, b]) for a, b in pairwise(rows))
    if end_row is not None:
        distance += int(dist[rows[-1], end_row])

    load = list(initial_load(vehicle, visits, dims))
    start_load = tuple(load)
    stops: list[ScheduledStop] = []
    for k, visit in enumerate(visits):
        for d in range(dims):
            load[d] += visit.delta[d]
        stops.append(
            ScheduledStop(
                job_id=visit.id,
                kind=visit.kind,
                arrival=times.arrival[k],
                start=times.start[k],
                departure=times.departure[k],
                load=tuple(load),
                shipment_id=visit.shipment_id,
                fixed=k < fixed_count,
            )
        )
    return Route(
        vehicle_id=vehicle.id,
        stops=tuple(stops),
        departure=departure,
        end_time=end_time,
        distance=distance,
        duration=end_time - departure,
        start_load=start_load,
    )
