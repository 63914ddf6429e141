"""Rows written by one Core statement (`models/core_rows.py`) behave as rows the ORM wrote."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from logistics_ai.db import session_scope
from logistics_ai.models import Shipment, ShipmentStatus
from logistics_ai.models.core_rows import insert_row
from logistics_ai.services import shipments
from tests.support.world import World, booking


def test_a_booked_shipment_is_in_the_session_and_its_changes_flush_as_updates(
    world: World,
) -> None:
    with session_scope() as s:
        booked = shipments.create_shipment(s, world.alice, booking(notes="first"))
        state = inspect(booked)
        assert state.persistent and not state.modified
        assert s.get(Shipment, booked.id) is booked  # the identity map holds it, no SELECT
        booked.notes = "changed in the same unit"
        booked_id = booked.id
    with session_scope() as s:
        stored = s.get(Shipment, booked_id)
        assert stored is not None
        assert stored.notes == "changed in the same unit"
        # The ORM's UPDATE checked and bumped the optimistic-concurrency counter it was given.
        assert (stored.version, stored.status) == (2, ShipmentStatus.requested)
        assert stored.created_at.tzinfo is not None


def test_a_required_column_without_a_value_is_refused_before_any_write(world: World) -> None:
    with pytest.raises(TypeError, match="tracking_code"), session_scope() as s:
        insert_row(s, Shipment, customer_id=world.alice.customer_id)
