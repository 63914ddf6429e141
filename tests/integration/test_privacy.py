"""GDPR self-service through the real API on PostgreSQL (issue 10, item 5): export, erasure
(personal fields gone, aggregates and the audit chain kept, proof files deleted from storage),
consents, and the retention job with its metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlmodel import Session, select

from logistics_ai.db import get_engine, session_scope
from logistics_ai.jobs import privacy_retention
from logistics_ai.models import (
    AuditEvent,
    LocationPing,
    ProofOfDelivery,
    Shipment,
    User,
    utcnow,
)
from logistics_ai.services import audit_integrity, audit_log, shipments
from logistics_ai.storage import get_store
from tests.support import app_config
from tests.support.api import bearer, client, login
from tests.support.world import PASSWORD, World, booking

ALICE = "alice@test.example.com"


@pytest.fixture
def storage(clean_db: None, tmp_path: Path) -> Iterator[Path]:
    with app_config.configured(storage_backend="local", storage_dir=str(tmp_path / "files")):
        yield tmp_path / "files"


def _book_with_proof(world: World) -> tuple[int, str]:
    """A delivered-looking shipment of alice's with a proof photo in the file store."""
    with session_scope() as s:
        shipment = shipments.create_shipment(
            s,
            world.alice,
            booking(recipient_name="Jordan Lee", recipient_phone="+1 312 555 0199"),
        )
        key = f"proofs/{shipment.id}/photo.jpg"
        get_store().put(key, b"\xff\xd8 a photo of Jordan's door", "image/jpeg")
        s.add(ProofOfDelivery(shipment_id=shipment.id, photo_key=key, recipient_name="Jordan"))  # type: ignore[arg-type]
        return shipment.id, key  # type: ignore[return-value]


def _all_rows_as_text() -> str:
    """Every value of every table, as text: what a database dump would reveal."""
    with get_engine().connect() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        return "\n".join(
            str(row)
            for table in list(tables)
            for row in connection.execute(text(f'SELECT * FROM "{table}"')).all()
        )


def test_export_my_data(world: World, storage: Path, session: Session) -> None:
    shipment_id, _ = _book_with_proof(world)
    http = client()
    token = login(http, ALICE)["access_token"]
    consent = http.post(
        "/api/v1/privacy/consents",
        json={"purpose": "service_sms", "granted": True},
        headers=bearer(token),
    )
    assert consent.status_code == 200 and consent.json()["consents"]["service_sms"] is True
    response = http.get("/api/v1/privacy/export", headers=bearer(token))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["format"] == "logistics-ai/export/v1"
    assert data["account"]["email"] == ALICE and data["account"]["role"] == "customer"
    assert [s["id"] for s in data["shipments"]] == [shipment_id]
    assert data["shipments"][0]["recipient_phone"] == "+1 312 555 0199"  # decrypted for her
    assert [e["status"] for e in data["events"]] == ["requested"]
    assert [(c["purpose"], c["granted"]) for c in data["consents"]] == [("service_sms", True)]
    assert isinstance(data["notifications"], list)
    assert "auth.login" in {e["action"] for e in data["security_events"]}
    # Another customer's export holds none of alice's data.
    bob = login(http, "bob@test.example.com")["access_token"]
    other = http.get("/api/v1/privacy/export", headers=bearer(bob)).json()
    assert other["shipments"] == [] and other["account"]["email"] == "bob@test.example.com"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "privacy.exported")).all()


def test_erasure_anonymises_irreversibly_and_keeps_aggregates(
    world: World, storage: Path, session: Session
) -> None:
    shipment_id, photo_key = _book_with_proof(world)
    http = client()
    token = login(http, ALICE)["access_token"]
    before = _all_rows_as_text()
    assert ALICE in before or "Jordan Lee" in before  # (emails are stored in clear, phones not)
    wrong = http.request(
        "DELETE", "/api/v1/privacy/me", json={"password": "not the password"},
        headers=bearer(token),
    )  # fmt: skip
    assert wrong.status_code == 422 and "incorrect" in wrong.text  # still signed in
    erased = http.request(
        "DELETE", "/api/v1/privacy/me", json={"password": PASSWORD}, headers=bearer(token)
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["anonymised"]["shipments"] == 1
    assert erased.json()["anonymised"]["proofs"] == 1

    dump = _all_rows_as_text()
    for personal in (ALICE, "Alice", "Jordan", "312 555 0199", "Lake Park"):
        assert personal not in dump, personal
    # The proof photo is gone from storage, not only from the table.
    with pytest.raises(Exception):  # noqa: B017 - the store raises its own not-found error
        get_store().get(photo_key)
    # Aggregates stay: the shipment, its status history, weight and price.
    session.expire_all()
    kept = session.get(Shipment, shipment_id)
    assert kept is not None and kept.status == "requested" and kept.price_cents > 0
    assert kept.dropoff_address == "(erased)" and kept.dropoff_lat == round(kept.dropoff_lat, 2)
    # Signed out everywhere, and the account cannot be used again.
    assert http.get("/api/v1/me", headers=bearer(token)).status_code == 401
    again = http.post("/api/v1/auth/token", json={"email": ALICE, "password": PASSWORD})
    assert again.status_code == 401
    # The audit trail keeps its rows under the pseudonym, still verifiably intact.
    with session_scope() as s:
        assert audit_integrity.verify(s).ok
        page = audit_log.list_events(s, world.admin, {"page_size": 200})
    alices = [e for e in page.items if e.actor_user_id == world.alice.user_id]
    assert alices and all("(erased)" in e.actor_label for e in alices if e.pii)
    assert all(e.ip is None for e in alices)
    user = session.get(User, world.alice.user_id)
    assert user is not None and user.erased_at is not None and not user.is_active


def test_staff_cannot_self_erase_and_api_keys_cannot_export(world: World, storage: Path) -> None:
    http = client()
    admin = login(http, "admin@test.example.com")["access_token"]
    refused = http.request(
        "DELETE", "/api/v1/privacy/me", json={"password": PASSWORD}, headers=bearer(admin)
    )
    assert refused.status_code == 403
    key = http.post(
        "/api/v1/api-keys",
        json={"name": "shop", "scopes": ["shipments:read"]},
        headers=bearer(admin),
    ).json()["key"]
    assert http.get("/api/v1/privacy/export", headers={"X-API-Key": key}).status_code == 403


def _metric(name: str, policy: str) -> float:
    return REGISTRY.get_sample_value(name, {"policy": policy}) or 0.0


def test_retention_job_enforces_each_policy(world: World, storage: Path, session: Session) -> None:
    old_proof_shipment, old_key = _book_with_proof(world)
    with session_scope() as s:
        proof = s.exec(
            select(ProofOfDelivery).where(ProofOfDelivery.shipment_id == old_proof_shipment)
        ).one()
        proof.created_at = utcnow() - timedelta(days=400)
        s.add(proof)
        # A customer deactivated long ago, and an admin's open invitation (not "closed").
        closed = s.get(User, world.bob.user_id)
        assert closed is not None
        closed.is_active = False
        closed.last_login_at = utcnow() - timedelta(days=200)
        s.add(closed)
        s.add(LocationPing(driver_id=world.dave.driver_id, lat=41.9, lon=-87.6))  # type: ignore[arg-type]
    before = {p: _metric("lai_retention_removed_total", p) for p in ("proofs", "closed_accounts")}
    assert privacy_retention.purge_old_proofs() == 1
    assert privacy_retention.anonymise_closed_accounts() == 1
    assert _metric("lai_retention_removed_total", "proofs") == before["proofs"] + 1
    assert _metric("lai_retention_removed_total", "closed_accounts") == (
        before["closed_accounts"] + 1
    )
    assert REGISTRY.get_sample_value(
        "lai_retention_last_run_timestamp_seconds", {"policy": "proofs"}
    )
    with pytest.raises(Exception):  # noqa: B017
        get_store().get(old_key)
    session.expire_all()
    bob = session.get(User, world.bob.user_id)
    assert bob is not None and bob.erased_at is not None and "bob" not in bob.email
    alice = session.get(User, world.alice.user_id)
    assert alice is not None and alice.erased_at is None  # active accounts are untouched
    actions = {
        a.action
        for a in session.exec(select(AuditEvent).where(AuditEvent.action.startswith("retention")))  # type: ignore[attr-defined]
    }
    assert "retention.proofs_purged" in actions
