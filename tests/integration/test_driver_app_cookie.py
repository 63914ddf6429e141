"""The driver app's offline outbox replays over REST with the browser's HttpOnly cookie.

Only the driver's own writes accept the cookie, only from our own origin (CSRF), only for a
driver, and the Idempotency-Key still makes a replay act once (stop events, GPS, proof uploads).
"""

from __future__ import annotations

import uuid
from io import BytesIO
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from logistics_ai.models import LocationPing, ProofOfDelivery, TrackingEvent
from logistics_ai.services import web_sessions
from tests.integration.test_idempotency import _assigned, _count
from tests.support import api, app_config
from tests.support.world import PASSWORD, World

OWN_ORIGIN = {"Origin": "http://testserver"}


def _browser(email: str) -> TestClient:
    """A client holding the session cookie that the sign-in form sets."""
    http = api.client()
    response = http.post(
        web_sessions.LOGIN_PATH,
        data={"email": email, "password": PASSWORD},
        headers=OWN_ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert http.cookies.get(web_sessions.cookie_name())
    return http


def test_cookie_replay_acts_once_and_only_from_our_origin(world: World, session: Session) -> None:
    ((shipment_id, pickup, _),) = _assigned(world, 1)
    phone = _browser("dave@test.example.com")
    key = {"Idempotency-Key": str(uuid.uuid4()), **OWN_ORIGIN}
    url = f"/api/v1/stops/{pickup}/events"
    before = _count(session, TrackingEvent, TrackingEvent.shipment_id == shipment_id)

    cross_site = phone.post(
        url, json={"event": "picked_up"}, headers={**key, "Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    no_origin = phone.post(url, json={"event": "picked_up"}, headers={"Idempotency-Key": "k1"})
    assert no_origin.status_code == 403
    assert _count(session, TrackingEvent, TrackingEvent.shipment_id == shipment_id) == before

    first = phone.post(url, json={"event": "picked_up"}, headers=key)
    replay = phone.post(url, json={"event": "picked_up"}, headers=key)
    assert first.status_code == replay.status_code == 200, first.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json() and first.json()["status"] == "done"
    # One picked-up transition: the replay added no second one.
    assert _count(session, TrackingEvent, TrackingEvent.shipment_id == shipment_id) == before + 1

    batch = {"pings": [{"lat": 41.88, "lon": -87.63}, {"lat": 41.89, "lon": -87.62}]}
    gps_key = {"Idempotency-Key": str(uuid.uuid4()), **OWN_ORIGIN}
    for _ in range(2):
        sent = phone.post("/api/v1/drivers/me/location", json=batch, headers=gps_key)
        assert sent.status_code == 200, sent.text
        assert sent.json()["accepted"] == 2
    session.expire_all()
    pings = session.exec(
        select(LocationPing).where(LocationPing.driver_id == world.dave.driver_id)
    ).all()
    assert len(pings) == 2


def test_cookie_opens_nothing_else(world: World) -> None:
    ((_, pickup, _),) = _assigned(world, 1)
    phone = _browser("dave@test.example.com")
    # The rest of the API still wants a bearer token or an API key.
    assert phone.get("/api/v1/drivers/me/route", headers=OWN_ORIGIN).status_code == 401
    assert phone.get("/api/v1/shipments", headers=OWN_ORIGIN).status_code == 401
    # A customer's cookie is not a driver's.
    shop = _browser("alice@test.example.com")
    refused = shop.post(
        f"/api/v1/stops/{pickup}/events", json={"event": "picked_up"}, headers=OWN_ORIGIN
    )
    assert refused.status_code == 403


def test_cookie_uploads_the_drivers_own_proof_once_from_our_origin(
    world: World, session: Session, tmp_path: Path
) -> None:
    ((shipment_id, _, _),) = _assigned(world, 1)
    url = f"/api/v1/shipments/{shipment_id}/proof"
    photo = BytesIO()
    Image.new("RGB", (320, 240), (30, 90, 160)).save(photo, "JPEG")

    def form() -> dict[str, tuple[str, bytes, str]]:
        return {"photo": ("door.jpg", photo.getvalue(), "image/jpeg")}

    def proofs() -> int:
        return _count(session, ProofOfDelivery, ProofOfDelivery.shipment_id == shipment_id)

    with app_config.configured(storage_backend="local", storage_dir=str(tmp_path / "store")):
        phone = _browser("dave@test.example.com")
        key = str(uuid.uuid4())
        cross_site = phone.post(
            url,
            files=form(),
            data={"recipient_name": "Rita"},
            headers={"Idempotency-Key": key, "Origin": "https://evil.example"},
        )
        assert cross_site.status_code == 403
        shop = _browser("alice@test.example.com")  # the shipment's own customer
        refused = shop.post(url, files=form(), headers={"Idempotency-Key": key, **OWN_ORIGIN})
        assert refused.status_code == 403
        assert proofs() == 0

        sent = [
            phone.post(
                url,
                files=form(),
                data={"recipient_name": "Rita"},
                headers={"Idempotency-Key": key, **OWN_ORIGIN},
            )
            for _ in range(2)
        ]
        assert [r.status_code for r in sent] == [201, 201], sent[0].text
        assert sent[1].headers["Idempotent-Replayed"] == "true"
        assert sent[0].json()["recipient_name"] == "Rita"
        assert proofs() == 1
