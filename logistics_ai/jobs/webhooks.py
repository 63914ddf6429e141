"""The webhook sender: claims due deliveries (one worker per row), signs, POSTs, retries.

Same claim protocol as the notification outbox (SKIP LOCKED + lease + claim token). Failed
attempts back off exponentially with jitter until WEBHOOK_RETRY_HOURS after the event; an
endpoint that keeps failing is disabled after WEBHOOK_DISABLE_AFTER_FAILURES attempts in a
row (an admin re-enables it; pending deliveries then resume).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from loguru import logger
from sqlalchemy import and_, or_
from sqlmodel import col, select

from logistics_ai.db import session_scope
from logistics_ai.models import WebhookDelivery, WebhookEndpoint, utcnow
from logistics_ai.notify import webhooks as http
from logistics_ai.services.webhooks import signing_secrets
from logistics_ai.settings import get_settings

BATCH_SIZE = 20
LEASE = timedelta(minutes=2)
FIRST_RETRY_S = 30.0
MAX_RETRY_S = 3600.0


@dataclass
class WebhookReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"delivered={self.delivered} retrying={self.retrying} failed={self.failed}"


def backoff_seconds(attempts: int) -> float:
    delay = min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def _claim(limit: int, now: datetime) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    token = uuid.uuid4().hex
    with session_scope() as session:
        rows = session.exec(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
            .where(
                col(WebhookEndpoint.is_active).is_(True),
                or_(
                    and_(
                        col(WebhookDelivery.status) == "pending",
                        col(WebhookDelivery.next_attempt_at) <= now,
                    ),
                    and_(
                        col(WebhookDelivery.status) == "sending",
                        col(WebhookDelivery.locked_until) < now,
                    ),
                ),
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        ).all()
        for delivery, _endpoint in rows:
            delivery.status, delivery.locked_until = "sending", now + LEASE
            delivery.claimed_by = token
            delivery.attempts += 1
            session.add(delivery)
    return list(rows)


def _finish(delivery: WebhookDelivery, outcome: http.Outcome) -> str:
    settings = get_settings()
    with session_scope() as session:
        current = session.exec(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery.id,
                WebhookDelivery.claimed_by == delivery.claimed_by,
            )
            .with_for_update()
        ).first()
        if current is None or current.status != "sending":
            return "lost"
        endpoint = session.get(WebhookEndpoint, current.endpoint_id, with_for_update=True)
        now = utcnow()
        current.locked_until = None
        current.last_status_code, current.last_error = outcome.status_code, outcome.error
        if outcome.ok:
            current.status, current.delivered_at = "delivered", now
            if endpoint is not None:
                endpoint.consecutive_failures = 0
            result = "delivered"
        else:
            give_up_at = current.created_at + timedelta(hours=settings.webhook_retry_hours)
            next_at = now + timedelta(seconds=backoff_seconds(current.attempts))
            if next_at > give_up_at:
                current.status, result = "failed", "failed"
            else:
                current.status, current.next_attempt_at, result = "pending", next_at, "retrying"
            if endpoint is not None:
                endpoint.consecutive_failures += 1
                if endpoint.consecutive_failures >= settings.webhook_disable_after_failures:
                    endpoint.is_active = False
                    endpoint.disabled_reason = (
                        f"disabled after {endpoint.consecutive_failures} failed deliveries "
                        f"in a row (last: {outcome.error})"
                    )[:200]
                    logger.warning("webhook endpoint {} disabled", endpoint.id)
        session.add(current)
        if endpoint is not None:
            session.add(endpoint)
    return result


def send_due(limit: int = BATCH_SIZE) -> WebhookReport:
    report = WebhookReport()
    for delivery, endpoint in _claim(limit, utcnow()):
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(time.time())
        headers = {
            http.SIGNATURE_HEADER: http.signature_header(
                signing_secrets(endpoint), timestamp, body
            ),
            "Logistics-Event": delivery.event_type,
            "Logistics-Event-Id": delivery.event_id,
            "Logistics-Delivery": str(delivery.id),
        }
        outcome = http.post(endpoint.url, body, headers)
        result = _finish(delivery, outcome)
        if result == "delivered":
            report.delivered += 1
        elif result == "retrying":
            report.retrying += 1
        elif result == "failed":
            report.failed += 1
    return report
