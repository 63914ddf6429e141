"""Customer notifications: preferences, the outbox write, unsubscribe links, rendering.

`enqueue_for_shipment` is called inside the transaction that changes the shipment, so an
outbox row exists exactly when the change committed. Sending happens later, in
`logistics_ai.jobs.notifications`, never inside a request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select, update

from logistics_ai.models import (
    Customer,
    Notification,
    NotificationPreference,
    NotificationStatus,
    Shipment,
    User,
    utcnow,
)
from logistics_ai.notify.events import (
    CHANNELS,
    EVENTS,
    LANGUAGES,
    PREFERENCE,
    NotifyEvent,
    Template,
)

__all__ = ["NotifyEvent", "Preferences", "enqueue_for_shipment"]
from logistics_ai.domain import clock
from logistics_ai.domain.actors import SYSTEM, Actor
from logistics_ai.domain.errors import NotFound
from logistics_ai.notify.render import Rendered, render
from logistics_ai.services import audit
from logistics_ai.settings import get_settings

UNSUBSCRIBE_PATH = "/api/v1/notifications/unsubscribe"


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: bool = True
    sms: bool = False
    events: list[NotifyEvent] = Field(default_factory=lambda: list(EVENTS), max_length=4)
    language: str = Field(default="en", pattern="^(" + "|".join(LANGUAGES) + ")$")


def _row_to_preferences(row: NotificationPreference | None) -> Preferences:
    if row is None:
        return Preferences()
    events = [e for e in row.events.split(",") if e in EVENTS]
    return Preferences(
        email=row.email_enabled,
        sms=row.sms_enabled,
        events=events,
        language=row.language,
    )


def preferences_for(session: Session, user_id: int) -> Preferences:
    row = session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    ).first()
    return _row_to_preferences(row)


def _save(session: Session, user_id: int, prefs: Preferences) -> None:
    row = session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    ).first() or NotificationPreference(user_id=user_id)
    row.email_enabled = prefs.email
    row.sms_enabled = prefs.sms
    row.events = ",".join(e for e in EVENTS if e in prefs.events)
    row.language = prefs.language
    row.updated_at = utcnow()
    session.add(row)


def my_preferences(session: Session, actor: Actor) -> Preferences:
    if actor.user_id is None:
        raise NotFound("This account has no notification settings.")
    return preferences_for(session, actor.user_id)


def update_my_preferences(
    session: Session, actor: Actor, prefs: Preferences | dict[str, Any]
) -> Preferences:
    if actor.user_id is None:
        raise NotFound("This account has no notification settings.")
    prefs = prefs if isinstance(prefs, Preferences) else Preferences.model_validate(prefs)
    _save(session, actor.user_id, prefs)
    audit.record(
        session,
        actor,
        "notifications.preferences_changed",
        "user",
        actor.user_id,
        prefs.model_dump(),
    )
    if not (prefs.email and prefs.sms):
        _cancel_pending(
            session,
            actor.user_id,
            [c for c, on in (("email", prefs.email), ("sms", prefs.sms)) if not on],
        )
    return prefs


def _cancel_pending(session: Session, user_id: int, channels: list[str]) -> None:
    session.exec(
        update(Notification)
        .where(
            col(Notification.user_id) == user_id,
            col(Notification.channel).in_(channels),
            col(Notification.status) == NotificationStatus.pending,
        )
        .values(status=NotificationStatus.cancelled, last_error="recipient opted out")
    )


# --- unsubscribe links (no sign-in needed) ------------------------------------------------


def unsubscribe_token(user_id: int) -> str:
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, f"notify-unsubscribe:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def unsubscribe_url(user_id: int) -> str:
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}{UNSUBSCRIBE_PATH}?u={user_id}&t={unsubscribe_token(user_id)}"


def unsubscribe_token_valid(user_id: int, token: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a link can carry any.
    return hmac.compare_digest(unsubscribe_token(user_id).encode(), (token or "").encode())


def unsubscribe(session: Session, user_id: int, token: str) -> None:
    """Turn every channel off for the user the signed link names. Idempotent."""
    if not unsubscribe_token_valid(user_id, token):
        raise NotFound("This unsubscribe link is not valid.")
    if session.get(User, user_id) is None:
        raise NotFound("This unsubscribe link is not valid.")
    prefs = preferences_for(session, user_id).model_copy(update={"email": False, "sms": False})
    _save(session, user_id, prefs)
    _cancel_pending(session, user_id, list(CHANNELS))
    audit.record(
        session, SYSTEM, "notifications.unsubscribed", "user", user_id, {"via": "email link"}
    )


# --- the outbox write -----------------------------------------------------------------------


_MUTED = "notifications_muted"


def mute(session: Session) -> None:
    """Write no outbox rows in this session (the demo seed back-fills history silently)."""
    session.info[_MUTED] = True


def enqueue_for_shipment(
    session: Session, shipment: Shipment, event: Template, *, reason: str | None = None
) -> list[Notification]:
    """Queue the customer's messages for `event` in the caller's transaction (none when the
    customer switched that event, or the switch it is sent under, off)."""
    if session.info.get(_MUTED):
        return []
    customer = session.get(Customer, shipment.customer_id)
    if customer is None:
        return []
    # The recipient and their preferences in one round trip (this runs in every booking and
    # status change; see docs/performance.md, "The next costs of a create").
    found = session.exec(
        select(User, NotificationPreference)
        .join(
            NotificationPreference,
            col(NotificationPreference.user_id) == col(User.id),
            isouter=True,
        )
        .where(col(User.id) == customer.user_id)
    ).first()
    if found is None or not found[0].is_active:
        return []
    user, saved = found
    prefs = _row_to_preferences(saved)
    if PREFERENCE.get(event, event) not in prefs.events:
        return []
    payload: dict[str, Any] = {
        "tracking_code": shipment.tracking_code,
        "name": user.full_name.split(" ")[0],
        "service_date": shipment.service_date.isoformat(),
        "eta": clock.to_local(shipment.eta).strftime("%H:%M") if shipment.eta else None,
        "reason": reason,
        "recipient": None,
    }
    targets = []
    if prefs.email and user.email:
        targets.append(("email", user.email))
    if prefs.sms and user.phone:
        targets.append(("sms", user.phone))
    rows = []
    for channel, address in targets:
        row = Notification(
            channel=channel,
            recipient=address,
            template=event,
            language=prefs.language,
            user_id=user.id,
            shipment_id=shipment.id,
            payload=payload,
        )
        session.add(row)
        rows.append(row)
    return rows


def render_notification(row: Notification) -> Rendered:
    base = get_settings().public_base_url.rstrip("/")
    payload = dict(row.payload)
    context = {
        **payload,
        "lang": row.language,
        "tracking_url": f"{base}/track/{payload['tracking_code']}",
        "proof_url": f"{base}/customer?shipment={row.shipment_id}",
        "unsubscribe_url": unsubscribe_url(row.user_id) if row.user_id else f"{base}/customer",
    }
    context.setdefault("reason", None)
    context["reason"] = context["reason"] or "-"
    return render(row.template, row.language, context)
