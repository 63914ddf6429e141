"""Rows written by one Core statement (`models/core_rows.py`) behave as rows the ORM wrote."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from logistics_ai.db import session_scope
from logistics_ai.models import Notification, Shipment, ShipmentStatus
from logistics_ai.models.core_rows import insert_row, with_defaults
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


def test_columns_not_given_take_the_models_defaults_fresh_per_row() -> None:
    first = with_defaults(
        Notification, {"channel": "email", "recipient": "a@x.example", "template": "booked"}
    )
    second = with_defaults(
        Notification, {"channel": "sms", "recipient": "+15550100", "template": "booked"}
    )
    assert (first["status"], first["attempts"], first["language"]) == ("pending", 0, "en")
    assert first["sent_at"] is None and first["user_id"] is None
    assert first["next_attempt_at"].tzinfo is not None  # the model's factory, called per row
    assert first["payload"] == {} and first["payload"] is not second["payload"]
    assert "id" not in first


def test_a_misspelt_column_is_refused_not_dropped() -> None:
    with pytest.raises(TypeError, match="no column recipeint"):
        with_defaults(
            Notification,
            {"channel": "email", "recipeint": "a@x.example", "template": "booked"},
        )
