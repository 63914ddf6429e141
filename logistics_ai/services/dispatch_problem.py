"""From database state to a routing problem, and back to shipment and stop ids.

Open work of a day becomes the problem: shipments not yet picked up are pickup/drop-off
pairs any capable driver may take; shipments already on board are deliveries pinned to
their vehicle; a stop the driver has arrived at stays first on that driver's route. Drivers
on duty with a vehicle start from their last GPS fix (today) or their depot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from logistics_ai.dispatch import model as vrp
from logistics_ai.dispatch.matrix import HaversineMatrix, MatrixProvider, OsrmMatrix
from logistics_ai.domain import clock
from logistics_ai.models import (
    Depot,
    Driver,
    DriverStatus,
    Shipment,
    Stop,
    StopKind,
    StopStatus,
    User,
    Vehicle,
    saved_id,
)
from logistics_ai.services.shipment_status import ON_BOARD, OPEN_WORK
from logistics_ai.settings import get_settings

FRESH_GPS = timedelta(hours=2)  # an older fix says little about where the van is now


@dataclass
class DriverInfo:
    driver_id: int
    name: str
    vehicle_label: str
    capacity_kg: float


@dataclass
class PlanningContext:
    """What is needed to read a solution back in database terms."""

    day: date
    origin: datetime  # second 0 of the problem's clock
    drivers: dict[str, DriverInfo] = field(default_factory=dict)  # vehicle id -> driver
    shipments: dict[int, Shipment] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # job id -> address

    def moment(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=seconds)


def vehicle_id(driver_id: int) -> str:
    return f"driver-{driver_id}"


def pickup_id(shipment_id: int) -> str:
    return f"s{shipment_id}-pickup"


def dropoff_id(shipment_id: int) -> str:
    return f"s{shipment_id}-dropoff"


def parse_job_id(job_id: str) -> tuple[int, StopKind]:
    head, _, kind = job_id.partition("-")
    return int(head[1:]), StopKind(kind)


def matrix_provider() -> MatrixProvider:
    url = get_settings().osrm_url
    return OsrmMatrix(url) if url else HaversineMatrix()


def _load(shipment: Shipment) -> vrp.Load:
    # Integer kilograms and litres: the solver works in integers, rounding up stays safe.
    return (math.ceil(shipment.weight_kg), math.ceil(shipment.volume_m3 * 1000))


def _skills(raw: str) -> frozenset[str]:
    return frozenset(s for s in raw.split(",") if s)


def _clock_seconds(text: str) -> int:
    parsed = time.fromisoformat(text)
    return parsed.hour * 3600 + parsed.minute * 60


def _arrived(stop: Stop | None) -> bool:
    return stop is not None and stop.status == StopStatus.arrived


def build_problem(
    session: Session, day: date, *, budget_s: float, seed: int = 0, now: datetime | None = None
) -> tuple[vrp.Problem, PlanningContext]:
    settings = get_settings()
    origin = clock.local_datetime(day, time(0, 0))
    now = now or clock.utcnow()
    context = PlanningContext(day=day, origin=origin)

    def seconds(moment: datetime) -> int:
        return max(0, int((moment - origin).total_seconds()))

    service_s = settings.stop_service_minutes * 60
    shift = vrp.TimeWindow(_clock_seconds(settings.shift_start), _clock_seconds(settings.shift_end))
    is_today = day == clock.today_local()
    now_s = seconds(now) if is_today else None

    depots = {d.id: d for d in session.exec(select(Depot)).all()}
    default_depot = next(iter(depots.values()), None)
    shipments = session.exec(
        select(Shipment).where(Shipment.service_date == day, col(Shipment.status).in_(OPEN_WORK))
    ).all()
    stops_by_shipment: dict[int, dict[str, Stop]] = {}
    for stop in session.exec(
        select(Stop).where(col(Stop.shipment_id).in_([s.id for s in shipments]))
    ).all():
        stops_by_shipment.setdefault(stop.shipment_id, {})[stop.kind] = stop

    rows = session.exec(
        select(Driver, User, Vehicle)
        .join(User, col(User.id) == Driver.user_id)
        .join(Vehicle, col(Vehicle.id) == Driver.vehicle_id)
        .where(col(User.is_active).is_(True))
    ).all()
    vehicles: list[vrp.Vehicle] = []
    arrived_prefix: dict[int, list[str]] = {}
    for shipment in shipments:
        if not shipment.driver_id:
            continue
        stops = stops_by_shipment.get(saved_id(shipment), {})
        at_pickup = _arrived(stops.get(StopKind.pickup))
        if at_pickup:
            arrived_prefix.setdefault(shipment.driver_id, []).append(pickup_id(saved_id(shipment)))
        # A driver marked arrived at a drop-off without the goods (not picked up, and not at
        # the pickup first) cannot serve it there: the plan takes the pickup first instead of
        # pinning an impossible stop (the solver's precheck refuses it).
        if _arrived(stops.get(StopKind.dropoff)) and (shipment.status in ON_BOARD or at_pickup):
            arrived_prefix.setdefault(shipment.driver_id, []).append(dropoff_id(saved_id(shipment)))
    for driver, user, vehicle in rows:
        if driver.status == DriverStatus.off_duty:
            continue  # off duty: no new work; goods already on board stay with them
        depot = depots.get(driver.depot_id or vehicle.depot_id or -1) or default_depot
        home = vrp.Location.at(depot.lat, depot.lon) if depot else None
        gps_fix = (
            (driver.last_lat, driver.last_lon)
            if driver.last_lat is not None and driver.last_lon is not None
            else None
        )
        fresh = (
            driver.last_seen_at is not None and now - driver.last_seen_at < FRESH_GPS and is_today
        )
        start = vrp.Location.at(*gps_fix) if fresh and gps_fix else home
        if start is None:
            continue  # no depot and no position: nowhere to start from
        assert driver.id is not None  # a row read from the database
        vid = vehicle_id(driver.id)
        context.drivers[vid] = DriverInfo(
            driver.id, user.full_name, vehicle.label, vehicle.capacity_kg
        )
        vehicles.append(
            vrp.Vehicle(
                id=vid,
                capacity=(int(vehicle.capacity_kg), int(vehicle.capacity_m3 * 1000)),
                start=start,
                end=home,
                shift=shift,
                skills=_skills(vehicle.skills),
                start_time=now_s,
                fixed_prefix=tuple(arrived_prefix.get(driver.id, [])),
            )
        )

    jobs: list[vrp.Job] = []
    pairs: list[vrp.Shipment] = []
    for shipment in shipments:
        sid = saved_id(shipment)
        context.shipments[sid] = shipment
        context.addresses[pickup_id(sid)] = shipment.pickup_address
        context.addresses[dropoff_id(sid)] = shipment.dropoff_address
        dropoff = vrp.Job(
            id=dropoff_id(sid),
            location=vrp.Location.at(shipment.dropoff_lat, shipment.dropoff_lon),
            window=vrp.TimeWindow(
                seconds(shipment.dropoff_window_start), seconds(shipment.dropoff_window_end)
            ),
            service_s=service_s,
        )
        if shipment.status in ON_BOARD:
            if shipment.driver_id is None or vehicle_id(shipment.driver_id) not in context.drivers:
                continue  # on board a van that cannot be planned (no vehicle): leave it alone
            jobs.append(
                vrp.Job(
                    id=dropoff.id,
                    location=dropoff.location,
                    window=dropoff.window,
                    service_s=service_s,
                    demand=_load(shipment),
                    skills=_skills(shipment.required_skills),
                    on_board=vehicle_id(shipment.driver_id),
                )
            )
            continue
        pickup = vrp.Job(
            id=pickup_id(sid),
            location=vrp.Location.at(shipment.pickup_lat, shipment.pickup_lon),
            window=vrp.TimeWindow(
                seconds(shipment.pickup_window_start), seconds(shipment.pickup_window_end)
            ),
            service_s=service_s,
        )
        pairs.append(
            vrp.Shipment(
                id=f"s{sid}",
                pickup=pickup,
                dropoff=dropoff,
                amount=_load(shipment),
                skills=_skills(shipment.required_skills),
            )
        )
    problem = vrp.Problem(
        jobs=jobs,
        vehicles=vehicles,
        shipments=pairs,
        matrix=matrix_provider(),
        budget_s=budget_s,
        seed=seed,
    )
    return problem, context
