"""Live ETAs: recomputed for a driver's remaining stops when their position or a stop changes.

A stop whose ETA passes its window end gets `late_risk`, which the dashboard shows as an
alert; the drop-off ETA is also the customer's `Shipment.eta`.

Stop events and reorders always recompute. A GPS batch recomputes only when the last
recomputation in this process no longer holds (`refresh_after_move`): the driver moved
`ETA_REFRESH_METERS` from the position it used, `ETA_REFRESH_SECONDS` passed, the day
changed, or the driver's route changed since (its `updated_at`, read in the batch's own
transaction). Phones report every few seconds; recomputing each time was 13% of the API's
CPU under the capacity test's mix (docs/performance.md, Round 8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from loguru import logger
from sqlalchemy import Row, Table, bindparam, func, update
from sqlmodel import Session, col, select

from logistics_ai.db import after_unit, session_scope
from logistics_ai.dispatch import model as vrp
from logistics_ai.dispatch.eta import eta
from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.geo.distance import haversine_km
from logistics_ai.models import Depot, Driver, Route, Shipment, Stop, StopKind
from logistics_ai.realtime.bus import queue_event
from logistics_ai.security.policy import Action, require
from logistics_ai.services.dispatch_problem import matrix_provider
from logistics_ai.services.shipment_status import OPEN_STOP
from logistics_ai.settings import get_settings

ETA_CHANNEL = "eta"


_PENDING_ETAS = "lai_pending_eta_refresh"


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a driver's last ETA recomputation in this process was computed from."""

    at: datetime
    day: date
    position: tuple[float, float]
    route_stamp: datetime | None  # the day's `Route.updated_at`, None without a route


# Per process, by driver id: a worker that has not recomputed a driver's ETAs yet simply
# recomputes on their next batch. Entries are a few dozen bytes per driver of the fleet.
_LAST_REFRESH: dict[int, Refreshed] = {}


def still_holds(
    last: Refreshed, now: datetime, position: tuple[float, float], seconds: float, meters: float
) -> bool:
    """Whether ETAs computed as `last` describes are still good enough for a driver at `position`.

    Route changes are checked by the caller (they need the database).
    """
    age = (now - last.at).total_seconds()
    return (
        0 <= age < seconds
        and clock.to_local(now).date() == last.day
        and haversine_km(last.position, position) * 1000 < meters
    )


def refresh_after_move(
    session: Session, driver_id: int, now: datetime, lat: float, lon: float
) -> None:
    """A GPS batch moved the driver to (lat, lon): recompute their ETAs after commit, unless
    the last recomputation in this process still holds (see the module's docstring)."""
    last = _LAST_REFRESH.get(driver_id)
    settings = get_settings()
    if (
        last is not None
        and still_holds(
            last, now, (lat, lon), settings.eta_refresh_seconds, settings.eta_refresh_meters
        )
        and _route_stamp(session, driver_id, last.day) == last.route_stamp
    ):
        return
    refresh_after_commit(session, driver_id, now)


def refresh_after_commit(session: Session, driver_id: int, now: datetime) -> None:
    """Recompute a driver's ETAs once `session`'s unit of work has committed and given its
    connection back, in a unit of work of its own (`db.after_unit`).

    ETAs are derived data: they never run inside the transaction of the stop event or GPS
    batch that moved the driver (with OSRM_URL they wait on HTTP), and any failure there,
    an OSRM outage included, is logged, never raised: it cannot fail the change itself.
    A rolled-back change recomputes nothing.
    """
    pending: dict[int, datetime] | None = session.info.get(_PENDING_ETAS)
    if pending is None:  # the unit's first: one refresh per driver, however many changes
        pending = session.info[_PENDING_ETAS] = {}
        after_unit(session, lambda: _refresh_pending(session.info.pop(_PENDING_ETAS, {})))
    pending[driver_id] = now


def _refresh_pending(pending: dict[int, datetime]) -> None:
    for driver_id, now in pending.items():
        try:
            with session_scope() as own:
                refresh_driver_etas(own, driver_id, now)
        except Exception:  # derived data: the committed change stands, the next event retries
            logger.exception("ETA refresh for driver {} failed after commit", driver_id)


def refresh_driver_etas(session: Session, driver_id: int, now: datetime | None = None) -> int:
    """Recompute today's open stops of one driver; returns how many are at risk of being late."""
    now = now or clock.utcnow()
    day = clock.to_local(now).date()
    # The driver's position and the route's stamp in one statement built once (were an ORM
    # get and a second round trip). Read before the stops: a route change committed in
    # between makes the next batch recompute again rather than trust ETAs computed from the
    # older stops.
    driver = session.execute(_DRIVER_AND_STAMP, {"b_driver": driver_id, "b_day": day}).first()
    if driver is None:
        return 0
    route_stamp = driver.route_stamp
    rows = session.execute(_OPEN_STOPS_OF_DAY, {"b_driver": driver_id, "b_day": day}).all()
    position = _position(session, driver)
    if position is None:
        return 0
    # Remembered only once the new ETAs are written: a failed recomputation (an OSRM outage)
    # must not hold the next batches back.
    refreshed = Refreshed(now, day, (position.lat, position.lon), route_stamp)
    if not rows:
        _LAST_REFRESH[driver_id] = refreshed
        return 0
    origin = clock.local_datetime(day, time(0, 0))
    service_s = get_settings().stop_service_minutes * 60

    def seconds(moment: datetime) -> int:
        return int((moment - origin).total_seconds())

    jobs = []
    for stop, shipment in rows:
        pickup = stop.kind == StopKind.pickup
        start, end = (
            (shipment.pickup_window_start, shipment.pickup_window_end)
            if pickup
            else (shipment.dropoff_window_start, shipment.dropoff_window_end)
        )
        lat, lon = (
            (shipment.pickup_lat, shipment.pickup_lon)
            if pickup
            else (shipment.dropoff_lat, shipment.dropoff_lon)
        )
        jobs.append(
            vrp.Job(
                id=str(stop.id),
                location=vrp.Location.at(lat, lon),
                window=vrp.TimeWindow(max(0, seconds(start)), max(0, seconds(end))),
                service_s=service_s,
            )
        )
    estimates = eta(jobs, position, seconds(now), matrix_provider())
    at_risk = 0
    stop_changes: list[dict[str, object]] = []
    shipment_changes: list[dict[str, object]] = []
    for (stop, shipment), estimate in zip(rows, estimates, strict=True):
        arrival = origin + timedelta(seconds=estimate.eta)
        at_risk += estimate.late_risk
        # Only what changed is written (e.g. not a stop whose ETA is its window's opening).
        if stop.planned_arrival != arrival or stop.late_risk != estimate.late_risk:
            stop_changes.append({"b_id": stop.id, "b_at": arrival, "b_risk": estimate.late_risk})
        if stop.kind == StopKind.dropoff and shipment.eta != arrival:
            shipment_changes.append({"b_id": shipment.id, "b_eta": arrival})
    # ETAs are derived values: plain UPDATEs, so they never bump the optimistic-concurrency
    # versions and a recomputation cannot make a driver's or a dispatcher's write stale. One
    # executemany per table, not two statements per stop: a GPS batch of a driver with ten
    # open stops sent fifteen UPDATEs (docs/performance.md, Round 7).
    if stop_changes:
        session.execute(_SET_STOP_ETA, stop_changes)
    if shipment_changes:
        session.execute(_SET_SHIPMENT_ETA, shipment_changes)
    queue_event(session, ETA_CHANNEL, {"driver_id": driver_id, "late_risk": at_risk})
    _LAST_REFRESH[driver_id] = refreshed
    return at_risk


def _route_stamp(session: Session, driver_id: int, day: date) -> datetime | None:
    return session.execute(_ROUTE_STAMP, {"b_driver": driver_id, "b_day": day}).scalar()


def _position(session: Session, driver: Row[Any]) -> vrp.Location | None:
    if driver.last_lat is not None and driver.last_lon is not None:
        return vrp.Location.at(driver.last_lat, driver.last_lon)
    depot = session.get(Depot, driver.depot_id) if driver.depot_id else None
    return vrp.Location.at(depot.lat, depot.lon) if depot else None


def late_alerts(session: Session, actor: Actor, day: date) -> list[tuple[Stop, Shipment, Driver]]:
    """Open stops whose ETA passes their window, for the dispatch board."""
    require(actor, Action.fleet_read)
    return late_stops(session, day)


def late_stops(session: Session, day: date) -> list[tuple[Stop, Shipment, Driver]]:
    return list(
        session.exec(
            select(Stop, Shipment, Driver)
            .join(Route, col(Route.id) == Stop.route_id)
            .join(Shipment, col(Shipment.id) == Stop.shipment_id)
            .join(Driver, col(Driver.id) == Route.driver_id)
            .where(
                Route.service_date == day,
                col(Stop.late_risk).is_(True),
                col(Stop.status).in_(OPEN_STOP),
            )
            .order_by(col(Stop.planned_arrival))
        ).all()
    )


_STOP_TABLE: Table = Stop.__table__  # type: ignore[attr-defined]
_SHIPMENT_TABLE: Table = Shipment.__table__  # type: ignore[attr-defined]
_ROUTE_TABLE: Table = Route.__table__  # type: ignore[attr-defined]
# Built once: every GPS batch whose ETAs still hold runs it (a route changed since?).
_ROUTE_STAMP = select(func.max(_ROUTE_TABLE.c.updated_at)).where(
    _ROUTE_TABLE.c.driver_id == bindparam("b_driver"),
    _ROUTE_TABLE.c.service_date == bindparam("b_day"),
)
_DRIVER_TABLE: Table = Driver.__table__  # type: ignore[attr-defined]
_DRIVER_AND_STAMP = select(
    _DRIVER_TABLE.c.last_lat,
    _DRIVER_TABLE.c.last_lon,
    _DRIVER_TABLE.c.depot_id,
    _ROUTE_STAMP.scalar_subquery().label("route_stamp"),
).where(_DRIVER_TABLE.c.id == bindparam("b_driver"))
# Built once: every stop event and every moving driver's batch recomputes from it.
_OPEN_STOPS_OF_DAY = (
    select(Stop, Shipment)
    .join(Route, col(Route.id) == Stop.route_id)
    .join(Shipment, col(Shipment.id) == Stop.shipment_id)
    .where(
        col(Route.driver_id) == bindparam("b_driver"),
        col(Route.service_date) == bindparam("b_day"),
        col(Stop.status).in_(OPEN_STOP),
    )
    .order_by(col(Stop.sequence))
)
_SET_STOP_ETA = (
    update(_STOP_TABLE)
    .where(_STOP_TABLE.c.id == bindparam("b_id"))
    .values(planned_arrival=bindparam("b_at"), late_risk=bindparam("b_risk"))
)
_SET_SHIPMENT_ETA = (
    update(_SHIPMENT_TABLE)
    .where(_SHIPMENT_TABLE.c.id == bindparam("b_id"))
    .values(eta=bindparam("b_eta"))
)
