"""Webhook subscriptions (admins), the event write in the caller's transaction, the log.

Events are written as `webhook_deliveries` rows in the same transaction as the change they
report (like the notification outbox) and sent by `logistics_ai.jobs.webhooks`.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import NotFound
from logistics_ai.domain.validation import fail, parse
from logistics_ai.models import WebhookDelivery, WebhookEndpoint, saved_id, utcnow
from logistics_ai.notify.webhooks import UnsafeUrl, check_url, resolve_checked
from logistics_ai.security import policy
from logistics_ai.security.policy import Action
from logistics_ai.services import audit
from logistics_ai.services.reference_cache import ReferenceCache
from logistics_ai.settings import get_settings

EventType = Literal["shipment.created", "shipment.status_changed", "proof.uploaded"]
EVENT_TYPES: tuple[str, ...] = ("shipment.created", "shipment.status_changed", "proof.uploaded")
SECRET_PREFIX = "whsec_"
# Managing integrations is an admin's job, like API keys.
MANAGE = Action.api_key_manage


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=500)
    event_types: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: str = Field(default="", max_length=200)


@dataclass(frozen=True)
class CreatedWebhook:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _check_target(url: str) -> None:
    try:
        check_url(url)
        resolve_checked(url)
    except UnsafeUrl as error:
        raise fail({"url": str(error)}) from error


def create_endpoint(
    session: Session, actor: Actor, payload: WebhookCreate | dict[str, Any]
) -> CreatedWebhook:
    policy.require(actor, MANAGE)
    # parse(): a bad field is a ValidationFailed naming it (the admin UI passes a plain dict).
    data = payload if isinstance(payload, WebhookCreate) else parse(WebhookCreate, payload)
    _check_target(data.url)
    secret = _new_secret()
    endpoint = WebhookEndpoint(
        url=data.url,
        description=data.description,
        event_types=",".join(sorted(set(data.event_types))),
        secret=secret,
        created_by_id=actor.user_id,
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.created",
        "webhook",
        endpoint.id,
        {"url": data.url, "event_types": endpoint.event_types},
    )
    return CreatedWebhook(endpoint, secret)


def list_endpoints(session: Session, actor: Actor) -> list[WebhookEndpoint]:
    policy.require(actor, MANAGE)
    return list(
        session.exec(
            select(WebhookEndpoint)
            .where(col(WebhookEndpoint.deleted_at).is_(None))
            .order_by(col(WebhookEndpoint.id))
        ).all()
    )


def get_endpoint(session: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    policy.require(actor, MANAGE)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        raise NotFound(f"Webhook {endpoint_id} was not found.")
    return endpoint


def delete_endpoint(session: Session, actor: Actor, endpoint_id: int) -> None:
    endpoint = get_endpoint(session, actor, endpoint_id)
    # Soft delete keeps the delivery log; the endpoint never receives anything again.
    endpoint.deleted_at, endpoint.is_active = utcnow(), False
    session.add(endpoint)
    audit.record(session, actor, "webhook.deleted", "webhook", endpoint_id, {})


def rotate_secret(session: Session, actor: Actor, endpoint_id: int) -> CreatedWebhook:
    """A new secret (shown once); the old one keeps signing during the overlap."""
    endpoint = get_endpoint(session, actor, endpoint_id)
    overlap = timedelta(hours=get_settings().webhook_secret_overlap_hours)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + overlap
    secret = _new_secret()
    endpoint.secret = secret
    session.add(endpoint)
    audit.record(session, actor, "webhook.secret_rotated", "webhook", endpoint_id, {})
    return CreatedWebhook(endpoint, secret)


def enable(session: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    endpoint = get_endpoint(session, actor, endpoint_id)
    endpoint.is_active, endpoint.disabled_reason, endpoint.consecutive_failures = True, None, 0
    session.add(endpoint)
    audit.record(session, actor, "webhook.enabled", "webhook", endpoint_id, {})
    return endpoint


def disable(session: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """Pause an endpoint: its pending deliveries wait until an admin enables it again."""
    endpoint = get_endpoint(session, actor, endpoint_id)
    endpoint.is_active, endpoint.disabled_reason = False, "disabled by an admin"
    session.add(endpoint)
    audit.record(session, actor, "webhook.disabled", "webhook", endpoint_id, {})
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    valid = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > utcnow():
        valid.append(endpoint.previous_secret)
    return valid


# --- events -----------------------------------------------------------------------------


def _subscribers(session: Session) -> tuple[tuple[int, frozenset[str]], ...]:
    endpoints = session.exec(
        select(WebhookEndpoint).where(
            col(WebhookEndpoint.is_active).is_(True), col(WebhookEndpoint.deleted_at).is_(None)
        )
    ).all()
    return tuple((saved_id(e), frozenset(e.event_types.split(","))) for e in endpoints)


# Read by every booking and status change. A subscription created, changed, paused or
# deleted here applies at once in this process, and within SUBSCRIBERS_CACHE_S on the other
# workers and replicas (see services/reference_cache.py and docs/webhooks.md).
SUBSCRIBERS_CACHE_S = 10.0
SUBSCRIBERS = ReferenceCache(
    "webhook subscribers", (WebhookEndpoint,), SUBSCRIBERS_CACHE_S, _subscribers
)


def enqueue(session: Session, event_type: EventType, data: dict[str, Any]) -> int:
    """Queue `event_type` for every active subscriber, in the caller's transaction."""
    event_id = f"evt_{uuid.uuid4().hex}"
    now = utcnow()
    count = 0
    for endpoint_id, event_types in SUBSCRIBERS.get(session):
        if event_type not in event_types:
            continue
        session.add(
            WebhookDelivery(
                event_id=event_id,
                endpoint_id=endpoint_id,
                event_type=event_type,
                payload={
                    "id": event_id,
                    "type": event_type,
                    "created_at": now.isoformat(),
                    "data": data,
                },
            )
        )
        count += 1
    return count


# --- the delivery log -------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPage:
    items: list[WebhookDelivery]
    total: int
    page: int
    page_size: int


def deliveries(
    session: Session, actor: Actor, endpoint_id: int, *, page: int = 1, page_size: int = 50
) -> DeliveryPage:
    get_endpoint(session, actor, endpoint_id)
    where = WebhookDelivery.endpoint_id == endpoint_id
    total = session.exec(select(func.count()).select_from(WebhookDelivery).where(where)).one()
    items = session.exec(
        select(WebhookDelivery)
        .where(where)
        .order_by(col(WebhookDelivery.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return DeliveryPage(list(items), total, page, page_size)


def redeliver(session: Session, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send an earlier event again (same event id, so the receiver can de-duplicate)."""
    original = session.get(WebhookDelivery, delivery_id)
    if original is None:
        raise NotFound(f"Delivery {delivery_id} was not found.")
    get_endpoint(session, actor, original.endpoint_id)
    copy = WebhookDelivery(
        event_id=original.event_id,
        endpoint_id=original.endpoint_id,
        event_type=original.event_type,
        payload=dict(original.payload),
    )
    session.add(copy)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.redelivered",
        "webhook",
        original.endpoint_id,
        {"delivery": delivery_id, "new_delivery": copy.id},
    )
    return copy
