"""A small, explicit world for service tests: one depot, staff, two customers, two drivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from logistics_ai.domain import clock
from logistics_ai.domain.actors import Actor
from logistics_ai.models import Depot, Driver, DriverStatus, Role, Vehicle
from logistics_ai.services.users import NewUser, actor_for, create_user

PASSWORD = "correct horse battery staple"
DEPOT_LAT, DEPOT_LON = 41.8868, -87.6527


@dataclass
class World:
    dispatcher: Actor
    admin: Actor
    alice: Actor  # customer
    bob: Actor  # another customer
    dave: Actor  # driver with a refrigerated van
    erin: Actor  # driver without skills


def _user(session: Session, email: str, role: Role) -> Actor:
    user = create_user(
        session,
        NewUser(email=email, full_name=email.split("@")[0].title(), password=PASSWORD, role=role),
    )
    if role == Role.driver:
        vehicle = Vehicle(
            plate=f"T-{user.id}",
            label="Van",
            capacity_kg=800,
            capacity_m3=8,
            skills="refrigerated" if email.startswith("dave") else "",
        )
        session.add(vehicle)
        session.flush()
        session.add(
            Driver(
                user_id=user.id,
                vehicle_id=vehicle.id,  # type: ignore[arg-type]
                status=DriverStatus.available,
            )
        )
        session.flush()
    return actor_for(session, user)


def build_world(session: Session) -> World:
    session.add(
        Depot(
            name="Test depot",
            address="1 Depot St, West Loop, Chicago, IL",
            lat=DEPOT_LAT,
            lon=DEPOT_LON,
        )
    )
    session.flush()
    return World(
        dispatcher=_user(session, "dispatch@test.example.com", Role.dispatcher),
        admin=_user(session, "admin@test.example.com", Role.admin),
        alice=_user(session, "alice@test.example.com", Role.customer),
        bob=_user(session, "bob@test.example.com", Role.customer),
        dave=_user(session, "dave@test.example.com", Role.driver),
        erin=_user(session, "erin@test.example.com", Role.driver),
    )


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    return clock.local_datetime(clock.today_local() + timedelta(days=1), time(hour, minute))


def booking(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pickup_address": "1200 N Clark St, Lincoln Park, Chicago, IL",
        "pickup_lat": 41.9214,
        "pickup_lon": -87.6513,
        "pickup_window_start": tomorrow_at(9),
        "pickup_window_end": tomorrow_at(11),
        "dropoff_address": "5300 S Lake Park Ave, Hyde Park, Chicago, IL",
        "dropoff_lat": 41.7943,
        "dropoff_lon": -87.5907,
        "dropoff_window_start": tomorrow_at(11),
        "dropoff_window_end": tomorrow_at(14),
        "recipient_name": "Jordan Lee",
        "recipient_phone": "+1 312 555 0100",
        "weight_kg": 12.5,
        "volume_m3": 0.2,
    }
    data.update(overrides)
    return data
