"""GDPR self-service: export my data, erase my account, consent records.

Erasure anonymises instead of deleting rows that other people's records and the business's
aggregates depend on (shipments, their status history, prices, dates): personal fields are
overwritten irreversibly, proof-of-delivery files are deleted from storage, location pings
and sessions are removed, and the audit trail keeps its rows under the pseudonym `user:<id>`
while the person's key for its sealed details is destroyed (`security/shredding.py`).
docs/privacy.md lists every personal field and what happens to it.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from logistics_ai.domain.actors import SYSTEM, Actor
from logistics_ai.domain.errors import NotFound, PermissionDenied
from logistics_ai.domain.validation import fail
from logistics_ai.models import (
    ApiKey,
    AuditEvent,
    Consent,
    Customer,
    Driver,
    LocationPing,
    Notification,
    NotificationPreference,
    Role,
    Shipment,
    TrackingEvent,
    User,
    saved_id,
    utcnow,
)
from logistics_ai.security import refresh, shredding
from logistics_ai.security.passwords import hash_password, verify_password
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit
from logistics_ai.services.audit_log import revealed
from logistics_ai.settings import get_settings

ERASED_NAME = "Erased user"
ERASED_TEXT = "(erased)"
# Purposes a person can grant or withdraw; the privacy notice explains each.
CONSENT_PURPOSES = {
    "privacy_notice": "I have read the privacy notice.",
    "service_emails": "Emails about my deliveries (booked, out for delivery, delivered).",
    "service_sms": "Text messages about my deliveries.",
    "product_updates": "Occasional news about the service.",
}
EXPORT_FORMAT = "logistics-ai/export/v1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _me(session: Session, actor: Actor) -> User:
    require(actor, Action.session_manage)
    if actor.api_key_id is not None:
        raise PermissionDenied("Sign in as the person: API keys cannot export or erase accounts.")
    user = session.get(User, actor.user_id)
    if user is None or user.erased_at is not None:
        raise NotFound("Account not found.")
    return user


# --- Export ----------------------------------------------------------------------------


def export_my_data(session: Session, actor: Actor) -> dict[str, Any]:
    """Everything the platform holds about the caller, as one JSON-ready document."""
    user = _me(session, actor)
    customer = session.exec(select(Customer).where(Customer.user_id == user.id)).first()
    driver = session.exec(select(Driver).where(Driver.user_id == user.id)).first()
    shipments: list[Shipment] = []
    if customer is not None:
        shipments = list(
            session.exec(
                select(Shipment)
                .where(Shipment.customer_id == customer.id)
                .order_by(col(Shipment.created_at))
            ).all()
        )
    shipment_ids = [s.id for s in shipments]
    events = (
        session.exec(
            select(TrackingEvent)
            .where(col(TrackingEvent.shipment_id).in_(shipment_ids))
            .order_by(col(TrackingEvent.occurred_at), col(TrackingEvent.id))
        ).all()
        if shipment_ids
        else []
    )
    notifications = session.exec(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(col(Notification.created_at))
    ).all()
    preference = session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    ).first()
    consents = session.exec(
        select(Consent).where(Consent.user_id == user.id).order_by(col(Consent.recorded_at))
    ).all()
    own_audit = revealed(
        session,
        list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.actor_user_id == user.id)
                .order_by(col(AuditEvent.occurred_at))
                .limit(5000)
            ).all()
        ),
    )
    pings: list[LocationPing] = []
    if driver is not None:
        pings = list(
            session.exec(
                select(LocationPing)
                .where(LocationPing.driver_id == driver.id)
                .order_by(col(LocationPing.recorded_at))
            ).all()
        )
    audit.record(session, actor, "privacy.exported", "user", user.id)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "account": {
            "id": user.id,
            "email": user.email,
            "full_name": user.full_name,
            "phone": user.phone,
            "role": user.role,
            "created_at": _iso(user.created_at),
            "email_verified_at": _iso(user.email_verified_at),
            "last_login_at": _iso(user.last_login_at),
            "two_factor_enabled": user.totp_enabled_at is not None,
            "customer_profile": None
            if customer is None
            else {
                "company_name": customer.company_name,
                "default_address": customer.default_address,
                "default_lat": customer.default_lat,
                "default_lon": customer.default_lon,
            },
        },
        "shipments": [
            s.model_dump(mode="json", exclude={"version", "route_id", "driver_id"})
            for s in shipments
        ],
        "events": [e.model_dump(mode="json") for e in events],
        "notifications": [
            {
                "channel": n.channel,
                "recipient": n.recipient,
                "template": n.template,
                "status": n.status,
                "created_at": _iso(n.created_at),
                "shipment_id": n.shipment_id,
            }
            for n in notifications
        ],
        "notification_preferences": None
        if preference is None
        else preference.model_dump(mode="json", exclude={"id", "user_id"}),
        "consents": [
            {
                "purpose": c.purpose,
                "granted": c.granted,
                "notice_version": c.notice_version,
                "recorded_at": _iso(c.recorded_at),
            }
            for c in consents
        ],
        "location_pings": [
            {"lat": p.lat, "lon": p.lon, "recorded_at": _iso(p.recorded_at)} for p in pings
        ],
        "security_events": [
            {
                "occurred_at": _iso(e.occurred_at),
                "action": e.action,
                "ip": e.ip,
                "user_agent": e.user_agent,
            }
            for e in own_audit
        ],
    }


# --- Consent ---------------------------------------------------------------------------


def record_consent(session: Session, actor: Actor, purpose: str, granted: bool) -> Consent:
    user = _me(session, actor)
    if purpose not in CONSENT_PURPOSES:
        raise fail({"purpose": f"Unknown purpose; one of {', '.join(CONSENT_PURPOSES)}."})
    consent = Consent(
        user_id=saved_id(user),
        purpose=purpose,
        granted=granted,
        notice_version=get_settings().privacy_notice_version,
    )
    session.add(consent)
    audit.record(
        session,
        actor,
        "privacy.consent_granted" if granted else "privacy.consent_withdrawn",
        "user",
        user.id,
        {"purpose": purpose, "notice_version": consent.notice_version},
    )
    return consent


def current_consents(session: Session, actor: Actor) -> dict[str, bool]:
    """The latest decision per purpose (append-only records: the last one wins)."""
    user = _me(session, actor)
    state = dict.fromkeys(CONSENT_PURPOSES, False)
    for consent in session.exec(
        select(Consent).where(Consent.user_id == user.id).order_by(col(Consent.recorded_at))
    ).all():
        state[consent.purpose] = consent.granted
    return state


# --- Erasure ---------------------------------------------------------------------------


def erase_my_account(session: Session, actor: Actor, password: str) -> dict[str, int]:
    """Customers erase themselves (re-entering the password); staff and drivers are erased
    by an administrator because their work records are kept by the employer."""
    user = _me(session, actor)
    if Role(user.role) != Role.customer:
        raise PermissionDenied(
            "Driver and staff accounts are closed by an administrator; ask yours."
        )
    if not verify_password(user.password_hash, password):
        audit.record(session, actor, "privacy.erase_refused", "user", user.id)
        session.commit()  # the refused attempt is evidence
        # A field error, not an authentication failure: the person stays signed in.
        raise fail({"password": "The password is incorrect."})
    return erase_user(session, user, actor)


def erase_user(session: Session, user: User, actor: Actor = SYSTEM) -> dict[str, int]:
    """Irreversibly anonymise one account (self-service erasure and the retention job)."""
    from logistics_ai.services import proof  # proof storage: files deleted after commit

    counts = {"shipments": 0, "events": 0, "notifications": 0, "proofs": 0, "pings": 0}
    user_id = user.id
    assert user_id is not None
    customer = session.exec(select(Customer).where(Customer.user_id == user_id)).first()
    if customer is not None:
        customer_id = customer.id
        assert customer_id is not None
        counts["proofs"] = proof.delete_proof_files(session, customer_id=customer_id)
        for shipment in session.exec(
            select(Shipment).where(Shipment.customer_id == customer.id)
        ).all():
            # Keep what the business counts (status, dates, weight, price); round places to
            # about a kilometre so the aggregate map survives but no home can be found.
            shipment.pickup_address = ERASED_TEXT
            shipment.dropoff_address = ERASED_TEXT
            shipment.pickup_contact = None
            shipment.recipient_name = ERASED_TEXT
            shipment.recipient_phone = None
            shipment.notes = None
            for field in ("pickup_lat", "pickup_lon", "dropoff_lat", "dropoff_lon"):
                setattr(shipment, field, round(getattr(shipment, field), 2))
            session.add(shipment)
            counts["shipments"] += 1
            for event in session.exec(
                select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)
            ).all():
                event.note, event.lat, event.lon = None, None, None
                session.add(event)
                counts["events"] += 1
        customer.company_name = None
        customer.default_address = None
        customer.default_lat = customer.default_lon = None
        session.add(customer)
    driver = session.exec(select(Driver).where(Driver.user_id == user_id)).first()
    if driver is not None:
        result = session.exec(delete(LocationPing).where(col(LocationPing.driver_id) == driver.id))
        counts["pings"] = result.rowcount or 0
        driver.last_lat = driver.last_lon = None
        session.add(driver)
    for notification in session.exec(
        select(Notification).where(Notification.user_id == user_id)
    ).all():
        notification.recipient = ERASED_TEXT
        notification.payload = {}
        session.add(notification)
        counts["notifications"] += 1
    for key in session.exec(
        select(ApiKey).where(ApiKey.owner_user_id == user_id, col(ApiKey.revoked_at).is_(None))
    ).all():
        key.revoked_at = utcnow()
        session.add(key)
    for record in refresh.for_user(user_id):
        refresh.revoke(record)
    user.email = f"erased-{user_id}-{secrets.token_hex(4)}@erased.invalid"
    user.full_name = ERASED_NAME
    user.phone = None
    user.password_hash = hash_password(secrets.token_urlsafe(32))  # nobody knows it
    user.totp_secret = None
    user.totp_enabled_at = None
    user.is_active = False
    user.erased_at = utcnow()
    session.add(user)
    # Recorded first, so its own sealed details (email, address) are shredded with the rest.
    audit.record(session, actor, "privacy.account_erased", "user", user_id, counts)
    session.flush()
    shredding.shred(session, user_id)  # the audit trail's sealed details become unreadable
    return counts
