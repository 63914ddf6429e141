"""The fleet simulator against a live API process: positions and stop events land in the DB.

The simulator runs as its own process (`python -m logistics_ai simulate`) and reaches the app
only through the URL it is given; the test books and assigns the routes beforehand through the
services and reads the outcome back from PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

from sqlmodel import Session, col, select

from logistics_ai.db import session_scope
from logistics_ai.domain import clock
from logistics_ai.models import (
    Driver,
    IdempotencyRecord,
    LocationPing,
    Shipment,
    Stop,
    TrackingEvent,
)
from logistics_ai.services import assignment, shipments
from tests.support.live_api import ROOT, live_api
from tests.support.world import PASSWORD, World, booking

TODAY = clock.today_local()


def _at(hour: int) -> datetime:
    return clock.local_datetime(TODAY, time(hour))


def _plan(world: World) -> dict[int, list[int]]:
    """Three of today's shipments: two on Dave's route, one on Erin's."""
    plan = {world.dave.driver_id: [], world.erin.driver_id: []}
    pickups = [
        ("1200 N Clark St, Lincoln Park, Chicago, IL", 41.9214, -87.6513),
        ("2000 W Division St, Wicker Park, Chicago, IL", 41.9030, -87.6780),
        ("1800 S Blue Island Ave, Pilsen, Chicago, IL", 41.8564, -87.6597),
    ]
    with session_scope() as session:
        for n, (address, lat, lon) in enumerate(pickups):
            shipment = shipments.create_shipment(
                session,
                world.alice,
                booking(
                    pickup_address=address,
                    pickup_lat=lat,
                    pickup_lon=lon,
                    pickup_window_start=_at(8),
                    pickup_window_end=_at(10),
                    dropoff_window_start=_at(10),
                    dropoff_window_end=_at(12),
                ),
                now=clock.local_datetime(TODAY, time(0)),
            )
            driver_id = world.dave.driver_id if n < 2 else world.erin.driver_id
            assignment.assign_shipment(session, world.dispatcher, shipment.id, driver_id)
            plan[driver_id].append(shipment.id)
    return plan


def test_simulator_drives_the_routes_through_the_api(
    world: World, session: Session, tmp_path: Path
) -> None:
    plan = _plan(world)
    with live_api(tmp_path / "api.log") as url:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "logistics_ai",
                "simulate",
                "--url",
                url,
                "--drivers",
                "2",
                "--speedup",
                "2000",
                "--interval",
                "0.4",
                "--duration",
                "60",
                "--fail-rate",
                "0.5",
                "--admin-email",
                "admin@test.example.com",
            ],
            cwd=ROOT,
            env={**__import__("os").environ, "DEMO_PASSWORD": PASSWORD},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert summary.startswith("simulate: 2 drivers") and "errors 0" in summary, summary

    for driver_id, shipment_ids in plan.items():
        pings = session.exec(select(LocationPing).where(LocationPing.driver_id == driver_id)).all()
        assert len(pings) >= 2
        stops = session.exec(
            select(Stop).where(col(Stop.shipment_id).in_(shipment_ids)).order_by(Stop.sequence)
        ).all()
        assert len(stops) == 2 * len(shipment_ids)
        assert all(s.status in ("done", "failed") and s.actual_arrival for s in stops)
        # The driver ends where the last stop is: the GPS batches moved the marker there.
        driver = session.get(Driver, driver_id)
        last = session.get(Shipment, stops[-1].shipment_id)
        assert driver is not None and last is not None
        assert (driver.last_lat, driver.last_lon) == (
            round(last.dropoff_lat, 6),
            round(last.dropoff_lon, 6),
        )
        assert driver.status == "on_route"

    closed = session.exec(
        select(Shipment).where(col(Shipment.id).in_([i for ids in plan.values() for i in ids]))
    ).all()
    assert {s.status for s in closed} <= {"delivered", "failed"}
    for shipment in closed:
        history = session.exec(
            select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)
        ).all()
        assert "picked_up" in {e.status for e in history}
        if shipment.status == "failed":
            failure = next(e for e in history if e.status == "failed")
            assert failure.note  # a failed delivery always carries the driver's reason
    delivered = sum(s.status == "delivered" for s in closed)
    assert f"delivered {delivered}" in summary if delivered else "delivered" not in summary
    # Every write carried an Idempotency-Key, stored per driver.
    assert session.exec(select(IdempotencyRecord)).first() is not None
