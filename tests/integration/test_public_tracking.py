"""The public tracking page shows fixed labels only, never free text (issue 10)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from logistics_ai.api.app import create_api
from logistics_ai.db import session_scope
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
    # Fragments long enough not to occur by chance in a timestamp or a tracking code.
    for fragment in ("Jordan", "Lee ", "Elm St", "312-555-0199", "moved"):
        assert fragment not in text
    # The reason is kept for the people entitled to it: the customer's own history.
    with session_scope() as s:
        notes = [e.note for e in shipments.history(s, shipment.id)]  # type: ignore[arg-type]
    assert PERSONAL_REASON in notes
