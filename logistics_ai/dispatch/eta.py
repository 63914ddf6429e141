"""ETAs for the remaining stops of a route, from the vehicle's live position.

Pure function of (stops, position, now, matrix): the tracking service calls it on
each location ping or status change and pushes ``late_risk`` to the dispatcher.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from logistics_ai.dispatch.matrix import MatrixSource, ResolvedMatrix, resolve
from logistics_ai.dispatch.model import Job, Location
from logistics_ai.dispatch.operations import Plan


@dataclass(frozen=True, slots=True)
class StopEta:
    job_id: str
    eta: int  # arrival, seconds from the day origin
    start: int  # service start (after waiting for the window to open)
    departure: int
    window_end: int
    late_risk: bool  # eta > window end: the driver will miss the window at this pace
    slack_s: int  # window_end - eta (negative when late)


def eta(
    stops: Sequence[Job],
    position: Location,
    now: int,
    matrix: MatrixSource | ResolvedMatrix | None = None,
) -> list[StopEta]:
    """ETAs for ``stops`` (in driving order) for a vehicle at ``position`` at ``now``.

    ``matrix`` is a provider (Haversine/OSRM), an explicit matrix, or an already
    resolved one (e.g. ``Plan.matrix``); missing rows are fetched as needed.
    """
    locations = [position, *(s.location for s in stops)]
    if isinstance(matrix, ResolvedMatrix):
        resolved = matrix.extend(locations)
    else:
        resolved = resolve(locations, matrix)
    out: list[StopEta] = []
    t = now
    row = resolved.row(position)
    for stop in stops:
        nxt = resolved.row(stop.location)
        arrival = t + int(resolved.durations[row, nxt])
        start = max(arrival, stop.window.start)
        departure = start + stop.service_s
        out.append(
            StopEta(
                job_id=stop.id,
                eta=arrival,
                start=start,
                departure=departure,
                window_end=stop.window.end,
                late_risk=arrival > stop.window.end,
                slack_s=stop.window.end - arrival,
            )
        )
        t, row = departure, nxt
    return out


def eta_for_route(
    plan: Plan,
    vehicle_id: str,
    position: Location,
    now: int,
    served: Collection[str] = (),
) -> list[StopEta]:
    """ETAs for the stops of ``vehicle_id`` in ``plan`` that are not yet ``served``."""
    route = plan.solution.route_for(vehicle_id)
    if route is None:
        return []
    jobs = {j.id: j for j in plan.problem.jobs}
    for s in plan.problem.shipments:
        jobs[s.pickup.id] = s.pickup
        jobs[s.dropoff.id] = s.dropoff
    remaining = [jobs[s.job_id] for s in route.stops if s.job_id not in served]
    return eta(remaining, position, now, plan.matrix)
