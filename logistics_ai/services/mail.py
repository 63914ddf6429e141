"""Account emails (confirmation, password reset, security notices): sent only after commit.

`queue(session, ...)` attaches a message to the unit of work; it is handed to a background
thread when that transaction commits and dropped when it rolls back, so a request never
waits on SMTP (and the answer takes as long whether or not an email went out), and no email
announces something that did not happen. The transport is the notification layer's
(`logistics_ai/notify/mail.py`: SMTP, or .eml files in MAIL_FILE_DIR in the embedded default).
These emails do not go through the customer-notification outbox: they carry one-time secrets
that must not sit in a table, and they are not subject to notification preferences.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from loguru import logger
from sqlalchemy import event
from sqlmodel import Session

from logistics_ai.notify.mail import OutgoingEmail, send_email

_PENDING = "mail_pending"
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


def deliver(message: OutgoingEmail) -> None:
    """Send now, on the calling thread, through the notification layer's transport."""
    send_email(message)


def _deliver_logged(message: OutgoingEmail) -> None:
    try:
        deliver(message)
    except Exception as error:  # a lost email must not crash the sender thread
        logger.opt(exception=error).error("email {!r} could not be sent", message.subject)


def queue(session: Session, to: str, subject: str, body: str) -> None:
    session.info.setdefault(_PENDING, []).append(OutgoingEmail(to=to, subject=subject, text=body))


def sent_after_commit(message: OutgoingEmail) -> Future[None]:
    return _executor.submit(_deliver_logged, message)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for message in session.info.pop(_PENDING, []):
        sent_after_commit(message)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
