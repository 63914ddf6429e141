"""Re-planning in the middle of a working day, on the seeded demo city (PostgreSQL).

At 11:00 local the day is under way: goods are on board some vans, a driver is standing at
a pickup, and a van with goods due this afternoon has just sent a GPS fix far north. A new
plan must keep the goods with the van that carries them, keep the driver at the stop they
are at, and start each van from where it is, at the current time.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.dispatch.operations import make_plan
from logistics_ai.domain import clock
from logistics_ai.geo.distance import haversine_km
from logistics_ai.models import Driver, DriverStatus, Shipment, ShipmentStatus, Stop, StopStatus
from logistics_ai.services import demo_seed
from logistics_ai.services.dispatch_problem import (
    build_problem,
    dropoff_id,
    pickup_id,
    vehicle_id,
)

# No van in the city covers a road kilometre faster than this (a generous 120 km/h).
MAX_SPEED_KM_PER_S = 120 / 3600
FAR_NORTH = (42.0450, -87.6877)  # Evanston, about 17 km north of the demo depot


def _first_assigned(s: Session, day: date, *where: Any) -> Shipment:
    """The day's first assigned shipment (by id) that also meets `where`."""
    found = s.exec(
        select(Shipment)
        .where(Shipment.service_date == day, Shipment.status == ShipmentStatus.assigned, *where)
        .order_by(col(Shipment.id))
    ).first()
    assert found is not None, "the seed has too few assigned shipments today"
    return found


def _stop(s: Session, shipment: Shipment, kind: str) -> Stop:
    return s.exec(select(Stop).where(Stop.shipment_id == shipment.id, Stop.kind == kind)).one()


def test_midday_plan_keeps_goods_pinned_stops_and_gps_starts(
    clean_db: None, session: Session
) -> None:
    today = clock.today_local()
    now = clock.local_datetime(today, time(11, 0))
    origin = clock.local_datetime(today, time(0, 0))
    now_s = int((now - origin).total_seconds())
    with session_scope() as s:
        demo_seed.seed_demo(s, "logistics-demo")
    with session_scope() as s:
        # Every van is on duty and was last seen 5 minutes ago, so the fixes count as fresh.
        for driver in s.exec(select(Driver)).all():
            driver.status = DriverStatus.available
            driver.last_seen_at = now - timedelta(minutes=5)
            s.add(driver)
        on_board = {
            sh.id: (sh.driver_id, sh.dropoff_window_end)
            for sh in s.exec(
                select(Shipment).where(
                    Shipment.service_date == today,
                    col(Shipment.status).in_([ShipmentStatus.picked_up, ShipmentStatus.in_transit]),
                )
            ).all()
        }
        # The far van carries goods due late in the day, so it certainly has work.
        late = [(sid, d) for sid, (d, end) in on_board.items() if end >= now + timedelta(hours=4)]
        assert late, "the seed has no goods on board due this afternoon"
        far = s.get(Driver, late[0][1])
        assert far is not None
        far.last_lat, far.last_lon = FAR_NORTH
        s.add(far)
        far_vehicle = vehicle_id(far.id)  # type: ignore[arg-type]
        # Another driver is standing at a pickup of an assigned shipment.
        waiting = _first_assigned(s, today, Shipment.driver_id != far.id)
        pickup = _stop(s, waiting, "pickup")
        pickup.status = StopStatus.arrived
        pickup.actual_arrival = now - timedelta(minutes=2)
        s.add(pickup)
        standing_driver, standing_job = waiting.driver_id, pickup_id(waiting.id)  # type: ignore[arg-type]
        # A driver marked arrived at a drop-off whose goods were never picked up (a phone that
        # skipped ahead): nothing to pin there; the plan must still be made, pickup first.
        ahead = _first_assigned(s, today, Shipment.id != waiting.id)
        skipped = _stop(s, ahead, "dropoff")
        skipped.status = StopStatus.arrived
        s.add(skipped)
        skipped_driver, skipped_job = ahead.driver_id, dropoff_id(ahead.id)  # type: ignore[arg-type]
    assert on_board, "the seed has no goods on board today"

    with session_scope() as s:
        problem, _context = build_problem(s, today, budget_s=2.0, seed=3, now=now)
    vans = {vehicle.id: vehicle for vehicle in problem.vehicles}
    jobs = problem.visits()

    # The problem as the solver receives it. The far van starts from its GPS fix, now; the
    # van at a pickup has it as a fixed first stop; goods on board are drop-offs owned by
    # the van that carries them, with no pickup left to do.
    far_van = vans[far_vehicle]
    assert (far_van.start.lat, far_van.start.lon) == FAR_NORTH
    assert all(vehicle.start_time == now_s for vehicle in vans.values())
    assert vans[vehicle_id(standing_driver)].fixed_prefix == (standing_job,)  # type: ignore[arg-type]
    assert skipped_job not in vans[vehicle_id(skipped_driver)].fixed_prefix  # type: ignore[arg-type]
    for shipment_id, (driver_id, _end) in on_board.items():
        assert jobs[dropoff_id(shipment_id)].on_board == vehicle_id(driver_id)  # type: ignore[arg-type]
        assert pickup_id(shipment_id) not in jobs

    # The plan keeps those rules whatever the solver's search found in its time budget.
    plan = make_plan(problem)
    routes = {route.vehicle_id: route for route in plan.solution.routes}
    where = {job: vid for vid, route in routes.items() for job in route.job_ids}
    for shipment_id, (driver_id, _end) in on_board.items():
        assert where.get(dropoff_id(shipment_id)) in (vehicle_id(driver_id), None), shipment_id  # type: ignore[arg-type]
    assert routes[vehicle_id(standing_driver)].job_ids[0] == standing_job  # type: ignore[arg-type]
    for route in routes.values():  # nothing planned in the past
        assert route.stops[0].arrival >= now_s, route.vehicle_id
    if far_vehicle in routes:  # its first stop is at least the straight line from Evanston away
        first = routes[far_vehicle].stops[0]
        target = jobs[first.job_id].location
        km = haversine_km(FAR_NORTH, (target.lat, target.lon))
        assert first.arrival - now_s >= km / MAX_SPEED_KM_PER_S
