"""Idempotency-Key on the driver's writes: a replay returns the first answer, never a second
transition and never a 409 (the phone replays its offline queue after a dead zone)."""

from __future__ import annotations

import threading
import uuid
from io import BytesIO
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func
from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.models import (
    AuditEvent,
    IdempotencyRecord,
    LocationPing,
    ProofOfDelivery,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from logistics_ai.services import assignment, shipments
from tests.support import api, app_config
from tests.support.world import World, booking


def _dave(http: TestClient) -> dict[str, str]:
    return api.bearer(api.login(http, "dave@test.example.com")["access_token"])


def _assigned(world: World, count: int) -> list[tuple[int, int, int]]:
    """(shipment, pickup stop, drop-off stop) for `count` shipments on Dave's route."""
    out = []
    for i in range(count):
        with session_scope() as s:
            shipment = shipments.create_shipment(s, world.alice, booking(recipient_name=f"R{i}"))
        with session_scope() as s:
            assignment.assign_shipment(s, world.dispatcher, shipment.id, world.dave.driver_id)  # type: ignore[arg-type]
            stops = {x.kind: x.id for x in assignment.shipment_stops(s, shipment.id)}  # type: ignore[arg-type]
        out.append((shipment.id, stops["pickup"], stops["dropoff"]))
    return out  # type: ignore[return-value]


def _count(session: Session, model: type, *where) -> int:  # type: ignore[no-untyped-def,type-arg]
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_fifty_queued_stop_events_replayed_in_order_act_once(
    world: World, session: Session
) -> None:
    http = api.client()
    dave = _dave(http)
    work = _assigned(world, 25)
    # The phone's queue: all pickups, then all deliveries, each with its own key.
    queue = [(str(uuid.uuid4()), pickup, "picked_up") for _, pickup, _ in work] + [
        (str(uuid.uuid4()), dropoff, "delivered") for _, _, dropoff in work
    ]
    assert len(queue) == 50
    # First pass: every request reaches the server, but the phone lost every third answer.
    first: dict[str, dict] = {}  # type: ignore[type-arg]
    for n, (key, stop_id, event) in enumerate(queue):
        response = http.post(
            f"/api/v1/stops/{stop_id}/events",
            headers={**dave, "Idempotency-Key": key},
            json={"event": event},
        )
        assert response.status_code == 200, response.text
        if n % 3:
            first[key] = response.json()
    events_after_first = _count(session, TrackingEvent)
    audits_after_first = _count(session, AuditEvent)

    # Back online: the whole queue is replayed, in order.
    for key, stop_id, event in queue:
        replay = http.post(
            f"/api/v1/stops/{stop_id}/events",
            headers={**dave, "Idempotency-Key": key},
            json={"event": event},
        )
        assert replay.status_code == 200, replay.text
        assert replay.headers["Idempotent-Replayed"] == "true"
        if key in first:
            assert replay.json() == first[key]
    assert _count(session, TrackingEvent) == events_after_first
    assert _count(session, AuditEvent) == audits_after_first
    statuses = {
        s.status
        for s in session.exec(select(Shipment).where(Shipment.driver_id.isnot(None)))  # type: ignore[union-attr]
    }
    assert statuses == {ShipmentStatus.delivered}
    assert _count(session, IdempotencyRecord) == 50

    # Without the key, a repeated event is the ordinary conflict it always was.
    again = http.post(
        f"/api/v1/stops/{queue[0][1]}/events", headers=dave, json={"event": "picked_up"}
    )
    assert again.status_code == 409


def test_concurrent_duplicates_transition_once_and_both_succeed(
    world: World, session: Session
) -> None:
    http = api.client()
    dave = _dave(http)
    ((shipment_id, pickup, _),) = _assigned(world, 1)
    key = str(uuid.uuid4())
    barrier = threading.Barrier(4)
    answers: list[tuple[int, dict]] = []  # type: ignore[type-arg]

    def send() -> None:
        client = api.client()
        barrier.wait()
        r = client.post(
            f"/api/v1/stops/{pickup}/events",
            headers={**dave, "Idempotency-Key": key},
            json={"event": "picked_up"},
        )
        answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [code for code, _ in answers] == [200, 200, 200, 200], answers
    assert len({str(body) for _, body in answers}) == 1
    picked = _count(
        session,
        TrackingEvent,
        TrackingEvent.shipment_id == shipment_id,
        TrackingEvent.status == ShipmentStatus.picked_up,
    )
    assert picked == 1


def test_key_reused_for_another_request_is_refused(world: World, session: Session) -> None:
    http = api.client()
    dave = _dave(http)
    ((_, pickup, dropoff),) = _assigned(world, 1)
    key = "phone-1-action-7"
    ok = http.post(
        f"/api/v1/stops/{pickup}/events",
        headers={**dave, "Idempotency-Key": key},
        json={"event": "arrived"},
    )
    assert ok.status_code == 200
    other = http.post(
        f"/api/v1/stops/{dropoff}/events",
        headers={**dave, "Idempotency-Key": key},
        json={"event": "arrived"},
    )
    assert other.status_code == 422
    assert "different request" in other.json()["error"]["details"]["fields"]["Idempotency-Key"]
    bad = http.post(
        f"/api/v1/stops/{dropoff}/events",
        headers={**dave, "Idempotency-Key": "spaces are not allowed"},
        json={"event": "arrived"},
    )
    assert bad.status_code == 422


def test_a_failed_attempt_stores_nothing_and_can_be_retried(world: World, session: Session) -> None:
    http = api.client()
    dave = _dave(http)
    ((shipment_id, pickup, _),) = _assigned(world, 1)
    key = str(uuid.uuid4())
    failed = http.post(
        f"/api/v1/stops/{pickup}/events",
        headers={**dave, "Idempotency-Key": key},
        json={"event": "failed"},  # no reason: refused
    )
    assert failed.status_code == 422
    assert _count(session, IdempotencyRecord) == 0
    fixed = http.post(
        f"/api/v1/stops/{pickup}/events",
        headers={**dave, "Idempotency-Key": key},
        json={"event": "failed", "reason": "Shop closed"},
    )
    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers
    assert session.get(Shipment, shipment_id).status == ShipmentStatus.failed  # type: ignore[union-attr]


def test_location_batches_and_proof_uploads_are_idempotent(
    world: World, session: Session, tmp_path: Path
) -> None:
    http = api.client()
    dave = _dave(http)
    batch = {"pings": [{"lat": 41.88, "lon": -87.63}, {"lat": 41.881, "lon": -87.631}]}
    key = str(uuid.uuid4())
    for _ in range(3):
        r = http.post(
            "/api/v1/drivers/me/location", headers={**dave, "Idempotency-Key": key}, json=batch
        )
        assert r.status_code == 200 and r.json()["accepted"] == 2
    assert _count(session, LocationPing) == 2

    ((shipment_id, pickup, _),) = _assigned(world, 1)
    http.post(f"/api/v1/stops/{pickup}/events", headers=dave, json={"event": "picked_up"})
    photo = BytesIO()
    Image.new("RGB", (800, 600), (1, 2, 3)).save(photo, "JPEG")
    key = str(uuid.uuid4())
    with app_config.configured(storage_backend="local", storage_dir=str(tmp_path)):
        answers = [
            http.post(
                f"/api/v1/shipments/{shipment_id}/proof",
                headers={**dave, "Idempotency-Key": key},
                files={"photo": ("p.jpg", photo.getvalue(), "image/jpeg")},
                data={"recipient_name": "Sam"},
            )
            for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json() == answers[2].json()
    assert _count(session, ProofOfDelivery) == 1
    assert len(list(tmp_path.rglob("*.*"))) == 2  # one photo + one thumbnail, not three sets
