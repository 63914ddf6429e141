"""API keys: shown once, stored hashed, scoped, revocable, expiring, audited."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.models import ApiKey, AuditEvent, utcnow
from tests.support.api import bearer, client, login
from tests.support.world import World, booking


def _admin(http) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(login(http, "admin@test.example.com")["access_token"])


def test_key_lifecycle(world: World, session: Session) -> None:
    http = client()
    admin = _admin(http)
    created = http.post(
        "/api/v1/api-keys",
        headers=admin,
        json={
            "name": "Casey's shop",
            "scopes": ["shipments:read", "shipments:write"],
            "owner_user_id": world.alice.user_id,
        },
    )
    assert created.status_code == 201
    key = created.json()["key"]
    stored = session.exec(select(ApiKey)).one()
    assert key.startswith(f"lai_{stored.prefix}_") and key not in stored.key_hash
    listed = http.get("/api/v1/api-keys", headers=admin).json()
    assert "key" not in listed[0] and listed[0]["prefix"] == stored.prefix

    payload = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in booking().items()}
    made = http.post("/api/v1/shipments", headers={"X-API-Key": key}, json=payload)
    assert made.status_code == 201 and made.json()["customer_id"] == world.alice.customer_id
    assert http.get("/api/v1/shipments", headers=bearer(key)).json()["total"] == 1
    session.expire_all()
    assert session.get(ApiKey, stored.id).last_used_at is not None  # type: ignore[union-attr]

    assert http.delete(f"/api/v1/api-keys/{stored.id}", headers=admin).status_code == 204
    refused = http.get("/api/v1/shipments", headers={"X-API-Key": key})
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "api_key.created" in actions and "api_key.revoked" in actions
    assert all(key not in str(e.details) for e in session.exec(select(AuditEvent)).all())


def test_scopes_narrow_the_owner_role(world: World) -> None:
    http = client()
    admin = _admin(http)
    key = http.post(
        "/api/v1/api-keys", headers=admin, json={"name": "read only", "scopes": ["shipments:read"]}
    ).json()["key"]
    assert http.get("/api/v1/shipments", headers={"X-API-Key": key}).status_code == 200
    # The owner is an admin, but the key may only read shipments.
    assert http.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 403
    assert http.post("/api/v1/shipments/1/cancel", headers={"X-API-Key": key}).status_code == 403
    bad_scope = http.post(
        "/api/v1/api-keys", headers=admin, json={"name": "x", "scopes": ["everything"]}
    )
    assert bad_scope.status_code == 422


def test_expired_and_malformed_keys(world: World) -> None:
    http = client()
    admin = _admin(http)
    body = http.post(
        "/api/v1/api-keys", headers=admin, json={"name": "old", "scopes": ["shipments:read"]}
    ).json()
    with session_scope() as s:
        stored = s.get(ApiKey, body["id"])
        stored.expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
        s.add(stored)
    expired = http.get("/api/v1/shipments", headers={"X-API-Key": body["key"]})
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    for bad in ("lai_deadbeef_nope", "lai_", "random"):
        assert http.get("/api/v1/shipments", headers={"X-API-Key": bad}).status_code == 401


def test_admin_changes_roles_and_deactivates(world: World, session: Session) -> None:
    http = client()
    admin = _admin(http)
    erin = login(http, "erin@test.example.com")
    promoted = http.patch(
        f"/api/v1/users/{world.erin.user_id}", headers=admin, json={"role": "dispatcher"}
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "dispatcher"
    off = http.patch(
        f"/api/v1/users/{world.erin.user_id}", headers=admin, json={"is_active": False}
    )
    assert off.json()["is_active"] is False
    assert http.get("/api/v1/me", headers=bearer(erin["access_token"])).status_code == 401
    myself = http.patch(
        f"/api/v1/users/{world.admin.user_id}", headers=admin, json={"role": "customer"}
    )
    assert myself.status_code == 409
    audit = http.get("/api/v1/audit-events", headers=admin, params={"action": "user."}).json()
    assert {"user.role_changed", "user.deactivated"} <= {e["action"] for e in audit["items"]}
