"""Who could still deliver a late shipment on time, when strict cheapest insertion finds no
place because the day's routes already run late (any insertion would keep breaking the
windows already missed): each other driver's live route, with the shipment appended, is
timed from their current position with the same ETA function the live alerts use. The
driver who delivers it earliest, with both of its stops inside their windows, is best."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from logistics_ai.dispatch import model as vrp
from logistics_ai.dispatch.eta import eta
from logistics_ai.domain import clock
from logistics_ai.domain.errors import Conflict
from logistics_ai.models import Depot, Driver, DriverStatus, Route, Shipment, Stop, StopKind, User
from logistics_ai.services.assignment import check_vehicle_fits
from logistics_ai.services.dispatch_problem import matrix_provider
from logistics_ai.services.shipment_status import OPEN_STOP
from logistics_ai.settings import get_settings


@dataclass(frozen=True)
class Candidate:
    driver_id: int
    name: str
    pickup_eta: datetime
    dropoff_eta: datetime


def _job(job_id: str, kind: str, shipment: Shipment, origin: datetime, service_s: int) -> vrp.Job:
    pickup = kind == StopKind.pickup
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

    def seconds(moment: datetime) -> int:
        return max(0, int((clock.as_aware(moment) - origin).total_seconds()))

    return vrp.Job(
        id=job_id,
        location=vrp.Location.at(lat, lon),
        window=vrp.TimeWindow(seconds(start), seconds(end)),
        service_s=service_s,
    )


def on_time_candidate(session: Session, shipment: Shipment) -> Candidate | None:
    now = clock.utcnow()
    day = clock.to_local(now).date()
    if shipment.service_date != day:
        return None  # live positions only say something about today
    origin = clock.local_datetime(day, time(0, 0))
    service_s = get_settings().stop_service_minutes * 60
    now_s = int((now - origin).total_seconds())
    depots = {d.id: d for d in session.exec(select(Depot)).all()}
    best: Candidate | None = None
    for driver, user in session.exec(
        select(Driver, User)
        .join(User, col(User.id) == Driver.user_id)
        .where(col(User.is_active).is_(True), Driver.status != DriverStatus.off_duty)
    ).all():
        if driver.id == shipment.driver_id:
            continue
        try:
            check_vehicle_fits(session, driver, shipment)
        except Conflict:
            continue
        if driver.last_lat is not None and driver.last_lon is not None:
            position = vrp.Location.at(driver.last_lat, driver.last_lon)
        elif (depot := depots.get(driver.depot_id)) is not None:
            position = vrp.Location.at(depot.lat, depot.lon)
        else:
            continue
        rows = session.exec(
            select(Stop, Shipment)
            .join(Route, col(Route.id) == Stop.route_id)
            .join(Shipment, col(Shipment.id) == Stop.shipment_id)
            .where(
                Route.driver_id == driver.id,
                Route.service_date == day,
                col(Stop.status).in_(OPEN_STOP),
            )
            .order_by(col(Stop.sequence))
        ).all()
        jobs = [_job(str(s.id), s.kind, sh, origin, service_s) for s, sh in rows]
        jobs += [
            _job("new-pickup", StopKind.pickup, shipment, origin, service_s),
            _job("new-dropoff", StopKind.dropoff, shipment, origin, service_s),
        ]
        estimates = eta(jobs, position, now_s, matrix_provider())
        pickup, dropoff = estimates[-2], estimates[-1]
        if pickup.late_risk or dropoff.late_risk:
            continue
        candidate = Candidate(
            driver.id or 0,
            user.full_name,
            origin + timedelta(seconds=pickup.eta),
            origin + timedelta(seconds=dropoff.eta),
        )
        if best is None or candidate.dropoff_eta < best.dropoff_eta:
            best = candidate
    return best
