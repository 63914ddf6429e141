"""What the dispatch map draws besides the drivers: every stop of a day and each route's line."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from logistics_ai.domain.actors import Actor
from logistics_ai.models import Route, Shipment, Stop, StopKind
from logistics_ai.security import policy
from logistics_ai.security.policy import Action


@dataclass(frozen=True)
class MapStop:
    stop_id: int
    shipment_id: int
    driver_id: int
    sequence: int
    kind: str
    status: str
    late_risk: bool
    lat: float
    lon: float
    tracking_code: str


@dataclass(frozen=True)
class RouteTrace:
    """A route's stops in driving order, as points for one line."""

    driver_id: int
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class DayMap:
    stops: list[MapStop]
    routes: list[RouteTrace]


def stop_position(stop: Stop, shipment: Shipment) -> tuple[float, float]:
    if stop.kind == StopKind.pickup:
        return shipment.pickup_lat, shipment.pickup_lon
    return shipment.dropoff_lat, shipment.dropoff_lon


def day_map(
    session: Session, actor: Actor, day: date, driver_ids: Collection[int] | None = None
) -> DayMap:
    """Every planned stop of `day` (dispatchers and admins: the whole fleet); `driver_ids`
    narrows it to a few routes (the live fan-out's deltas after a route changed)."""
    policy.require(actor, Action.fleet_read)
    query = (
        select(Stop, Route.driver_id, Shipment)
        .join(Route, col(Route.id) == Stop.route_id)
        .join(Shipment, col(Shipment.id) == Stop.shipment_id)
        .where(Route.service_date == day)
        .order_by(col(Route.driver_id), col(Stop.sequence))
    )
    if driver_ids is not None:
        query = query.where(col(Route.driver_id).in_(list(driver_ids)))
    rows = session.exec(query).all()
    stops = []
    lines: dict[int, list[tuple[float, float]]] = {}
    for stop, driver_id, shipment in rows:
        lat, lon = stop_position(stop, shipment)
        stops.append(
            MapStop(
                stop_id=stop.id or 0,
                shipment_id=stop.shipment_id,
                driver_id=driver_id,
                sequence=stop.sequence,
                kind=stop.kind,
                status=stop.status,
                late_risk=bool(stop.late_risk),
                lat=lat,
                lon=lon,
                tracking_code=shipment.tracking_code,
            )
        )
        lines.setdefault(driver_id, []).append((lat, lon))
    return DayMap(
        stops=stops,
        routes=[RouteTrace(driver_id, points) for driver_id, points in lines.items()],
    )
