"""Customer notifications: preferences, the outbox write, unsubscribe links, rendering.

`enqueue_for_shipment` is called inside the transaction that changes the shipment, so an
outbox row exists exactly when the change committed. Sending happens later, in
`logistics_ai.jobs.notifications`, never inside a request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, insert
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import Select

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
from logistics_ai.models.core_rows import with_defaults
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
    return _preferences(row.email_enabled, row.sms_enabled, row.events, row.language)


def _preferences(email: bool, sms: bool, events: str, language: str) -> Preferences:
    return Preferences(
        email=email,
        sms=sms,
        events=[e for e in events.split(",") if e in EVENTS],
        language=language,
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


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a customer's messages go to and what they chose: all the outbox write needs."""

    user_id: int
    first_name: str
    email: str | None
    phone: str | None
    preferences: Preferences


# The columns a Recipient is made of, for `with_recipient` to add to a query of customers: the
# booking reads the customer anyway and takes these with it (one statement instead of two,
# docs/performance.md, Round 9). Columns, not entities: the users row's other fields (its TOTP
# secret is encrypted) are neither decrypted nor tracked by the session.
RECIPIENT_COLUMNS: tuple[Any, ...] = (
    col(User.id),
    col(User.is_active),
    col(User.full_name),
    col(User.email),
    col(User.phone),
    col(NotificationPreference.id),
    col(NotificationPreference.email_enabled),
    col(NotificationPreference.sms_enabled),
    col(NotificationPreference.events),
    col(NotificationPreference.language),
)


def with_recipient(query: Select) -> Select:
    """`query`, a SELECT from customers, joined to the customer's user and preferences."""
    return query.join(User, col(User.id) == col(Customer.user_id)).join(
        NotificationPreference,
        col(NotificationPreference.user_id) == col(User.id),
        isouter=True,
    )


def recipient_from(values: Sequence[Any]) -> Recipient | None:
    """The Recipient in `values` (RECIPIENT_COLUMNS' values in order), None when inactive."""
    user_id, is_active, full_name, email, phone, prefs_id, email_on, sms_on, events, lang = values
    if not is_active:
        return None
    prefs = Preferences() if prefs_id is None else _preferences(email_on, sms_on, events, lang)
    return Recipient(user_id, full_name.split(" ")[0], email, phone, prefs)


# Built once, run with the customer's id bound (building it per call cost more than running it).
_RECIPIENT_OF = with_recipient(select(*RECIPIENT_COLUMNS).select_from(Customer)).where(
    col(Customer.id) == bindparam("customer_id")
)


def recipient_of(session: Session, customer_id: int) -> Recipient | None:
    """The customer's recipient in one round trip (this runs in every status change)."""
    found = session.exec(_RECIPIENT_OF, params={"customer_id": customer_id}).first()
    return None if found is None else recipient_from(found)


def enqueue_for_shipment(
    session: Session, shipment: Shipment, event: Template, *, reason: str | None = None
) -> list[str]:
    """Queue the customer's messages for `event` in the caller's transaction (none when the
    customer switched that event, or the switch it is sent under, off); the channels queued."""
    if session.info.get(_MUTED):
        return []
    recipient = recipient_of(session, shipment.customer_id)
    return enqueue_to(session, recipient, shipment, event, reason=reason)


def enqueue_to(
    session: Session,
    recipient: Recipient | None,
    shipment: Shipment,
    event: Template,
    *,
    reason: str | None = None,
) -> list[str]:
    """`enqueue_for_shipment` for a caller that read the recipient already (`recipient_from`)."""
    if session.info.get(_MUTED) or recipient is None:
        return []
    prefs = recipient.preferences
    if PREFERENCE.get(event, event) not in prefs.events:
        return []
    payload: dict[str, Any] = {
        "tracking_code": shipment.tracking_code,
        "name": recipient.first_name,
        "service_date": shipment.service_date.isoformat(),
        "eta": clock.to_local(shipment.eta).strftime("%H:%M") if shipment.eta else None,
        "reason": reason,
        "recipient": None,
    }
    targets = []
    if prefs.email and recipient.email:
        targets.append(("email", recipient.email))
    if prefs.sms and recipient.phone:
        targets.append(("sms", recipient.phone))
    if not targets:
        return []
    # Written at once by one Core statement rather than constructed and flushed by the unit
    # of work: nothing reads an outbox row back in the transaction that writes it, and the
    # model's constructor and the flush cost more CPU than the statement (docs/performance.md,
    # Rounds 9 and 10). The model's defaults fill the columns not given (`with_defaults`).
    values = [
        with_defaults(
            Notification,
            {
                "channel": channel,
                "recipient": address,
                "template": event,
                "language": prefs.language,
                "user_id": recipient.user_id,
                "shipment_id": shipment.id,
                "payload": payload,
            },
        )
        for channel, address in targets
    ]
    session.connection().execute(_OUTBOX_ROW, values[0] if len(values) == 1 else values)
    return [channel for channel, _ in targets]


# Built once; the columns come from the rows given (`with_defaults`: every one but the id).
_OUTBOX_ROW = insert(Notification)


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
