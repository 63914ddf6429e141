"""The demo city: a Chicago depot, ten drivers, demo accounts and about 200 shipments today.

Everything is created through the same services the app uses, so the demo history
(tracking events, audit trail, routes) is exactly what real use would produce.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time, timedelta

from loguru import logger
from sqlmodel import Session, SQLModel, select

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.geo.gazetteer import DEPOT, NEIGHBOURHOODS, format_address
from logistics_ai.models import (
    Customer,
    Depot,
    Driver,
    DriverStatus,
    Role,
    Shipment,
    ShipmentStatus,
    User,
    Vehicle,
    saved_id,
)
from logistics_ai.services import assignment, drivers, notifications, shipments
from logistics_ai.services.shipment_status import transition
from logistics_ai.services.users import NewUser, actor_for, create_user

DEMO_SHIPMENT_COUNT = 200
STAFF = [
    ("admin@example.com", "Ada Admin", Role.admin),
    ("dispatcher@example.com", "Dana Dispatcher", Role.dispatcher),
]
CUSTOMERS = [
    ("customer@example.com", "Casey Customer", "Casey's Kitchen Supplies"),
    ("customer2@example.com", "Morgan Customer", "Northside Florists"),
    ("orders@lakeshore-books.example.com", "Priya Natarajan", "Lakeshore Books"),
    ("shipping@windy-city-bikes.example.com", "Tomás Rivera", "Windy City Bikes"),
    ("ops@greenleaf-pharmacy.example.com", "Grace Kim", "Greenleaf Pharmacy"),
    ("hello@southside-coffee.example.com", "Andre Williams", "Southside Coffee Roasters"),
]
# (email, name, vehicle label, plate, kg, m3, skills)
DRIVERS = [
    ("driver@example.com", "Dmitri Driver", "Ford Transit", "IL-DR-1001", 1200, 9.5, ""),
    (
        "driver2@example.com",
        "Dora Driver",
        "Mercedes Sprinter",
        "IL-DR-1002",
        1400,
        11.0,
        "liftgate",
    ),
    (
        "maria.lopez@drivers.example.com",
        "Maria Lopez",
        "Ram ProMaster",
        "IL-DR-1003",
        1300,
        10.0,
        "refrigerated",
    ),
    (
        "james.obrien@drivers.example.com",
        "James O'Brien",
        "Ford Transit",
        "IL-DR-1004",
        1200,
        9.5,
        "",
    ),
    ("aisha.khan@drivers.example.com", "Aisha Khan", "Nissan e-NV200", "IL-DR-1005", 700, 4.2, ""),
    (
        "wei.zhang@drivers.example.com",
        "Wei Zhang",
        "Mercedes Sprinter",
        "IL-DR-1006",
        1400,
        11.0,
        "fragile",
    ),
    (
        "luis.garcia@drivers.example.com",
        "Luis Garcia",
        "Isuzu NPR box truck",
        "IL-DR-1007",
        3000,
        22.0,
        "liftgate,oversize",
    ),
    (
        "olivia.brown@drivers.example.com",
        "Olivia Brown",
        "Ford E-Transit",
        "IL-DR-1008",
        1000,
        8.0,
        "",
    ),
    (
        "samuel.adeyemi@drivers.example.com",
        "Samuel Adeyemi",
        "Ram ProMaster",
        "IL-DR-1009",
        1300,
        10.0,
        "refrigerated",
    ),
    (
        "hannah.schmidt@drivers.example.com",
        "Hannah Schmidt",
        "Cargo e-bike",
        "IL-DR-1010",
        150,
        0.8,
        "",
    ),
]
RECIPIENTS = [
    "Jordan Lee",
    "Sofia Martinez",
    "Noah Johnson",
    "Emma Davis",
    "Liam Wilson",
    "Ava Thompson",
    "Mateo Hernandez",
    "Chloe Nguyen",
    "Ethan Patel",
    "Zoe Robinson",
    "Lucas Clark",
    "Mia Lewis",
    "Elijah Walker",
    "Isabella Young",
    "Benjamin Hall",
    "Amara Okafor",
    "Kenji Tanaka",
    "Fatima Ali",
]
# Share of the day's shipments in each status, as on a busy afternoon.
STATUS_MIX: list[tuple[ShipmentStatus, int]] = [
    (ShipmentStatus.requested, 50),
    (ShipmentStatus.scheduled, 25),
    (ShipmentStatus.assigned, 45),
    (ShipmentStatus.picked_up, 15),
    (ShipmentStatus.in_transit, 10),
    (ShipmentStatus.delivered, 40),
    (ShipmentStatus.failed, 8),
    (ShipmentStatus.cancelled, 7),
]


@dataclass(frozen=True)
class SeedReport:
    users: int
    drivers: int
    shipments: int


def is_seeded(session: Session) -> bool:
    return session.exec(select(User).limit(1)).first() is not None


def reset(session: Session) -> None:
    """Delete every row, children first. Only used by `seed --reset` outside prod."""
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.execute(table.delete())
    session.flush()


def seed_demo(
    session: Session, password: str, *, count: int = DEMO_SHIPMENT_COUNT, seed: int = 42
) -> SeedReport:
    rng = random.Random(seed)
    notifications.mute(session)  # back-filled history must not email the demo customers
    name, address, lat, lon = DEPOT
    depot = Depot(name=name, address=address, lat=lat, lon=lon, timezone=clock.local_zone().key)
    session.add(depot)
    session.flush()

    def add_user(email: str, full_name: str, role: Role) -> User:
        # Demo passwords are known by design; the strength check is for real sign-ups.
        return create_user(
            session,
            NewUser(email=email, full_name=full_name, password=password, role=role),
            check_password=False,
        )

    staff_users = [add_user(email, full_name, role) for email, full_name, role in STAFF]
    dispatcher = actor_for(session, staff_users[0])

    customer_actors: list[Actor] = []
    for email, full_name, company in CUSTOMERS:
        user = add_user(email, full_name, Role.customer)
        customer = session.exec(select(Customer).where(Customer.user_id == user.id)).one()
        hood = rng.choice(NEIGHBOURHOODS)
        customer.company_name = company
        customer.default_address = format_address(
            rng.randint(100, 2999), rng.choice(hood.streets), hood.name
        )
        customer.default_lat, customer.default_lon = _near(rng, hood.lat, hood.lon)
        session.add(customer)
        customer_actors.append(actor_for(session, user))

    driver_ids: list[int] = []
    for email, full_name, label, plate, kg, m3, skills in DRIVERS:
        user = add_user(email, full_name, Role.driver)
        vehicle = Vehicle(
            plate=plate,
            label=label,
            capacity_kg=kg,
            capacity_m3=m3,
            skills=skills,
            depot_id=depot.id,
        )
        session.add(vehicle)
        session.flush()
        driver = Driver(
            user_id=saved_id(user),
            vehicle_id=vehicle.id,
            depot_id=depot.id,
            status=DriverStatus.available,
            last_lat=lat,
            last_lon=lon,
        )
        session.add(driver)
        session.flush()
        driver_ids.append(saved_id(driver))

    today = clock.today_local()
    start_of_day = clock.local_datetime(today, time(0, 0))
    statuses = _status_sequence(rng, count)
    for index, status in enumerate(statuses):
        booking_actor = customer_actors[0] if index % 5 == 0 else rng.choice(customer_actors)
        shipment = shipments.create_shipment(
            session, booking_actor, _random_booking(rng, today), now=start_of_day
        )
        _advance(session, dispatcher, shipment, status, driver_ids, index)

    _place_drivers(session, rng, driver_ids)
    users = len(STAFF) + len(CUSTOMERS) + len(DRIVERS)
    logger.info("seeded demo city: {} users, {} drivers, {} shipments", users, len(DRIVERS), count)
    return SeedReport(users=users, drivers=len(DRIVERS), shipments=count)


def _status_sequence(rng: random.Random, count: int) -> list[ShipmentStatus]:
    total_weight = sum(weight for _, weight in STATUS_MIX)
    sequence: list[ShipmentStatus] = []
    for status, weight in STATUS_MIX:
        sequence.extend([status] * round(count * weight / total_weight))
    sequence = (sequence + [ShipmentStatus.requested] * count)[:count]
    rng.shuffle(sequence)
    return sequence


def _near(rng: random.Random, lat: float, lon: float) -> tuple[float, float]:
    return round(lat + rng.uniform(-0.004, 0.004), 6), round(lon + rng.uniform(-0.0055, 0.0055), 6)


def _random_booking(rng: random.Random, day) -> dict:
    pickup_hood, dropoff_hood = rng.sample(NEIGHBOURHOODS, 2)
    pickup_hour = rng.randint(8, 15)
    pickup_start = clock.local_datetime(day, time(pickup_hour, rng.choice([0, 30])))
    pickup_end = pickup_start + timedelta(hours=rng.choice([1, 2]))
    dropoff_start = pickup_end + timedelta(minutes=rng.choice([0, 30, 60]))
    dropoff_end = dropoff_start + timedelta(hours=rng.choice([2, 3]))
    plat, plon = _near(rng, pickup_hood.lat, pickup_hood.lon)
    dlat, dlon = _near(rng, dropoff_hood.lat, dropoff_hood.lon)
    skills = (
        ["refrigerated"] if rng.random() < 0.06 else (["liftgate"] if rng.random() < 0.04 else [])
    )
    return {
        "pickup_address": format_address(
            rng.randint(100, 3999), rng.choice(pickup_hood.streets), pickup_hood.name
        ),
        "pickup_lat": plat,
        "pickup_lon": plon,
        "pickup_window_start": pickup_start,
        "pickup_window_end": pickup_end,
        "dropoff_address": format_address(
            rng.randint(100, 3999), rng.choice(dropoff_hood.streets), dropoff_hood.name
        ),
        "dropoff_lat": dlat,
        "dropoff_lon": dlon,
        "dropoff_window_start": dropoff_start,
        "dropoff_window_end": min(dropoff_end, clock.local_datetime(day, time(23, 0))),
        "recipient_name": rng.choice(RECIPIENTS),
        "recipient_phone": f"+1 312 555 {rng.randint(1000, 9999)}",
        "weight_kg": round(rng.uniform(0.5, 60), 1),
        "volume_m3": round(rng.uniform(0.01, 0.6), 2),
        "required_skills": skills,
        "notes": rng.choice(
            [None, None, "Leave with front desk", "Call on arrival", "Fragile: glassware"]
        ),
    }


def _advance(
    session: Session,
    dispatcher: Actor,
    shipment: Shipment,
    target: ShipmentStatus,
    driver_ids: list[int],
    index: int,
) -> None:
    """Drive a new shipment through the real status machine up to `target`."""
    S = ShipmentStatus
    if target == S.requested:
        return
    if target == S.cancelled:
        shipments.cancel_shipment(session, dispatcher, saved_id(shipment), "Customer cancelled")
        return
    if target == S.scheduled:
        transition(session, shipment, S.scheduled, dispatcher, note="Scheduled")
        return
    driver_id = _capable_driver(session, shipment, driver_ids, index)
    assignment.assign_shipment(session, dispatcher, saved_id(shipment), driver_id)
    if target == S.assigned:
        return
    stops = {
        stop.kind: saved_id(stop) for stop in assignment.shipment_stops(session, saved_id(shipment))
    }
    if target == S.failed:
        drivers.record_stop_event(
            session, dispatcher, stops["pickup"], "failed", reason="Business closed at pickup"
        )
        return
    drivers.record_stop_event(session, dispatcher, stops["pickup"], "picked_up")
    if target == S.picked_up:
        return
    if target == S.in_transit:
        transition(session, shipment, S.in_transit, dispatcher, note="Out for delivery")
        return
    drivers.record_stop_event(session, dispatcher, stops["dropoff"], "delivered")


def _capable_driver(session: Session, shipment: Shipment, driver_ids: list[int], index: int) -> int:
    needed = {s for s in shipment.required_skills.split(",") if s}
    for offset in range(len(driver_ids)):
        driver_id = driver_ids[(index + offset) % len(driver_ids)]
        driver = session.get_one(Driver, driver_id)
        vehicle = session.get(Vehicle, driver.vehicle_id) if driver.vehicle_id else None
        if vehicle and needed <= {s for s in vehicle.skills.split(",") if s}:
            return driver_id
    return driver_ids[0]


def _place_drivers(session: Session, rng: random.Random, driver_ids: list[int]) -> None:
    statuses = (
        [DriverStatus.on_route] * 6
        + [DriverStatus.available] * 2
        + [DriverStatus.on_break, DriverStatus.off_duty]
    )
    now = clock.utcnow()
    for driver_id, status in zip(driver_ids, statuses, strict=False):
        driver = session.get_one(Driver, driver_id)
        hood = rng.choice(NEIGHBOURHOODS)
        driver.status = status
        driver.last_lat, driver.last_lon = _near(rng, hood.lat, hood.lon)
        driver.last_seen_at = now - timedelta(minutes=rng.randint(0, 20))
        session.add(driver)
