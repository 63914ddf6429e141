"""The notification sender: claims due outbox rows, sends them, retries with backoff.

At most once across workers: a row is claimed (status `sending`, a lease in `locked_until`,
a random `claimed_by` token) in a short transaction using `SELECT ... FOR UPDATE SKIP LOCKED`
on PostgreSQL, so two workers never pick the same row; the result is written back only by the
claim's owner. If the worker dies mid-send the lease expires and another worker retries; the
Message-ID stays the same on every attempt so a mail server can drop a repeat.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from loguru import logger
from sqlalchemy import and_, or_
from sqlmodel import col, select

from logistics_ai.db import session_scope
from logistics_ai.models import Notification, NotificationStatus, utcnow
from logistics_ai.notify.errors import DeliveryError
from logistics_ai.notify.mail import OutgoingEmail, get_mail_sender
from logistics_ai.notify.sms import get_sms_provider
from logistics_ai.services.notifications import render_notification, unsubscribe_url
from logistics_ai.settings import get_settings

BATCH_SIZE = 50
S = NotificationStatus


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent={self.sent} retrying={self.retrying} failed={self.failed}"


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped."""
    settings = get_settings()
    delay = min(
        settings.notify_backoff_max_seconds,
        settings.notify_backoff_seconds * 2 ** max(0, attempts - 1),
    )
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def claim_due(limit: int = BATCH_SIZE, now: datetime | None = None) -> list[Notification]:
    now = now or utcnow()
    lease = timedelta(seconds=get_settings().notify_lease_seconds)
    token = uuid.uuid4().hex
    with session_scope() as session:
        rows = session.exec(
            select(Notification)
            .where(
                or_(
                    and_(
                        col(Notification.status) == S.pending,
                        col(Notification.next_attempt_at) <= now,
                    ),
                    # A claim whose worker died: the lease ran out without a result.
                    and_(
                        col(Notification.status) == S.sending,
                        col(Notification.locked_until) < now,
                    ),
                )
            )
            .order_by(col(Notification.next_attempt_at), col(Notification.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.status = S.sending
            row.locked_until = now + lease
            row.claimed_by = token
            row.attempts += 1
            session.add(row)
    return list(rows)


def message_id(row: Notification) -> str:
    domain = get_settings().mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<notification-{row.id}.{int(row.created_at.timestamp())}@{domain}>"


def deliver(row: Notification) -> str:
    """Render and hand over one notification; returns the provider's message id."""
    rendered = render_notification(row)
    if row.channel == "sms":
        return get_sms_provider().send(row.recipient, rendered.sms)
    headers = {}
    if row.user_id:
        link = unsubscribe_url(row.user_id)
        # RFC 8058 one-click unsubscribe: mail clients POST to the link.
        headers = {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return get_mail_sender().send(
        OutgoingEmail(
            to=row.recipient,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            headers=headers,
            message_id=message_id(row),
        )
    )


def _finish(row: Notification, *, provider_id: str | None, error: DeliveryError | None) -> str:
    settings = get_settings()
    with session_scope() as session:
        current = session.exec(
            select(Notification)
            .where(Notification.id == row.id, Notification.claimed_by == row.claimed_by)
            .with_for_update()
        ).first()
        if current is None or current.status != S.sending:
            return "lost"  # the lease expired and another worker took over
        now = utcnow()
        current.locked_until = None
        if error is None:
            current.status, current.sent_at = S.sent, now
            current.provider_message_id = (provider_id or "")[:200] or None
            current.last_error = None
            outcome = "sent"
        elif error.permanent or current.attempts >= settings.notify_max_attempts:
            current.status, current.last_error = S.failed, str(error)[:500]
            outcome = "failed"
        else:
            current.status, current.last_error = S.pending, str(error)[:500]
            current.next_attempt_at = now + timedelta(seconds=backoff_seconds(current.attempts))
            outcome = "retrying"
        session.add(current)
    return outcome


def send_due(limit: int = BATCH_SIZE) -> SendReport:
    report = SendReport()
    for row in claim_due(limit):
        try:
            provider_id, error = deliver(row), None
        except DeliveryError as failure:
            provider_id, error = None, failure
        except Exception as failure:  # a template or data bug: keep the row, retry later
            logger.opt(exception=failure).error("notification {} could not be built", row.id)
            provider_id, error = None, DeliveryError(f"internal error: {type(failure).__name__}")
        outcome = _finish(row, provider_id=provider_id, error=error)
        if outcome == "sent":
            report.sent += 1
        elif outcome == "retrying":
            report.retrying += 1
            logger.warning("notification {} ({}) will be retried: {}", row.id, row.channel, error)
        elif outcome == "failed":
            report.failed += 1
            logger.error("notification {} ({}) failed: {}", row.id, row.channel, error)
    return report
