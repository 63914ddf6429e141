"""Cancellation reasons: checked where they are written, and never on the public page (issue 10)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from logistics_ai.api.app import create_api
from logistics_ai.db import session_scope
from logistics_ai.domain.errors import ValidationFailed
from logistics_ai.services import shipments
from tests.support.world import World, booking

PERSONAL_REASON = "Jordan Lee moved to 12 Elm St, call 312-555-0199"


def test_cancellation_reason_never_reaches_the_public_page(world: World) -> None:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking(recipient_name="Jordan Lee"))
    with session_scope() as s:
        shipments.cancel_shipment(s, world.alice, shipment.id, reason=PERSONAL_REASON)  # type: ignore[arg-type]
    body = TestClient(create_api()).get(f"/api/v1/track/{shipment.tracking_code}").json()
    assert body["status"] == "cancelled"
    assert [(e["status"], e["note"]) for e in body["events"]] == [
        ("requested", "Booking received"),
        ("cancelled", "The delivery was cancelled"),
    ]
    text = str(body)
    # Fragments that cannot occur by chance in a timestamp or an upper-case tracking code
    # (the recipient's first name is public by design).
    for fragment in ("Lee", "Elm St", "312-555-0199", "moved"):
        assert fragment not in text
    # The reason is kept for the people entitled to it: the customer's own history.
    with session_scope() as s:
        notes = [e.note for e in shipments.history(s, shipment.id)]  # type: ignore[arg-type]
    assert PERSONAL_REASON in notes


def test_an_overlong_or_nul_reason_is_refused_and_nothing_changes(world: World) -> None:
    with session_scope() as s:
        shipment = shipments.create_shipment(s, world.alice, booking())
    for reason, message in (("x" * 301, "at most 300 characters"), ("a\x00b", "NUL")):
        with pytest.raises(ValidationFailed) as refused, session_scope() as s:
            shipments.cancel_shipment(s, world.alice, shipment.id, reason=reason)  # type: ignore[arg-type]
        assert message in refused.value.details["fields"]["reason"]
    with session_scope() as s:
        assert shipments.get_shipment(s, world.alice, shipment.id).status == "requested"  # type: ignore[arg-type]
