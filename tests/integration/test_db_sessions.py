"""The database sessions' settings that the column types rely on, against real PostgreSQL."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import text

from logistics_ai.db import get_engine, new_read_session, session_scope
from logistics_ai.models import Shipment
from logistics_ai.services import shipments
from tests.support.world import World, booking


def test_sessions_run_in_utc_and_read_timestamps_in_utc(world: World) -> None:
    # Whatever the server's default zone, the app's sessions are in UTC, so psycopg reads
    # timestamps already in `datetime.UTC` and UTCDateTime keeps them without a conversion.
    with get_engine().connect() as connection:
        assert connection.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
    with session_scope() as session:
        booked = shipments.create_shipment(session, world.alice, booking())
    with new_read_session() as session:
        stored = session.get(Shipment, booked.id)
        assert stored is not None
        for value in (stored.created_at, stored.pickup_window_start, stored.dropoff_window_end):
            assert value.tzinfo is UTC
        assert stored.pickup_window_start == booked.pickup_window_start
