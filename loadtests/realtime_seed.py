"""`bench realtime`'s fleet: grow the demo city to N drivers, each with today's route.

  python -m loadtests.realtime_seed DRIVERS [SHIPMENTS_PER_DRIVER]

Runs in the app's environment (DATABASE_URL of the bench's throwaway database) after
`migrate` and `seed`. Everything goes through the services the app uses, so the routes and
stops are the ones a dispatcher would have made: N - 10 more drivers (vans, no skills), and for
every driver SHIPMENTS_PER_DRIVER (2) new bookings for today, assigned to that driver.
"""

from __future__ import annotations

import random
import sys
from datetime import time

from sqlmodel import select

from logistics_ai.db import session_scope
from logistics_ai.domain import clock
from logistics_ai.geo.gazetteer import NEIGHBOURHOODS, format_address
from logistics_ai.models import Depot, Driver, DriverStatus, Role, User, Vehicle
from logistics_ai.services import assignment, notifications, shipments
from logistics_ai.services.users import NewUser, actor_for, create_user

PASSWORD = "logistics-demo"  # the demo seed's accounts share it (the bench sets DEMO_PASSWORD)


def _booking(rng: random.Random, day) -> dict:  # type: ignore[no-untyped-def]
    pickup, dropoff = rng.sample(NEIGHBOURHOODS, 2)

    def near(hood):  # type: ignore[no-untyped-def]
        return (
            round(hood.lat + rng.uniform(-0.004, 0.004), 6),
            round(hood.lon + rng.uniform(-0.0055, 0.0055), 6),
        )

    plat, plon = near(pickup)
    dlat, dlon = near(dropoff)
    return {
        "pickup_address": format_address(rng.randint(100, 3999), pickup.streets[0], pickup.name),
        "pickup_lat": plat,
        "pickup_lon": plon,
        "pickup_window_start": clock.local_datetime(day, time(11)),
        "pickup_window_end": clock.local_datetime(day, time(14)),
        "dropoff_address": format_address(rng.randint(100, 3999), dropoff.streets[0], dropoff.name),
        "dropoff_lat": dlat,
        "dropoff_lon": dlon,
        "dropoff_window_start": clock.local_datetime(day, time(14)),
        "dropoff_window_end": clock.local_datetime(day, time(20)),
        "recipient_name": "Bench Recipient",
        "weight_kg": round(rng.uniform(1, 20), 1),
        "volume_m3": 0.05,
    }


def grow(drivers: int, per_driver: int) -> int:
    rng = random.Random(11)
    today = clock.today_local()
    with session_scope() as session:
        notifications.mute(session)
        depot = session.exec(select(Depot)).first()
        staff = session.exec(select(User).where(User.role == Role.dispatcher)).first()
        customer = session.exec(select(User).where(User.role == Role.customer)).first()
        assert depot is not None and staff is not None and customer is not None, "seed first"
        dispatcher, booker = actor_for(session, staff), actor_for(session, customer)
        have = list(session.exec(select(Driver.id).order_by(Driver.id)).all())
        for n in range(len(have), drivers):
            user = create_user(
                session,
                NewUser(
                    email=f"bench.driver{n:03d}@drivers.example.com",
                    full_name=f"Bench Driver {n:03d}",
                    password=PASSWORD,
                    role=Role.driver,
                ),
                check_password=False,
            )
            vehicle = Vehicle(
                plate=f"IL-BN-{n:04d}",
                label="Ford Transit",
                capacity_kg=2000,
                capacity_m3=15,
                depot_id=depot.id,
            )
            session.add(vehicle)
            session.flush()
            driver = Driver(
                user_id=user.id,
                vehicle_id=vehicle.id,
                depot_id=depot.id,
                status=DriverStatus.available,
                last_lat=depot.lat,
                last_lon=depot.lon,
            )
            session.add(driver)
            session.flush()
            have.append(driver.id)
        start_of_day = clock.local_datetime(today, time(0))
        for driver_id in have[:drivers]:
            for _ in range(per_driver):
                shipment = shipments.create_shipment(
                    session, booker, _booking(rng, today), now=start_of_day
                )
                assignment.assign_shipment(session, dispatcher, shipment.id, driver_id)  # type: ignore[arg-type]
    return len(have[:drivers])


if __name__ == "__main__":
    count = grow(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    print(f"fleet: {count} drivers with today's routes")
